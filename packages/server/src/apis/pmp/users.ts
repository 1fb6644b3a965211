// Users: create (all of PMP's fields; ISAPIUSER creates an API user), delete, id by name, lock and
// unlock — the identities service's use cases, with their checks (users.write, dual control).
import type { CreateUser, Role } from '@coffer/contracts/identities';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { isHostName } from '../../modules/auth/host-binding.ts';
import { success } from './envelope.ts';
import { asBool, asText, type PmpInput, pick } from './input.ts';
import type { Kit } from './kit.ts';
import { UserIdDetails, UserIdNameDetails } from './responses.ts';

export const PMP_ROLES: Record<string, Role> = {
  administrator: 'administrator',
  'password administrator': 'password_administrator',
  'password auditor': 'password_auditor',
  'password user': 'password_user',
};

const invalid = (message: string) => new AppError('validation.failed', message, { reason: 'input' });

/** Details of CREATE_USER -> the native input. Profile fields longer than Coffer keeps are refused. */
export function newUser(input: PmpInput): CreateUser {
  const d = input.details;
  const t = (k: string) => asText(pick(d, k));
  const username = t('USERNAME');
  if (!username) throw invalid('USERNAME is mandatory.');
  const roleName = (t('ROLE') || 'Password User').toLowerCase();
  const role = PMP_ROLES[roleName];
  if (!role) throw invalid('ROLE must be Administrator, Password Administrator, Password Auditor or Password User.');
  const api = asBool(pick(d, 'ISAPIUSER'));
  const password = pick(d, 'PASSWORD');
  if (api && !t('HOSTNAME')) throw invalid('HOSTNAME is mandatory for an API user.');
  if (api && !isHostName(t('HOSTNAME'))) throw invalid('HOSTNAME must be a host name or an IP address.');
  if (!api && (typeof password !== 'string' || password === '')) throw invalid('PASSWORD is mandatory.');
  let [first, last] = [t('FIRSTNAME'), t('LASTNAME')];
  if (!first && !last && t('FULLNAME')) {
    const full = t('FULLNAME');
    const i = full.lastIndexOf(' ');
    [first, last] = i < 0 ? [full, ''] : [full.slice(0, i), full.slice(i + 1)];
  }
  const profile: Record<string, [string, number]> = {
    firstName: [first, 100],
    lastName: [last, 100],
    email: [t('EMAIL'), 254],
    department: [t('DEPARTMENT'), 100],
    location: [t('LOCATION'), 200],
    landlineCountryCode: [t('LANDLINE_COUNTRYCODE'), 8],
    landline: [t('LANDLINE'), 40],
    landlineExt: [t('LANDLINE_EXT'), 10],
    mobileCountryCode: [t('MOBILE_COUNTRYCODE'), 8],
    mobile: [t('MOBILE'), 40],
  };
  const out: Record<string, unknown> = { username, role, kind: api ? 'api' : 'human' };
  for (const [k, [v, max]] of Object.entries(profile)) {
    if (!v) continue;
    if (v.length > max) throw invalid(`${k} has at most ${max} characters.`);
    out[k] = v;
  }
  if (out.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(out.email as string)) throw invalid('EMAIL is not an e-mail address.');
  if (!api) out.password = password;
  // the API user is tied to that host: its keys work only from the host's addresses
  else out.boundHost = t('HOSTNAME');
  if (asBool(pick(d, 'ISSUPERADMIN'))) out.allPasswords = true;
  return out as CreateUser;
}

export function userRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids, userByName } = kit;

  kit.op(instance, 'POST', '/user', { name: 'CREATE_USER', action: 'pmp.users.create', details: UserIdDetails }, async (req, input) => {
    const created = await deps.users.create(req.ctx, newUser(input));
    if (!('username' in created)) {
      throw new AppError('conflict', 'The new user waits for a second administrator: an admin request was filed (dual control).', {
        reason: 'pending_approval',
      });
    }
    return success('CREATE_USER', 'User Created Successfully', { details: { USERID: await ids.ofUser(created.id) } });
  });

  kit.op(instance, 'DELETE', '/user/:userId', { name: 'DELETE_USER', action: 'pmp.users.delete', details: null }, async (req) => {
    const id = await ids.user((req.params as { userId: string }).userId);
    const pending = await deps.users.remove(req.ctx, id);
    if (pending)
      throw new AppError('conflict', 'The deletion waits for a second administrator (dual control).', { reason: 'pending_approval' });
    return success('DELETE_USER', 'User deleted successfully');
  });

  kit.op(
    instance,
    'GET',
    '/user/getUserId',
    { name: 'GET_USERID', action: 'pmp.users.id', details: UserIdNameDetails },
    async (req, input) => {
      const name = input.text('USERNAME');
      if (!name) throw invalid('USERNAME is mandatory.');
      const u = await userByName.byName(req.ctx, name);
      return success('GET_USERID', 'User ID fetched successfully', { details: { USERID: await ids.ofUser(u.id), USERNAME: u.username } });
    },
  );

  for (const [verb, name, status, message] of [
    ['lock', 'LOCK_USER', 'disabled', 'User locked successfully'],
    ['unlock', 'UNLOCK_USER', 'active', 'User unlocked successfully'],
  ] as const) {
    kit.op(instance, ['PUT', 'POST'], `/user/${verb}`, { name, action: `pmp.users.${verb}`, details: null }, async (req, input) => {
      const username = input.text('USERNAME');
      if (!username) throw invalid('USERNAME is mandatory.');
      const u = await userByName.byName(req.ctx, username);
      if (u.status !== status) {
        const r = await deps.users.setStatus(req.ctx, u.id, status);
        if (!('username' in r))
          throw new AppError('conflict', `The ${verb} waits for a second administrator (dual control).`, { reason: 'pending_approval' });
      }
      // unlocking also clears a login lock (failed passwords)
      if (verb === 'unlock') await deps.users.unlock(req.ctx, u.id);
      return success(name, message);
    });
  }
}
