// Passbolt's user directory: `GET /users.json` (filters, contains), `/users/me.json`,
// `/users/{id}.json`, the keys (`/gpgkeys.json`, `/gpgkeys/{id}.json`) and the two roles
// (`/roles.json`). Read through the users service with the native visibility: a caller who may read
// the directory (`users.read`: administrators, password administrators, auditors) sees everyone,
// any other user sees themself only (they find others to share with by exact name:
// `/share/search-aros.json`).
import type { Group, User } from '@coffer/contracts/identities';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { can, type RequestContext } from '../../modules/auth/actor.ts';
import { invalid } from './body.ts';
import { model, ok } from './envelope.ts';
import { containOf, type Memberships, presentGpgkey, presentRole, presentUsers, ROLES } from './present-user.ts';
import { filterFlag, filterUuids, filterValue } from './query.ts';
import { gpgkeyList, gpgkeyOne, idParams, list, one, roleList } from './schemas-users.ts';
import type { PassboltContext } from './surface.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

/** Every user the caller may see (the directory, or themself). */
export async function visibleUsers(c: PassboltContext, ctx: RequestContext): Promise<User[]> {
  if (!can(ctx.actor, 'users.read')) return [await c.users.get(ctx, ctx.actor.userId as string)];
  const out: User[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.users.list(ctx, { limit: 500, kind: 'human', ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Every group the caller may read (none without `groups.read`). */
export async function visibleGroups(c: PassboltContext, ctx: RequestContext): Promise<Group[]> {
  if (!can(ctx.actor, 'groups.read')) return [];
  const out: Group[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.groups.list(ctx, { limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export function membershipsOf(groups: Group[]): Memberships {
  const m: Memberships = new Map();
  for (const g of groups) for (const u of g.members) m.set(u, [...(m.get(u) ?? []), { groupId: g.id, createdAt: g.createdAt }]);
  return m;
}

/** The users matching Passbolt's index filters. */
async function filtered(c: PassboltContext, req: FastifyRequest, users: User[]): Promise<User[]> {
  const q = req.query;
  let out = users;
  const search = filterValue(q, 'search')?.toLowerCase();
  if (search) {
    out = out.filter((u) => [u.username, u.email, u.firstName, u.lastName].some((s) => s.toLowerCase().includes(search)));
  }
  const hasGroups = filterUuids(q, 'has-groups');
  if (hasGroups) {
    for (const uuid of hasGroups) {
      const g = await c.groups.get(req.ctx, await c.ids.require('group', uuid, 'The group'));
      const members = new Set(g.members);
      out = out.filter((u) => members.has(u.id));
    }
  }
  const hasAccess = filterUuids(q, 'has-access');
  if (hasAccess) {
    for (const uuid of hasAccess) {
      // the readers of the secret, as its writers see them (edit needed, as natively)
      const r = await c.secrets.readers(req.ctx, await c.ids.require('secret', uuid));
      const readers = new Set(r.items.map((i: { userId: string }) => i.userId));
      out = out.filter((u) => readers.has(u.id));
    }
  }
  const isAdmin = filterFlag(q, 'is-admin');
  if (isAdmin !== undefined) out = out.filter((u) => (u.role === 'administrator') === isAdmin);
  return out;
}

async function shown(c: PassboltContext, req: FastifyRequest, users: User[], defaults = {}) {
  const contain = containOf(req.query, defaults);
  const memberships = contain.groups_users ? membershipsOf(await visibleGroups(c, req.ctx)) : undefined;
  return presentUsers(c, req, req.ctx, users, contain, memberships);
}

/** A user UUID (or `me`) -> the user, as the users service shows it to the caller. */
async function userOf(c: PassboltContext, req: FastifyRequest, idOrMe: string): Promise<User> {
  const ctx = req.ctx;
  if (idOrMe === 'me') return c.users.get(ctx, ctx.actor.userId as string);
  const id = await c.ids.require('user', idOrMe, 'The user');
  return c.users.get(ctx, id);
}

export function userReadRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.get('/users.json', {
    config: cfg('passbolt.user.index'),
    schema: { response: list('user') },
    handler: async (req) => ok(req, await shown(c, req, await filtered(c, req, await visibleUsers(c, req.ctx)))),
  });

  api.get('/users/:id.json', {
    config: cfg('passbolt.user.view'),
    schema: { params: idParams(), response: one('user') },
    handler: async (req) => {
      const { id } = req.params as { id: string };
      const [u] = await shown(c, req, [await userOf(c, req, id)], { role: true });
      return ok(req, u);
    },
  });

  api.get('/gpgkeys.json', {
    config: cfg('passbolt.gpgkey.index'),
    schema: { response: gpgkeyList },
    handler: async (req) => {
      const after = filterValue(req.query, 'modified-after');
      let modifiedAfter: number | undefined;
      if (after !== undefined) {
        modifiedAfter = /^\d+$/.test(after) ? Number(after) * 1000 : Date.parse(after);
        if (!Number.isFinite(modifiedAfter)) throw invalid('filter[modified-after]', 'date', 'The modified-after filter should be a date.');
      }
      // the keys of the users the caller may see
      const users = await visibleUsers(c, req.ctx);
      const keys = await c.userKeys.directory(req.ctx, {
        userIds: users.map((u) => u.id),
        ...(modifiedAfter !== undefined ? { modifiedAfter } : {}),
      });
      return ok(req, await Promise.all(keys.map(async (k) => model(req, 'Gpgkey', await presentGpgkey(c, req, k)))));
    },
  });

  api.get('/gpgkeys/:id.json', {
    config: cfg('passbolt.gpgkey.view'),
    schema: { params: idParams(), response: gpgkeyOne },
    handler: async (req) => {
      const { id } = req.params as { id: string };
      const ref = await c.ids.require('gpgkey', id, 'The key');
      const [userId, fingerprint] = ref.split(':') as [string, string];
      const [k] = await c.userKeys.directory(req.ctx, { userIds: [userId] });
      // a replaced key is gone (its id named that key); another user's key the caller may not see reads as missing
      if (k?.fingerprint !== fingerprint) throw new AppError('not_found', 'The key does not exist.');
      return ok(req, model(req, 'Gpgkey', await presentGpgkey(c, req, k)));
    },
  });

  api.get('/roles.json', {
    config: cfg('passbolt.role.index'),
    schema: { response: roleList },
    handler: async (req) =>
      ok(
        req,
        [ROLES.admin, ROLES.user].map((r) => model(req, 'Role', presentRole(req, r))),
      ),
  });
}
