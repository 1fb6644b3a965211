// The inbox: the secrets shared with the caller one by one (live share grants to them), with who
// shared each and whether they have seen it. Opening an item is a reveal of the secret (same
// checks and audit record as any reveal) and marks the item seen.
import { AppError } from '../../lib/app-error.ts';
import { levelRank } from '../access/levels.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { Core } from './core.ts';
import type { createRevealCard } from './reveal-card.ts';
import { iso, type PageInfo, pageInfo, presentWith } from './secrets.presenter.ts';
import * as repo from './secrets.repository.ts';

const missing = () => new AppError('not_found', 'No such inbox item.', { reason: 'inbox' });

export function createInbox(core: Core, revealCard: ReturnType<typeof createRevealCard>['revealCard']) {
  const { clock, access, audited } = core.deps;

  /** The caller's live shares, newest first (one per shared secret not in the trash). */
  async function inbox(ctx: RequestContext) {
    return audited(ctx, { action: 'secret.inbox', objectType: 'secret', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const now = clock.now();
      const rows = await repo.inboxRows(trx, ctx.actor.userId, now);
      const principals = await access.principalsOf(trx, ctx.actor);
      const levels = await access.secretLevels(trx, ctx.actor, principals, rows);
      const infos = await pageInfo(trx, rows);
      const items = [];
      for (const [i, r] of rows.entries()) {
        const l = levels.get(r.id) ?? { level: 0, viaTree: 0 };
        // an API key's scopes or the auditor role may cap the share below list: not shown
        if (l.level < levelRank.list) continue;
        const { grant_id, shared_at, shared_by, share_expires_at, shared_by_name, viewed_at, ...s } = r;
        items.push({
          id: grant_id,
          secret: presentWith(s, l.level, l.viaTree < levelRank.list, infos[i] as PageInfo),
          sharedBy: shared_by ? { id: shared_by, username: shared_by_name ?? null } : null,
          sharedAt: iso(shared_at) as string,
          expiresAt: iso(share_expires_at),
          viewedAt: iso(viewed_at ?? null),
        });
      }
      ev.details = { count: items.length };
      return { items };
    });
  }

  /** How many live shares the caller has, and how many of them are unseen. */
  async function inboxCount(ctx: RequestContext) {
    const { items } = await inbox(ctx);
    return { total: items.length, unseen: items.filter((x) => x.viewedAt === null).length };
  }

  /** The share grant `id` if it is a live share to the caller, else not found. */
  async function shareOf(ctx: RequestContext, id: string) {
    requireUser(ctx.actor);
    const g = await repo.liveShareTo(core.deps.db, id, ctx.actor.userId, clock.now());
    return g;
  }

  /**
   * Opens inbox item `id`: one reveal of the shared secret (level, reason, approval, checkout and
   * time window apply; audited as `secret.reveal`), then the item is marked seen.
   */
  async function openShare(
    ctx: RequestContext,
    id: string,
    input: { reason?: string; include?: { attachments?: boolean; favorite?: boolean } } = {},
  ) {
    const g = await shareOf(ctx, id);
    if (!g) {
      return audited(ctx, { action: 'secret.inbox_open', objectType: 'grant', objectId: id }, async () => {
        throw missing();
      });
    }
    const card = await revealCard(ctx, g.node_id, input);
    await markSeen(ctx, [g.id]);
    return { id: g.id, sharedBy: g.created_by, sharedAt: iso(g.created_at) as string, ...card };
  }

  /** Marks these live shares of the caller seen (all of them when `ids` is absent). */
  async function markSeen(ctx: RequestContext, ids?: string[]) {
    return audited(ctx, { action: 'secret.inbox_seen', objectType: 'grant' }, async (trx, ev) => {
      requireUser(ctx.actor);
      const unseen = await repo.unseenShares(trx, ctx.actor.userId, ids);
      const now = clock.now();
      await repo.markSharesSeen(trx, unseen, now);
      ev.details = { marked: unseen.length };
      return { marked: unseen.length };
    });
  }

  return { inbox, inboxCount, openShare, markSeen };
}
