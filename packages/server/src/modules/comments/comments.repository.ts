// The comments module's table (secret_comments, migration 0022): its queries, nothing else.
import type { Executor, Trx } from '../../db/database.ts';
import type { SecretCommentTable } from '../../db/schema-comments.ts';

/** A secret's comments, oldest first (at most `limit`). */
export function commentsOf(exec: Executor, secretId: string, limit: number) {
  return exec
    .selectFrom('secret_comments')
    .selectAll()
    .where('secret_id', '=', secretId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export function commentById(exec: Executor, id: string) {
  return exec.selectFrom('secret_comments').selectAll().where('id', '=', id).executeTakeFirst();
}

/** How many comments a secret holds and when the latest was made (0: none). */
export async function countOf(exec: Executor, secretId: string): Promise<{ count: number; latest: number }> {
  const r = await exec
    .selectFrom('secret_comments')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('created_at').as('latest')])
    .where('secret_id', '=', secretId)
    .executeTakeFirstOrThrow();
  return { count: Number(r.n), latest: Number(r.latest ?? 0) };
}

export function insertComment(trx: Trx, row: SecretCommentTable) {
  return trx.insertInto('secret_comments').values(row).execute();
}

export function setContent(trx: Trx, id: string, content: string, by: string | null, at: number) {
  return trx.updateTable('secret_comments').set({ content, updated_by: by, updated_at: at }).where('id', '=', id).execute();
}

/** The replies below a comment, all depths (they go with it). */
export async function descendantCount(exec: Executor, id: string): Promise<number> {
  let frontier = [id];
  let n = 0;
  while (frontier.length) {
    const rows = await exec.selectFrom('secret_comments').select('id').where('parent_id', 'in', frontier).execute();
    n += rows.length;
    frontier = rows.map((r) => r.id);
  }
  return n;
}

/** Removes a comment; its replies go by foreign-key cascade. */
export function deleteComment(trx: Trx, id: string) {
  return trx.deleteFrom('secret_comments').where('id', '=', id).execute();
}

/** Display names of comment authors (no check: the caller has read these comments). */
export function usersAmong(exec: Executor, ids: readonly string[]) {
  if (!ids.length) return Promise.resolve([]);
  return exec
    .selectFrom('users')
    .select(['id', 'username', 'first_name', 'last_name', 'status'])
    .where('id', 'in', [...ids])
    .execute();
}
