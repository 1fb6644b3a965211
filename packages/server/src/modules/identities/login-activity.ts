import type { LoginActivity } from '@coffer/contracts/identities';
import type { Executor } from '../../db/database.ts';
import { failureStates, HARD_LOCK_UNTIL } from '../auth/login-throttle.ts';
import type { UserRow } from './users.repository.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/**
 * The login activity of a page of users: the lock and failure counter come from the login
 * throttle's rows (keyed by a keyed hash of the canonical username, computed here in memory), read
 * in one query for the whole page; the last login is a column of the user.
 */
export async function loginActivities(
  exec: Executor,
  rows: UserRow[],
  accountKey: (canonical: string) => string,
  now: number,
): Promise<LoginActivity[]> {
  const keys = rows.map((r) => accountKey(r.username_canonical));
  const states = rows.length ? await failureStates(exec, keys) : new Map();
  return rows.map((r, i) => {
    const st = states.get(keys[i] as string);
    const locked = st !== undefined && st.lockedUntil > now;
    const hardLocked = locked && st.lockedUntil >= HARD_LOCK_UNTIL;
    return {
      locked,
      lockedUntil: locked && !hardLocked ? iso(st.lockedUntil) : null,
      hardLocked,
      failedLogins: st?.failures ?? 0,
      lastFailedLoginAt: iso(st?.lastFailureAt ?? null),
      lastLoginAt: iso(r.last_login_at),
    };
  });
}
