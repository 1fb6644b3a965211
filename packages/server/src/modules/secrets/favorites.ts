// A user's own marks on secrets: favourites (set, cleared, listed) and "recently viewed" (the
// secrets they revealed last, read from the audit trail). Lists are scoped in SQL like a search.
import type { Executor } from '../../db/database.ts';
import { recentObjectsOf } from '../audit/recent-objects.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { Core } from './core.ts';
import type { createSearch } from './search.ts';
import * as repo from './secrets.repository.ts';

/** Reveals of a secret's values (records naming the secret). */
const VIEW_ACTIONS = ['secret.reveal'] as const;

export function createFavorites(core: Core, search: ReturnType<typeof createSearch>['search']) {
  const { clock, audited } = core.deps;

  /**
   * Marks (`on`) or unmarks a secret as the caller's favourite. Anyone who may list the secret may
   * mark it; one the caller cannot see answers like a missing one.
   */
  async function setFavorite(ctx: RequestContext, id: string, on: boolean) {
    return audited(ctx, { action: on ? 'secret.favorite' : 'secret.unfavorite', objectType: 'secret', objectId: id }, async (trx, ev) => {
      requireUser(ctx.actor);
      await core.load(trx, ctx, id, 'list');
      const changed = on
        ? await repo.addFavorite(trx, ctx.actor.userId, id, clock.now())
        : await repo.removeFavorite(trx, ctx.actor.userId, id);
      ev.details = { changed };
      return { favorite: on, changed };
    });
  }

  /** Which of these secrets the user marked (no check: the caller has listed them already). */
  function favoritesAmong(exec: Executor, userId: string, ids: readonly string[]) {
    return repo.favoriteIds(exec, userId, ids);
  }

  /** Which of these secrets the user marked, and when (no check: the caller has listed them already). */
  function favoriteMarksAmong(exec: Executor, userId: string, ids: readonly string[]) {
    return repo.favoriteMarks(exec, userId, ids);
  }

  /** The caller's favourites they can still see, by name. */
  async function favorites(ctx: RequestContext, q: { limit?: number; cursor?: string } = {}) {
    return search(ctx, { favoritesOnly: true, sort: 'name', limit: q.limit ?? 500, ...(q.cursor ? { cursor: q.cursor } : {}) });
  }

  /**
   * The secrets the caller revealed most recently and can still see, newest first (at most
   * `limit`, from their last 1000 reveals).
   */
  async function recent(ctx: RequestContext, limit = 30) {
    requireUser(ctx.actor);
    const hits = await recentObjectsOf(core.deps.db, ctx.actor.userId, VIEW_ACTIONS, { limit: limit * 2, scan: 1000 });
    const ids = hits.map((h) => h.objectId);
    const page = await search(ctx, { ids, sort: 'name', limit: Math.max(1, ids.length) });
    const order = new Map(ids.map((id, i) => [id, i]));
    const items = page.items.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)).slice(0, limit);
    return { items, nextCursor: null };
  }

  return { setFavorite, favoritesAmong, favoriteMarksAmong, favorites, recent };
}
