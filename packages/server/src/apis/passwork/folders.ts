// Folders: get (with its path and how many folders and passwords it holds), children (by name),
// add, rename or move (PUT, and POST .../move), delete (its passwords go to the trash), search by
// name. A Coffer folder is a Passwork folder.
import { isCleanName } from '@coffer/contracts/text';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { fieldsOf, invalid, str, text } from './body.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { byName, folderObject, pathOf } from './mapper.ts';
import { idParams } from './passwords-read.ts';
import { folder, folders, responses, str as strSchema } from './schemas.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

function folderName(b: Record<string, unknown>, required: boolean): string | undefined {
  const raw = str(b, 'name', 200);
  if (raw === undefined && !required) return undefined;
  const name = (raw ?? '').trim();
  if (!name) throw invalid('/name', 'required');
  if (!isCleanName(name) || /[/\\]/.test(name)) throw invalid('/name', 'a single line without control characters, / or \\');
  return name;
}

type FolderWire = { id: string; vaultId: string; parentId: string | null; name: string };

export function folderRoutes(app: FastifyInstance, c: PassworkDeps): void {
  async function present(ctx: RequestContext, list: FolderWire[], withAmounts: boolean) {
    const chains = await c.vaults.ancestries(
      c.db,
      list.map((f) => f.id),
    );
    const out = [];
    for (const f of list) {
      let amounts = {};
      if (withAmounts) {
        const sub = await c.vaults.listFolders(ctx, { vaultId: f.vaultId, parentId: f.id });
        const inside = await c.secrets.search(ctx, { folderId: f.id, direct: true, limit: 1, withTotal: true });
        amounts = { foldersAmount: sub.items.length, passwordsAmount: inside.total ?? 0 };
      }
      out.push(folderObject(f, { path: pathOf(chains.get(f.id) ?? []), ...amounts }));
    }
    return out;
  }

  app.get('/folders/:id', {
    config: cfg('passwork.folder.get'),
    schema: { params: idParams(), response: responses({ 200: folder }) },
    handler: async (req: FastifyRequest) => {
      const f = await c.vaults.getFolder(req.ctx, (req.params as { id: string }).id);
      return ok((await present(req.ctx, [f], true))[0]);
    },
  });

  app.get('/folders/:id/children', {
    config: cfg('passwork.folder.children'),
    schema: { params: idParams(), response: responses({ 200: folders }) },
    handler: async (req: FastifyRequest) => {
      const f = await c.vaults.getFolder(req.ctx, (req.params as { id: string }).id);
      const { items } = await c.vaults.listFolders(req.ctx, { vaultId: f.vaultId, parentId: f.id });
      return ok((await present(req.ctx, items, false)).sort(byName));
    },
  });

  app.post('/folders/search', {
    config: cfg('passwork.folder.search'),
    schema: { response: responses({ 200: folders }) },
    handler: async (req: FastifyRequest) => {
      const b = fieldsOf(req.body);
      const query = str(b, 'query', 200) ?? '';
      const vaultId = str(b, 'vaultId', 200) || undefined;
      const { items } = await c.vaults.findFolders(req.ctx, { text: query, ...(vaultId ? { vaultId } : {}) });
      return ok((await present(req.ctx, items, false)).sort(byName));
    },
  });

  app.post('/folders', {
    config: cfg('passwork.folder.add'),
    schema: { response: responses({ 201: folder }) },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const b = fieldsOf(req.body);
      const vaultId = str(b, 'vaultId', 200);
      if (!vaultId) throw invalid('/vaultId', 'required');
      const name = folderName(b, true) as string;
      const parentId = text(b, 'parentId', 200, { nullable: true }) || null;
      const f = await c.vaults.createFolder(req.ctx, { vaultId, name, ...(parentId ? { parentId } : {}) });
      reply.code(201);
      return ok((await present(req.ctx, [f], false))[0], 'folderCreated');
    },
  });

  async function change(req: FastifyRequest, moveOnly: boolean) {
    const id = (req.params as { id: string }).id;
    const b = fieldsOf(req.body);
    const current = await c.vaults.getFolder(req.ctx, id);
    const name = moveOnly ? undefined : folderName(b, false);
    const parent = moveOnly
      ? (text(b, 'folderTo', 200, { nullable: true }) ?? text(b, 'parentId', 200, { nullable: true }))
      : text(b, 'parentId', 200, { nullable: true });
    const vaultTo = moveOnly ? (str(b, 'vaultTo', 200) ?? current.vaultId) : current.vaultId;
    const patch: { name?: string; parentId?: string | null; vaultId?: string } = {};
    if (name !== undefined && name !== current.name) patch.name = name;
    const parentId = parent === undefined ? current.parentId : parent || null;
    if (parentId !== current.parentId || vaultTo !== current.vaultId) {
      patch.parentId = parentId;
      patch.vaultId = vaultTo;
    }
    const f = Object.keys(patch).length ? await c.vaults.updateFolder(req.ctx, id, patch) : current;
    return (await present(req.ctx, [f], false))[0];
  }

  app.put('/folders/:id', {
    config: cfg('passwork.folder.edit'),
    schema: { params: idParams(), response: responses({ 200: folder }) },
    handler: async (req: FastifyRequest) => ok(await change(req, false), 'folderRenamed'),
  });

  app.post('/folders/:id/move', {
    config: cfg('passwork.folder.move'),
    schema: { params: idParams(), response: responses({ 200: folder }) },
    handler: async (req: FastifyRequest) => ok(await change(req, true), 'folderMoved'),
  });

  app.delete('/folders/:id', {
    config: cfg('passwork.folder.delete'),
    schema: { params: idParams(), response: responses({ 200: strSchema }) },
    handler: async (req: FastifyRequest) => {
      await c.vaults.deleteFolder(req.ctx, (req.params as { id: string }).id, true);
      return ok('folderDeleted');
    },
  });
}
