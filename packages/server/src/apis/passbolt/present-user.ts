// The user object as Passbolt answers it (every route that shows users): Coffer's user as the users
// service presents it, its registered OpenPGP key (modules/e2e/user-keys.ts) as `gpgkey`, its role
// as Passbolt's two (administrator -> admin, every other role -> user). v2 answers it flat with
// ISO dates; v1 wraps each model (`{User, Profile, Gpgkey, Role}`) with `YYYY-MM-DD HH:MM:SS`.
import type { User } from '@coffer/contracts/identities';
import type { FastifyRequest } from 'fastify';
import * as openpgp from 'openpgp';
import type { UserOpenpgpKeyTable } from '../../db/schema-e2e.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { apiVersion } from './envelope.ts';
import type { PassboltContext } from './surface.ts';

/** Passbolt's two roles, fixed ids (no Coffer object carries them). */
export const ROLES = {
  admin: { id: '0c2f4a5e-1d3b-4c6a-9e8f-00000000ad01', name: 'admin', description: 'Organization administrator (Coffer: Administrator)' },
  user: {
    id: '0c2f4a5e-1d3b-4c6a-9e8f-00000000ad02',
    name: 'user',
    description: 'Logged in user (Coffer: Password Administrator, Password Auditor, Password User)',
  },
} as const;
const ROLES_EPOCH = '2026-01-01T00:00:00.000Z';

export const roleOf = (role: User['role']) => (role === 'administrator' ? ROLES.admin : ROLES.user);

/** A date as the asked format writes it: v2 `2026-12-06T00:28:11+00:00`, v1 `2026-12-06 00:28:11`. */
export function pbDate(req: FastifyRequest, when: string | number | null | undefined): string | null {
  if (when === null || when === undefined) return null;
  const iso = new Date(typeof when === 'number' ? when : Date.parse(when)).toISOString().slice(0, 19);
  return apiVersion(req) === 'v1' ? iso.replace('T', ' ') : `${iso}+00:00`;
}

export function presentRole(req: FastifyRequest, r: (typeof ROLES)[keyof typeof ROLES]) {
  return { id: r.id, name: r.name, description: r.description, created: pbDate(req, ROLES_EPOCH), modified: pbDate(req, ROLES_EPOCH) };
}

/** Passbolt's key type from openpgp.js's algorithm name. */
function keyType(algorithm: string): string {
  if (algorithm.startsWith('rsa')) return 'RSA';
  if (algorithm.startsWith('eddsa') || algorithm === 'ed25519' || algorithm === 'ed448') return 'EdDSA';
  if (algorithm === 'ecdsa') return 'ECDSA';
  if (algorithm === 'dsa') return 'DSA';
  return 'ECC';
}

/** The first user id of a key (`Name <address>`), as Passbolt's `uid`. */
async function uidOf(armored: string): Promise<string> {
  try {
    return (await openpgp.readKey({ armoredKey: armored })).getUserIDs()[0] ?? '';
  } catch {
    return '';
  }
}

export async function presentGpgkey(c: PassboltContext, req: FastifyRequest, k: UserOpenpgpKeyTable) {
  return {
    id: await c.ids.uuidOf('gpgkey', `${k.user_id}:${k.fingerprint}`),
    user_id: await c.ids.uuidOf('user', k.user_id),
    armored_key: k.armored_key,
    bits: Number(k.bits),
    uid: await uidOf(k.armored_key),
    key_id: k.fingerprint.slice(-8).toUpperCase(),
    fingerprint: k.fingerprint.toUpperCase(),
    type: keyType(k.algorithm),
    expires: pbDate(req, k.expires === null ? null : Number(k.expires)),
    key_created: pbDate(req, Number(k.key_created)),
    deleted: false,
    created: pbDate(req, Number(k.created_at)),
    modified: pbDate(req, Number(k.updated_at)),
  };
}

export interface Contain {
  profile: boolean;
  gpgkey: boolean;
  role: boolean;
  groups_users: boolean;
  last_logged_in: boolean;
}

/** `contain[x]=1|0` from the query, over the defaults of the route. */
export function containOf(query: unknown, defaults: Partial<Contain> = {}): Contain {
  const q = (query ?? {}) as Record<string, unknown>;
  const out: Contain = { profile: true, gpgkey: true, role: false, groups_users: false, last_logged_in: true, ...defaults };
  const nested = q.contain && typeof q.contain === 'object' ? (q.contain as Record<string, unknown>) : {};
  for (const k of Object.keys(out) as (keyof Contain)[]) {
    const v = nested[k] ?? q[`contain[${k}]`];
    if (v !== undefined) out[k] = v === '1' || v === 'true' || v === 1 || v === true;
  }
  return out;
}

/** Group memberships to show per user (`groups_users`): the caller's view of the groups. */
export type Memberships = Map<string, Array<{ groupId: string; createdAt: string }>>;

/** Users in Passbolt's shape; their keys read through the key directory (the caller's visibility). */
export async function presentUsers(
  c: PassboltContext,
  req: FastifyRequest,
  ctx: RequestContext,
  users: User[],
  contain: Contain,
  memberships?: Memberships,
) {
  if (!users.length) return [];
  const ids = users.map((u) => u.id);
  const uuids = await c.ids.uuidsOf('user', ids);
  const profiles = await c.ids.uuidsOf('profile', ids);
  const keys = contain.gpgkey ? new Map((await c.userKeys.directory(ctx, { userIds: ids })).map((k) => [k.user_id, k])) : new Map();
  const v1 = apiVersion(req) === 'v1';
  const out = [];
  for (const u of users) {
    const id = uuids.get(u.id) as string;
    const role = roleOf(u.role);
    const user: Record<string, unknown> = {
      id,
      role_id: role.id,
      username: u.email.trim() || u.username,
      active: u.status === 'active',
      deleted: false,
      created: pbDate(req, u.createdAt),
      modified: pbDate(req, u.updatedAt),
      disabled: u.status === 'disabled' ? pbDate(req, u.updatedAt) : null,
      is_mfa_enabled: u.totpEnabled,
    };
    if (contain.last_logged_in) user.last_logged_in = pbDate(req, u.loginActivity?.lastLoginAt ?? null);
    const models: Record<string, unknown> = {};
    if (contain.profile) {
      models.profile = {
        id: profiles.get(u.id) as string,
        user_id: id,
        first_name: u.firstName,
        last_name: u.lastName,
        created: pbDate(req, u.createdAt),
        modified: pbDate(req, u.updatedAt),
        avatar: { url: { medium: 'img/avatar/user_medium.png', small: 'img/avatar/user.png' } },
      };
    }
    if (contain.gpgkey) {
      const k = keys.get(u.id);
      models.gpgkey = k ? await presentGpgkey(c, req, k) : null;
    }
    if (contain.role) models.role = presentRole(req, role);
    if (contain.groups_users) {
      const rows = memberships?.get(u.id) ?? [];
      models.groups_users = await Promise.all(
        rows.map(async (m) => ({
          id: await c.ids.uuidOf('group_user', `${m.groupId}:${u.id}`),
          group_id: await c.ids.uuidOf('group', m.groupId),
          user_id: id,
          is_admin: false,
          created: pbDate(req, m.createdAt),
        })),
      );
    }
    if (v1) {
      const wrapped: Record<string, unknown> = { User: user };
      if ('profile' in models) wrapped.Profile = models.profile;
      if ('gpgkey' in models) wrapped.Gpgkey = models.gpgkey;
      if ('role' in models) wrapped.Role = models.role;
      if ('groups_users' in models) wrapped.GroupUser = models.groups_users;
      out.push(wrapped);
    } else out.push({ ...user, ...models });
  }
  return out;
}

/**
 * A user known by an exact-name lookup only (id, username, display name; no directory record):
 * the Passbolt fields the lookup does not answer are empty or null.
 */
export async function presentRef(
  c: PassboltContext,
  req: FastifyRequest,
  ref: { id: string; username: string; displayName: string },
  key: UserOpenpgpKeyTable | null,
) {
  const id = await c.ids.uuidOf('user', ref.id);
  const [first = '', ...rest] = ref.displayName.split(' ');
  const user = {
    id,
    role_id: ROLES.user.id,
    username: ref.username,
    active: true,
    deleted: false,
    created: null,
    modified: null,
    disabled: null,
    is_mfa_enabled: false,
  };
  const profile = {
    id: await c.ids.uuidOf('profile', ref.id),
    user_id: id,
    first_name: first,
    last_name: rest.join(' '),
    created: null,
    modified: null,
    avatar: { url: { medium: 'img/avatar/user_medium.png', small: 'img/avatar/user.png' } },
  };
  const gpgkey = key ? await presentGpgkey(c, req, key) : null;
  return apiVersion(req) === 'v1' ? { User: user, Profile: profile, Gpgkey: gpgkey } : { ...user, profile, gpgkey };
}
