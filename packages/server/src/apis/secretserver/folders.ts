// Folders. A Coffer vault is a top folder (`parentFolderId` -1, path `\Vault`); a Coffer folder is
// a folder below it (`\Vault\A\B`). Get (with `getAllChildren`), by path (`/folders/0?folderPath=`),
// search (`filter.searchText` or `filter.folderName`, `filter.parentFolderId`,
// `filter.onlyIncludeRootFolders`), lookup (`{id, value}` records), create, update, delete.
import { isCleanName } from '@coffer/contracts/text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { NodeQuery, TreeNode } from '../../modules/vaults/vaults.service.ts';
import { bodyObject, boolAt, intAt, textAt } from './body.ts';
import { missing } from './ids.ts';
import { API, type Kit, q1, qBool, queryOf } from './kit.ts';
import { folderModel, page } from './mapper.ts';
import { Deleted, Folder, FolderSummary, Lookup, paging, responses } from './schemas.ts';
import { DEFAULT_TAKE, MAX_TAKE } from './search.ts';

const invalid = (path: string, message: string) =>
  new AppError('validation.failed', `The request is invalid: ${path.slice(1)} ${message}.`, { details: [{ path, message }] });

/** A folder name: one line of 1-200 characters without `/` or `\`. */
function folderName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const name = raw.trim();
  if (!name || name.length > 200 || !isCleanName(name) || /[/\\]/.test(name)) {
    throw invalid('/folderName', 'must be one line of 1-200 characters without control characters, / or \\');
  }
  return name;
}

/** `\Vault\A\B` -> the vault's name and the path inside it. */
function splitFolderPath(raw: string): { vault: string; path: string } {
  const parts = raw.split(/[\\/]+/).filter((p) => p.trim() !== '');
  if (parts.length < 1 || raw.length > 2000) throw missing('folder');
  return { vault: parts[0] as string, path: `/${parts.slice(1).join('/')}` };
}

/** The node a route names: its id, or 0 with `folderPath`. */
async function nodeIdOf(kit: Kit, req: FastifyRequest): Promise<string> {
  const raw = (req.params as { id?: string }).id ?? '';
  if (!/^\d{1,16}$/.test(raw)) throw missing('folder');
  if (Number(raw) !== 0) return (await kit.ids.node(raw)).id;
  const path = q1(queryOf(req), 'folderPath');
  if (!path) throw missing('folder');
  const ref = await kit.deps.lookup.folder(req.ctx, splitFolderPath(path));
  return ref.folderId ?? ref.vaultId;
}

async function oneNode(kit: Kit, ctx: RequestContext, id: string): Promise<TreeNode> {
  const { items } = await kit.deps.vaults.searchNodes(ctx, { node: id });
  const n = items[0];
  if (!n) throw missing('folder');
  return n;
}

/** Folder models of these nodes, nested under their parents when `nest` (getAllChildren). */
async function models(kit: Kit, nodes: TreeNode[], nest: { root: string } | null): Promise<unknown[]> {
  const nums = await kit.ids.ofNodes([...nodes.map((n) => n.id), ...nodes.flatMap((n) => (n.parentId ? [n.parentId] : []))]);
  const model = (n: TreeNode, children: unknown[] | null) =>
    folderModel(n, nums.get(n.id) as number, n.parentId ? (nums.get(n.parentId) ?? null) : null, children);
  if (!nest) return nodes.map((n) => model(n, null));
  const byParent = new Map<string, TreeNode[]>();
  for (const n of nodes) if (n.parentId) byParent.set(n.parentId, [...(byParent.get(n.parentId) ?? []), n]);
  const build = (parent: string, depth: number): unknown[] =>
    depth > 100 ? [] : (byParent.get(parent) ?? []).map((n) => model(n, build(n.id, depth + 1)));
  return build(nest.root, 0);
}

/** The search a request asks for (search and lookup read the same filters). */
async function searchOf(kit: Kit, req: FastifyRequest) {
  const q = queryOf(req);
  const text = (q1(q, 'filter.searchText') ?? q1(q, 'filter.folderName'))?.trim();
  if (text && text.length > 200) throw invalid('/filter.searchText', 'must be at most 200 characters');
  const query: NodeQuery = {};
  if (text) query.name = text;
  const parent = q1(q, 'filter.parentFolderId')?.trim();
  if (parent && /^\d{1,16}$/.test(parent) && Number(parent) > 0) {
    query.under = { nodeId: (await kit.ids.node(parent)).id, subtree: qBool(q, 'filter.limitToDirectDescendents') !== true };
  }
  if (qBool(q, 'filter.onlyIncludeRootFolders') === true) query.vaultsOnly = true;
  const int = (raw: string | undefined, def: number, max: number) =>
    raw && /^\d{1,9}$/.test(raw.trim()) ? Math.min(Number(raw), max) : def;
  return { query, take: int(q1(q, 'take'), DEFAULT_TAKE, MAX_TAKE), skip: int(q1(q, 'skip'), 0, 10_000_000) };
}

/** Search results ordered by name, as Secret Server orders them. */
function byName(items: TreeNode[]): TreeNode[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.path.localeCompare(b.path));
}

export function folderRoutes(api: FastifyInstance, kit: Kit): void {
  const { deps, ids } = kit;

  kit.route(api, 'GET', `${API}/folders/:id`, { action: 'ss.folder.read', response: responses(Folder) }, async (req) => {
    const id = await nodeIdOf(kit, req);
    const node = await oneNode(kit, req.ctx, id);
    const all = qBool(queryOf(req), 'getAllChildren') === true;
    const children = all
      ? await models(kit, (await deps.vaults.searchNodes(req.ctx, { under: { nodeId: id, subtree: true } })).items, { root: id })
      : null;
    const [m] = await models(kit, [node], null);
    return { ...(m as object), childFolders: children };
  });

  kit.route(api, 'GET', `${API}/folders`, { action: 'ss.folder.search', response: responses(paging(FolderSummary)) }, async (req) => {
    const { query, take, skip } = await searchOf(kit, req);
    const all = byName((await deps.vaults.searchNodes(req.ctx, query)).items);
    return page(await models(kit, all.slice(skip, skip + take), null), skip, take, all.length);
  });

  kit.route(api, 'GET', `${API}/folders/lookup`, { action: 'ss.folder.lookup', response: responses(paging(Lookup)) }, async (req) => {
    const { query, take, skip } = await searchOf(kit, req);
    const all = byName((await deps.vaults.searchNodes(req.ctx, query)).items);
    const pageNodes = all.slice(skip, skip + take);
    const nums = await ids.ofNodes(pageNodes.map((n) => n.id));
    return page(
      pageNodes.map((n) => ({ id: nums.get(n.id) as number, value: n.name })),
      skip,
      take,
      all.length,
    );
  });

  kit.route(api, 'POST', `${API}/folders`, { action: 'ss.folder.create', response: responses(Folder) }, async (req) => {
    const b = bodyObject(req.body);
    const name = folderName(textAt(b, 'foldername', 4000));
    if (!name) throw invalid('/folderName', 'is required');
    const parent = intAt(b, 'parentfolderid');
    const inheritPermissions = boolAt(b, 'inheritpermissions');
    const inheritPolicy = boolAt(b, 'inheritsecretpolicy');
    let id: string;
    if (parent === undefined || parent <= 0) {
      // a top folder is a vault
      id = (await deps.vaults.createVault(req.ctx, { name })).id;
    } else {
      const node = await ids.node(parent);
      const vaultId = node.type === 'vault' ? node.id : (await deps.vaults.getFolder(req.ctx, node.id)).vaultId;
      id = (
        await deps.vaults.createFolder(req.ctx, {
          vaultId,
          parentId: node.type === 'vault' ? null : node.id,
          name,
          ...(inheritPermissions !== undefined ? { inheritPermissions } : {}),
          ...(inheritPolicy !== undefined ? { inheritPolicy } : {}),
        })
      ).id;
    }
    const [m] = await models(kit, [await oneNode(kit, req.ctx, id)], null);
    return m;
  });

  kit.route(api, 'PUT', `${API}/folders/:id`, { action: 'ss.folder.update', response: responses(Folder) }, async (req) => {
    const id = await nodeIdOf(kit, req);
    const b = bodyObject(req.body);
    const node = await oneNode(kit, req.ctx, id);
    const name = folderName(textAt(b, 'foldername', 4000));
    const parent = intAt(b, 'parentfolderid');
    if (node.type === 'vault') {
      if (parent !== undefined && parent > 0)
        throw invalid('/parentFolderId', 'a top folder is a Coffer vault and cannot move into a folder');
      if (name !== undefined && name !== node.name) await deps.vaults.updateVault(req.ctx, id, { name });
    } else {
      const patch: Parameters<typeof deps.vaults.updateFolder>[2] = {};
      if (name !== undefined && name !== node.name) patch.name = name;
      const inheritPermissions = boolAt(b, 'inheritpermissions');
      if (inheritPermissions !== undefined && inheritPermissions !== node.inheritPermissions) patch.inheritPermissions = inheritPermissions;
      const inheritPolicy = boolAt(b, 'inheritsecretpolicy');
      if (inheritPolicy !== undefined && inheritPolicy !== node.inheritPolicy) patch.inheritPolicy = inheritPolicy;
      if (parent !== undefined) {
        if (parent <= 0) throw invalid('/parentFolderId', 'a folder cannot become a top folder (a Coffer vault)');
        const current = await ids.ofNode(node.parentId as string);
        if (parent !== current) {
          const target = await ids.node(parent);
          if (target.type === 'vault') Object.assign(patch, { vaultId: target.id, parentId: null });
          else Object.assign(patch, { vaultId: (await deps.vaults.getFolder(req.ctx, target.id)).vaultId, parentId: target.id });
        }
      }
      if (Object.keys(patch).length) await deps.vaults.updateFolder(req.ctx, id, patch);
    }
    const [m] = await models(kit, [await oneNode(kit, req.ctx, id)], null);
    return m;
  });

  kit.route(api, 'DELETE', `${API}/folders/:id`, { action: 'ss.folder.delete', response: responses(Deleted) }, async (req) => {
    const id = await nodeIdOf(kit, req);
    const num = await ids.ofNode(id);
    if (id.startsWith('vlt_')) await deps.vaults.deleteVault(req.ctx, id, false);
    else await deps.vaults.deleteFolder(req.ctx, id, false);
    return { id: num, objectType: 'Folder', responseCodes: [] };
  });
}
