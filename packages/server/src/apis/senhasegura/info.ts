// senhasegura's protected information API: GET /pam/info (list, no content), GET /pam/info/{id |
// tag} (a reveal), POST /pam/info (create, or update the item with this identifier), DELETE
// /pam/info/{id | tag} (disable: to the trash). An item is a Coffer secret of the built-in
// `secure-note` template (its note is the content) tagged `senhasegura-info`, in the adapter's vault.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { fieldsOf, list, secretText, text } from './body.ts';
import { refParams } from './credentials-read.ts';
import { anyBody } from './credentials-write.ts';
import type { Ctx } from './deps.ts';
import { ok } from './envelope.ts';
import { INFO_KIND, INFO_TAG, INFO_TEMPLATE, type SecretWire } from './mapper.ts';
import { ensureVault } from './place.ts';
import { infoListResponses, infoReadResponses, infoSaveResponses, plainResponses } from './schemas.ts';

/** Pages read for one list (500 each): a longer list is cut, and says so. */
const MAX_PAGES = 40;
const INT = /^[1-9][0-9]{0,14}$/;
/** The secret's name when neither an identifier nor a name is given. */
const UNNAMED = 'Protected information';

/** senhasegura's attributes of an item, kept as the secret's custom fields (text). */
const ATTR = {
  identifier: 'senhasegura identifier',
  name: 'senhasegura name',
  type: 'senhasegura type',
  service: 'senhasegura service',
  url: 'senhasegura url',
} as const;
type Attr = keyof typeof ATTR;
const OWN = new Set<string>(Object.values(ATTR));

const infoQuery = {
  type: 'object',
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;

type InfoReq = FastifyRequest<{ Params: { ref?: string }; Querystring: { reason?: string } }>;

const missing = () => new AppError('not_found', 'No such information.');
const inactive = () => new AppError('not_found', 'The information is inactive.', { reason: 'already_inactive' });

function reasonOf(req: InfoReq): string | undefined {
  const h = req.headers['x-coffer-reason'];
  const r = req.query.reason ?? (typeof h === 'string' ? h : undefined);
  return r?.trim() ? r.trim().slice(0, 500) : undefined;
}

function attr(s: SecretWire, a: Attr): string | null {
  return s.customFields.find((f) => f.name === ATTR[a])?.value ?? null;
}

/** The item's senhasegura view (no content: add it only from a reveal). */
function view(s: SecretWire, num: number) {
  return {
    id: String(num),
    tag: attr(s, 'identifier'),
    identifier: attr(s, 'identifier'),
    name: attr(s, 'name') ?? s.name,
    type: attr(s, 'type'),
    service: attr(s, 'service'),
    url: attr(s, 'url'),
  };
}

/** One item of ours among the several a name can match: more than one is a conflict. */
function single(ids: string[]): string | undefined {
  if (ids.length > 1) throw new AppError('conflict', `${ids.length} information items match; use the id.`);
  return ids[0];
}

/**
 * `ref`: the integer id, else the tag (the identifier, which is the secret's name; an item made
 * without one is named by its name). Only items the caller can see count (scoped in SQL): a hidden
 * one answers like a missing one (1023); one in the trash answers 1024.
 */
async function resolveInfo(c: Ctx, ctx: RequestContext, ref: string): Promise<{ id: string; num?: number }> {
  const r = ref.trim();
  if (!r) throw missing();
  if (INT.test(r)) {
    const id = await c.numbering.idOf(c.db, 'secret', Number(r));
    if (id) {
      if (await c.keys.byId(ctx, id, { kind: INFO_KIND })) return { id, num: Number(r) };
      if (await c.keys.byId(ctx, id, { kind: INFO_KIND, deleted: true })) throw inactive();
    }
  }
  const named = single(await c.keys.byName(ctx, r, { kind: INFO_KIND }));
  if (named) return { id: named };
  if ((await c.keys.byName(ctx, r, { kind: INFO_KIND, deleted: true })).length > 0) throw inactive();
  throw missing();
}

interface Input {
  content: string;
  identifier?: string;
  attrs: Partial<Record<Attr, string>>;
}

function readInput(body: unknown): Input {
  const b = fieldsOf(body);
  const content = secretText(b, 'content');
  if (!content) throw new AppError('validation.failed', 'The information content was not informed', { reason: 'content_missing' });
  list(b, 'users_allowed'); // checked, not kept: who may read an item is Coffer's grants
  const attrs: Partial<Record<Attr, string>> = {};
  const put = (a: Attr, max: number) => {
    const v = text(b, a, max);
    if (v) attrs[a] = v;
  };
  put('identifier', 300);
  put('name', 300);
  put('type', 100);
  put('service', 300);
  put('url', 2000);
  return { content, ...(attrs.identifier ? { identifier: attrs.identifier } : {}), attrs };
}

/** The custom fields after this write: ours as sent (the others kept), theirs untouched. */
function customFieldsOf(current: SecretWire | undefined, input: Input) {
  const kept = (current?.customFields ?? []).filter((f) => !OWN.has(f.name) || !(keyOf(f.name) in input.attrs));
  const sent = (Object.entries(input.attrs) as Array<[Attr, string]>).map(([a, value]) => ({
    name: ATTR[a],
    type: 'text' as const,
    value,
  }));
  return [...kept.map((f) => ({ name: f.name, type: f.type, value: f.value ?? '' })), ...sent];
}

function keyOf(fieldName: string): Attr {
  return (Object.keys(ATTR) as Attr[]).find((a) => ATTR[a] === fieldName) as Attr;
}

/** What the create-or-update answers: the item as written, with the content the caller just sent. */
function written(s: SecretWire, num: number, content: string) {
  const v = view(s, num);
  return { ...v, users_allowed: null, content };
}

/** `base`: '/pam' under /iso, '' under /api/pam. */
export function infoRoutes(app: FastifyInstance, c: Ctx, base: string): void {
  const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

  const listHandler = async (req: FastifyRequest) => {
    const items: SecretWire[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.secrets.search(req.ctx, {
        limit: 500,
        sort: 'name',
        template: INFO_TEMPLATE,
        tag: INFO_TAG,
        ...(cursor ? { cursor } : {}),
      });
      items.push(...(page.items as SecretWire[]));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && ++pages < MAX_PAGES);
    const numbers = await c.numbering.numbersOf(
      c.db,
      'secret',
      items.map((s) => s.id),
    );
    const infos = items.map((s) => view(s, numbers.get(s.id) as number));
    const n = infos.length;
    const cut = cursor ? ' (list cut; use the id of one)' : '';
    return ok(200, `${n} information item${n === 1 ? '' : 's'} found${cut}`, { infos });
  };
  for (const url of [`${base}/info`, `${base}/info/`]) {
    app.get(url, { config: cfg('senhasegura.info.list'), schema: { response: infoListResponses }, handler: listHandler });
  }

  app.get(`${base}/info/:ref`, {
    config: cfg('senhasegura.info.get'),
    schema: { params: refParams, querystring: infoQuery, response: infoReadResponses },
    handler: async (req) => {
      const r = req as InfoReq;
      const { id, num: given } = await resolveInfo(c, r.ctx, r.params.ref ?? '');
      const { secret, values } = await c.secrets.revealCard(r.ctx, id, { reason: reasonOf(r) });
      const num = given ?? (await c.numbering.numberOf(c.db, 'secret', id));
      const v = view(secret as SecretWire, num);
      return ok(200, `Information ${num}`, { info: { ...v, content: values.notes ?? '' } });
    },
  });

  app.post(`${base}/info`, {
    config: cfg('senhasegura.info.save'),
    schema: { body: anyBody, response: infoSaveResponses },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const input = readInput(req.body);
      // an item without an identifier is always a new one; with one, one write per identifier at a
      // time on every node: two identical requests at once make one item (ADR 0016)
      if (!input.identifier) return save(req, reply, input);
      return c.naturalKeys.serialize('senhasegura.info', input.identifier.toLowerCase(), () => save(req, reply, input));
    },
  });

  async function save(req: FastifyRequest, reply: FastifyReply, input: Input) {
    const found = input.identifier ? single(await c.keys.byName(req.ctx, input.identifier, { kind: INFO_KIND })) : undefined;
    if (!found) {
      const vaultId = await ensureVault(c, req.ctx);
      const created = (await c.secrets.create(req.ctx, {
        vaultId,
        template: INFO_TEMPLATE,
        name: input.identifier ?? input.attrs.name ?? UNNAMED,
        fields: { notes: input.content },
        tags: [INFO_TAG],
        customFields: customFieldsOf(undefined, input),
      })) as SecretWire;
      const num = await c.numbering.numberOf(c.db, 'secret', created.id);
      reply.code(201);
      const body = ok(201, 'Information successfully registered!', { info: written(created, num, input.content) });
      body.response.changed = 'true';
      return body;
    }
    // an update: only what differs is written (the content compared by the service, for a
    // caller who could reveal it without a gate; else it counts as changed)
    const current = (await c.secrets.get(req.ctx, found)) as SecretWire;
    const patch: { fields?: Record<string, string>; customFields?: ReturnType<typeof customFieldsOf> } = {};
    const same = await c.secrets.sameSensitive(req.ctx, found, { notes: input.content });
    if (!same.includes('notes')) patch.fields = { notes: input.content };
    const next = customFieldsOf(current, input);
    const before = current.customFields.map((f) => `${f.name}\u0000${f.value ?? ''}`).sort();
    const after = next.map((f) => `${f.name}\u0000${f.value}`).sort();
    if (before.join('\u0001') !== after.join('\u0001')) patch.customFields = next;
    const changed = Object.keys(patch).length > 0;
    const saved = changed ? ((await c.secrets.update(req.ctx, found, patch)) as SecretWire) : current;
    const num = await c.numbering.numberOf(c.db, 'secret', found);
    reply.code(200);
    const body = ok(200, changed ? 'Information updated successfully!' : 'Information unchanged', {
      info: written(saved, num, input.content),
    });
    body.response.changed = changed ? 'true' : 'false';
    return body;
  }

  app.delete(`${base}/info/:ref`, {
    config: cfg('senhasegura.info.disable'),
    schema: { params: refParams, response: plainResponses },
    handler: async (req) => {
      const { ref } = req.params as { ref: string };
      const { id } = await resolveInfo(c, req.ctx, ref);
      await c.secrets.trash(req.ctx, id);
      return ok(200, 'Information successfully disabled');
    },
  });
}
