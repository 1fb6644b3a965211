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
