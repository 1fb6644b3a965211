// Vaults and folders as one tree of nodes, searched by name or listed below a node: what an API
// that shows vaults as top folders lists (Secret Server's folder search and lookup). Visible like
// GET /folders/{id}: a grant on the node or above it, or something visible inside it.
import { type SqlBool, sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import type { E2eScheme, FolderTable, VaultTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { levelName, levelRank } from '../access/levels.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import { type Core, notFound } from './core.ts';

export interface NodeQuery {
  /** Part of the name (without regard to case), or the whole name with `exact`. */
  name?: string;
  exact?: boolean;
  /** Only what is below this vault or folder: its children, or everything below it (`subtree`). */
  under?: { nodeId: string; subtree: boolean };
  /** Only this vault or folder (a read of one node; not visible: 404). */
  node?: string;
  /** Only vaults (Secret Server's root folders). */
  vaultsOnly?: boolean;
}

export interface TreeNode {
  type: 'vault' | 'folder';
  id: string;
  vaultId: string;
  vaultName: string;
  /** The vault or folder it is in; null for a vault. */
  parentId: string | null;
  name: string;
  /** Inside the vault: `/` for the vault itself, `/A/B` for a folder. */
  path: string;
  inheritPermissions: boolean;
  inheritPolicy: boolean;
  myLevel: ReturnType<typeof levelName>;
  /** The vault's encryption (ADR 0022), and whether it holds items owned by their creator (ADR 0025). */
  encryption: 'server' | 'e2e';
  /** E2E only: 'openpgp' or 'master-password' (ADR 0026). */
  e2eScheme?: E2eScheme;
  itemsOwnedByCreator: boolean;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Candidates read per kind: far above any real tree, and a bound on the per-node checks. */
const MAX_CANDIDATES = 5000;

function likePattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

function vaultNode(v: VaultTable, level: number): TreeNode {
  return {
    type: 'vault',
    id: v.id,
    vaultId: v.id,
    vaultName: v.name,
    parentId: null,
    name: v.name,
    path: '/',
    inheritPermissions: false,
    inheritPolicy: false,
    myLevel: levelName(level),
    encryption: v.encryption ?? 'server',
    ...(v.encryption === 'e2e' ? { e2eScheme: v.e2e_scheme ?? 'openpgp' } : {}),
    itemsOwnedByCreator: v.items_owned_by_creator === 1,
    createdBy: v.created_by,
    createdAt: Number(v.created_at),
    updatedAt: Number(v.updated_at),
  };
}

function folderNode(f: FolderTable, v: VaultTable, level: number): TreeNode {
  return {
    type: 'folder',
    id: f.id,
    vaultId: f.vault_id,
    vaultName: v.name,
    parentId: f.parent_node_id,
    name: f.name,
    path: f.path,
    inheritPermissions: f.inherit_permissions === 1,
    inheritPolicy: f.inherit_policy === 1,
    myLevel: levelName(level),
    encryption: v.encryption ?? 'server',
    ...(v.encryption === 'e2e' ? { e2eScheme: v.e2e_scheme ?? 'openpgp' } : {}),
    itemsOwnedByCreator: v.items_owned_by_creator === 1,
    createdBy: f.created_by,
    createdAt: Number(f.created_at),
    updatedAt: Number(f.updated_at),
  };
}

export function createNodes(core: Core) {
  const { deps, seesInside } = core;
  const { access, audited } = deps;

  async function visibleLevel(exec: Executor, ctx: RequestContext, id: string, p: Awaited<ReturnType<typeof access.principalsOf>>) {
    const level = await access.nodeLevel(exec, ctx.actor, id, p ?? undefined);
    if (level >= levelRank.list) return level;
    return (await seesInside(exec, ctx, id)) ? level : -1;
  }

  /**
   * Vaults and folders the caller can see, sorted by vault name then path. One audit record; the
   * visibility of each candidate is decided like a read of that node.
   */
  async function searchNodes(ctx: RequestContext, q: NodeQuery): Promise<{ items: TreeNode[] }> {
    return audited(ctx, { action: 'folder.search', objectType: 'folder', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      const p = await access.principalsOf(exec, ctx.actor);
      const name = q.name === undefined ? undefined : canonicalUsername(q.name);
      let under: { node: VaultTable | FolderTable; vault: VaultTable } | undefined;
      if (q.under) {
        const id = q.under.nodeId;
        const vault = await exec.selectFrom('vaults').selectAll().where('id', '=', id).executeTakeFirst();
        const folder = vault ? undefined : await exec.selectFrom('folders').selectAll().where('id', '=', id).executeTakeFirst();
        const node = vault ?? folder;
        if (!node || (await visibleLevel(exec, ctx, node.id, p)) < 0) throw notFound(vault ? 'vault' : 'folder');
        const v =
          vault ??
          (await exec
            .selectFrom('vaults')
            .selectAll()
            .where('id', '=', (folder as FolderTable).vault_id)
            .executeTakeFirst());
        if (!v) throw notFound('folder');
        under = { node, vault: v };
      }
      if (q.node) {
        const id = q.node;
        const vault = await exec.selectFrom('vaults').selectAll().where('id', '=', id).executeTakeFirst();
        const folder = vault ? undefined : await exec.selectFrom('folders').selectAll().where('id', '=', id).executeTakeFirst();
        const v = vault ?? (folder && (await exec.selectFrom('vaults').selectAll().where('id', '=', folder.vault_id).executeTakeFirst()));
        const level = vault || folder ? await visibleLevel(exec, ctx, id, p) : -1;
        if (!v || level < 0) throw notFound(id.startsWith('vlt_') ? 'vault' : 'folder');
        ev.objectId = id;
        return { items: [folder ? folderNode(folder, v, level) : vaultNode(v, level)] };
      }
      let vaults: VaultTable[] = [];
      if (!under) {
        let vq = exec.selectFrom('vaults').selectAll();
        if (name !== undefined && name !== '') {
          vq = q.exact
            ? vq.where('name_canonical', '=', name)
            : vq.where(sql<SqlBool>`name_canonical like ${likePattern(name)} escape '!'`);
        }
        vaults = await vq.orderBy('name_canonical').limit(MAX_CANDIDATES).execute();
      }
      let fq = exec.selectFrom('folders').selectAll();
      if (q.vaultsOnly) fq = fq.where(sql<SqlBool>`1 = 0`);
      if (name !== undefined && name !== '') {
        fq = q.exact ? fq.where('name_canonical', '=', name) : fq.where(sql<SqlBool>`name_canonical like ${likePattern(name)} escape '!'`);
      }
      if (under) {
        const id = under.node.id;
        fq = q.under?.subtree
          ? fq
              .where('id', 'in', (eb) => eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', id))
              .where('id', '!=', id)
          : fq.where('parent_node_id', '=', id);
      }
      const folders = await fq.orderBy('vault_id').orderBy('path').limit(MAX_CANDIDATES).execute();
      if (vaults.length >= MAX_CANDIDATES || folders.length >= MAX_CANDIDATES) {
        throw new AppError('validation.failed', `More than ${MAX_CANDIDATES} vaults or folders match; narrow the search.`);
      }
      const vaultRows = new Map<string, VaultTable>(vaults.map((v) => [v.id, v]));
      if (under) vaultRows.set(under.vault.id, under.vault);
      const missing = [...new Set(folders.map((f) => f.vault_id))].filter((id) => !vaultRows.has(id));
      for (let i = 0; i < missing.length; i += 500) {
        for (const v of await exec
          .selectFrom('vaults')
          .selectAll()
          .where('id', 'in', missing.slice(i, i + 500))
          .execute())
          vaultRows.set(v.id, v);
      }
      const items: TreeNode[] = [];
      for (const v of vaults) {
        const level = await visibleLevel(exec, ctx, v.id, p);
        if (level >= 0) items.push(vaultNode(v, level));
      }
      for (const f of folders) {
        const v = vaultRows.get(f.vault_id);
        if (!v) continue;
        const level = await visibleLevel(exec, ctx, f.id, p);
        if (level >= 0) items.push(folderNode(f, v, level));
      }
      const key = (n: TreeNode) => `${canonicalUsername(n.vaultName)}\u0001${n.type === 'vault' ? '' : n.path.toLowerCase()}`;
      items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      ev.details = { count: items.length, ...(q.under ? { under: q.under.nodeId } : {}) };
      return { items };
    });
  }

  return { searchNodes };
}
