// The trash: a trashed secret keeps everything and reads as missing outside the trash; restore
// brings it back; purge (manage, trashed secrets only) removes it for good.
import type { RequestContext } from '../auth/actor.ts';
import type { Core } from './core.ts';
import { present } from './secrets.presenter.ts';
import * as repo from './secrets.repository.ts';

export function createTrash(core: Core) {
  const { deps, load } = core;
  const { clock, audited } = deps;

  async function trash(ctx: RequestContext, id: string) {
    await audited(ctx, { action: 'secret.trash', objectType: 'secret', objectId: id }, async (trx) => {
      await load(trx, ctx, id, 'edit');
      await repo.setDeleted(trx, id, clock.now(), ctx.actor.userId);
    });
  }

  async function restore(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.restore', objectType: 'secret', objectId: id }, async (trx) => {
      const { s, level } = await load(trx, ctx, id, 'edit', { deleted: true });
      await repo.setDeleted(trx, id, null, null);
      return present(trx, { ...s, deleted_at: null, deleted_by: null }, level, false);
    });
  }

  async function purge(ctx: RequestContext, id: string) {
    await audited(ctx, { action: 'secret.purge', objectType: 'secret', objectId: id }, async (trx) => {
      await load(trx, ctx, id, 'manage', { deleted: true });
      await repo.purgeSecret(trx, id);
    });
  }

  return { trash, restore, purge };
}
