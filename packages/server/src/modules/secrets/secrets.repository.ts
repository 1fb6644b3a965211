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

/** What a search asks for, decided by the search use case (search.ts). */
export interface SearchFilter {
  trash: boolean;
  /**
   * Who sees what: the secrets shared with the user one by one (a live share grant), or those
   * visible to the caller (access.secretVisible), optionally only what a folder or vault grant of
   * theirs reaches (`includeShared=false`). `now`: the time grants are live at.
   */
  scope:
    | { kind: 'shared'; userId: string; now: number }
    | {
        kind: 'visible';
        visible: (eb: ExpressionBuilder<DB & { s: DB['secrets'] }, 's'>) => Expression<SqlBool>;
        foldersOnly: { principalIds: string[]; now: number } | null;
      };
  sqlite: boolean;
  /** Lower-cased NFKC text, or ''. */
  term: string;
  /** The text is served by the trigram index (three characters or more). */
  textIndexed: boolean;
  /** A subtree listing: the subtree's reachable folders are found once. */
  within: string | undefined;
  vaultId: string | undefined;
  folderId: string | undefined;
  /** The node whose direct children are listed (`direct`), or undefined. */
  directParent: string | undefined;
  template: string | undefined;
  tags: string[];
  colors: string[];
  expiringBefore: number | undefined;
  sort: 'name' | 'updated' | 'created';
  cursor: [string | number, string] | null;
  /** Rows to read (the page size plus one, to know whether there is a next page). */
  limit: number;
  /** Rows to skip first (offset paging, for compatibility APIs that page by skip/take). */
  offset?: number;
  /**
   * One column equal to a value, without regard to case and surrounding spaces (a compatibility
   * API's exact-match search: Secret Server's `isExactMatch` on a named field).
   */
  exact?: { column: 'name' | 'username' | 'host' | 'url'; value: string };
  /** Only these secrets (e.g. the recently revealed ones). */
  ids?: string[];
  /** Only the favourites of this user. */
  favoritesOf?: string;
}

function likeEscape(q: string): string {
  return q.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * One page of a search or listing, scoped in SQL. The plan choices (a unary `+`, `offset 0`,
 * `|| ''`) are ADR 0006's; the SQL is the one measured there, conditions in the same order.
 */
export function searchRows(trx: Executor, f: SearchFilter) {
  const query = ordered(filtered(trx, f), f).limit(f.limit);
  return (f.offset ? query.offset(f.offset) : query).execute();
}

/** How many rows the search matches in all (the cursor and the page size aside). */
export async function searchCount(trx: Executor, f: SearchFilter): Promise<number> {
  const r = await filtered(trx, f)
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function filtered(trx: Executor, f: SearchFilter) {
  const { sqlite, term, textIndexed } = f;
  // SQLite: a text of three characters or more is looked up in the trigram index, whose
  // candidates then drive the query; folder and visibility conditions are checked per candidate
  // (a top folder holds a large share of all secrets: driving by it, or building its reachable
  // set, cost ~20-45 ms at 1M secrets for a one-row answer). The unary `+` keeps SQLite's
  // planner from using the parent index for them.
  // PostgreSQL: the same, through the pg_trgm index (which also serves three characters and up).
  const parentCol = textIndexed && sqlite ? sql<string>`+"s"."parent_node_id"` : sql<string>`"s"."parent_node_id"`;
  let query = trx.selectFrom('secrets as s').selectAll('s');
  query = f.trash ? query.where('s.deleted_at', 'is not', null) : query.where('s.deleted_at', 'is', null);
  const scope = f.scope;
  if (scope.kind === 'shared') {
    const now = scope.now;
    query = query.where('s.id', 'in', (eb) =>
      eb
        .selectFrom('grants as g')
        .select('g.node_id')
        .where('g.principal_id', '=', scope.userId)
        .where('g.is_share', '=', 1)
        .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
    );
  } else {
    // a subtree listing finds the subtree's reachable folders once; other narrowed queries
    // probe per candidate row; a plain listing builds the reachable set once
    query = query.where(scope.visible);
    if (scope.foldersOnly) {
      // only what a folder or vault grant reaches: leave out secrets shared one by one
      const { principalIds, now } = scope.foldersOnly;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('tree_paths as t')
            .innerJoin('grants as g', 'g.node_id', 't.ancestor_id')
            .select('g.id')
            .whereRef('t.descendant_id', '=', 's.parent_node_id')
            .where('t.inherits', '=', 1)
            .where('g.principal_id', 'in', principalIds)
            .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
        ),
      );
    }
  }
  if (term) {
    if (textIndexed && sqlite) {
      // the FTS5 trigram index (migration 0004); GLOB is exact, so no second check is needed
      const glob = `*${term.replace(/[*?[\]]/g, (c) => `[${c}]`)}*`;
      query = query.where(
        sql<SqlBool>`s.id in (select k.secret_id from secret_search_keys k where k.k in (select rowid from secret_search where body glob ${glob}))`,
      );
    } else {
      // PostgreSQL: served by the pg_trgm GIN index; SQLite below three characters: a scan
      query = query.where(sql<SqlBool>`s.search_text like ${`%${likeEscape(term)}%`} escape '!'`);
    }
  }
  if (f.vaultId) query = query.where('s.vault_id', '=', f.vaultId);
  if (f.ids) query = f.ids.length ? query.where('s.id', 'in', f.ids) : query.where(sql<SqlBool>`1 = 0`);
  if (f.favoritesOf) {
    const userId = f.favoritesOf;
    query = query.where('s.id', 'in', (eb) => eb.selectFrom('secret_favorites').select('secret_id').where('user_id', '=', userId));
  }
  if (f.directParent) {
    query = query.where(parentCol, '=', f.directParent);
  } else if (f.folderId && textIndexed) {
    const folderId = f.folderId;
    query = query.where((eb) => {
      const inFolder = eb
        .selectFrom('tree_paths as f')
        .select('f.depth')
        .whereRef('f.descendant_id', '=', parentCol)
        .where('f.ancestor_id', '=', folderId);
      // PostgreSQL would hash the whole subtree instead of probing the candidates (see access.service)
      return eb.exists(sqlite ? inFolder : inFolder.offset(0));
    });
  } else if (f.folderId) {
    const folderId = f.folderId;
    query = query.where('s.parent_node_id', 'in', (eb) =>
      eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', folderId),
    );
  }
  if (f.template) {
    const slug = f.template;
    query = query.where('s.template_id', 'in', (eb) => eb.selectFrom('templates').select('id').where('slug', '=', slug));
  }
  for (const tag of f.tags)
    query = query.where('s.id', 'in', (eb) => eb.selectFrom('secret_tags').select('secret_id').where('tag', '=', tag));
  if (f.colors.length) query = query.where('s.color', 'in', f.colors);
  if (f.expiringBefore !== undefined) {
    const t = f.expiringBefore;
    query = query.where('s.expires_at', 'is not', null).where('s.expires_at', '<', t);
  }
  if (f.exact) {
    const { column, value } = f.exact;
    query = query.where(sql<SqlBool>`lower(trim(${sql.ref(`s.${column}`)})) = lower(cast(${value.trim()} as text))`);
  }
  return query;
}

function ordered(q: ReturnType<typeof filtered>, f: SearchFilter) {
  const { sqlite, within } = f;
  let query = q;
  const cursor = f.cursor;
  if (f.sort === 'name') {
    if (cursor)
      query = query.where((eb) =>
        eb.or([eb('s.name', '>', String(cursor[0])), eb.and([eb('s.name', '=', String(cursor[0])), eb('s.id', '>', cursor[1])])]),
      );
    // PostgreSQL, a folder's subtree: sort what the folder holds rather than walk the name index
    // hoping to meet 51 of its secrets soon (a subtree is a small share of a large store:
    // 100 ms instead of 16 at 1M); `|| ''` keeps the order and hides the index
    query = within && !sqlite ? query.orderBy(sql`s.name || ''`).orderBy('s.id') : query.orderBy('s.name').orderBy('s.id');
  } else {
    const col = f.sort === 'updated' ? 's.updated_at' : 's.created_at';
    if (cursor)
      query = query.where((eb) =>
        eb.or([eb(col, '<', Number(cursor[0])), eb.and([eb(col, '=', Number(cursor[0])), eb('s.id', '<', cursor[1])])]),
      );
    query = query.orderBy(col, 'desc').orderBy('s.id', 'desc');
  }
  return query;
}

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
