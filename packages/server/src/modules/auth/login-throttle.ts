import { keyedHash } from '../../crypto/tokens.ts';
import type { Executor } from '../../db/database.ts';

/** The row key of an account's counter: people type passwords into the username field, so the
 * name is stored only as a keyed hash. */
export function accountKey(hmacKey: Buffer, canonical: string): string {
  return keyedHash(hmacKey, `login:${canonical}`);
}

/**
 * Per-account throttle keyed on the canonical username (so it also covers names that do not
 * exist, and every spelling of one name shares one counter). After `freeFailures` consecutive
 * failures each further failure locks the name for 2^(n - freeFailures) seconds (at most 15
 * minutes); at `hardLockFailures` it stays locked until an administrator unlocks it. The lock is
 * never told to the caller: a locked account answers exactly like a wrong password.
 */
export const MAX_PROGRESSIVE_LOCK_MS = 15 * 60 * 1000;
export const HARD_LOCK_UNTIL = 8_000_000_000_000; // year 2223

export function lockUntil(failures: number, now: number, freeFailures: number, hardLockFailures: number): number {
  if (failures >= hardLockFailures) return HARD_LOCK_UNTIL;
  if (failures < freeFailures) return 0;
  return now + Math.min(2 ** (failures - freeFailures) * 1000, MAX_PROGRESSIVE_LOCK_MS);
}

export async function isLocked(db: Executor, canonical: string, now: number): Promise<boolean> {
  const row = await db.selectFrom('login_failures').select('locked_until').where('account_key', '=', canonical).executeTakeFirst();
  return row !== undefined && Number(row.locked_until) > now;
}

export async function recordFailure(
  db: Executor,
  canonical: string,
  now: number,
  limits: { freeFailures: number; hardLockFailures: number },
): Promise<number> {
  // One atomic increment (the upsert also holds the row until commit): parallel guesses must not
  // overwrite each other's count.
  const row = await db
    .insertInto('login_failures')
    .values({ account_key: canonical, failures: 1, locked_until: 0, updated_at: now })
    .onConflict((oc) =>
      oc.column('account_key').doUpdateSet((eb) => ({ failures: eb(eb.ref('login_failures.failures'), '+', 1), updated_at: now })),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  const failures = Number(row.failures);
  const locked = lockUntil(failures, now, limits.freeFailures, limits.hardLockFailures);
  if (locked > 0) {
    await db
      .updateTable('login_failures')
      .set({ locked_until: locked })
      .where('account_key', '=', canonical)
      .where('locked_until', '<', locked)
      .execute();
  }
  return failures;
}

export async function clearFailures(db: Executor, canonical: string): Promise<void> {
  await db.deleteFrom('login_failures').where('account_key', '=', canonical).execute();
}

/** Failed logins per client address in a sliding minute (in memory, per process). */
export function createIpLimiter(perMinute: number) {
  const hits = new Map<string, number[]>();
  const WINDOW = 60_000;
  const prune = (ip: string, now: number) => {
    const list = (hits.get(ip) ?? []).filter((t) => t > now - WINDOW);
    if (list.length === 0) hits.delete(ip);
    else hits.set(ip, list);
    return list;
  };
  return {
    /** Seconds to wait, or 0 when the address may try. */
    retryAfter(ip: string, now: number): number {
      const list = prune(ip, now);
      if (list.length < perMinute) return 0;
      return Math.max(1, Math.ceil(((list[0] as number) + WINDOW - now) / 1000));
    },
    fail(ip: string, now: number): void {
      const list = prune(ip, now);
      list.push(now);
      hits.delete(ip); // re-insert: the Map's order is then least recently failed first
      hits.set(ip, list);
      // bound memory under an address-spraying flood by forgetting the least recent addresses only
      if (hits.size > 100_000) {
        let drop = 10_000;
        for (const key of hits.keys()) {
          if (drop-- <= 0) break;
          hits.delete(key);
        }
      }
    },
  };
}

export interface FailureState {
  failures: number;
  lockedUntil: number;
  lastFailureAt: number;
}

/** The counters of several accounts in one query (a page of users), by account key. */
export async function failureStates(db: Executor, accountKeys: string[]): Promise<Map<string, FailureState>> {
  const out = new Map<string, FailureState>();
  for (let i = 0; i < accountKeys.length; i += 500) {
    const rows = await db
      .selectFrom('login_failures')
      .select(['account_key', 'failures', 'locked_until', 'updated_at'])
      .where('account_key', 'in', accountKeys.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      out.set(r.account_key, { failures: Number(r.failures), lockedUntil: Number(r.locked_until), lastFailureAt: Number(r.updated_at) });
    }
  }
  return out;
}
