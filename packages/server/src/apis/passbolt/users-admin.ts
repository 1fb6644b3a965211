// Administering users the Passbolt way: `POST /users.json` (an invitation: the users service creates
// the account, the setup service answers its setup token once, to the administrator, since Coffer
// sends no mail), `POST /setup/complete/{userId}.json` (the new user registers their key with the
// token), `PUT /users/{id}.json` (names; role by an administrator), `DELETE /users/{id}.json`. The
// users service decides (administrators only, dual control, the last administrator kept); a change
// that dual control holds answers 202 with the admin request's id in the message.
import type { PendingApproval } from '@coffer/contracts/admin-requests';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../db/schema.ts';
import { fieldsOf, invalid, required, text } from './body.ts';
import { ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { containOf, pbDate, presentUsers, ROLES } from './present-user.ts';
import { idParams, noBody, obj, one, responses, str, user } from './schemas-users.ts';
import type { PassboltContext } from './surface.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'users.write' as const, action });
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

function name(b: Record<string, unknown>, key: string, field: string): string | undefined {
  const v = text(b, key, 100);
  if (v === undefined) return undefined;
  if (CONTROL.test(v)) throw invalid(field, 'utf8', `The ${key.replace('_', ' ')} should be a single line of text.`);
  return v.trim();
}

function profileOf(b: Record<string, unknown>): Record<string, unknown> {
  const p = b.profile ?? {};
  if (typeof p !== 'object' || Array.isArray(p) || p === null) throw invalid('profile', 'type', 'The profile should be an object.');
  return p as Record<string, unknown>;
}

/** `role_id` -> a Coffer role: admin -> administrator; user -> the current role unless it is administrator (-> password_user). */
function roleOf(b: Record<string, unknown>, current?: Role): Role | undefined {
  const id = text(b, 'role_id', 64);
  if (id === undefined) return undefined;
  if (id === ROLES.admin.id) return 'administrator';
  if (id === ROLES.user.id) return current && current !== 'administrator' ? current : 'password_user';
  throw invalid('role_id', 'exists', 'The role does not exist.');
}

const isPending = (r: unknown): r is PendingApproval => (r as { status?: unknown } | null)?.status === 'pending_approval';

function filed(req: FastifyRequest, reply: FastifyReply, p: PendingApproval) {
  reply.code(202);
  return ok(req, null, `The change needs approval: admin request ${p.request.id} was filed.`, 202);
}

async function userId(c: PassboltContext, req: FastifyRequest): Promise<string> {
  const { id } = req.params as { id: string };
  return c.ids.require('user', id, 'The user');
}

export function userAdminRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.post('/users.json', {
    config: cfg('user.create'),
    schema: { response: { ...one('user'), 202: noBody[200] } },
    handler: async (req, reply) => {
      const b = fieldsOf(req.body);
      const email = required(b, 'username', 100).trim();
      if (!EMAIL.test(email)) throw invalid('username', 'email', 'The username should be a valid email address.');
      const p = profileOf(b);
      const firstName = name(p, 'first_name', 'profile') ?? '';
      const lastName = name(p, 'last_name', 'profile') ?? '';
      if (!firstName) throw invalid('profile', 'first_name', 'A first name is required.');
      const r = await c.setup.invite(req.ctx, { email, firstName, lastName, role: roleOf(b) ?? 'password_user' });
      if (r.pending) return filed(req, reply, r.pending);
      const [u] = (await presentUsers(c, req, req.ctx, [r.user], containOf({}, { role: true }))) as Record<string, unknown>[];
      // the setup token, once (Coffer sends no mail): the administrator hands the link to the user
      const uuid = await c.ids.uuidOf('user', r.user.id);
      const setup = { token: r.token, expires: pbDate(req, r.expiresAt), url: `/setup/install/${uuid}/${r.token}` };
      return ok(req, { ...u, setup }, 'The user was successfully added. This user now need to complete the setup.');
    },
  });

  api.get('/setup/install/:id/:token.json', {
    config: { auth: 'public', permission: 'none', action: 'user.setup_read' },
    schema: { params: obj({ id: str, token: str }), response: responses(obj({ user })) },
    handler: async (req) => {
      const { id, token } = req.params as { id: string; token: string };
      if (!ANY_UUID.test(id)) throw invalid('id', 'uuid', 'The user identifier should be a valid UUID.');
      if (!ANY_UUID.test(token)) throw invalid('token', 'uuid', 'The authentication token should be a valid UUID.');
      const u = await c.setup.inspect(req.ctx, (await c.ids.idOf('user', id)) ?? 'usr_unknown', token);
      const [shown] = await presentUsers(c, req, req.ctx, [u], containOf({}, { gpgkey: false, role: true, last_logged_in: false }));
      return ok(req, { user: shown });
    },
  });

  api.post('/setup/complete/:id.json', {
    config: { auth: 'public', permission: 'none', action: 'user.setup_complete' },
    schema: { params: idParams(), response: noBody },
    handler: async (req) => {
      const { id } = req.params as { id: string };
      if (!ANY_UUID.test(id)) throw invalid('id', 'uuid', 'The user identifier should be a valid UUID.');
      const b = fieldsOf(req.body);
      const t = fieldsOf(b.authenticationtoken);
      const token = required(t, 'token', 64);
      const k = fieldsOf(b.gpgkey);
      const armored = required(k, 'armored_key', 100_000);
      // an unknown user answers as a wrong token does
      const user = (await c.ids.idOf('user', id)) ?? 'usr_unknown';
      await c.setup.complete(req.ctx, user, token, armored);
      return ok(req, null, 'The setup was completed successfully.');
    },
  });

  api.put('/users/:id.json', {
    config: cfg('user.update'),
    schema: { params: idParams(), response: { ...one('user'), 202: noBody[200] } },
    handler: async (req, reply) => {
      const id = await userId(c, req);
      const b = fieldsOf(req.body);
      const p = profileOf(b);
      const firstName = name(p, 'first_name', 'profile');
      const lastName = name(p, 'last_name', 'profile');
      if (firstName === '') throw invalid('profile', 'first_name', 'The first name should not be empty.');
      // the role: read first (users.get audits the read), then changed by the update
      const current = b.role_id !== undefined ? (await c.users.get(req.ctx, id)).role : undefined;
      const role = roleOf(b, current);
      const r = await c.users.update(req.ctx, id, {
        ...(firstName !== undefined ? { firstName } : {}),
        ...(lastName !== undefined ? { lastName } : {}),
        ...(role !== undefined && role !== current ? { role } : {}),
      });
      if (isPending(r)) return filed(req, reply, r);
      const [u] = await presentUsers(c, req, req.ctx, [await c.users.get(req.ctx, id)], containOf({}, { role: true }));
      return ok(req, u, 'The user has been updated successfully.');
    },
  });

  api.delete('/users/:id.json', {
    config: cfg('user.delete'),
    schema: { params: idParams(), response: { ...noBody, 202: noBody[200] } },
    handler: async (req, reply) => {
      const r = await c.users.remove(req.ctx, await userId(c, req));
      if (r) return filed(req, reply, r);
      return ok(req, null, 'The user has been deleted successfully.');
    },
  });
}
