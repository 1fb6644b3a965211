import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Actor } from './actor.ts';

export const defaultRateLimit = { perMinute: 3000, burst: 500 } as const;

/** Buckets kept at most (least recently used forgotten first): memory stays bounded. */
const MAX_BUCKETS = 100_000;

/**
 * A request budget per credential, besides the login limits: a token bucket per session family (a
 * login and the sessions refreshed from it: refreshing buys no fresh burst), or per API key
 * (shared with the sessions exchanged from it), holding `burst` requests and refilled at
 * `perMinute`. A stolen token can then only do so much per minute. Kept in process memory, like
 * the per-address login limit: with several nodes each has its own budget.
 */
export function createCredentialRateLimit(opts: { perMinute: number; burst: number; clock: Clock }) {
  const perMs = opts.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes one request from the bucket of `key`; returns 0, or the seconds to wait for the next. */
  function take(key: string, now: number): number {
    const b = buckets.get(key);
    let tokens = opts.burst;
    if (b) {
      tokens = Math.min(opts.burst, b.tokens + Math.max(0, now - b.at) * perMs);
      buckets.delete(key); // re-inserted below: the Map's order is least recently used first
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    buckets.set(key, { tokens, at: now });
    if (buckets.size > MAX_BUCKETS) {
      let drop = MAX_BUCKETS / 10;
      for (const k of buckets.keys()) {
        if (drop-- <= 0) break;
        buckets.delete(k);
      }
    }
    return allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  }

  return {
    take,
    /** Throws `request.rate_limited` (429, Retry-After) when the actor's credential is out of budget. */
    check(actor: Actor): void {
      // an API key shares its budget with the sessions exchanged from it; a session with the
      // sessions refreshed from it (its family): a new budget takes a new login
      const key = actor.apiKeyId
        ? `k:${actor.apiKeyId}`
        : actor.sessionFamilyId
          ? `f:${actor.sessionFamilyId}`
          : actor.sessionId
            ? `s:${actor.sessionId}`
            : null;
      if (key === null) return;
      const wait = take(key, opts.clock.now());
      if (wait > 0) {
        throw new AppError('request.rate_limited', 'Too many requests with this credential; slow down.', { retryAfter: wait });
      }
    },
  };
}
export type CredentialRateLimit = ReturnType<typeof createCredentialRateLimit>;
