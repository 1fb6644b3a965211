// What the use cases of the vaults service share: their dependencies, the visibility rules of
// nodes (404 unless the caller sees the node or something inside it), row reads, the creator's
// manage grant, the removal of a subtree, and the listeners told about new folder paths.

import type { SecretMessage } from '@coffer/contracts/e2e';
import type { Level } from '@coffer/contracts/vaults';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { GrantTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import * as tree from '../access/tree.repository.ts';
import type { createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import { keysOf } from '../e2e/user-keys.ts';

export interface VaultsDeps {
  db: Db;
  clock: Clock;
  access: Access;
  audited: ReturnType<typeof createAudited>;
}

export type GrantListener = (trx: Trx, grant: GrantTable, messages: SecretMessage[] | undefined) => Promise<void>;

export const notFound = (what: string) => new AppError('not_found', `No such ${what}.`);

export function createCore(deps: VaultsDeps) {
  const { clock, access } = deps;
  /** Told, inside the transaction, which folders got a new path (secrets keep the path in their search text). */
  const pathListeners: Array<(trx: Trx, folderIds: string[]) => Promise<void>> = [];
  /** Told, inside the transaction, of a grant just written, with the messages a share carried
   * (E2E secrets need one for each new reader; ADR 0022). May refuse by throwing. */
  const grantListeners: GrantListener[] = [];

  /** Level on the node; 404 unless at least `list` (or something visible inside it). */
  async function requireNode(trx: Executor, ctx: RequestContext, nodeId: string, need: Level, what: string): Promise<number> {
    const level = await access.nodeLevel(trx, ctx.actor, nodeId);
    if (level >= levelRank[need]) return level;
    if (level >= levelRank.list || (await seesInside(trx, ctx, nodeId))) {
      throw new AppError('forbidden', `You need ${need} access on this ${what}.`);
    }
    throw notFound(what);
  }

  /** True when the actor has any live grant on a node or secret below `nodeId`. */
  async function seesInside(trx: Executor, ctx: RequestContext, nodeId: string): Promise<boolean> {
    const p = await access.principalsOf(trx, ctx.actor);
    if (!p) return false;
    const now = clock.now();
    const hit = await trx
      .selectFrom('grants as g')
      .select('g.id')
      .where('g.principal_id', 'in', p.ids)
      .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
      .where((eb) =>
        eb.or([
          eb('g.node_id', 'in', eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', nodeId)),
          eb(
            'g.node_id',
            'in',
            eb
              .selectFrom('secrets')
              .select('secrets.id')
              .where('secrets.parent_node_id', 'in', eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', nodeId)),
          ),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return hit !== undefined;
  }

  async function getVaultRow(trx: Executor, id: string) {
    const v = await trx.selectFrom('vaults').selectAll().where('id', '=', id).executeTakeFirst();
    if (!v) throw notFound('vault');
    return v;
  }

  async function getFolderRow(trx: Executor, id: string) {
    const f = await trx.selectFrom('folders').selectAll().where('id', '=', id).executeTakeFirst();
    if (!f) throw notFound('folder');
    return f;
  }

  /**
   * Checked before a folder named together with its vault is looked at: a vault the actor cannot
   * see (no level, nothing visible inside) reads like a missing one, so the folder's answer never
   * tells that the vault exists.
   */
  async function requireVisibleVault(trx: Executor, ctx: RequestContext, vaultId: string): Promise<void> {
    const level = await access.nodeLevel(trx, ctx.actor, vaultId);
    if (level < levelRank.list && !(await seesInside(trx, ctx, vaultId))) throw notFound('vault');
  }

  /**
   * Whether the caller may create at the root of this vault as the owner of what they create: the
   * vault has `items_owned_by_creator`, and the caller is an active human user with a registered
   * OpenPGP key who may hold values (not a Password Auditor). ADR 0025 "Resources".
   */
  async function mayCreateOwned(trx: Executor, ctx: RequestContext, vaultId: string): Promise<boolean> {
    if (ctx.actor.kind !== 'user' || !ctx.actor.userId) return false;
    const v = await trx.selectFrom('vaults').select(['items_owned_by_creator', 'encryption']).where('id', '=', vaultId).executeTakeFirst();
    if (v?.items_owned_by_creator !== 1 || v.encryption !== 'e2e') return false;
    const u = await trx.selectFrom('users').select(['kind', 'status', 'role']).where('id', '=', ctx.actor.userId).executeTakeFirst();
    if (u?.kind !== 'human' || u.status !== 'active' || u.role === 'password_auditor') return false;
    return (await keysOf(trx, [ctx.actor.userId])).has(ctx.actor.userId);
  }

  /** `userId` gets `manage` on the node: a grant of their own (one they had already is raised, made permanent). */
  async function grantManage(trx: Trx, nodeId: string, nodeType: 'vault' | 'folder' | 'secret', userId: string) {
    const own = await trx
      .selectFrom('grants')
      .select('id')
      .where('node_id', '=', nodeId)
      .where('principal_type', '=', 'user')
      .where('principal_id', '=', userId)
      .executeTakeFirst();
    if (own) {
      await trx.updateTable('grants').set({ level: levelRank.manage, expires_at: null }).where('id', '=', own.id).execute();
      return;
    }
    await trx
      .insertInto('grants')
      .values({
        id: newId('gra', clock.now()),
        node_id: nodeId,
        node_type: nodeType,
        principal_type: 'user',
        principal_id: userId,
        level: levelRank.manage,
        is_share: 0,
        expires_at: null,
        created_by: userId,
        created_at: clock.now(),
      })
      .execute();
  }

  /** Secrets under the node go to the trash; folders and grants below it are removed. */
  async function removeSubtree(trx: Trx, ctx: RequestContext, nodeId: string, recursive: boolean) {
    const sub = await tree.subtree(trx, nodeId);
    const ids = sub.map((r) => r.descendant_id);
    const live = await trx
      .selectFrom('secrets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('parent_node_id', 'in', ids)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    const childFolders = ids.length - 1;
    if (!recursive && (Number(live.n) > 0 || childFolders > 0)) {
      throw new AppError('conflict', 'The folder is not empty; pass recursive=true to delete it with everything inside.');
    }
    const now = clock.now();
    const secrets = await trx.selectFrom('secrets').select(['id', 'vault_id']).where('parent_node_id', 'in', ids).execute();
    for (let i = 0; i < secrets.length; i += 500) {
      const chunk = secrets.slice(i, i + 500).map((s) => s.id);
      // trashed secrets wait at the top of their vault (restore puts them there)
      await trx
        .updateTable('secrets')
        .set((eb) => ({
          deleted_at: eb.fn.coalesce('deleted_at', eb.val(now)),
          deleted_by: ctx.actor.userId,
          parent_node_id: eb.ref('vault_id'),
        }))
        .where('id', 'in', chunk)
        .execute();
    }
    return { ids, secrets: secrets.length };
  }

  return {
    deps,
    pathListeners,
    grantListeners,
    requireNode,
    seesInside,
    getVaultRow,
    getFolderRow,
    requireVisibleVault,
    mayCreateOwned,
    grantManage,
    removeSubtree,
  };
}
export type Core = ReturnType<typeof createCore>;
