import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AppError } from '../../lib/app-error.ts';
import { parseCidr } from '../../lib/cidr.ts';

/**
 * Outbound targets of webhooks (SSRF guard). A URL must be http(s) without credentials; its host
 * is resolved (every address) when the webhook is saved and again before each delivery; every
 * address must be a public one unless the allowlist (`COFFER_WEBHOOK_ALLOWED_TARGETS`: host names
 * or CIDRs) permits it. The request then connects to the address that was checked (the `lookup`
 * of the request returns it), so a DNS answer that changes between check and connect
 * (DNS rebinding) is never used. Redirects are not followed.
 */

export interface TargetPolicy {
  allowedTargets: readonly string[];
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface CheckedTarget {
  url: URL;
  /** The address connected to. */
  address: string;
  family: 4 | 6;
}

type Bytes = number[];

function ipv4Bytes(ip: string): Bytes | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

/** 16 bytes of an IPv6 address (with `::` and a dotted IPv4 tail); undefined if malformed. */
export function ipv6Bytes(ip: string): Bytes | undefined {
  if (ip.includes('%')) return undefined; // zone ids name an interface: link-local only
  let tail: Bytes = [];
  let text = ip;
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[1] as string);
    if (!v4) return undefined;
    tail = v4;
    text = `${text.slice(0, dotted.index)}:0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0] as string);
  const rest = halves.length === 2 ? group(halves[1] as string) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out: Bytes = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const v = Number.parseInt(g, 16);
    out.push(v >> 8, v & 255);
  }
  if (tail.length) out.splice(12, 4, ...tail);
  return out.length === 16 ? out : undefined;
}

function inPrefix(addr: Bytes, net: Bytes, bits: number): boolean {
  if (addr.length !== net.length) return false;
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((addr[i / 8] as number) & mask) !== ((net[i / 8] as number) & mask)) return false;
  }
  return true;
}

const v4Ranges: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const v6Ranges: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];
const v4Blocked = v4Ranges.map(([n, b, what]) => ({ net: ipv4Bytes(n) as Bytes, bits: b, what }));
const v6Blocked = v6Ranges.map(([n, b, what]) => ({ net: ipv6Bytes(n) as Bytes, bits: b, what }));
/** IPv6 forms that carry an IPv4 address: IPv4-mapped, NAT64, 6to4. */
const v6Embedding = [
  { net: ipv6Bytes('::ffff:0:0') as Bytes, bits: 96, at: 12 },
  { net: ipv6Bytes('64:ff9b::') as Bytes, bits: 96, at: 12 },
  { net: ipv6Bytes('2002::') as Bytes, bits: 16, at: 2 },
];

/** The bytes of an address, and those of the IPv4 address it embeds (if any). */
function forms(ip: string): Bytes[] | undefined {
  const v = isIP(ip);
  if (v === 4) {
    const b = ipv4Bytes(ip);
    return b ? [b] : undefined;
  }
  if (v !== 6) return undefined;
  const b = ipv6Bytes(ip);
  if (!b) return undefined;
  const out = [b];
  for (const e of v6Embedding) if (inPrefix(b, e.net, e.bits)) out.push(b.slice(e.at, e.at + 4));
  return out;
}

/** Why webhooks may not reach this address by default, or undefined if it is a public one. */
export function blockedReason(ip: string): string | undefined {
  const all = forms(ip);
  if (!all) return 'not an IP address';
  for (const b of all) {
    for (const r of b.length === 4 ? v4Blocked : v6Blocked) if (inPrefix(b, r.net, r.bits)) return r.what;
  }
  return undefined;
}

function allowedByList(ip: string, host: string, allowed: readonly string[]): boolean {
  const all = forms(ip) ?? [];
  for (const entry of allowed) {
    const c = parseCidr(entry);
    if (!c) {
      if (entry.toLowerCase() === host) return true;
      continue;
    }
    const net = c.family === 'ipv4' ? ipv4Bytes(c.net) : ipv6Bytes(c.net);
    if (net && all.some((b) => inPrefix(b, net, c.prefix))) return true;
  }
  return false;
}

const refused = (message: string) => new AppError('webhook.target_refused', message);

/** Parses the URL: http(s), a host, no credentials. Throws `webhook.target_refused`. */
export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused('The webhook URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused('The webhook URL must start with http:// or https://.');
  if (url.username || url.password) throw refused('The webhook URL must not contain credentials; receivers check the signature.');
  if (!url.hostname) throw refused('The webhook URL has no host.');
  return url;
}

/**
 * Resolves a host and checks every address it has against the allowlist (`host` lower-cased,
 * without brackets). Returns the first address (the one to connect to), or why it is refused.
 * Rotation targets (modules/rotation) pass the same check.
 */
export async function checkHost(
  host: string,
  policy: TargetPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ address: string; family: 4 | 6 } | { refused: 'unresolved' } | { refused: 'blocked'; address: string; why: string }> {
  let addresses: { address: string; family: number }[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      return { refused: 'unresolved' };
    }
    if (addresses.length === 0) return { refused: 'unresolved' };
  }
  for (const a of addresses) {
    if (allowedByList(a.address, host, policy.allowedTargets)) continue;
    const why = blockedReason(a.address);
    if (why) return { refused: 'blocked', address: a.address, why };
  }
  const first = addresses[0] as { address: string; family: number };
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * Resolves the URL's host and checks every address. Returns the address to connect to.
 * Throws `webhook.target_refused` naming the address and why.
 */
export async function checkTarget(text: string, policy: TargetPolicy, resolve: Resolver = systemResolver): Promise<CheckedTarget> {
  const url = parseTargetUrl(text);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const r = await checkHost(host, policy, resolve);
  if ('refused' in r) {
    if (r.refused === 'unresolved') throw refused(`The host name ${host} of the webhook URL does not resolve.`);
    throw refused(
      `The webhook URL resolves to ${r.address} (${r.why}); webhooks may reach such addresses only when COFFER_WEBHOOK_ALLOWED_TARGETS lists them.`,
    );
  }
  return { url, address: r.address, family: r.family };
}

export interface PostResult {
  status: number;
}

/**
 * POSTs `body` to the checked target, connecting to its checked address. No redirects, no
 * connection reuse; the response body is read (up to 4 KiB) and dropped. Rejects on network
 * errors and after `timeoutMs` for the whole exchange.
 */
export function postToTarget(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else {
      cb(null, target.address, target.family);
    }
  };
  const mod = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinned,
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        let seen = 0;
        res.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > 4096) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0 });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
