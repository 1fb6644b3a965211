import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ipAllowed } from '../../lib/cidr.ts';
import type { Clock } from '../../lib/clock.ts';

// An API user bound to a host (PMP: "every API user account should be attached to a single
// endpoint"): its keys and sessions are accepted only from that host's addresses. An IP address
// binds to itself; a name is resolved forward when a request comes (never by reverse lookup of the
// caller, which the caller's network controls), cached a minute; a name that does not resolve, or
// not in time, accepts nothing (fail closed).

const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

/** An IP address, or a DNS name of labels (a trailing dot allowed). */
export function isHostName(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

export type HostLookup = (name: string) => Promise<string[]>;

const systemLookup: HostLookup = async (name) => (await dnsLookup(name, { all: true, verbatim: true })).map((a) => a.address);

export function createHostBinding(deps: { clock: Clock; lookup?: HostLookup; ttlMs?: number; timeoutMs?: number }) {
  const lookup = deps.lookup ?? systemLookup;
  const ttlMs = deps.ttlMs ?? 60_000;
  const timeoutMs = deps.timeoutMs ?? 2_000;
  // one lookup in flight per name: concurrent requests wait for the same answer
  const cache = new Map<string, { addresses: Promise<string[]>; until: number }>();

  function resolve(name: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolveEmpty) => {
      timer = setTimeout(() => resolveEmpty([]), timeoutMs);
    });
    const answer = lookup(name).then(
      (list) => list.filter((a) => isIP(a) !== 0),
      () => [] as string[],
    );
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
  }

  /** The addresses a bound name stands for now (cached); [] when it does not resolve. */
  function addressesOf(host: string): Promise<string[]> {
    const name = host.toLowerCase().replace(/\.$/, '');
    const now = deps.clock.now();
    const hit = cache.get(name);
    if (hit && hit.until > now) return hit.addresses;
    const addresses = resolve(name);
    if (cache.size >= 10_000) cache.clear();
    cache.set(name, { addresses, until: now + ttlMs });
    return addresses;
  }

  /** True when a request from `ip` may act for a user bound to `host`. */
  async function allows(host: string, ip: string): Promise<boolean> {
    if (isIP(host) !== 0) return ipAllowed(ip, [host]);
    if (!isHostName(host)) return false;
    const addresses = await addressesOf(host);
    return addresses.length > 0 && ipAllowed(ip, addresses);
  }

  return { allows, addressesOf };
}

export type HostBinding = ReturnType<typeof createHostBinding>;
