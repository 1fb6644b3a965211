// Writing secrets: create (POST /secrets, /secrets/), update (PUT /secrets/{id}), PATCH
// /secrets/{id}/general (`Data.SecretFields[{Slug, Dirty, Value}]`), a file field's upload
// (PUT /secrets/{id}/fields/{slug}: multipart, or JSON `{value}`), delete. Request keys are read
// without regard to case. Items name their field by slug, else by field id (an empty slug), else
// by name; zero-valued padding items are ignored, and so is the placeholder Secret Server shows
// for files. The answer shows the values the caller sent (a write reveals nothing else).
import { isCleanName } from '@coffer/contracts/text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { bodyObject, boolAt, intAt, isMultipart, listAt, multipartFile, objectAt, textAt } from './body.ts';
import { missing } from './ids.ts';
import { API, type Kit } from './kit.ts';
import type { Presented } from './mapper.ts';
import { Deleted, responses, SecretItem, SecretModel } from './schemas.ts';
import { secretIdOf } from './secrets-read.ts';
import { generateKeys } from './ssh-keys.ts';
import { PLACEHOLDER, type SsField, type SsTemplate } from './template-ids.ts';

const MAX_VALUE = 65536;
const MAX_ITEMS = 200;

const invalid = (path: string, message: string) =>
  new AppError('validation.failed', `The request is invalid: ${path.slice(1)} ${message}.`, { details: [{ path, message }] });

/** A secret's name: one line of at most 300 characters. */
function nameOf(raw: string | undefined, path = '/name'): string | undefined {
  if (raw === undefined) return undefined;
  const name = raw.trim();
  if (!name || name.length > 300 || !isCleanName(name))
    throw invalid(path, 'must be one line of 1-300 characters without control characters');
  return name;
}

/** The field an item names: by slug, else by field id, else by name; undefined for a padding item. */
function fieldOf(t: SsTemplate, item: Record<string, unknown>, i: number): SsField | undefined {
  const slug = textAt(item, 'slug', 200, `/items/${i}/slug`)?.trim().toLowerCase();
  const fieldId = intAt(item, 'fieldid', `/items/${i}/fieldId`);
  const name = textAt(item, 'fieldname', 200, `/items/${i}/fieldName`)?.trim().toLowerCase();
  if (slug) return t.fields.find((f) => f.field.slug === slug) ?? unknownField(i, slug);
  if (fieldId) return t.fields.find((f) => f.ssId === fieldId) ?? unknownField(i, String(fieldId));
  if (name) return t.fields.find((f) => f.field.name.toLowerCase() === name) ?? unknownField(i, name);
  return undefined;
}

function unknownField(i: number, what: string): never {
  throw invalid(`/items/${i}`, `names no field of the template (${what.slice(0, 60)})`);
}

/** An item's value as stored: text exactly as sent (null is empty). */
function itemValueOf(item: Record<string, unknown>, key: string, path: string): string {
  const v = item[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') {
    if (v.length > MAX_VALUE) throw invalid(path, `must be at most ${MAX_VALUE} characters`);
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalid(path, 'must be text');
}

/**
 * Items -> field values by slug. On create an empty value is no value; a file field's
 * placeholder (or an empty file on update) leaves the file as it is.
 */
function valuesOf(t: SsTemplate, body: Record<string, unknown>, creating: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  listAt(body, 'items', MAX_ITEMS).forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`/items/${i}`, 'must be an object');
    const item = raw as Record<string, unknown>;
    const f = fieldOf(t, item, i);
    if (!f) return;
    const value = itemValueOf(item, 'itemvalue' in item ? 'itemvalue' : 'value', `/items/${i}/itemValue`);
    if (f.isFile && (value === PLACEHOLDER || value === '')) return;
    if (creating && value === '') return;
    out[f.field.slug] = value;
  });
  return out;
}

/** Where a folder id puts a secret: the vault (a top folder) or a folder in it. */
async function placeOf(
  kit: Kit,
  ctx: RequestContext,
  folderNum: number | undefined,
): Promise<{ vaultId: string; folderId: string | null }> {
  if (folderNum === undefined || folderNum <= 0) {
    throw invalid('/folderId', 'must name a folder: a Coffer vault is a top folder, and every secret is in one');
  }
  const node = await kit.ids.node(folderNum);
  if (node.type === 'vault') return { vaultId: node.id, folderId: null };
  const f = await kit.deps.vaults.getFolder(ctx, node.id);
  return { vaultId: f.vaultId, folderId: f.id };
}

/** The answer of a write: the secret with the values the caller sent (nothing else revealed). */
async function answer(kit: Kit, ctx: RequestContext, s: Presented, sent: Record<string, string>) {
  return kit.model(ctx, s, sent, undefined);
}

export function secretWriteRoutes(api: FastifyInstance, kit: Kit): void {
  const { deps } = kit;

  kit.route(api, 'POST', `${API}/secrets`, { action: 'ss.secret.create', response: responses(SecretModel) }, async (req) => {
    const b = bodyObject(req.body);
    const name = nameOf(textAt(b, 'name', 4000));
    if (!name) throw invalid('/name', 'is required');
    const templateId = intAt(b, 'secrettemplateid');
    const t = templateId === undefined ? undefined : await kit.templates.byId(templateId);
    if (!t) throw invalid('/secretTemplateId', 'must name a secret template (GET /secret-templates)');
    const place = await placeOf(kit, req.ctx, intAt(b, 'folderid'));
    const fields = valuesOf(t, b, true);
    const ssh = objectAt(b, 'sshkeyargs');
    const generate = {
      keys: boolAt(ssh, 'generatesshkeys', '/sshKeyArgs/generateSshKeys') === true,
      passphrase: boolAt(ssh, 'generatepassphrase', '/sshKeyArgs/generatePassphrase') === true,
    };
    const sent = { ...fields };
    if (generate.keys || generate.passphrase) Object.assign(sent, await generateKeys(kit, req.ctx, t, fields, generate));
    // file fields may follow as uploads (tss-sdk-go creates first, then uploads each file)
    const s = await deps.secrets.create(req.ctx, { ...place, template: t.template.slug, name, fields: sent }, undefined, {
      filesLater: true,
    });
    return answer(kit, req.ctx, s, sent);
  });

  kit.route(api, 'PUT', `${API}/secrets/:id`, { action: 'ss.secret.update', response: responses(SecretModel) }, async (req) => {
    const id = await secretIdOf(kit, req);
    const b = bodyObject(req.body);
    const ssh = objectAt(b, 'sshkeyargs');
    if (boolAt(ssh, 'generatesshkeys') || boolAt(ssh, 'generatepassphrase')) {
      throw invalid('/sshKeyArgs', 'SSH keys and passphrases are generated only when a secret is created');
    }
    const current = await deps.secrets.get(req.ctx, id);
    const t = await kit.templates.bySlug(current.template);
    if (!t) throw missing('secret template');
    const templateId = intAt(b, 'secrettemplateid');
    if (templateId !== undefined && templateId !== 0 && templateId !== t.ssId) {
      throw invalid('/secretTemplateId', 'cannot change: a secret keeps its template');
    }
    const patch: Parameters<typeof deps.secrets.update>[2] = {};
    const name = nameOf(textAt(b, 'name', 4000));
    if (name !== undefined && name !== current.name) patch.name = name;
    const folderNum = intAt(b, 'folderid');
    if (folderNum !== undefined && folderNum !== (await kit.ids.ofNode(current.folderId ?? current.vaultId))) {
      Object.assign(patch, await placeOf(kit, req.ctx, folderNum));
    }
    const fields = valuesOf(t, b, false);
    if (Object.keys(fields).length) patch.fields = fields;
    const s = Object.keys(patch).length ? await deps.secrets.update(req.ctx, id, patch) : current;
    return answer(kit, req.ctx, s, fields);
  });

  kit.route(
    api,
    'PATCH',
    `${API}/secrets/:id/general`,
    { action: 'ss.secret.update_general', response: responses(SecretModel) },
    async (req) => {
      const id = await secretIdOf(kit, req);
      const data = objectAt(bodyObject(req.body), 'data', '/data');
      const current = await deps.secrets.get(req.ctx, id);
      const t = await kit.templates.bySlug(current.template);
      if (!t) throw missing('secret template');
      const patch: Parameters<typeof deps.secrets.update>[2] = {};
      const dirty = (key: string) => {
        const o = objectAt(data, key, `/data/${key}`);
        return boolAt(o, 'dirty', `/data/${key}/dirty`) === true ? o : undefined;
      };
      const name = dirty('name');
      if (name) {
        const n = nameOf(textAt(name, 'value', 4000, '/data/name/value'), '/data/name/value');
        if (n) patch.name = n;
      }
      const folder = dirty('folder');
      if (folder) Object.assign(patch, await placeOf(kit, req.ctx, intAt(folder, 'value', '/data/folder/value')));
      const fields: Record<string, string> = {};
      listAt(data, 'secretfields', MAX_ITEMS, '/data/secretFields').forEach((raw, i) => {
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`/data/secretFields/${i}`, 'must be an object');
        const item = raw as Record<string, unknown>;
        if (boolAt(item, 'dirty', `/data/secretFields/${i}/dirty`) !== true) return;
        const f = fieldOf(t, item, i);
        if (!f) throw invalid(`/data/secretFields/${i}/slug`, 'is required');
        // Value null (the Go SDK's way to delete a file) clears the field
        fields[f.field.slug] = itemValueOf(item, 'value', `/data/secretFields/${i}/value`);
      });
      if (Object.keys(fields).length) patch.fields = fields;
      const s = Object.keys(patch).length ? await deps.secrets.update(req.ctx, id, patch) : current;
      return answer(kit, req.ctx, s, fields);
    },
  );

  kit.route(
    api,
    'PUT',
    `${API}/secrets/:id/fields/:slug`,
    { action: 'ss.secret.field_update', response: responses(SecretItem) },
    async (req) => {
      const id = await secretIdOf(kit, req);
      const slug = ((req.params as { slug?: string }).slug ?? '').toLowerCase();
      const current = await deps.secrets.get(req.ctx, id);
      const t = await kit.templates.bySlug(current.template);
      const f = t?.fields.find((x) => x.field.slug === slug);
      if (!f) throw new AppError('not_found', 'No such field on this secret.');
      const value = fieldUpload(req);
      if (value.length > MAX_VALUE) throw new AppError('request.body_too_large', `A field holds at most ${MAX_VALUE} characters.`);
      const s = await deps.secrets.update(req.ctx, id, { fields: { [slug]: value } });
      const model = (await answer(kit, req.ctx, s, { [slug]: value })) as { items: Array<{ slug: string }> };
      return model.items.find((x) => x.slug === slug);
    },
  );

  kit.route(api, 'DELETE', `${API}/secrets/:id`, { action: 'ss.secret.delete', response: responses(Deleted) }, async (req) => {
    const id = await secretIdOf(kit, req);
    const num = await kit.ids.number('secret', id);
    await deps.secrets.trash(req.ctx, id);
    return { id: num, objectType: 'Secret', responseCodes: [] };
  });
}

/**
 * The new value of a field: the file of a multipart body (as UTF-8 text: Coffer keeps a file
 * field's content as the field's value), or `value` of a JSON body (`fileAttachment`, a list of
 * bytes, as Secret Server's args take it).
 */
function fieldUpload(req: FastifyRequest): string {
  if (isMultipart(req.body)) return utf8(multipartFile(req.body).content);
  const b = bodyObject(req.body);
  const bytes = b.fileattachment;
  if (Array.isArray(bytes)) {
    if (bytes.length > MAX_VALUE * 4 || !bytes.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 255)) {
      throw invalid('/fileAttachment', 'must be a list of bytes');
    }
    return utf8(Buffer.from(bytes as number[]));
  }
  return itemValueOf(b, 'value', '/value');
}

function utf8(buf: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new AppError(
      'validation.failed',
      'Coffer keeps a file field as text: the file must be UTF-8 (a key, a certificate, a config file).',
      {
        details: [{ path: '/file', message: 'must be UTF-8 text' }],
      },
    );
  }
}
