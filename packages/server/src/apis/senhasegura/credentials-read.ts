// GET /pam/credential (list), GET /pam/credential/{id | identifier | username@hostname} (a reveal),
// GET /pam/key/{id} (an SSH key, a reveal).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { Ctx } from './deps.ts';
import { ok } from './envelope.ts';
import { credential, INFO_KIND, isInfo, isKey, key, listItem, type SecretWire } from './mapper.ts';
import { resolveCredential, resolveCredentialNumbered } from './resolve.ts';
import { credentialListResponses, credentialReadResponses, keyReadResponses } from './schemas.ts';

/** Pages read for one list (500 each): a list longer than this is cut, and says so. */
const MAX_PAGES = 40;

export const refParams = {
  type: 'object',
  properties: { ref: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['ref'],
} as const;

export const credentialQuery = {
  type: 'object',
  properties: {
    credential: { type: 'string', maxLength: 300 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

type RefReq = FastifyRequest<{ Params: { ref?: string }; Querystring: { credential?: string; reason?: string } }>;

/** The reason for a reveal: `?reason=` or an X-Coffer-Reason header (senhasegura clients send none). */
export function reasonOf(req: RefReq): string | undefined {
  const h = req.headers['x-coffer-reason'];
  const r = req.query.reason ?? (typeof h === 'string' ? h : undefined);
  return r?.trim() ? r.trim().slice(0, 500) : undefined;
}

/** `base`: '/pam' under /iso, '' under /api/pam. */
export function credentialReadRoutes(app: FastifyInstance, c: Ctx, base: string): void {
  async function list(req: RefReq) {
    const items: SecretWire[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.secrets.search(req.ctx, { limit: 500, sort: 'name', ...(cursor ? { cursor } : {}) });
      // protected information items have their own list (info.ts)
      items.push(...(page.items as SecretWire[]).filter((s) => !isInfo(s)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && ++pages < MAX_PAGES);
    const numbers = await c.numbering.numbersOf(
      c.db,
      'secret',
      items.map((s) => s.id),
    );
    const rotation = await c.rotation.states(items.map((s) => s.id));
    const credentials = items.map((s) => listItem(s, numbers.get(s.id) as number, rotation.get(s.id)));
    const n = credentials.length;
    return ok(200, `${n} credential${n === 1 ? '' : 's'} found${cursor ? ' (list cut; use the id of one)' : ''}`, { credentials });
  }

  async function one(req: RefReq) {
    const ref = req.params.ref ?? req.query.credential ?? '';
    // by integer id: no separate lookup; the reveal itself answers an info item like a missing one
    let { id, num: given } = await resolveCredentialNumbered(c, req.ctx, ref, { readsWithKindCheck: true });
    const reveal = () => c.secrets.revealCard(req.ctx, id, { reason: reasonOf(req), exceptKind: INFO_KIND });
    let card: Awaited<ReturnType<typeof reveal>>;
    try {
      card = await reveal();
    } catch (e) {
      // the number named nothing this caller may read: an identifier made of digits, maybe
      if (given === undefined || !(e instanceof AppError) || e.code !== 'not_found') throw e;
      ({ id, num: given } = await resolveCredentialNumbered(c, req.ctx, ref));
      card = await reveal();
    }
    const { secret, values } = card;
    const num = given ?? (await c.numbering.numberOf(c.db, 'secret', id));
    return ok(200, `Credential ${num}`, { credential: credential(secret as SecretWire, num, values) });
  }

  const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });
  // the list, also as /credential/ and with ?credential= naming one
  for (const url of [`${base}/credential`, `${base}/credential/`]) {
    app.get(url, {
      config: cfg('senhasegura.credential.list'),
      schema: { querystring: credentialQuery, response: credentialListResponses },
      handler: async (req) => {
        const r = req as RefReq;
        return r.query.credential ? one(r) : list(r);
      },
    });
  }
  app.get(`${base}/credential/:ref`, {
    config: cfg('senhasegura.credential.get'),
    schema: { params: refParams, querystring: credentialQuery, response: credentialReadResponses },
    handler: async (req) => one(req as RefReq),
  });

  app.get(`${base}/key/:ref`, {
    config: cfg('senhasegura.key.get'),
    schema: { params: refParams, querystring: credentialQuery, response: keyReadResponses },
    handler: async (req) => {
      const r = req as RefReq;
      const ref = r.params.ref ?? '';
      const id = await resolveCredential(c, r.ctx, ref);
      const { secret, values } = await c.secrets.revealCard(r.ctx, id, { reason: reasonOf(r) });
      if (!isKey(values)) throw new AppError('validation.failed', 'The item is not a ssh key', { reason: 'not_ssh_key' });
      const num = await c.numbering.numberOf(c.db, 'secret', id);
      return ok(200, `Key ${num}`, { key: key(secret as SecretWire, num, values) });
    },
  });
}
