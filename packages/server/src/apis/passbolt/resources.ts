// Passbolt's resources (ADR 0025 "Resources"): the secrets of E2E vaults the caller may read, over
// the secrets service (search, get, create, update, trash: same permissions, workflow gate and
// audit as natively, `via` passbolt). A resource's secret for a user is that reader's OpenPGP
// message; a create carries the creator's (at the Passbolt vault's top, the creator is its only
// reader), an update that changes the value one for every reader.
import type { CreateSecret, UpdateSecret } from '@coffer/contracts/secrets';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from './body.ts';
import { ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { nodeOfFolderUuid, notFoundResource, orNull, placeOf, visibleE2eVaults } from './place.ts';
import { containOf, type NativeSecret, permissionType, presentResources, resourceSchema } from './present-resource.ts';
import {
  asResourceValidation,
  filterFlag,
  filterList,
  messagesOf,
  passboltWriteError,
  RESOURCE_INVALID,
  resourceInput,
} from './resource-input.ts';
import { typeOfFormat, typeOfInput } from './resource-types.ts';
import { anyJson, ERRORS, envelope } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

/** Readable by the caller through this API: an E2E secret they may reveal. */
const readable = (s: { e2e?: boolean; e2eScheme?: string; myLevel: string | null }) =>
  s.e2e === true && !s.e2eScheme && permissionType(s.myLevel) > 0;

/** The Passbolt vault's id when `vaultId` is it (its top is Passbolt's root). */
async function homeOf(c: PassboltContext, req: FastifyRequest, vaultId: string): Promise<string | undefined> {
  const v = await orNull(c.vaults.getVault(req.ctx, vaultId));
  return v?.itemsOwnedByCreator && v.name.trim().toLowerCase() === c.vaultName.trim().toLowerCase() ? v.id : undefined;
}

/**
 * Of these E2E secrets, those the caller is a reader of: a Passbolt permission means a secret of
 * one's own (an administrator's all-passwords scope sees metadata natively, but reads no E2E value).
 */
async function ownReadable<T extends NativeSecret>(c: PassboltContext, req: FastifyRequest, items: T[]): Promise<T[]> {
  const me = req.ctx.actor.userId as string;
  const readers = await c.secrets.readersAmong(
    c.db,
    items.map((s) => ({ id: s.id, parentNodeId: s.folderId ?? s.vaultId })),
  );
  return items.filter((s) => readers.get(s.id)?.includes(me));
}

/** One readable resource (unknown, hidden, server-encrypted, below reveal or no reader: 404 alike). */
export async function readableSecret(c: PassboltContext, req: FastifyRequest, uuid: string) {
  const id = await c.ids.require('secret', uuid);
  const s = await c.secrets.get(req.ctx, id);
  if (!readable(s) || !(await ownReadable(c, req, [s])).length) throw notFoundResource();
  return s;
}

/** The resources the caller may read, with the query's filters. */
async function listResources(c: PassboltContext, req: FastifyRequest) {
  const q = req.query;
  const { vaults, home } = await visibleE2eVaults(c, req);
  const e2eVaults = new Set(vaults.map((v) => v.id));
  let targets: Array<{ vaultId?: string; folderId?: string; direct?: boolean }> = vaults.map((v) => ({ vaultId: v.id }));
  const parents = filterList(q, 'has-parent');
  if (parents.length) {
    targets = [];
    for (const p of parents) {
      const node = await nodeOfFolderUuid(c, p);
      if (node?.folderId) targets.push({ folderId: node.folderId, direct: true });
      else if (node && e2eVaults.has(node.vaultId)) targets.push({ vaultId: node.vaultId, direct: true });
    }
  }
  const hasId = filterList(q, 'has-id');
  let ids: string[] | undefined;
  if (hasId.length) {
    ids = [];
    for (const u of hasId.slice(0, 1000)) {
      const id = await c.ids.idOf('secret', u);
      if (id) ids.push(id);
    }
    if (!ids.length) return { items: [] as NativeSecret[], home };
  }
  const term = filterList(q, 'search')[0]?.slice(0, 200);
  const favoritesOnly = filterFlag(q, 'is-favorite');
  const items: NativeSecret[] = [];
  for (const t of targets) {
    let cursor: string | undefined;
    do {
      const page = await c.secrets.search(req.ctx, {
        ...t,
        ...(term ? { q: term } : {}),
        ...(ids ? { ids } : {}),
        ...(favoritesOnly ? { favoritesOnly: true } : {}),
        ...(cursor ? { cursor } : {}),
        sort: 'name',
        limit: 500,
      });
      for (const s of page.items) if (readable(s)) items.push(s);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  let out = await ownReadable(c, req, items);
  const group = filterList(q, 'is-shared-with-group')[0];
  if (group !== undefined) {
    const groupId = ANY_UUID.test(group) ? await c.ids.idOf('group', group) : undefined;
    const shared = groupId
      ? await c.secrets.groupReadsAmong(
          c.db,
          groupId,
          out.map((s) => ({ id: s.id, parentNodeId: s.folderId ?? s.vaultId })),
        )
      : new Set<string>();
    out = out.filter((s) => shared.has(s.id));
  }
  return { items: out, home };
}

const CONTAIN_ON_WRITE = { secret: false, favorite: true, permission: true, creator: true, modifier: true, resourceType: false };

export function resourceRoutes(api: FastifyInstance, c: PassboltContext): void {
  const one = envelope(resourceSchema);
  api.get('/resources.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.search' },
    schema: { response: { 200: envelope({ type: 'array', items: resourceSchema }), ...ERRORS } },
    handler: async (req) => {
      const { items, home } = await listResources(c, req);
      return ok(req, await presentResources(c, req, items, home, containOf(req.query)));
    },
  });

  api.get('/resources/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.read' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req: IdReq) => {
      const s = await readableSecret(c, req, req.params.id);
      const [r] = await presentResources(c, req, [s], await homeOf(c, req, s.vaultId), containOf(req.query));
      return ok(req, r);
    },
  });

  api.post('/resources.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.create' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req) => {
      const input = await asResourceValidation(() => resourceInput(req.body, true));
      const type = await asResourceValidation(() => typeOfInput(input.fields.resource_type_id));
      const place = await placeOf(c, req, input.fields.folder_parent_id, RESOURCE_INVALID);
      const messages = await messagesOf(c, req.ctx.actor.userId as string, input.secrets, true);
      const create: CreateSecret = {
        vaultId: place.vaultId,
        folderId: place.folderId,
        template: 'web-login',
        name: input.name as string,
        description: input.description ?? '',
        fields: { ...(input.username ? { username: input.username } : {}), ...(input.uri ? { url: input.uri } : {}) },
        ...(messages ? { messages } : {}),
        valueFormat: type.slug,
      };
      const created = await c.secrets.create(req.ctx, create).catch(async (e: unknown) => {
        throw await passboltWriteError(c, e);
      });
      const home = place.folderId === null ? await homeOf(c, req, place.vaultId) : undefined;
      const [r] = await presentResources(c, req, [created], home, CONTAIN_ON_WRITE);
      return ok(req, r, 'The resource has been added successfully.');
    },
  });

  api.put('/resources/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.update' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req: IdReq) => {
      const current = await readableSecret(c, req, req.params.id);
      const input = await asResourceValidation(() => resourceInput(req.body, false));
      const rawType = input.fields.resource_type_id;
      const type = rawType === undefined ? undefined : await asResourceValidation(() => typeOfInput(rawType));
      const messages = await messagesOf(c, req.ctx.actor.userId as string, input.secrets, false);
      if (type && !messages && type.id !== typeOfFormat(current.valueFormat).id) {
        throw invalid('resource_type_id', 'secrets_provided', 'Changing the resource type needs new secrets.', RESOURCE_INVALID);
      }
      const patch: UpdateSecret = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
      };
      const fields: Record<string, string> = {};
      if (input.username !== undefined) fields.username = input.username;
      if (input.uri !== undefined) fields.url = input.uri;
      if (Object.keys(fields).length) patch.fields = fields;
      if (messages) {
        patch.messages = messages;
        if (type) patch.valueFormat = type.slug;
      }
      const updated = await c.secrets.update(req.ctx, current.id, patch).catch(async (e: unknown) => {
        throw await passboltWriteError(c, e);
      });
      const [r] = await presentResources(c, req, [updated], await homeOf(c, req, updated.vaultId), CONTAIN_ON_WRITE);
      return ok(req, r, 'The resource has been updated successfully.');
    },
  });

  api.delete('/resources/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.trash' },
    schema: { response: { 200: envelope(anyJson), ...ERRORS } },
    handler: async (req: IdReq) => {
      const s = await readableSecret(c, req, req.params.id);
      await c.secrets.trash(req.ctx, s.id);
      return ok(req, null, 'The resource has been deleted successfully.');
    },
  });
}
