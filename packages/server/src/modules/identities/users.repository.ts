import type { Executor } from '../../db/database.ts';
import type { UserTable } from '../../db/schema.ts';

export type UserRow = UserTable;

export function findUserById(db: Executor, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserByCanonical(db: Executor, canonical: string) {
  return db.selectFrom('users').selectAll().where('username_canonical', '=', canonical).executeTakeFirst();
}

export function listUsers(db: Executor, opts: { after: string | null; limit: number; kind?: 'human' | 'api' }) {
  let q = db.selectFrom('users').selectAll().orderBy('id').limit(opts.limit);
  if (opts.after) q = q.where('id', '>', opts.after);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  return q.execute();
}

export async function insertUser(db: Executor, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function updateUser(db: Executor, id: string, patch: Partial<UserRow>): Promise<void> {
  await db.updateTable('users').set(patch).where('id', '=', id).execute();
}

export async function deleteUser(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}

/**
 * Ends every credential of a user at once: sessions, refresh tokens, API keys and recovery codes
 * stay as they are only where noted. Called in the same transaction as the security change.
 */
export async function revokeAllCredentials(db: Executor, userId: string, now: number, opts: { apiKeys: boolean }): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  await db.deleteFrom('refresh_tokens').where('user_id', '=', userId).execute();
  if (opts.apiKeys) {
    await db.updateTable('api_keys').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  }
}

export async function countActiveAdministrators(db: Executor): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'administrator')
    .where('status', '=', 'active')
    .where('kind', '=', 'human')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
