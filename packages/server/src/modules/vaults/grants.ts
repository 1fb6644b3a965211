// Grants: one per (node, principal), on a vault, folder or secret (a share is a grant on a secret
// marked as one); granting, listing and revoking need manage on the node. A grant on a node the
// caller cannot see reads like a missing grant.
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { Level } from '@coffer/contracts/vaults';
import type { Executor } from '../../db/database.ts';
import type { GrantTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import { type Core, notFound } from './core.ts';
import { iso, presentGrant } from './vaults.presenter.ts';

export function createGrants(core: Core) {
  const { deps, requireNode, getVaultRow, getFolderRow } = core;
  const { clock, access, audited } = deps;

  async function nodeInfo(trx: Executor, nodeId: string): Promise<{ type: 'vault' | 'folder' | 'secret'; parent: string | null }> {
    if (nodeId.startsWith('vlt_')) return { type: 'vault', parent: null };
    if (nodeId.startsWith('fld_')) return { type: 'folder', parent: null };
    if (nodeId.startsWith('sec_')) {
      const s = await trx
        .selectFrom('secrets')
        .select('parent_node_id')
        .where('id', '=', nodeId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!s) throw notFound('object');
      return { type: 'secret', parent: s.parent_node_id };
    }
    throw notFound('object');
  }

  async function requireManageOn(trx: Executor, ctx: RequestContext, nodeId: string) {
    const info = await nodeInfo(trx, nodeId);
    if (info.type === 'secret') {
      const level = await access.secretLevel(trx, ctx.actor, { id: nodeId, parent_node_id: info.parent as string });
      if (level >= levelRank.manage) return info;
      if (level >= levelRank.list) throw new AppError('forbidden', 'You need manage access on this secret.');
      throw notFound('object');
    }
    if (info.type === 'vault') await getVaultRow(trx, nodeId);
    else await getFolderRow(trx, nodeId);
    await requireNode(trx, ctx, nodeId, 'manage', info.type);
    return info;
  }

  async function createGrant(
    ctx: RequestContext,
    input: { nodeId: string; principalType: 'user' | 'group'; principalId: string; level: Level; expiresAt?: string | null },
    opts: { share?: boolean; messages?: SecretMessage[] } = {},
  ) {
    return audited(ctx, { action: opts.share ? 'secret.share' : 'grant.create', objectType: 'grant' }, async (trx, ev) => {
      const info = await requireManageOn(trx, ctx, input.nodeId);
      const principal =
        input.principalType === 'user'
          ? await trx.selectFrom('users').select('id').where('id', '=', input.principalId).executeTakeFirst()
          : await trx.selectFrom('groups').select('id').where('id', '=', input.principalId).executeTakeFirst();
      if (!principal) throw new AppError('not_found', `No such ${input.principalType}.`);
      const now = clock.now();
      let expiresAt: number | null = null;
      if (input.expiresAt) {
        expiresAt = Date.parse(input.expiresAt);
        if (!(expiresAt > now)) throw new AppError('validation.failed', 'expiresAt must be in the future.');
      }
      const row: GrantTable = {
        id: newId('gra', now),
        node_id: input.nodeId,
        node_type: info.type,
        principal_type: input.principalType,
        principal_id: input.principalId,
        level: levelRank[input.level],
        is_share: opts.share ? 1 : 0,
        expires_at: expiresAt,
        created_by: ctx.actor.userId,
        created_at: now,
      };
      // one grant per (node, principal): a new one replaces the old
      await trx
        .deleteFrom('grants')
        .where('node_id', '=', input.nodeId)
        .where('principal_type', '=', input.principalType)
        .where('principal_id', '=', input.principalId)
        .execute();
      await trx.insertInto('grants').values(row).execute();
      for (const listener of core.grantListeners) await listener(trx, row, opts.messages);
      ev.objectId = row.id;
      ev.details = { nodeId: input.nodeId, principalId: input.principalId, level: input.level, expiresAt: iso(expiresAt) };
      return presentGrant(row);
    });
  }

  async function listGrants(ctx: RequestContext, nodeId: string) {
    return audited(ctx, { action: 'grant.list', objectType: 'grant', objectId: nodeId }, async (trx) => {
      await requireManageOn(trx, ctx, nodeId);
      const rows = await trx.selectFrom('grants').selectAll().where('node_id', '=', nodeId).orderBy('id').execute();
      return { items: rows.map(presentGrant), nextCursor: null };
    });
  }

  async function deleteGrant(ctx: RequestContext, id: string) {
    await audited(ctx, { action: 'grant.delete', objectType: 'grant', objectId: id }, async (trx, ev) => {
      const g = await trx.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
      if (!g) throw notFound('grant');
      try {
        await requireManageOn(trx, ctx, g.node_id);
      } catch (e) {
        // a grant on a node the caller cannot see reads like a missing grant, not like the node
        if (e instanceof AppError && (e.code === 'forbidden' || e.code === 'not_found')) throw notFound('grant');
        throw e;
      }
      await trx.deleteFrom('grants').where('id', '=', id).execute();
      ev.details = { nodeId: g.node_id, principalId: g.principal_id };
    });
  }

  return { nodeInfo, requireManageOn, createGrant, listGrants, deleteGrant };
}
