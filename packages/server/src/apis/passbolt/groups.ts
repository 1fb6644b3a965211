// Passbolt's groups over the groups service (modules/identities/groups.service.ts): index and view
// (`groups.read`: administrators, password administrators, auditors; anyone else sees none, as
// natively), add, update (name, members) and delete (`groups.write`: administrators). Coffer's
// groups have no managers of their own (administrators manage every group): `is_admin` is always
// false and `filter[has-managers]` finds nothing. A member added to a group that reads E2E secrets
// gets no message by the membership: the `secrets` of the update (`{resource_id, user_id, data}`)
// are re-encryptions for them, checked and stored by the secrets service after the membership
// change (a refused message leaves the member without one, as a native group change does).
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { Group, User } from '@coffer/contracts/identities';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../modules/auth/actor.ts';
import { fieldsOf, invalid, required } from './body.ts';
import { apiVersion, ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { containOf, pbDate, presentUsers } from './present-user.ts';
import { filterUuids } from './query.ts';
import { idParams, list, noBody, one } from './schemas-users.ts';
import { passboltError } from './share.ts';
import type { PassboltContext } from './surface.ts';
import { visibleGroups, visibleUsers } from './users.ts';

const cfg = (action: string, permission: 'groups.read' | 'groups.write') => ({ auth: 'user' as const, permission, action });
const flag = (q: unknown, name: string) => {
  const v = ((q ?? {}) as Record<string, unknown>)[`contain[${name}]`];
  return v === '1' || v === 'true';
};
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

async function presentGroups(c: PassboltContext, req: FastifyRequest, groups: Group[]) {
  const q = req.query;
  const withMembers = flag(q, 'groups_users');
  const withUsers = flag(q, 'groups_users.user');
  const mine = flag(q, 'my_group_user');
  const me = req.ctx.actor.userId as string;
  const users = new Map<string, unknown>();
  if (withUsers && can(req.ctx.actor, 'users.read')) {
    const members = new Set(groups.flatMap((g) => g.members));
    const rows: User[] = (await visibleUsers(c, req.ctx)).filter((u) => members.has(u.id));
    const shown = await presentUsers(c, req, req.ctx, rows, containOf({}, { gpgkey: flag(q, 'groups_users.user.gpgkey') }));
    for (const [i, u] of rows.entries()) users.set(u.id, shown[i]);
  }
  const gids = await c.ids.uuidsOf(
    'group',
    groups.map((g) => g.id),
  );
  const out = [];
  for (const g of groups) {
    const id = gids.get(g.id) as string;
    const membership = async (userId: string) => ({
      id: await c.ids.uuidOf('group_user', `${g.id}:${userId}`),
      group_id: id,
      user_id: await c.ids.uuidOf('user', userId),
      is_admin: false,
      created: pbDate(req, g.createdAt),
      ...(users.has(userId) ? { user: users.get(userId) } : {}),
    });
    const base = {
      id,
      name: g.name,
      deleted: false,
      created: pbDate(req, g.createdAt),
      modified: pbDate(req, g.createdAt),
      created_by: null,
      modified_by: null,
    };
    const extra: Record<string, unknown> = {};
    if (withMembers) extra.groups_users = await Promise.all(g.members.map(membership));
    if (mine) extra.my_group_user = g.members.includes(me) ? await membership(me) : null;
    if (flag(q, 'modifier')) extra.modifier = null;
    if (apiVersion(req) === 'v1') {
      const v1: Record<string, unknown> = { Group: base };
      if ('groups_users' in extra) v1.GroupUser = extra.groups_users;
      if ('my_group_user' in extra) v1.MyGroupUser = extra.my_group_user;
      out.push(v1);
    } else out.push({ ...base, ...extra });
  }
  return out;
}

/** The groups the caller may read, by Passbolt's index filters. */
async function filtered(c: PassboltContext, req: FastifyRequest): Promise<Group[]> {
  let groups = await visibleGroups(c, req.ctx);
  const hasUsers = filterUuids(req.query, 'has-users');
  for (const uuid of hasUsers ?? []) {
    const id = await c.ids.idOf('user', uuid);
    groups = groups.filter((g) => id !== undefined && g.members.includes(id));
  }
  // no Coffer group has managers of its own
  if (filterUuids(req.query, 'has-managers')) groups = [];
  return groups;
}

function nameOf(b: Record<string, unknown>): string {
  const name = required(b, 'name', 255).trim();
  if (CONTROL.test(name)) throw invalid('name', 'utf8', 'The name should be a single line of text.');
  return name;
}

/** `groups_users[]` -> users to add and memberships to remove. */
async function memberChanges(c: PassboltContext, groupId: string | null, b: Record<string, unknown>) {
  const list = b.groups_users ?? [];
  if (!Array.isArray(list)) throw invalid('groups_users', 'type', 'The groups_users should be a list.');
  const add: string[] = [];
  const remove: string[] = [];
  for (const [i, raw] of list.entries()) {
    const m = fieldsOf(raw);
    if (m.delete === true || m.delete === 1 || m.delete === '1') {
      const ref = typeof m.id === 'string' && ANY_UUID.test(m.id) ? await c.ids.idOf('group_user', m.id) : undefined;
      const [gid, uid] = (ref ?? '').split(':');
      if (!ref || gid !== groupId || !uid) throw invalid(`groups_users.${i}.id`, 'exists', 'The group membership does not exist.');
      remove.push(uid);
      continue;
    }
    if (m.id !== undefined && m.user_id === undefined) continue; // is_admin changes: no group managers in Coffer
    const userId = typeof m.user_id === 'string' && ANY_UUID.test(m.user_id) ? await c.ids.idOf('user', m.user_id) : undefined;
    if (!userId) throw invalid(`groups_users.${i}.user_id`, 'exists', 'The user does not exist.');
    add.push(userId);
  }
  return { add, remove };
}

/** `secrets[]` (`{resource_id, user_id, data}`) -> the messages per secret. */
async function groupMessages(c: PassboltContext, b: Record<string, unknown>): Promise<Map<string, SecretMessage[]>> {
  const list = b.secrets ?? [];
  if (!Array.isArray(list)) throw invalid('secrets', 'type', 'The secrets should be a list.');
  const out = new Map<string, SecretMessage[]>();
  for (const [i, raw] of list.entries()) {
    const s = fieldsOf(raw);
    const secretId =
      typeof s.resource_id === 'string' && ANY_UUID.test(s.resource_id) ? await c.ids.idOf('secret', s.resource_id) : undefined;
    if (!secretId) throw invalid(`secrets.${i}.resource_id`, 'exists', 'The resource does not exist.');
    const userId = typeof s.user_id === 'string' && ANY_UUID.test(s.user_id) ? await c.ids.idOf('user', s.user_id) : undefined;
    if (!userId) throw invalid(`secrets.${i}.user_id`, 'exists', 'The user does not exist.');
    if (typeof s.data !== 'string' || !s.data.trim() || s.data.length > 1_000_000)
      throw invalid(`secrets.${i}.data`, '_required', 'A secret data is required.');
    out.set(secretId, [...(out.get(secretId) ?? []), { userId, message: s.data }]);
  }
  return out;
}

const filed = (req: FastifyRequest, reply: FastifyReply, requestId: string) => {
  reply.code(202);
  return ok(req, null, `The change needs approval: admin request ${requestId} was filed.`, 202);
};

export function groupRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.get('/groups.json', {
    config: cfg('passbolt.group.index', 'groups.read'),
    schema: { response: list('group') },
    handler: async (req) => ok(req, await presentGroups(c, req, await filtered(c, req))),
  });

  api.get('/groups/:id.json', {
    config: cfg('passbolt.group.view', 'groups.read'),
    schema: { params: idParams(), response: one('group') },
    handler: async (req) => {
      const { id } = req.params as { id: string };
      const g = await c.groups.get(req.ctx, await c.ids.require('group', id, 'The group'));
      return ok(req, (await presentGroups(c, req, [g]))[0]);
    },
  });

  api.post('/groups.json', {
    config: cfg('group.create', 'groups.write'),
    schema: { response: { ...one('group'), 202: noBody[200] } },
    handler: async (req, reply) => {
      const b = fieldsOf(req.body);
      const name = nameOf(b);
      const { add } = await memberChanges(c, null, b);
      const g = await c.groups.create(req.ctx, { name });
      for (const userId of add) {
        const r = await c.groups.addMember(req.ctx, g.id, userId);
        if ('status' in r) return filed(req, reply, r.request.id);
      }
      const created = await c.groups.get(req.ctx, g.id);
      return ok(req, (await presentGroups(c, req, [created]))[0], 'The group has been added successfully.');
    },
  });

  api.put('/groups/:id.json', {
    config: cfg('group.update', 'groups.write'),
    schema: { params: idParams(), response: { ...one('group'), 202: noBody[200] } },
    handler: async (req, reply) => {
      const { id: uuid } = req.params as { id: string };
      const id = await c.ids.require('group', uuid, 'The group');
      const b = fieldsOf(req.body);
      const { add, remove } = await memberChanges(c, id, b);
      const messages = await groupMessages(c, b);
      if (b.name !== undefined) await c.groups.update(req.ctx, id, { name: nameOf(b) });
      for (const userId of remove) await c.groups.removeMember(req.ctx, id, userId);
      for (const userId of add) {
        const r = await c.groups.addMember(req.ctx, id, userId);
        if ('status' in r) return filed(req, reply, r.request.id);
      }
      // the new members' messages: re-encryptions of each secret (edit needed, checked per reader)
      for (const [secretId, list] of messages) {
        try {
          await c.secrets.reencrypt(req.ctx, secretId, list);
        } catch (e) {
          throw await passboltError(c, e);
        }
      }
      const g = await c.groups.get(req.ctx, id);
      return ok(req, (await presentGroups(c, req, [g]))[0], 'The group has been updated successfully.');
    },
  });

  api.delete('/groups/:id.json', {
    config: cfg('group.delete', 'groups.write'),
    schema: { params: idParams(), response: noBody },
    handler: async (req) => {
      const { id } = req.params as { id: string };
      await c.groups.remove(req.ctx, await c.ids.require('group', id, 'The group'));
      return ok(req, null, 'The group was deleted successfully.');
    },
  });
}
