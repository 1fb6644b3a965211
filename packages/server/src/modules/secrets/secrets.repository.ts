// SQL of the secrets service, and nothing else: each function takes the database or the
// transaction and returns rows (or runs one change). Authorization, encryption and presenting stay
// in the use cases. The two queries of the reveal path are prepared once (db/prepared.ts, ADR 0006).
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { sql } from 'kysely';
import type { Executor, Trx } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { DB, SecretTable, SecretValueTable, SecretVersionTable } from '../../db/schema.ts';

/** The secret, the best live grant on itself and the best one its folder inherits, in one query. */
export const secretWithLevels = prepared<'id' | 'user' | 'now', SecretTable & { direct_level: number | null; tree_level: number | null }>(
  (db, p) => {
    // membership probed per grant through the (group_id, user_id) key: an `in (select group_id …
    // where user_id = ?)` list was planned as a scan of every membership whenever the statistics
    // dated from a small group_members table (1.7 ms a reveal at 50k memberships instead of 4 µs)
    const mine = sql`(g.principal_id = ${p('user')} or exists (select 1 from group_members m where m.group_id = g.principal_id and m.user_id = ${p('user')}))`;
    const live = sql`(g.expires_at is null or g.expires_at > ${p('now')})`;
    return {
      compile: () =>
        sql`select s.*,
                (select max(g.level) from grants g where g.node_id = s.id and ${mine} and ${live}) as direct_level,
                (select max(g.level) from tree_paths t join grants g on g.node_id = t.ancestor_id
                  where t.descendant_id = s.parent_node_id and t.inherits = 1 and ${mine} and ${live}) as tree_level
              from secrets s where s.id = ${p('id')}`.compile(db),
    };
  },
);

/** The sealed values of a secret, one row per sensitive field. */
export const valueRows = prepared<'id', { field: string; value_enc: string }>((db, p) =>
  db.selectFrom('secret_values').select(['field', 'value_enc']).where('secret_id', '=', p('id')),
);

export function templateRow(exec: Executor, id: string) {
  return exec.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export function folderPathRow(exec: Executor, folderId: string) {
  return exec.selectFrom('folders').select('path').where('id', '=', folderId).executeTakeFirst();
}

export function vaultIdRow(exec: Executor, vaultId: string) {
  return exec.selectFrom('vaults').select('id').where('id', '=', vaultId).executeTakeFirst();
}

export function folderVaultRow(exec: Executor, folderId: string) {
  return exec.selectFrom('folders').select(['id', 'vault_id']).where('id', '=', folderId).executeTakeFirst();
}

// What presenting a page needs beyond the rows: one query each, whatever the page's size.

export function templateSlugs(exec: Executor, templateIds: string[]) {
  return exec.selectFrom('templates').select(['id', 'slug']).where('id', 'in', templateIds).execute();
}

export function folderPaths(exec: Executor, folderIds: string[]) {
  return exec.selectFrom('folders').select(['id', 'path']).where('id', 'in', folderIds).execute();
}

/** The names of the sensitive fields of the secrets, ordered by secret and field. */
export function valueFieldNames(exec: Executor, secretIds: string[]) {
  return exec
    .selectFrom('secret_values')
    .select(['secret_id', 'field'])
    .where('secret_id', 'in', secretIds)
    .orderBy('secret_id')
    .orderBy('field')
    .execute();
}

// Writes of a secret and what it owns.

export function insertSecret(trx: Trx, row: SecretTable) {
  return trx.insertInto('secrets').values(row).execute();
}

/**
 * Writes the new content of a secret only if it is still at `version` (what the caller read):
 * the number of rows updated is 1 for the winner and 0 for a concurrent loser.
 */
export async function updateIfVersion(trx: Trx, row: SecretTable, version: number): Promise<number> {
  const r = await trx
    .updateTable('secrets')
    .set({ ...row, id: undefined } as Partial<SecretTable>)
    .where('id', '=', row.id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Moves a secret from `version` to the row's version and time, leaving its content. Same rule. */
export async function bumpIfVersion(trx: Trx, row: Pick<SecretTable, 'id' | 'version' | 'updated_at'>, version: number): Promise<number> {
  const r = await trx
    .updateTable('secrets')
    .set({ version: row.version, updated_at: row.updated_at })
    .where('id', '=', row.id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export function insertTags(trx: Trx, secretId: string, tags: string[]) {
  return trx
    .insertInto('secret_tags')
    .values(tags.map((tag) => ({ secret_id: secretId, tag })))
    .execute();
}

export function deleteTags(trx: Trx, secretId: string) {
  return trx.deleteFrom('secret_tags').where('secret_id', '=', secretId).execute();
}

export function deleteValues(trx: Trx, secretId: string) {
  return trx.deleteFrom('secret_values').where('secret_id', '=', secretId).execute();
}

export function deleteValue(trx: Trx, secretId: string, field: string) {
  return trx.deleteFrom('secret_values').where('secret_id', '=', secretId).where('field', '=', field).execute();
}

export function insertValues(trx: Trx, rows: SecretValueTable[]) {
  return trx.insertInto('secret_values').values(rows).execute();
}

export function insertVersion(trx: Trx, row: SecretVersionTable) {
  return trx.insertInto('secret_versions').values(row).execute();
}

export function versionRow(exec: Executor, secretId: string, version: number) {
  return exec.selectFrom('secret_versions').selectAll().where('secret_id', '=', secretId).where('version', '=', version).executeTakeFirst();
}

/** Every version of a secret, newest first, with the user name of who made it. */
export function versionRows(exec: Executor, secretId: string) {
  return exec
    .selectFrom('secret_versions')
    .leftJoin('users', 'users.id', 'secret_versions.changed_by')
    .selectAll('secret_versions')
    .select('users.username as by_username')
    .where('secret_versions.secret_id', '=', secretId)
    .orderBy('secret_versions.version', 'desc')
    .execute();
}

export function idempotencyRow(exec: Executor, actorId: string, key: string) {
  return exec.selectFrom('idempotency_keys').selectAll().where('actor_id', '=', actorId).where('key', '=', key).executeTakeFirst();
}

export function insertIdempotencyRow(
  trx: Trx,
  row: { actor_id: string; key: string; request_hash: string; response: string; created_at: number },
) {
  return trx.insertInto('idempotency_keys').values(row).execute();
}

/** The secrets directly in these folders (at most a chunk of ids at a time: the caller's). */
export function secretsInFolders(trx: Trx, folderIds: string[]) {
  return trx.selectFrom('secrets').selectAll().where('parent_node_id', 'in', folderIds).execute();
}

export function setSearchText(trx: Trx, secretId: string, searchText: string) {
  return trx.updateTable('secrets').set({ search_text: searchText }).where('id', '=', secretId).execute();
}

export function setDeleted(trx: Trx, secretId: string, deletedAt: number | null, deletedBy: string | null) {
  return trx.updateTable('secrets').set({ deleted_at: deletedAt, deleted_by: deletedBy }).where('id', '=', secretId).execute();
}

/** Removes a secret for good: its grants, its metadata, the row (attachments go by foreign-key cascade). */
export async function purgeSecret(trx: Trx, secretId: string): Promise<void> {
  await trx.deleteFrom('grants').where('node_id', '=', secretId).execute();
  await trx.deleteFrom('metadata').where('node_id', '=', secretId).execute();
  await trx.deleteFrom('secrets').where('id', '=', secretId).execute();
}

export { type SearchFilter, searchCount, searchRows } from './search.repository.ts';

/** The favourites of a user among these secrets. */
export async function favoriteIds(exec: Executor, userId: string, ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await exec
    .selectFrom('secret_favorites')
    .select('secret_id')
    .where('user_id', '=', userId)
    .where('secret_id', 'in', [...ids])
    .execute();
  return new Set(rows.map((r) => r.secret_id));
}

export async function addFavorite(trx: Trx, userId: string, secretId: string, now: number): Promise<boolean> {
  const r = await trx
    .insertInto('secret_favorites')
    .values({ user_id: userId, secret_id: secretId, created_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'secret_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function removeFavorite(trx: Trx, userId: string, secretId: string): Promise<boolean> {
  const r = await trx.deleteFrom('secret_favorites').where('user_id', '=', userId).where('secret_id', '=', secretId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The live shares (grants with is_share) to a user of secrets not in the trash, newest first. */
export function inboxRows(exec: Executor, userId: string, now: number) {
  return exec
    .selectFrom('grants as g')
    .innerJoin('secrets as s', 's.id', 'g.node_id')
    .leftJoin('users as u', 'u.id', 'g.created_by')
    .leftJoin('share_views as v', 'v.grant_id', 'g.id')
    .selectAll('s')
    .select([
      'g.id as grant_id',
      'g.created_at as shared_at',
      'g.created_by as shared_by',
      'g.expires_at as share_expires_at',
      'u.username as shared_by_name',
      'v.viewed_at as viewed_at',
    ])
    .where('g.principal_type', '=', 'user')
    .where('g.principal_id', '=', userId)
    .where('g.is_share', '=', 1)
    .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
    .where('s.deleted_at', 'is', null)
    .orderBy('g.created_at', 'desc')
    .orderBy('g.id', 'desc')
    .limit(1000)
    .execute();
}

/** Share grant `id` when it is a live share to this user. */
export function liveShareTo(exec: Executor, id: string, userId: string, now: number) {
  return exec
    .selectFrom('grants')
    .select(['id', 'node_id', 'created_by', 'created_at'])
    .where('id', '=', id)
    .where('principal_type', '=', 'user')
    .where('principal_id', '=', userId)
    .where('is_share', '=', 1)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
}

/** The user's shares not marked seen yet (among `ids` when given). */
export async function unseenShares(exec: Executor, userId: string, ids?: string[]): Promise<string[]> {
  if (ids && ids.length === 0) return [];
  let q = exec
    .selectFrom('grants as g')
    .leftJoin('share_views as v', 'v.grant_id', 'g.id')
    .select('g.id')
    .where('g.principal_type', '=', 'user')
    .where('g.principal_id', '=', userId)
    .where('g.is_share', '=', 1)
    .where('v.grant_id', 'is', null);
  if (ids) q = q.where('g.id', 'in', ids);
  return (await q.execute()).map((r) => r.id);
}

export async function markSharesSeen(trx: Trx, grantIds: string[], now: number): Promise<void> {
  if (!grantIds.length) return;
  await trx
    .insertInto('share_views')
    .values(grantIds.map((grant_id) => ({ grant_id, viewed_at: now })))
    .onConflict((oc) => oc.column('grant_id').doNothing())
    .execute();
}

/** The tags and colours used by live secrets the condition lets through (one vault or all). */
export async function tagsAndColors(
  exec: Executor,
  visible: (eb: ExpressionBuilder<DB & { s: DB['secrets'] }, 's'>) => Expression<SqlBool>,
  vaultId: string | undefined,
): Promise<{ tags: string[]; colors: string[] }> {
  let tags = exec
    .selectFrom('secret_tags as t')
    .innerJoin('secrets as s', 's.id', 't.secret_id')
    .select('t.tag')
    .distinct()
    .where('s.deleted_at', 'is', null)
    .where(visible)
    .orderBy('t.tag')
    .limit(1000);
  let colors = exec
    .selectFrom('secrets as s')
    .select('s.color')
    .distinct()
    .where('s.deleted_at', 'is', null)
    .where('s.color', '!=', '')
    .where(visible)
    .orderBy('s.color')
    .limit(100);
  if (vaultId) {
    tags = tags.where('s.vault_id', '=', vaultId);
    colors = colors.where('s.vault_id', '=', vaultId);
  }
  return { tags: (await tags.execute()).map((r) => r.tag), colors: (await colors.execute()).map((r) => r.color) };
}

/** Who created each secret and who wrote its current version (ids; null: a system write or a removed user). */
export async function authorRows(exec: Executor, ids: readonly string[]) {
  if (!ids.length) return [];
  return exec
    .selectFrom('secrets as s')
    .leftJoin('secret_versions as v', (j) => j.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.version'))
    .select(['s.id', 's.created_by', 'v.changed_by'])
    .where('s.id', 'in', [...ids])
    .execute();
}

/** Which of these secrets the user marked as favourite, and when. */
export async function favoriteMarks(exec: Executor, userId: string, ids: readonly string[]): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  const rows = await exec
    .selectFrom('secret_favorites')
    .select(['secret_id', 'created_at'])
    .where('user_id', '=', userId)
    .where('secret_id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [r.secret_id, Number(r.created_at)]));
}
