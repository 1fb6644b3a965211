import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` is the IPv4 address 10.0.0.1. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? (m[1] as string) : ip;
}

/** Parses `10.0.0.5`, `10.0.0.0/24`, `::1`, `fd00::/8`. Returns the normalised text or undefined. */
export function parseCidr(text: string): { net: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [addrRaw, prefixRaw, extra] = text.trim().split('/');
  if (extra !== undefined || !addrRaw) return undefined;
  const addr = normalizeIp(addrRaw);
  const v = isIP(addr);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  if (prefixRaw !== undefined && !/^\d{1,3}$/.test(prefixRaw)) return undefined;
  const prefix = prefixRaw === undefined ? max : Number(prefixRaw);
  if (prefix < 0 || prefix > max) return undefined;
  return { net: addr, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** True when `ip` lies in one of the CIDRs. */
// Parsed lists by their text: an API key's list is checked on every request it makes
const lists = new Map<string, BlockList>();

function blockList(cidrs: readonly string[]): BlockList {
  const text = cidrs.join(',');
  let list = lists.get(text);
  if (!list) {
    list = new BlockList();
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (p) list.addSubnet(p.net, p.prefix, p.family);
    }
    if (lists.size >= 10_000) lists.clear();
    lists.set(text, list);
  }
  return list;
}

export function ipAllowed(ip: string, cidrs: readonly string[]): boolean {
  const addr = normalizeIp(ip);
  const v = isIP(addr);
  if (v === 0) return false;
  return blockList(cidrs).check(addr, v === 4 ? 'ipv4' : 'ipv6');
}

function ipToBigInt(addr: string, family: 'ipv4' | 'ipv6'): bigint {
  if (family === 'ipv4') return addr.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
  let text = addr.toLowerCase();
  // an embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two hex groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1] as string, 'ipv4');
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/**
 * True when the networks together contain every IPv4 address or every IPv6 address: `0.0.0.0/0`,
 * `::/0`, but also `0.0.0.0/1` with `128.0.0.0/1`. Such a binding restricts nothing.
 */
export function coversEveryAddress(cidrs: readonly string[]): boolean {
  for (const [family, bits] of [
    ['ipv4', 32n],
    ['ipv6', 128n],
  ] as const) {
    const ranges = cidrs
      .map((c) => parseCidr(c))
      .filter((p): p is NonNullable<typeof p> => p !== undefined && p.family === family)
      .map((p) => {
        const size = 1n << (bits - BigInt(p.prefix));
        const start = (ipToBigInt(p.net, family) / size) * size;
        return [start, start + size] as const;
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let reach = 0n;
    for (const [start, end] of ranges) {
      if (start > reach) break;
      if (end > reach) reach = end;
    }
    if (reach >= 1n << bits) return true;
  }
  return false;
}
