// Passbolt's sharing of a resource: `PUT /share/resource/{id}.json` (permission changes and the
// messages for the new readers, all or nothing: vaults' applySecretGrants, whose E2E listener checks
// the messages as for any share), `POST /share/simulate/resource/{id}.json` (who gains and loses
// read access, so the client knows whom to encrypt for) and `GET /share/search-aros.json` (the users
// and groups the caller may share with: the directory for those who may read it, else the one user
// of an exact-name lookup, as the native share finds people).
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { can } from '../../modules/auth/actor.ts';
import type { SecretGrantChange } from '../../modules/vaults/secret-grants.ts';
import { fieldsOf, invalid } from './body.ts';
import { model, ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { LEVEL_OF_TYPE } from './permissions.ts';
import { containOf, pbDate, presentRef, presentUsers } from './present-user.ts';
import { filterValue } from './query.ts';
import { aros, idParams, noBody, simulation } from './schemas-users.ts';
import type { PassboltContext } from './surface.ts';
import { visibleGroups, visibleUsers } from './users.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });
const MAX_MESSAGE = 1_000_000;

const uuidField = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || !ANY_UUID.test(v)) throw invalid(field, 'uuid', `The ${field.split('.').at(-1)} should be a valid UUID.`);
  return v;
};

/** `permissions[]` -> the service's changes (ids resolved; an unknown one is named). */
async function changesOf(c: PassboltContext, body: Record<string, unknown>): Promise<SecretGrantChange[]> {
  const list = body.permissions ?? [];
  if (!Array.isArray(list)) throw invalid('permissions', 'type', 'The permissions should be a list.');
  if (list.length > 500) throw invalid('permissions', 'maxLength', 'Too many permission changes.');
  const out: SecretGrantChange[] = [];
  for (const [i, raw] of list.entries()) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw invalid(`permissions.${i}`, 'type', 'A permission should be an object.');
    const p = raw as Record<string, unknown>;
    const del = p.delete === true || p.delete === 1 || p.delete === '1' || p.delete === 'true';
    const isNew = p.is_new === true || p.is_new === 1 || p.is_new === '1' || p.is_new === 'true' || p.id === undefined || p.id === null;
    let level: SecretGrantChange['level'];
    if (!del) {
      const t = Number(p.type);
      level = LEVEL_OF_TYPE[t as keyof typeof LEVEL_OF_TYPE];
      if (!level) throw invalid(`permissions.${i}.type`, 'inList', 'The type should be one of 1 (read), 7 (update), 15 (owner).');
    }
    if (!isNew) {
      const uuid = uuidField(p.id, `permissions.${i}.id`);
      const grantId = await c.ids.idOf('grant', uuid);
      if (!grantId) throw invalid(`permissions.${i}.id`, 'exists', 'The permission does not exist.');
      out.push({ grantId, ...(del ? { delete: true } : { level }) });
      continue;
    }
    if (del) throw invalid(`permissions.${i}.id`, '_required', 'A permission to delete needs its id.');
    const aro = p.aro;
    if (aro !== 'User' && aro !== 'Group') throw invalid(`permissions.${i}.aro`, 'inList', 'The aro should be User or Group.');
    const kind = aro === 'User' ? 'user' : 'group';
    const principalId = await c.ids.idOf(kind, uuidField(p.aro_foreign_key, `permissions.${i}.aro_foreign_key`));
    if (!principalId) throw invalid(`permissions.${i}.aro_foreign_key`, 'exists', `The ${kind} does not exist.`);
    out.push({ principalType: kind, principalId, level });
  }
  return out;
}

/** `secrets[]` (`{user_id, data}`) -> the messages for the new readers. */
async function messagesOf(c: PassboltContext, body: Record<string, unknown>): Promise<SecretMessage[]> {
  const list = body.secrets ?? [];
  if (!Array.isArray(list)) throw invalid('secrets', 'type', 'The secrets should be a list.');
  if (list.length > 500) throw invalid('secrets', 'maxLength', 'Too many secrets.');
  const out: SecretMessage[] = [];
  for (const [i, raw] of list.entries()) {
    const s = (raw ?? {}) as Record<string, unknown>;
    const userId = await c.ids.idOf('user', uuidField(s.user_id, `secrets.${i}.user_id`));
    if (!userId) throw invalid(`secrets.${i}.user_id`, 'exists', 'The user does not exist.');
    if (typeof s.data !== 'string' || !s.data.trim()) throw invalid(`secrets.${i}.data`, '_required', 'A secret data is required.');
    if (s.data.length > MAX_MESSAGE) throw invalid(`secrets.${i}.data`, 'maxLength', 'The secret data is too long.');
    out.push({ userId, message: s.data });
  }
  return out;
}

/** The E2E checks' refusals in Passbolt's validation body, naming users by their UUIDs. */
export async function passboltError(c: PassboltContext, e: unknown): Promise<unknown> {
  if (!(e instanceof AppError)) return e;
  if (e.code !== 'secret.e2e_readers_mismatch' && e.code !== 'secret.e2e_message_invalid') return e;
  const named = async (text: string) => {
    let out = text;
    for (const id of new Set(text.match(/usr_[A-Za-z0-9_-]+/g) ?? [])) out = out.replaceAll(id, await c.ids.uuidOf('user', id));
    return out;
  };
  const details = await Promise.all(
    (e.details ?? []).map(async (d) => {
      const detail = d as { path?: string; message?: string };
      return {
        path: '/secrets',
        rule: e.code === 'secret.e2e_readers_mismatch' ? 'readers' : 'message',
        message: await named(String(detail.message ?? '')),
      };
    }),
  );
  return new AppError('validation.failed', await named(e.message), { details });
}

async function resourceOf(c: PassboltContext, req: FastifyRequest) {
  const { id } = req.params as { id: string };
  return c.ids.require('secret', id);
}

export function shareRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.put('/share/resource/:id.json', {
    config: cfg('secret.share'),
    schema: { params: idParams(), response: noBody },
    handler: async (req) => {
      const secretId = await resourceOf(c, req);
      const body = fieldsOf(req.body);
      const changes = await changesOf(c, body);
      const messages = await messagesOf(c, body);
      try {
        await c.vaults.applySecretGrants(req.ctx, secretId, changes, messages);
      } catch (e) {
        throw await passboltError(c, e);
      }
      return ok(req, null, 'The resource has been shared successfully.');
    },
  });

  api.post('/share/simulate/resource/:id.json', {
    config: cfg('secret.share_simulate'),
    schema: { params: idParams(), response: simulation },
    handler: async (req) => {
      const secretId = await resourceOf(c, req);
      const r = await c.vaults.simulateSecretGrants(req.ctx, secretId, await changesOf(c, fieldsOf(req.body)));
      const users = await c.ids.uuidsOf('user', [...r.added, ...r.removed]);
      const change = (id: string) => ({ User: { id: users.get(id) } });
      return ok(req, { changes: { added: r.added.map(change), removed: r.removed.map(change) } });
    },
  });

  api.get('/share/search-aros.json', {
    config: cfg('passbolt.share.search_aros'),
    schema: { response: aros },
    handler: async (req) => {
      const search = (filterValue(req.query, 'search') ?? '').trim().toLowerCase();
      const ctx = req.ctx;
      const presented: unknown[] = [];
      if (can(ctx.actor, 'users.read')) {
        const users = (await visibleUsers(c, ctx)).filter(
          (u) => u.status === 'active' && [u.username, u.email, u.firstName, u.lastName].some((s) => s.toLowerCase().includes(search)),
        );
        presented.push(...(await presentUsers(c, req, ctx, users.slice(0, 25), containOf({}, {}))));
      } else if (search) {
        // no directory: the one active user of that exact name, as the native share finds people
        try {
          const found = await c.userKeys.lookupWithKey(ctx, search);
          presented.push(await presentRef(c, req, found.user, found.key));
        } catch (e) {
          if (!(e instanceof AppError) || e.code !== 'not_found') throw e;
        }
      }
      const groups = (await visibleGroups(c, ctx)).filter((g) => g.name.toLowerCase().includes(search)).slice(0, 25);
      const groupUuids = await c.ids.uuidsOf(
        'group',
        groups.map((g) => g.id),
      );
      const presentedGroups = groups.map((g) =>
        model(req, 'Group', {
          id: groupUuids.get(g.id) as string,
          name: g.name,
          deleted: false,
          created: pbDate(req, g.createdAt),
          modified: pbDate(req, g.createdAt),
        }),
      );
      return ok(req, [...presented, ...presentedGroups]);
    },
  });
}
