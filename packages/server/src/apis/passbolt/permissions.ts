// Passbolt's permissions of a resource (`GET /permissions/resource/{id}.json`): the live grants
// that apply to the E2E secret (on itself, or inherited from its vault and folders), from the
// vaults service (manage: all of them; less: the caller's own). Levels: reveal -> 1 (read), edit ->
// 7 (update), manage -> 15 (owner); a grant below reveal (list, view) opens no value and is no
// Passbolt permission: not shown.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GrantTable } from '../../db/schema.ts';
import { can } from '../../modules/auth/actor.ts';
import { apiVersion, ok } from './envelope.ts';
import { containOf, pbDate, presentUsers } from './present-user.ts';
import { idParams, list } from './schemas-users.ts';
import type { PassboltContext } from './surface.ts';

/** Coffer level rank (access/levels.ts) <-> Passbolt permission type. */
export const TYPE_OF_RANK: Record<number, 1 | 7 | 15> = { 3: 1, 4: 7, 5: 15 };
export const LEVEL_OF_TYPE = { 1: 'reveal', 7: 'edit', 15: 'manage' } as const;

function containFlag(query: unknown, name: string): boolean {
  const q = (query ?? {}) as Record<string, unknown>;
  const v = q[`contain[${name}]`];
  return v === '1' || v === 'true';
}

/** Grants -> Passbolt permissions of the resource `secretId` (`user` / `group` when asked and the caller may read them). */
export async function presentPermissions(c: PassboltContext, req: FastifyRequest, secretId: string, grants: GrantTable[]) {
  const shown = grants.filter((g) => TYPE_OF_RANK[g.level] !== undefined);
  const resource = await c.ids.uuidOf('secret', secretId);
  const grantIds = await c.ids.uuidsOf(
    'grant',
    shown.map((g) => g.id),
  );
  const userIds = shown.filter((g) => g.principal_type === 'user').map((g) => g.principal_id);
  const groupIds = shown.filter((g) => g.principal_type === 'group').map((g) => g.principal_id);
  const userUuids = await c.ids.uuidsOf('user', userIds);
  const groupUuids = await c.ids.uuidsOf('group', groupIds);
  const users = new Map<string, unknown>();
  if (containFlag(req.query, 'user') && can(req.ctx.actor, 'users.read')) {
    const rows = await Promise.all([...new Set(userIds)].map((id) => c.users.get(req.ctx, id)));
    const presented = await presentUsers(c, req, req.ctx, rows, containOf({}, { gpgkey: false }));
    for (const [i, u] of rows.entries()) users.set(u.id, presented[i]);
  }
  const groups = new Map<string, unknown>();
  if (containFlag(req.query, 'group') && can(req.ctx.actor, 'groups.read')) {
    for (const id of new Set(groupIds)) {
      const g = await c.groups.get(req.ctx, id);
      const shown = {
        id: groupUuids.get(id),
        name: g.name,
        deleted: false,
        created: pbDate(req, g.createdAt),
        modified: pbDate(req, g.createdAt),
      };
      groups.set(id, apiVersion(req) === 'v1' ? { Group: shown } : shown);
    }
  }
  return shown.map((g) => {
    const isUser = g.principal_type === 'user';
    const p = {
      id: grantIds.get(g.id) as string,
      aco: 'Resource',
      aco_foreign_key: resource,
      aro: isUser ? 'User' : 'Group',
      aro_foreign_key: (isUser ? userUuids : groupUuids).get(g.principal_id) as string,
      type: TYPE_OF_RANK[g.level] as number,
      created: pbDate(req, Number(g.created_at)),
      modified: pbDate(req, Number(g.created_at)),
    };
    const v1 = apiVersion(req) === 'v1';
    const extra: Record<string, unknown> = {};
    if (isUser && users.has(g.principal_id)) extra[v1 ? 'User' : 'user'] = users.get(g.principal_id);
    if (!isUser && groups.has(g.principal_id)) extra[v1 ? 'Group' : 'group'] = groups.get(g.principal_id);
    return v1 ? { Permission: p, ...extra } : { ...p, ...extra };
  });
}

export function permissionRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.get('/permissions/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'passbolt.permission.index' },
    schema: { params: idParams(), response: list('permission') },
    handler: async (req) => {
      const { id } = req.params as { id: string };
      const secretId = await c.ids.require('secret', id);
      return ok(req, await presentPermissions(c, req, secretId, await c.vaults.secretPermissions(req.ctx, secretId)));
    },
  });
}
