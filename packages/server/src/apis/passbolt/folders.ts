// Passbolt's folders over Coffer's (ADR 0025 "Resources"): the folders of the E2E vaults the caller
// sees, each other E2E vault itself a top-level folder (the Passbolt vault's top is the root); a
// folder made at the root is the creator's (the vaults service gives them manage). Moves of
// resources and folders go through the same update use cases as natively (a move changes who reads
// a resource: new readers need messages, former ones leave `rotationRequired`).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { TreeNode } from '../../modules/vaults/vaults.service.ts';
import { fieldsOf, invalid, required } from './body.ts';
import { dateOf } from './dates.ts';
import { apiVersion, ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { isOpenpgp, placeOf } from './place.ts';
import { type NativeSecret, NO_CONTAIN, permissionSchema, permissionType, presentResources, resourceSchema } from './present-resource.ts';
import { filterList, passboltWriteError } from './resource-input.ts';
import { readableSecret } from './resources.ts';
import { anyJson, bool, ERRORS, envelope, exact, nullableStr, str } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

const FOLDER_INVALID = 'Could not validate folder data.';
type IdReq = FastifyRequest<{ Params: { id: string } }>;

const isHome = (c: PassboltContext, n: TreeNode) =>
  n.itemsOwnedByCreator && n.vaultName.trim().toLowerCase() === c.vaultName.trim().toLowerCase();

/** The E2E vaults and folders the caller sees, as Passbolt folders (the Passbolt vault itself is the root). */
async function visibleNodes(c: PassboltContext, req: FastifyRequest, name?: string) {
  const { items } = await c.vaults.searchNodes(req.ctx, name ? { name } : {});
  return items.filter((n) => isOpenpgp(n) && !(n.type === 'vault' && isHome(c, n)));
}

/** A Passbolt folder UUID -> the visible node (404 alike for unknown, hidden and server-encrypted). */
async function nodeOf(c: PassboltContext, req: FastifyRequest, uuid: string): Promise<TreeNode> {
  if (!ANY_UUID.test(uuid)) throw invalid('id', 'uuid', 'The folder identifier should be a valid UUID.');
  const id = (await c.ids.idOf('folder', uuid)) ?? (await c.ids.idOf('vault', uuid));
  const missing = () => new AppError('not_found', 'The folder does not exist.');
  if (!id) throw missing();
  const { items } = await c.vaults.searchNodes(req.ctx, { node: id }).catch((e: unknown) => {
    if (isAppError(e) && e.code === 'not_found') return { items: [] as TreeNode[] };
    throw e;
  });
  const n = items[0];
  if (!n || !isOpenpgp(n) || (n.type === 'vault' && isHome(c, n))) throw missing();
  return n;
}

/** `contain[x]=1` of the query. */
function folderContain(req: FastifyRequest): (k: string) => boolean {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const nested = (typeof q.contain === 'object' && q.contain ? q.contain : {}) as Record<string, unknown>;
  return (k) => ['1', 'true'].includes(String(q[`contain[${k}]`] ?? nested[k] ?? ''));
}

async function presentFolders(
  c: PassboltContext,
  req: FastifyRequest,
  nodes: TreeNode[],
  all: TreeNode[],
  on: (k: string) => boolean = folderContain(req),
) {
  const date = dateOf(req);
  const v1 = apiVersion(req) === 'v1';
  const folderIds = [...all, ...nodes].filter((n) => n.type === 'folder').map((n) => n.id);
  const vaultIds = [...all, ...nodes].filter((n) => n.type === 'vault').map((n) => n.id);
  const fu = await c.ids.uuidsOf('folder', [...new Set([...folderIds, ...nodes.flatMap((n) => (n.parentId ? [n.parentId] : []))])]);
  const vu = await c.ids.uuidsOf('vault', [...new Set([...vaultIds, ...nodes.map((n) => n.vaultId)])]);
  const homeVaults = new Set(
    all
      .concat(nodes)
      .filter((n) => isHome(c, n))
      .map((n) => n.vaultId),
  );
  const uuidOf = (n: TreeNode) => (n.type === 'vault' ? vu.get(n.id) : fu.get(n.id)) as string;
  const parentOf = (n: TreeNode): string | null => {
    if (n.type === 'vault' || !n.parentId) return null;
    if (n.parentId === n.vaultId) return isHome(c, n) || homeVaults.has(n.vaultId) ? null : (vu.get(n.vaultId) ?? null);
    return fu.get(n.parentId) ?? null;
  };
  const readers = await c.secrets.readersAmong(
    c.db,
    nodes.filter((n) => n.type === 'folder').map((n) => ({ id: n.id, parentNodeId: n.id })),
  );
  const creators = await c.ids.uuidsOf('user', [...new Set(nodes.flatMap((n) => (n.createdBy ? [n.createdBy] : [])))]);
  const me = req.ctx.actor.userId as string;
  const out = [];
  for (const n of nodes) {
    const uuid = uuidOf(n);
    const r = readers.get(n.id) ?? [];
    const base = {
      id: uuid,
      name: n.name,
      folder_parent_id: parentOf(n),
      personal: n.type === 'folder' && r.length === 1 && r[0] === me,
      created: date(n.createdAt),
      modified: date(n.updatedAt),
      created_by: n.createdBy ? (creators.get(n.createdBy) ?? null) : null,
      modified_by: n.createdBy ? (creators.get(n.createdBy) ?? null) : null,
    };
    const contained: Record<string, unknown> = {};
    if (on('permission')) {
      contained[v1 ? 'Permission' : 'permission'] = {
        id: await c.ids.uuidOf('permission', `${n.id}/${me}`),
        aco: 'Folder',
        aco_foreign_key: uuid,
        aro: 'User',
        aro_foreign_key: await c.ids.uuidOf('user', me),
        type: permissionType(n.myLevel) || 1,
        created: base.created,
        modified: base.modified,
      };
    }
    if (on('children_folders')) {
      const kids = all.filter((k) => k.type === 'folder' && k.parentId === n.id);
      contained[v1 ? 'ChildrenFolder' : 'children_folders'] = await presentFolders(c, req, kids, all, () => false);
    }
    if (on('children_resources')) {
      const page = await c.secrets.search(req.ctx, {
        ...(n.type === 'vault' ? { vaultId: n.id } : { folderId: n.id }),
        direct: true,
        sort: 'name',
        limit: 500,
      });
      const items = page.items.filter((s) => s.e2e && !s.e2eScheme && permissionType(s.myLevel) > 0) as NativeSecret[];
      contained[v1 ? 'ChildrenResource' : 'children_resources'] = await presentResources(c, req, items, undefined, NO_CONTAIN);
    }
    out.push(v1 ? { Folder: base, ...contained } : { ...base, ...contained });
  }
  return out;
}

const folderFields = {
  id: str,
  name: str,
  folder_parent_id: nullableStr,
  personal: bool,
  created: str,
  modified: str,
  created_by: nullableStr,
  modified_by: nullableStr,
};
const permission = permissionSchema;
const folderSchema = {
  anyOf: [
    exact({ ...folderFields, permission, children_folders: anyJson, children_resources: { type: 'array', items: resourceSchema } }, [
      'permission',
      'children_folders',
      'children_resources',
    ]),
    exact({ Folder: exact(folderFields), Permission: permission, ChildrenFolder: anyJson, ChildrenResource: anyJson }, [
      'Permission',
      'ChildrenFolder',
      'ChildrenResource',
    ]),
  ],
};

export function folderRoutes(api: FastifyInstance, c: PassboltContext): void {
  const one = envelope(folderSchema);
  api.get('/folders.json', {
    config: { auth: 'user', permission: 'self', action: 'folder.search' },
    schema: { response: { 200: envelope({ type: 'array', items: folderSchema }), ...ERRORS } },
    handler: async (req) => {
      const search = filterList(req.query, 'search')[0]?.slice(0, 200);
      const all = await visibleNodes(c, req);
      const nodes = search ? await visibleNodes(c, req, search) : all;
      const hasId = new Set(filterList(req.query, 'has-id').map((x) => x.toLowerCase()));
      const parents = filterList(req.query, 'has-parent').map((x) => x.toLowerCase());
      const presented = await presentFolders(c, req, nodes, all);
      const v1 = apiVersion(req) === 'v1';
      const fields = (f: unknown) =>
        (v1 ? (f as { Folder: typeof folderFields }).Folder : f) as { id: string; folder_parent_id: string | null };
      let out = presented;
      if (hasId.size) out = out.filter((f) => hasId.has(fields(f).id));
      if (parents.length) out = out.filter((f) => parents.includes(String(fields(f).folder_parent_id ?? '')));
      return ok(req, out);
    },
  });

  api.get('/folders/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'folder.read' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req: IdReq) => {
      const n = await nodeOf(c, req, req.params.id);
      const [f] = await presentFolders(c, req, [n], await visibleNodes(c, req));
      return ok(req, f);
    },
  });

  api.post('/folders.json', {
    config: { auth: 'user', permission: 'self', action: 'folder.create' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req) => {
      const b = fieldsOf(req.body);
      const fields = b.Folder && typeof b.Folder === 'object' ? fieldsOf(b.Folder) : b;
      const name = await asFolderValidation(() => required(fields, 'name', 256));
      const place = await placeOf(c, req, fields.folder_parent_id, FOLDER_INVALID);
      const f = await c.vaults.createFolder(req.ctx, { vaultId: place.vaultId, parentId: place.folderId, name });
      const n = await nodeOf(c, req, await c.ids.uuidOf('folder', f.id));
      const [out] = await presentFolders(c, req, [n], []);
      return ok(req, out, 'The folder has been added successfully.');
    },
  });

  api.put('/folders/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'folder.update' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req: IdReq) => {
      const n = await nodeOf(c, req, req.params.id);
      if (n.type === 'vault') throw new AppError('forbidden', 'A vault cannot be changed through this API.');
      const b = fieldsOf(req.body);
      const fields = b.Folder && typeof b.Folder === 'object' ? fieldsOf(b.Folder) : b;
      const name = await asFolderValidation(() => required(fields, 'name', 256));
      await c.vaults.updateFolder(req.ctx, n.id, { name });
      const [out] = await presentFolders(c, req, [await nodeOf(c, req, req.params.id)], []);
      return ok(req, out, 'The folder has been updated successfully.');
    },
  });

  api.delete('/folders/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'folder.delete' },
    schema: { response: { 200: envelope(anyJson), ...ERRORS } },
    handler: async (req: IdReq) => {
      const n = await nodeOf(c, req, req.params.id);
      if (n.type === 'vault') throw new AppError('forbidden', 'A vault cannot be deleted through this API.');
      const cascade = ['1', 'true'].includes(String((req.query as Record<string, unknown>).cascade ?? ''));
      await c.vaults.deleteFolder(req.ctx, n.id, cascade);
      return ok(req, null, 'The folder has been deleted successfully.');
    },
  });

  api.put('/move/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.update' },
    schema: { response: { 200: envelope(anyJson), ...ERRORS } },
    handler: async (req: IdReq) => {
      const s = await readableSecret(c, req, req.params.id);
      const place = await placeOf(c, req, fieldsOf(req.body).folder_parent_id, 'Could not validate move data.');
      await c.secrets.update(req.ctx, s.id, { vaultId: place.vaultId, folderId: place.folderId }).catch(async (e: unknown) => {
        throw await passboltWriteError(c, e);
      });
      return ok(req, null, 'The resource has been moved successfully.');
    },
  });

  api.put('/move/folder/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'folder.update' },
    schema: { response: { 200: envelope(anyJson), ...ERRORS } },
    handler: async (req: IdReq) => {
      const n = await nodeOf(c, req, req.params.id);
      if (n.type === 'vault') throw new AppError('forbidden', 'A vault cannot be moved through this API.');
      const place = await placeOf(c, req, fieldsOf(req.body).folder_parent_id, 'Could not validate move data.');
      await c.vaults.updateFolder(req.ctx, n.id, { vaultId: place.vaultId, parentId: place.folderId });
      return ok(req, null, 'The folder has been moved successfully.');
    },
  });
}

async function asFolderValidation<T>(fn: () => T): Promise<T> {
  try {
    return fn();
  } catch (e) {
    throw e instanceof AppError && e.code === 'validation.failed'
      ? new AppError('validation.failed', FOLDER_INVALID, { details: e.details ?? [] })
      : e;
  }
}
