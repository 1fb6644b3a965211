// Search and list (also the trash and "shared with me"): the filter is decided here, the query
// is secrets.repository.ts `searchRows`, the page is presented in a fixed number of queries.
import type { SearchQuery } from '@coffer/contracts/secrets';
import { SqliteAdapter } from 'kysely';
import { AppError } from '../../lib/app-error.ts';
import { levelRank } from '../access/levels.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { type Core, parseTime } from './core.ts';
import { type PageInfo, pageInfo, presentWith } from './secrets.presenter.ts';
import * as repo from './secrets.repository.ts';

function decodeCursor(c: string | undefined): [string | number, string] | null {
  if (!c) return null;
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' && (typeof v[0] === 'string' || typeof v[0] === 'number')) {
      return v as [string | number, string];
    }
  } catch {
    // fall through
  }
  throw new AppError('validation.failed', 'Invalid cursor.', { details: [{ path: '/cursor', message: 'invalid' }] });
}

export function createSearch(core: Core) {
  const { db, clock, access, audited } = core.deps;
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;

  /**
   * Search and list. Text matches name, username, host, URL, tags, description, folder path and
   * searchable fields — never encrypted values. Scoped in SQL to what the caller may list.
   */
  async function search(
    ctx: RequestContext,
    q: SearchQuery & { trash?: boolean; sharedOnly?: boolean; favoritesOnly?: boolean; ids?: string[]; exact?: repo.SearchFilter['exact'] },
  ) {
    const action = q.trash
      ? 'secret.trash_list'
      : q.sharedOnly
        ? 'secret.shared_with_me'
        : q.favoritesOnly
          ? 'secret.favorites'
          : 'secret.search';
    return audited(ctx, { action, objectType: 'secret', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const principals = await access.principalsOf(trx, ctx.actor);
      if (!principals) throw new AppError('auth.required', 'Authentication is required.');
      const limit = q.limit ?? 50;
      const sort = q.sort ?? 'name';
      const term = q.q?.trim().normalize('NFKC').toLowerCase() ?? '';
      const tags = q.tag === undefined ? [] : Array.isArray(q.tag) ? q.tag : [q.tag];
      // a text, tag or folder condition usually narrows to few rows: probe visibility per row then
      const narrowed =
        term !== '' ||
        tags.length > 0 ||
        q.folderId !== undefined ||
        q.ids !== undefined ||
        q.exact !== undefined ||
        Boolean(q.favoritesOnly);
      // a text of three characters or more is served by the trigram index and drives the query
      // (see searchRows)
      const textIndexed = [...term].length >= 3;
      // a subtree listing finds the subtree's reachable folders once (not with an indexed text)
      const within = q.folderId && !q.direct && !textIndexed && !q.sharedOnly ? q.folderId : undefined;
      const scope: repo.SearchFilter['scope'] = q.sharedOnly
        ? { kind: 'shared', userId: principals.userId, now: clock.now() }
        : {
            kind: 'visible',
            visible: access.secretVisible(ctx.actor, principals, q.trash ? 'edit' : 'list', {
              correlated: narrowed,
              ...(within ? { within } : {}),
            }),
            foldersOnly: q.includeShared === false ? { principalIds: principals.ids, now: clock.now() } : null,
          };
      let directParent: string | undefined;
      if (q.direct) {
        const parent = q.folderId ?? q.vaultId;
        if (!parent)
          throw new AppError('validation.failed', 'direct needs a folderId or a vaultId.', {
            details: [{ path: '/direct', message: 'needs folderId or vaultId' }],
          });
        directParent = parent;
      }
      const colors = q.color === undefined ? [] : Array.isArray(q.color) ? q.color : [q.color];
      const expiringBefore = q.expiringBefore ? (parseTime(q.expiringBefore, '/expiringBefore') as number) : undefined;
      if (q.offset !== undefined && q.cursor !== undefined) {
        throw new AppError('validation.failed', 'Page by cursor or by offset, not both.', {
          details: [{ path: '/offset', message: 'not with cursor' }],
        });
      }
      const filter: repo.SearchFilter = {
        trash: Boolean(q.trash),
        scope,
        sqlite,
        term,
        textIndexed,
        within,
        vaultId: q.vaultId,
        folderId: q.folderId,
        directParent,
        template: q.template,
        tags,
        colors,
        expiringBefore,
        sort,
        cursor: decodeCursor(q.cursor),
        limit: limit + 1,
        ...(q.offset ? { offset: q.offset } : {}),
        ...(q.exact ? { exact: q.exact } : {}),
        ...(q.ids ? { ids: q.ids } : {}),
        ...(q.favoritesOnly ? { favoritesOf: principals.userId } : {}),
      };
      const rows = await repo.searchRows(trx, filter);
      const total = q.withTotal ? await repo.searchCount(trx, filter) : undefined;
      const page = rows.slice(0, limit);
      const levels = await access.secretLevels(trx, ctx.actor, principals, page);
      const infos = await pageInfo(trx, page);
      const items = page.map((s, i) => {
        const l = levels.get(s.id) ?? { level: 0, viaTree: 0 };
        return presentWith(s, l.level, l.viaTree < levelRank.list, infos[i] as PageInfo);
      });
      const last = page.at(-1);
      const nextCursor =
        rows.length > limit && last
          ? Buffer.from(
              JSON.stringify([sort === 'name' ? last.name : sort === 'updated' ? last.updated_at : last.created_at, last.id]),
            ).toString('base64url')
          : null;
      ev.details = { count: items.length, ...(q.q ? { query: true } : {}) };
      return { items, nextCursor, ...(total !== undefined ? { total } : {}) };
    });
  }

  /** The tags and colours of the secrets the caller may list (in one vault, or all). */
  async function tagsAndColors(ctx: RequestContext, q: { vaultId?: string } = {}) {
    return audited(ctx, { action: 'secret.tags', objectType: 'secret', readOnly: true }, async (trx) => {
      requireUser(ctx.actor);
      const principals = await access.principalsOf(trx, ctx.actor);
      if (!principals) throw new AppError('auth.required', 'Authentication is required.');
      return repo.tagsAndColors(trx, access.secretVisible(ctx.actor, principals, 'list'), q.vaultId);
    });
  }

  return { search, tagsAndColors };
}
