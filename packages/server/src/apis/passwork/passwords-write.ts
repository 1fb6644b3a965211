// Writing passwords: add, edit (PUT, with the client's `snapshot`, which Coffer does not need: it
// keeps its own versions), delete (a JSON body on DELETE is accepted), move, copy, favourite.
import type { CreateSecret, UpdateSecret } from '@coffer/contracts/secrets';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fieldsOf, invalid, objects, str, text } from './body.ts';
import { b64 } from './codec.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { ENCRYPTED_MEDIA_TYPE, readFile, uploadAll } from './files.ts';
import { CLEAR_TEMPLATE, clearPassword, encryptedPassword, type PasswordInput, shapeOf } from './input.ts';
import { encryptedSession, requireItemMode, requireVaultMode } from './keys.ts';
import { byName, ENCRYPTED_TEMPLATE, fullPassword, pathOf, readPayload, type SecretWire } from './mapper.ts';
import { idParams } from './passwords-read.ts';
import { presentList, reasonOf } from './present.ts';
import { bool as boolSchema, password, responses, str as strSchema } from './schemas.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

/** The values of a secret as this request sent them (the answer echoes them; nothing is revealed). */
function sentValues(input: PasswordInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.fields)) if (k !== 'username' && k !== 'url') out[k] = v;
  for (const c of input.customFields ?? []) if (c.type === 'password' || c.type === 'otp') out[`custom:${c.name}`] = c.value;
  return out;
}

export function passwordWriteRoutes(app: FastifyInstance, c: PassworkDeps): void {
  // bodies carrying files are base64 twice: about 1.8 times the file, a few files per body
  const bodyLimit = Math.max(1024 * 1024, Math.ceil(c.attachmentMaxBytes * 4));

  /** The whole password as just written: what was sent, plus the place and the files. */
  async function answer(req: FastifyRequest, s: SecretWire, values: Record<string, string>, files: Array<{ id: string; name: string }>) {
    const chains = await c.vaults.ancestries(c.db, [s.folderId ?? s.vaultId]);
    const favorite = (await c.secrets.favoritesAmong(c.db, req.ctx.actor.userId ?? '', [s.id])).has(s.id);
    return fullPassword(s, values, { favorite, path: pathOf(chains.get(s.folderId ?? s.vaultId) ?? []), attachments: files.sort(byName) });
  }

  app.post('/passwords', {
    config: cfg('passwork.password.add'),
    bodyLimit,
    schema: { response: responses({ 200: password }) },
    handler: async (req: FastifyRequest) => {
      const encrypted = await encryptedSession(c, req);
      const input = encrypted
        ? encryptedPassword(req.body, c.attachmentMaxBytes, { update: false })
        : clearPassword(req.body, c.attachmentMaxBytes, { update: false });
      if (!input.vaultId) throw invalid('/vaultId', 'required');
      await requireVaultMode(c, req.ctx, input.vaultId, encrypted);
      const create: CreateSecret = {
        vaultId: input.vaultId,
        ...(input.folderId ? { folderId: input.folderId } : {}),
        template: encrypted ? ENCRYPTED_TEMPLATE : CLEAR_TEMPLATE,
        name: input.name as string,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.tags ? { tags: input.tags } : {}),
        ...(input.color !== undefined ? { color: input.color } : {}),
        fields: input.fields,
        ...(input.customFields ? { customFields: input.customFields } : {}),
      };
      const created = (await c.secrets.create(req.ctx, create)) as SecretWire;
      let files: Array<{ id: string; name: string }>;
      try {
        files = await uploadAll(c, req.ctx, created.id, input.attachments, encrypted);
      } catch (e) {
        // all or nothing: a password whose files could not be stored goes to the trash
        await c.secrets.trash(req.ctx, created.id).catch(() => undefined);
        throw e;
      }
      const s = files.length ? ((await c.secrets.get(req.ctx, created.id)) as SecretWire) : created;
      return ok(await answer(req, s, sentValues(input), files));
    },
  });

  app.put('/passwords/:id', {
    config: cfg('passwork.password.edit'),
    bodyLimit,
    schema: { params: idParams(), response: responses({ 200: password }) },
    handler: async (req: FastifyRequest) => {
      const id = (req.params as { id: string }).id;
      const encrypted = await encryptedSession(c, req);
      const current = (await c.secrets.get(req.ctx, id)) as SecretWire;
      requireItemMode(current.template, ENCRYPTED_TEMPLATE, encrypted);
      let input: PasswordInput;
      if (encrypted) {
        const b = fieldsOf(req.body);
        // a partial change of the encrypted parts keeps the others: read them (a reveal)
        const partial = ['cryptedPassword', 'cryptedKey', 'custom'].filter((k) => b[k] !== undefined).length;
        const payload =
          partial > 0 && partial < 3 ? readPayload((await c.secrets.revealCard(req.ctx, id, { reason: reasonOf(req) })).values) : undefined;
        input = encryptedPassword(b, c.attachmentMaxBytes, { update: true, ...(payload ? { current: payload } : {}) });
      } else {
        // the item's own template decides which field a value or a custom field of that name is
        const t = await c.templates.bySlug(c.db, current.template);
        input = clearPassword(req.body, c.attachmentMaxBytes, {
          update: true,
          shape: shapeOf((JSON.parse(t.fields) as Array<{ slug: string }>).map((f) => f.slug)),
        });
        // what a client sends back unchanged (the Go client sends every field) is no change
        for (const k of ['url', 'username'] as const)
          if (input.fields[k] !== undefined && input.fields[k] === (current.fields[k] ?? '')) delete input.fields[k];
      }
      const patch: UpdateSecret = {};
      if (input.name !== undefined) patch.name = input.name;
      if (input.description !== undefined) patch.description = input.description;
      if (input.tags !== undefined) patch.tags = input.tags;
      if (input.color !== undefined) patch.color = input.color;
      if (Object.keys(input.fields).length) patch.fields = input.fields;
      if (input.customFields !== undefined) patch.customFields = input.customFields;
      const targetVault = input.vaultId ?? current.vaultId;
      const targetFolder = input.folderId === undefined ? current.folderId : input.folderId;
      if (targetVault !== current.vaultId || targetFolder !== current.folderId) {
        if (targetVault !== current.vaultId) await requireVaultMode(c, req.ctx, targetVault, encrypted);
        patch.vaultId = targetVault;
        patch.folderId = targetFolder;
      }
      let s = current;
      if (Object.keys(patch).length) s = (await c.secrets.update(req.ctx, id, patch)) as SecretWire;
      const added = await uploadAll(c, req.ctx, id, input.attachments, encrypted);
      if (added.length) s = (await c.secrets.get(req.ctx, id)) as SecretWire;
      const files = (await c.attachments.list(req.ctx, id)).items.map((a) => ({ id: a.id, name: a.name }));
      const values = sentValues(input);
      // nothing was revealed: the answer carries only what this request sent
      const full = await answer(req, s, values, files);
      return ok({ ...full, cryptedPassword: input.cryptedPassword ?? (values.password !== undefined ? b64(values.password) : '') });
    },
  });

  app.delete('/passwords/:id', {
    config: cfg('passwork.password.delete'),
    schema: { params: idParams(), response: responses({ 200: strSchema }) },
    handler: async (req: FastifyRequest) => {
      const id = (req.params as { id: string }).id;
      fieldsOf(req.body); // the JS connector's {snapshot}: accepted, Coffer keeps its own versions
      await c.secrets.trash(req.ctx, id);
      return ok(`Password ${id} deleted`);
    },
  });

  for (const action of ['move', 'copy'] as const) {
    app.post(`/passwords/:id/${action}`, {
      config: cfg(`passwork.password.${action}`),
      bodyLimit,
      schema: { params: idParams(), response: responses({ 200: password }) },
      handler: async (req: FastifyRequest) => {
        const id = (req.params as { id: string }).id;
        const b = fieldsOf(req.body);
        const vaultTo = str(b, 'vaultTo', 200) ?? str(b, 'vaultId', 200);
        const folderTo = (text(b, 'folderTo', 200, { nullable: true }) ?? text(b, 'folderId', 200, { nullable: true })) || null;
        if (!vaultTo) throw invalid('/vaultTo', 'required');
        objects(b, 'attachments', 40); // re-wrapped attachment keys: not needed, the files keep theirs
        const encrypted = await encryptedSession(c, req);
        await requireVaultMode(c, req.ctx, vaultTo, encrypted);
        if (action === 'move') {
          const current = (await c.secrets.get(req.ctx, id)) as SecretWire;
          requireItemMode(current.template, ENCRYPTED_TEMPLATE, encrypted);
          const patch: UpdateSecret = { vaultId: vaultTo, folderId: folderTo };
          if (encrypted && (b.cryptedPassword !== undefined || b.cryptedKey !== undefined || b.custom !== undefined)) {
            // re-encrypted for the target vault by the client
            const payload = readPayload((await c.secrets.revealCard(req.ctx, id, { reason: reasonOf(req) })).values);
            patch.fields = encryptedPassword(b, c.attachmentMaxBytes, { update: true, current: payload }).fields;
          }
          const moved = (await c.secrets.update(req.ctx, id, patch)) as SecretWire;
          const [item] = await presentList(c, req.ctx, [moved]);
          return ok(item);
        }
        // copy: the source is read whole (a reveal), then written anew in the target with its files
        const card = await c.secrets.revealCard(req.ctx, id, { reason: reasonOf(req), include: { attachments: true } });
        const src = card.secret as SecretWire;
        requireItemMode(src.template, ENCRYPTED_TEMPLATE, encrypted);
        const fields: Record<string, string> = {};
        for (const [k, v] of Object.entries(src.fields)) fields[k] = v;
        for (const [k, v] of Object.entries(card.values)) if (!k.startsWith('custom:')) fields[k] = v;
        if (encrypted && (b.cryptedPassword !== undefined || b.cryptedKey !== undefined || b.custom !== undefined)) {
          Object.assign(fields, encryptedPassword(b, c.attachmentMaxBytes, { update: true, current: readPayload(card.values) }).fields);
        }
        const customFields = src.customFields.map((f) => ({
          name: f.name,
          type: f.type,
          value: f.value ?? card.values[`custom:${f.name}`] ?? '',
        }));
        const copy = (await c.secrets.create(req.ctx, {
          vaultId: vaultTo,
          ...(folderTo ? { folderId: folderTo } : {}),
          template: src.template,
          name: src.name,
          description: src.description,
          tags: src.tags,
          color: src.color,
          fields,
          customFields,
        })) as SecretWire;
        const files: Array<{ id: string; name: string }> = [];
        try {
          for (const a of card.attachments ?? []) {
            const { attachment, bytes } = await readFile(c, req.ctx, id, a.id, reasonOf(req));
            const opaque = attachment.contentType === ENCRYPTED_MEDIA_TYPE;
            const [stored] = await uploadAll(c, req.ctx, copy.id, [{ name: attachment.name, bytes }], opaque);
            if (stored) files.push(stored);
          }
        } catch (e) {
          await c.secrets.trash(req.ctx, copy.id).catch(() => undefined);
          throw e;
        }
        const values: Record<string, string> = {};
        for (const [k, v] of Object.entries(fields)) if (!(k in src.fields)) values[k] = v;
        for (const f of customFields) if (f.type === 'password' || f.type === 'otp') values[`custom:${f.name}`] = f.value;
        const s = files.length ? ((await c.secrets.get(req.ctx, copy.id)) as SecretWire) : copy;
        return ok(await answer(req, s, values, files));
      },
    });
  }

  for (const [action, on] of [
    ['favorite', true],
    ['unfavorite', false],
  ] as const) {
    app.post(`/passwords/:id/${action}`, {
      config: cfg(`passwork.password.${action}`),
      schema: { params: idParams(), response: responses({ 200: boolSchema }) },
      handler: async (req: FastifyRequest) => {
        await c.secrets.setFavorite(req.ctx, (req.params as { id: string }).id, on);
        return ok(true);
      },
    });
  }
}
