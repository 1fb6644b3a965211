// SQL of the secrets search and listings (the search use case: search.ts): one page of a search or
// a listing scoped in SQL, and its total. Plan choices per ADR 0006. Re-exported by
// secrets.repository.ts, where the rest of the secrets service's SQL lives.
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';

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
