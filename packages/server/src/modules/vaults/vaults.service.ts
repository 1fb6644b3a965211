import type { AccessPolicy, Level } from '@coffer/contracts/vaults';
import type { Executor, Trx } from '../../db/database.ts';
import type { FolderTable, GrantTable, VaultTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelName, levelRank } from '../access/levels.ts';
import * as tree from '../access/tree.repository.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
const notFound = (what: string) => new AppError('not_found', `No such ${what}.`);

export function presentVault(v: VaultTable, level: number) {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    policy: JSON.parse(v.policy) as AccessPolicy,
    myLevel: levelName(level),
    createdAt: iso(v.created_at) as string,
    updatedAt: iso(v.updated_at) as string,
  };
}

export function presentFolder(f: FolderTable, level: number) {
  return {
    id: f.id,
    vaultId: f.vault_id,
    parentId: f.parent_node_id === f.vault_id ? null : f.parent_node_id,
    name: f.name,
    path: f.path,
    inheritPermissions: f.inherit_permissions === 1,
    inheritPolicy: f.inherit_policy === 1,
    policy: JSON.parse(f.policy) as AccessPolicy,
    myLevel: levelName(level),
    createdAt: iso(f.created_at) as string,
    updatedAt: iso(f.updated_at) as string,
  };
}

export function presentGrant(g: GrantTable) {
  return {
    id: g.id,
    nodeType: g.node_type,
    nodeId: g.node_id,
    principalType: g.principal_type,
    principalId: g.principal_id,
    level: levelName(g.level) as Level,
    expiresAt: iso(g.expires_at),
    createdAt: iso(g.created_at) as string,
  };
}

/**
 * Vaults, folder trees and grants. Invariants:
 * - a node the caller cannot see (not even through something inside it) answers exactly like a
 *   missing one (404);
 * - folder names are unique among siblings (canonical form); paths are `/A/B` inside the vault;
 * - deleting a non-empty folder or vault needs `recursive`; its secrets go to the trash;
 * - grant and revoke need `manage`; moving needs `manage` on the folder and `edit` at the target;
 *   breaking or restoring inheritance needs `manage`.
 */
export function createVaultsService(deps: { clock: Clock; access: Access; audited: ReturnType<typeof createAudited> }) {
  const { clock, access, audited } = deps;
  /** Told, inside the transaction, which folders got a new path (secrets keep the path in their search text). */
  const pathListeners: Array<(trx: Trx, folderIds: string[]) => Promise<void>> = [];

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

  async function grantManage(trx: Trx, nodeId: string, nodeType: 'vault' | 'folder' | 'secret', userId: string) {
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

  async function createVault(ctx: RequestContext, input: { name: string; description?: string; policy?: AccessPolicy }) {
    return audited(ctx, { action: 'vault.create', objectType: 'vault' }, async (trx, ev) => {
      requireUser(ctx.actor);
      if (ctx.actor.role === 'password_auditor') throw new AppError('forbidden', 'Password Auditors cannot create vaults.');
      const canonical = canonicalUsername(input.name);
      if (await trx.selectFrom('vaults').select('id').where('name_canonical', '=', canonical).executeTakeFirst()) {
        throw new AppError('conflict', 'A vault with that name exists.');
      }
      const now = clock.now();
      const row: VaultTable = {
        id: newId('vlt', now),
        name: input.name.trim(),
        name_canonical: canonical,
        description: input.description ?? '',
        policy: JSON.stringify(input.policy ?? {}),
        created_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('vaults').values(row).execute();
      await tree.insertRoot(trx, row.id);
      await grantManage(trx, row.id, 'vault', ctx.actor.userId); // the creator owns it
      ev.objectId = row.id;
      return presentVault(row, levelRank.manage);
    });
  }

  async function listVaults(ctx: RequestContext) {
    return audited(ctx, { action: 'vault.list', objectType: 'vault' }, async (trx) => {
      requireUser(ctx.actor);
      const p = await access.principalsOf(trx, ctx.actor);
      let q = trx.selectFrom('vaults').selectAll().orderBy('name_canonical');
      const superScope = access.cap(ctx.actor, 0) === levelRank.manage;
      if (!superScope && p) {
        const now = clock.now();
        // vaults with a live grant on the vault, a folder in it, or a secret in it
        q = q.where((eb) =>
          eb.or([
            eb(
              'vaults.id',
              'in',
              eb
                .selectFrom('grants as g')
                .innerJoin('tree_paths as t', 't.descendant_id', 'g.node_id')
                .select('t.ancestor_id')
                .where('g.principal_id', 'in', p.ids)
                .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
            ),
            eb(
              'vaults.id',
              'in',
              eb
                .selectFrom('grants as g')
                .innerJoin('secrets as s', 's.id', 'g.node_id')
                .select('s.vault_id')
                .where('g.principal_id', 'in', p.ids)
                .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
            ),
          ]),
        );
      }
      const rows = await q.execute();
      const out = [];
      for (const v of rows) out.push(presentVault(v, await access.nodeLevel(trx, ctx.actor, v.id, p)));
      return { items: out, nextCursor: null };
    });
  }

  async function getVault(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'vault.read', objectType: 'vault', objectId: id }, async (trx) => {
      const v = await getVaultRow(trx, id);
      const level = await access.nodeLevel(trx, ctx.actor, id);
      if (level < levelRank.list && !(await seesInside(trx, ctx, id))) throw notFound('vault');
      return presentVault(v, level);
    });
  }

  async function updateVault(ctx: RequestContext, id: string, patch: { name?: string; description?: string; policy?: AccessPolicy }) {
    return audited(ctx, { action: 'vault.update', objectType: 'vault', objectId: id }, async (trx, ev) => {
      const v = await getVaultRow(trx, id);
      const level = await requireNode(trx, ctx, id, 'manage', 'vault');
      const next = { ...v, updated_at: clock.now() };
      if (patch.name !== undefined) {
        const canonical = canonicalUsername(patch.name);
        const clash = await trx
          .selectFrom('vaults')
          .select('id')
          .where('name_canonical', '=', canonical)
          .where('id', '!=', id)
          .executeTakeFirst();
        if (clash) throw new AppError('conflict', 'A vault with that name exists.');
        next.name = patch.name.trim();
        next.name_canonical = canonical;
      }
      if (patch.description !== undefined) next.description = patch.description;
      if (patch.policy !== undefined) next.policy = JSON.stringify(patch.policy);
      await trx
        .updateTable('vaults')
        .set({
          name: next.name,
          name_canonical: next.name_canonical,
          description: next.description,
          policy: next.policy,
          updated_at: next.updated_at,
        })
        .where('id', '=', id)
        .execute();
      ev.details = { fields: Object.keys(patch) };
      return presentVault(next, level);
    });
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

  async function deleteVault(ctx: RequestContext, id: string, recursive: boolean) {
    await audited(ctx, { action: 'vault.delete', objectType: 'vault', objectId: id }, async (trx, ev) => {
      await getVaultRow(trx, id);
      await requireNode(trx, ctx, id, 'manage', 'vault');
      const { ids, secrets } = await removeSubtree(trx, ctx, id, recursive);
      if (secrets > 0) throw new AppError('conflict', 'Purge or move the secrets of this vault (including its trash) before deleting it.');
      await trx.deleteFrom('folders').where('vault_id', '=', id).execute();
      await tree.deleteNodes(trx, ids);
      await trx.deleteFrom('vaults').where('id', '=', id).execute();
      ev.details = { folders: ids.length - 1 };
    });
  }

  async function createFolder(
    ctx: RequestContext,
    input: {
      vaultId: string;
      parentId?: string | null;
      name: string;
      inheritPermissions?: boolean;
      inheritPolicy?: boolean;
      policy?: AccessPolicy;
    },
  ) {
    return audited(ctx, { action: 'folder.create', objectType: 'folder' }, async (trx, ev) => {
      await getVaultRow(trx, input.vaultId);
      if (input.parentId) await requireVisibleVault(trx, ctx, input.vaultId);
      const parentNode = input.parentId ?? input.vaultId;
      let parentPath = '';
      let depth = 1;
      if (input.parentId) {
        const parent = await getFolderRow(trx, input.parentId);
        if (parent.vault_id !== input.vaultId) throw notFound('folder');
        parentPath = parent.path;
        depth = parent.depth + 1;
      }
      await requireNode(trx, ctx, parentNode, 'edit', input.parentId ? 'folder' : 'vault');
      const inherit = input.inheritPermissions ?? true;
      if (!inherit) await requireNode(trx, ctx, parentNode, 'manage', input.parentId ? 'folder' : 'vault');
      const canonical = canonicalUsername(input.name);
      const clash = await trx
        .selectFrom('folders')
        .select('id')
        .where('parent_node_id', '=', parentNode)
        .where('name_canonical', '=', canonical)
        .executeTakeFirst();
      if (clash) throw new AppError('conflict', 'A folder with that name exists here.');
      const now = clock.now();
      const row: FolderTable = {
        id: newId('fld', now),
        vault_id: input.vaultId,
        parent_node_id: parentNode,
        name: input.name.trim(),
        name_canonical: canonical,
        path: `${parentPath}/${input.name.trim()}`,
        depth,
        inherit_permissions: inherit ? 1 : 0,
        inherit_policy: (input.inheritPolicy ?? true) ? 1 : 0,
        policy: JSON.stringify(input.policy ?? {}),
        created_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('folders').values(row).execute();
      await tree.insertChild(trx, parentNode, row.id, inherit);
      // breaking inheritance would lock the creator out: they keep manage on what they made
      if (!inherit && ctx.actor.userId) await grantManage(trx, row.id, 'folder', ctx.actor.userId);
      ev.objectId = row.id;
      return presentFolder(row, await access.nodeLevel(trx, ctx.actor, row.id));
    });
  }

  async function getFolder(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'folder.read', objectType: 'folder', objectId: id }, async (trx) => {
      const f = await getFolderRow(trx, id);
      const level = await access.nodeLevel(trx, ctx.actor, id);
      if (level < levelRank.list && !(await seesInside(trx, ctx, id))) throw notFound('folder');
      return presentFolder(f, level);
    });
  }

  /** Children folders of a vault or folder that the actor can see (or sees into). */
  async function listFolders(ctx: RequestContext, q: { vaultId: string; parentId?: string }) {
    return audited(ctx, { action: 'folder.list', objectType: 'folder', objectId: q.parentId ?? q.vaultId }, async (trx) => {
      const parent = q.parentId ?? q.vaultId;
      await getVaultRow(trx, q.vaultId);
      if (q.parentId) {
        await requireVisibleVault(trx, ctx, q.vaultId);
        const f = await getFolderRow(trx, q.parentId);
        if (f.vault_id !== q.vaultId) throw notFound('folder');
      }
      await requireNode(trx, ctx, parent, 'list', q.parentId ? 'folder' : 'vault').catch((e) => {
        if (e instanceof AppError && e.code === 'forbidden') return 0; // sees inside only
        throw e;
      });
      const rows = await trx.selectFrom('folders').selectAll().where('parent_node_id', '=', parent).orderBy('name_canonical').execute();
      const p = await access.principalsOf(trx, ctx.actor);
      const items = [];
      for (const f of rows) {
        const level = await access.nodeLevel(trx, ctx.actor, f.id, p);
        if (level >= levelRank.list || (await seesInside(trx, ctx, f.id))) items.push(presentFolder(f, level));
      }
      return { items, nextCursor: null };
    });
  }

  async function refreshPaths(trx: Trx, folderId: string) {
    const f = await getFolderRow(trx, folderId);
    const sub = await tree.subtree(trx, folderId);
    // rows come ordered by depth, so a parent is fixed before its children
    const byId = new Map<string, FolderTable>([[f.id, f]]);
    for (const r of sub) {
      if (r.descendant_id === folderId) continue;
      const child = await getFolderRow(trx, r.descendant_id);
      const parent = byId.get(child.parent_node_id) as FolderTable;
      const next = { ...child, vault_id: f.vault_id, path: `${parent.path}/${child.name}`, depth: parent.depth + 1 };
      byId.set(child.id, next);
      await trx
        .updateTable('folders')
        .set({ vault_id: next.vault_id, path: next.path, depth: next.depth })
        .where('id', '=', child.id)
        .execute();
    }
    const ids = [...byId.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      await trx
        .updateTable('secrets')
        .set({ vault_id: f.vault_id })
        .where('parent_node_id', 'in', ids.slice(i, i + 500))
        .execute();
    }
    for (const listener of pathListeners) await listener(trx, ids);
  }

  async function updateFolder(
    ctx: RequestContext,
    id: string,
    patch: {
      name?: string;
      parentId?: string | null;
      vaultId?: string;
      inheritPermissions?: boolean;
      inheritPolicy?: boolean;
      policy?: AccessPolicy;
    },
  ) {
    return audited(ctx, { action: 'folder.update', objectType: 'folder', objectId: id }, async (trx, ev) => {
      const f = await getFolderRow(trx, id);
      await requireNode(trx, ctx, id, 'edit', 'folder');
      const now = clock.now();
      const next: FolderTable = { ...f, updated_at: now };
      const moving = patch.parentId !== undefined || (patch.vaultId !== undefined && patch.vaultId !== f.vault_id);
      const inheritChange = patch.inheritPermissions !== undefined && (patch.inheritPermissions ? 1 : 0) !== f.inherit_permissions;
      if (moving || inheritChange || patch.inheritPolicy !== undefined || patch.policy !== undefined) {
        await requireNode(trx, ctx, id, 'manage', 'folder');
      }
      if (moving) {
        const vaultId = patch.vaultId ?? f.vault_id;
        await getVaultRow(trx, vaultId);
        const parentId = patch.parentId ?? null;
        if (parentId) await requireVisibleVault(trx, ctx, vaultId);
        let parentPath = '';
        let depth = 1;
        if (parentId) {
          const parent = await getFolderRow(trx, parentId);
          if (parent.vault_id !== vaultId) throw notFound('folder');
          const inside = await trx
            .selectFrom('tree_paths')
            .select('ancestor_id')
            .where('ancestor_id', '=', id)
            .where('descendant_id', '=', parentId)
            .executeTakeFirst();
          if (inside) throw new AppError('conflict', 'A folder cannot move into itself or its own subfolders.');
          parentPath = parent.path;
          depth = parent.depth + 1;
        }
        await requireNode(trx, ctx, parentId ?? vaultId, 'edit', parentId ? 'folder' : 'vault');
        next.vault_id = vaultId;
        next.parent_node_id = parentId ?? vaultId;
        next.path = `${parentPath}/${next.name}`;
        next.depth = depth;
      }
      if (patch.name !== undefined) {
        next.name = patch.name.trim();
        next.name_canonical = canonicalUsername(patch.name);
        next.path = `${next.path.slice(0, next.path.lastIndexOf('/'))}/${next.name}`;
      }
      if (moving || patch.name !== undefined) {
        const clash = await trx
          .selectFrom('folders')
          .select('id')
          .where('parent_node_id', '=', next.parent_node_id)
          .where('name_canonical', '=', next.name_canonical)
          .where('id', '!=', id)
          .executeTakeFirst();
        if (clash) throw new AppError('conflict', 'A folder with that name exists there.');
      }
      if (patch.inheritPermissions !== undefined) next.inherit_permissions = patch.inheritPermissions ? 1 : 0;
      if (patch.inheritPolicy !== undefined) next.inherit_policy = patch.inheritPolicy ? 1 : 0;
      if (patch.policy !== undefined) next.policy = JSON.stringify(patch.policy);
      await trx
        .updateTable('folders')
        .set({
          vault_id: next.vault_id,
          parent_node_id: next.parent_node_id,
          name: next.name,
          name_canonical: next.name_canonical,
          path: next.path,
          depth: next.depth,
          inherit_permissions: next.inherit_permissions,
          inherit_policy: next.inherit_policy,
          policy: next.policy,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      if (moving || inheritChange) await tree.relink(trx, id, next.parent_node_id, next.inherit_permissions === 1);
      if (moving || patch.name !== undefined) await refreshPaths(trx, id);
      if (inheritChange && next.inherit_permissions === 0 && ctx.actor.userId) {
        const own = await access.nodeLevel(trx, ctx.actor, id);
        if (own < levelRank.manage) await grantManage(trx, id, 'folder', ctx.actor.userId);
      }
      ev.details = { fields: Object.keys(patch), moved: moving };
      return presentFolder(next, await access.nodeLevel(trx, ctx.actor, id));
    });
  }

  async function deleteFolder(ctx: RequestContext, id: string, recursive: boolean) {
    await audited(ctx, { action: 'folder.delete', objectType: 'folder', objectId: id }, async (trx, ev) => {
      await getFolderRow(trx, id);
      await requireNode(trx, ctx, id, 'manage', 'folder');
      const { ids, secrets } = await removeSubtree(trx, ctx, id, recursive);
      await trx.deleteFrom('folders').where('id', 'in', ids).execute();
      await tree.deleteNodes(trx, ids);
      ev.details = { folders: ids.length, secretsTrashed: secrets };
    });
  }

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
    opts: { share?: boolean } = {},
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

  return {
    createVault,
    listVaults,
    getVault,
    updateVault,
    deleteVault,
    createFolder,
    getFolder,
    listFolders,
    updateFolder,
    deleteFolder,
    createGrant,
    listGrants,
    deleteGrant,
    requireNode,
    requireVisibleVault,
    nodeInfo,
    seesInside,
    onPathsChanged: (listener: (trx: Trx, folderIds: string[]) => Promise<void>) => {
      pathListeners.push(listener);
    },
  };
}
export type VaultsService = ReturnType<typeof createVaultsService>;
