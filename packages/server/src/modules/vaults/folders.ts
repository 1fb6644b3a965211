// Folders: create (below a vault or folder; breaking inheritance needs manage and keeps the
// creator's manage), read, list children, update (rename, move — paths of the subtree and the
// secrets' search text follow —, inheritance, policy), delete (recursive: secrets to the trash).
import type { AccessPolicy } from '@coffer/contracts/vaults';
import type { Trx } from '../../db/database.ts';
import type { FolderTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { isUniqueViolation } from '../../lib/unique-violation.ts';
import { levelRank } from '../access/levels.ts';
import * as tree from '../access/tree.repository.ts';
import type { RequestContext } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import { type Core, notFound } from './core.ts';
import { policyChain } from './policy-chain.ts';
import { presentFolder } from './vaults.presenter.ts';

export function createFolders(core: Core) {
  const {
    deps,
    pathListeners,
    requireNode,
    seesInside,
    getVaultRow,
    getFolderRow,
    requireVisibleVault,
    mayCreateOwned,
    grantManage,
    removeSubtree,
  } = core;
  const { clock, access, audited } = deps;

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
      // at the root of a vault of personal items, anyone who may own items creates one (and owns it)
      const owned = !input.parentId && (await mayCreateOwned(trx, ctx, input.vaultId));
      const inherit = input.inheritPermissions ?? true;
      if (!owned) {
        await requireNode(trx, ctx, parentNode, 'edit', input.parentId ? 'folder' : 'vault');
        if (!inherit) await requireNode(trx, ctx, parentNode, 'manage', input.parentId ? 'folder' : 'vault');
      }
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
      // a concurrent create of the same name that committed after the check above: the same answer
      await trx
        .insertInto('folders')
        .values(row)
        .execute()
        .catch((e: unknown) => {
          throw isUniqueViolation(e) ? new AppError('conflict', 'A folder with that name exists here.') : e;
        });
      await tree.insertChild(trx, parentNode, row.id, inherit);
      // breaking inheritance would lock the creator out: they keep manage on what they made
      if ((owned || !inherit) && ctx.actor.userId) await grantManage(trx, row.id, 'folder', ctx.actor.userId);
      ev.objectId = row.id;
      if (owned) ev.details = { owned: true };
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
      return { items: await visibleChildren(trx, ctx, parent), nextCursor: null };
    });
  }

  /** The folders right below a vault or folder that the actor can see (or sees into), by name. */
  async function visibleChildren(trx: Trx, ctx: RequestContext, parent: string) {
    const rows = await trx.selectFrom('folders').selectAll().where('parent_node_id', '=', parent).orderBy('name_canonical').execute();
    const p = await access.principalsOf(trx, ctx.actor);
    const items = [];
    for (const f of rows) {
      const level = await access.nodeLevel(trx, ctx.actor, f.id, p);
      if (level >= levelRank.list || (await seesInside(trx, ctx, f.id))) items.push(presentFolder(f, level));
    }
    return items;
  }

  /**
   * The path down to a folder the caller may read (as GET /folders/:id decides): each folder above
   * it, top down, with the folders in it that GET /folders?parentId= would list — a tree open down
   * to the folder, in one request. The folder's `path` and `parentId` give the names away already.
   */
  async function folderAncestors(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'folder.read', objectType: 'folder', objectId: id }, async (trx) => {
      await getFolderRow(trx, id);
      const level = await access.nodeLevel(trx, ctx.actor, id);
      if (level < levelRank.list && !(await seesInside(trx, ctx, id))) throw notFound('folder');
      const above = (await policyChain(trx, id)).filter((n) => n.type === 'folder' && n.id !== id);
      const items = [];
      for (const n of above) items.push({ id: n.id, name: n.name, children: await visibleChildren(trx, ctx, n.id) });
      return { items };
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
      let ownsAfterMove = false;
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
        // the top of a vault of personal items takes the folders of anyone who may own items there
        const ownedTop = !parentId && (await mayCreateOwned(trx, ctx, vaultId));
        if (!ownedTop) await requireNode(trx, ctx, parentId ?? vaultId, 'edit', parentId ? 'folder' : 'vault');
        ownsAfterMove = ownedTop;
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
      // moved to the top of a vault of personal items: the mover (manage on it) keeps manage
      if ((ownsAfterMove || (inheritChange && next.inherit_permissions === 0)) && ctx.actor.userId) {
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

  return { createFolder, getFolder, listFolders, folderAncestors, updateFolder, deleteFolder };
}
