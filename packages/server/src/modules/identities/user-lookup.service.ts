import { createHmac } from 'node:crypto';
import type { UserRef } from '@coffer/contracts/identities';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { createIpLimiter } from '../auth/login-throttle.ts';
import { canonicalUsername } from './username.ts';
import { findUserByCanonical } from './users.repository.ts';

/** Lookups one user may make per minute (per process): enough to share by hand or from a script. */
export const USER_LOOKUPS_PER_MINUTE = 30;

/**
 * Finding another user to share with, for every signed-in user (the directory itself needs
 * `users.read`). Invariants:
 * - one exact name in, at most one active user out: the canonical form of the query must equal the
 *   canonical username (no prefix, substring or pattern), so the directory cannot be listed;
 * - the answer is an allow-list (id, username, display name); a missing, disabled or deleted user
 *   answers the same `not_found` as a name that never existed;
 * - every lookup is audited (the name as a keyed hash, like a failed login's, since people type
 *   passwords into name fields) and counted: more than `perMinute` in a minute answer 429.
 * Enumeration trade-off: whoever may sign in can still confirm guessed names one at a time. The
 * limit makes that slow (30 a minute is ~43,000 a day per account), the audit trail shows it, and
 * usernames are not secrets in Coffer (they appear in shares, approvals and audit records).
 */
export function createUserLookupService(deps: {
  clock: Clock;
  audited: ReturnType<typeof createAudited>;
  /** The key that turns names into audit-safe keyed hashes (the sealed keyring's audit HMAC key). */
  auditHmacKey: () => Buffer;
  perMinute?: number;
}) {
  const { clock, audited } = deps;
  const limiter = createIpLimiter(deps.perMinute ?? USER_LOOKUPS_PER_MINUTE);

  async function lookup(ctx: RequestContext, username: string): Promise<UserRef> {
    const canonical = canonicalUsername(username);
    return audited(ctx, { action: 'user.lookup', objectType: 'user', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      ev.details = { usernameHmac: createHmac('sha256', deps.auditHmacKey()).update(canonical).digest('base64url').slice(0, 22) };
      const now = clock.now();
      const wait = limiter.retryAfter(ctx.actor.userId, now);
      if (wait > 0) throw new AppError('auth.rate_limited', 'Too many user lookups; try again later.', { retryAfter: wait });
      limiter.fail(ctx.actor.userId, now);
      const u = canonical ? await findUserByCanonical(exec, canonical) : undefined;
      if (u?.status !== 'active') throw new AppError('not_found', 'No such user.');
      ev.objectId = u.id;
      return { id: u.id, username: u.username, displayName: `${u.first_name} ${u.last_name}`.trim() };
    });
  }

  return { lookup };
}
export type UserLookupService = ReturnType<typeof createUserLookupService>;
