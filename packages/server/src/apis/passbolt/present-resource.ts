// Coffer secrets of E2E vaults -> Passbolt resources (v2 as they are, v1 wrapped by model name with
// the contained objects beside: `{Resource, Creator, Modifier, Secret, Permission, Favorite}`).
// Everything is read through the services: the secrets as listed or read for the caller, their
// authors, readers and favourite marks for that page, the caller's own message through the reveal
// use case (same gate and audit as natively).
import type { FastifyRequest } from 'fastify';
import type { GrantTable } from '../../db/schema.ts';
import { isAppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { Author } from '../../modules/secrets/authors.ts';
import { dateOf } from './dates.ts';
import { apiVersion } from './envelope.ts';
import { presentType, typeOfFormat } from './resource-types.ts';
import { bool, exact, int, nullableStr, str, userSchema } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

/** What the secrets service answers for one secret (search item or single read). */
export interface NativeSecret {
  id: string;
  vaultId: string;
  folderId: string | null;
  name: string;
  username: string;
  url: string;
  description: string;
  myLevel: string | null;
  valueFormat?: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** Passbolt's permission types from Coffer's levels: read 1, update 7, owner 15. */
export function permissionType(level: string | null): 1 | 7 | 15 | 0 {
  if (level === 'manage') return 15;
  if (level === 'edit') return 7;
  if (level === 'reveal') return 1;
  return 0;
}

export interface Contain {
  secret: boolean;
  favorite: boolean;
  permission: boolean;
  creator: boolean;
  modifier: boolean;
  resourceType: boolean;
}

export const NO_CONTAIN: Contain = {
  secret: false,
  favorite: false,
  permission: false,
  creator: false,
  modifier: false,
  resourceType: false,
};

/** `contain[x]=1` of the query (either `contain[x]` keys or a parsed `contain` object). */
export function containOf(query: unknown): Contain {
  const q = (query ?? {}) as Record<string, unknown>;
  const nested = (typeof q.contain === 'object' && q.contain ? q.contain : {}) as Record<string, unknown>;
  const on = (k: string) => {
    const v = q[`contain[${k}]`] ?? nested[k];
    return v === '1' || v === 'true' || v === 1 || v === true;
  };
  return {
    secret: on('secret'),
    favorite: on('favorite'),
    permission: on('permission'),
    creator: on('creator'),
    modifier: on('modifier'),
    resourceType: on('resource-type'),
  };
}

/** The Passbolt folder a secret is in: null at the top of the Passbolt vault, its folder, or its other E2E vault. */
async function parentUuids(c: PassboltContext, items: NativeSecret[], home: string | undefined) {
  const folders = await c.ids.uuidsOf('folder', [...new Set(items.flatMap((s) => (s.folderId ? [s.folderId] : [])))]);
  const vaults = await c.ids.uuidsOf('vault', [...new Set(items.filter((s) => !s.folderId && s.vaultId !== home).map((s) => s.vaultId))]);
  return (s: NativeSecret) =>
    s.folderId ? (folders.get(s.folderId) ?? null) : s.vaultId === home ? null : (vaults.get(s.vaultId) ?? null);
}

export function secretObject(
  date: (w: string | number) => string,
  m: { id: string; userUuid: string; resourceUuid: string; data: string; created: number; modified: number },
) {
  return { id: m.id, user_id: m.userUuid, resource_id: m.resourceUuid, data: m.data, created: date(m.created), modified: date(m.modified) };
}

/** The caller's own message of each resource, through the reveal use case (a refused reveal: none). */
async function ownSecrets(c: PassboltContext, ctx: RequestContext, date: (w: string | number) => string, items: NativeSecret[]) {
  const out = new Map<string, ReturnType<typeof secretObject>[]>();
  const userUuid = await c.ids.uuidOf('user', ctx.actor.userId as string);
  for (const s of items) {
    try {
      const r = await c.secrets.reveal(ctx, s.id, {});
      if (!r.e2e) continue;
      const resourceUuid = await c.ids.uuidOf('secret', s.id);
      const id = await c.ids.uuidOf('secret_message', r.e2e.messageId);
      const m = { id, userUuid, resourceUuid, data: r.e2e.message, created: r.e2e.messageCreatedAt, modified: r.e2e.messageUpdatedAt };
      out.set(s.id, [secretObject(date, m)]);
    } catch (e) {
      if (!isAppError(e)) throw e;
      out.set(s.id, []); // no message for the caller, a reason or an approval needed: the list goes on
    }
  }
  return out;
}

/** Resources as the caller sees them, with what the query contains. `home`: the Passbolt vault's id (its top is no folder). */
/** A creator/modifier as Passbolt shows one beside a resource or a comment (null: unknown). */
export function authorObject<Id>(a: Author | null | undefined, uuidOf: (userId: string) => Id) {
  return a
    ? {
        id: uuidOf(a.id),
        username: a.username,
        active: a.active,
        deleted: false,
        profile: { first_name: a.firstName, last_name: a.lastName },
      }
    : null;
}

export async function presentResources(
  c: PassboltContext,
  req: FastifyRequest,
  items: NativeSecret[],
  home: string | undefined,
  contain: Contain,
) {
  const ctx = req.ctx;
  const userId = ctx.actor.userId as string;
  const date = dateOf(req);
  const ids = items.map((s) => s.id);
  const uuids = await c.ids.uuidsOf('secret', ids);
  const parentOf = await parentUuids(c, items, home);
  const authors = await c.secrets.authorsAmong(c.db, ids);
  const readers = await c.secrets.readersAmong(
    c.db,
    items.map((s) => ({ id: s.id, parentNodeId: s.folderId ?? s.vaultId })),
  );
  const authorIds = [...new Set([...authors.values()].flatMap((a) => [a.creator?.id, a.modifier?.id]).filter((x): x is string => !!x))];
  const userUuids = await c.ids.uuidsOf('user', [...authorIds, userId]);
  const marks = contain.favorite ? await c.secrets.favoriteMarksAmong(c.db, userId, ids) : new Map<string, number>();
  const secrets = contain.secret ? await ownSecrets(c, ctx, date, items) : new Map();
  // the caller's permission: the grant that gives it, with the id GET /permissions shows for it
  const ownGrants = contain.permission
    ? await c.vaults.ownGrantsAmong(
        c.db,
        ctx.actor,
        items.map((s) => ({ id: s.id, parentNodeId: s.folderId ?? s.vaultId })),
      )
    : new Map<string, GrantTable>();
  const grantUuids = await c.ids.uuidsOf(
    'grant',
    [...ownGrants.values()].map((g) => g.id),
  );
  const groupUuids = await c.ids.uuidsOf(
    'group',
    [...ownGrants.values()].filter((g) => g.principal_type === 'group').map((g) => g.principal_id),
  );
  // reached without a grant of one's own (the all-passwords scope): a permission of the user, by its own id
  const synthetic = contain.permission
    ? await c.ids.uuidsOf(
        'permission',
        items.filter((s) => !ownGrants.has(s.id)).map((s) => `${s.id}/${userId}`),
      )
    : new Map<string, string>();
  const favoriteIds = await c.ids.uuidsOf(
    'favorite',
    [...marks.keys()].map((id) => `${userId}/${id}`),
  );
  const userObj = (a: Author | null) => authorObject(a, (id) => userUuids.get(id) ?? '');
  const v1 = apiVersion(req) === 'v1';
  const out = [];
  for (const s of items) {
    const uuid = uuids.get(s.id) as string;
    const who = authors.get(s.id) ?? { creator: null, modifier: null };
    const r = readers.get(s.id) ?? [];
    const base = {
      id: uuid,
      name: s.name,
      username: s.username,
      uri: s.url,
      description: s.description,
      deleted: s.deletedAt !== null,
      created: date(s.createdAt),
      modified: date(s.updatedAt),
      created_by: who.creator ? (userUuids.get(who.creator.id) ?? null) : null,
      modified_by: who.modifier ? (userUuids.get(who.modifier.id) ?? null) : null,
      resource_type_id: typeOfFormat(s.valueFormat).id,
      folder_parent_id: parentOf(s),
      personal: r.length === 1 && r[0] === userId,
    };
    const mark = marks.get(s.id);
    const favorite =
      mark === undefined
        ? null
        : {
            id: favoriteIds.get(`${userId}/${s.id}`) as string,
            user_id: userUuids.get(userId) as string,
            foreign_key: uuid,
            foreign_model: 'Resource',
            created: date(mark),
            modified: date(mark),
          };
    const grant = ownGrants.get(s.id);
    const permission = {
      id: (grant ? grantUuids.get(grant.id) : synthetic.get(`${s.id}/${userId}`)) as string,
      aco: 'Resource',
      aco_foreign_key: uuid,
      aro: grant?.principal_type === 'group' ? 'Group' : 'User',
      aro_foreign_key: (grant?.principal_type === 'group' ? groupUuids.get(grant.principal_id) : userUuids.get(userId)) as string,
      type: permissionType(s.myLevel),
      created: date(s.createdAt),
      modified: date(s.updatedAt),
    };
    const type = typeOfFormat(s.valueFormat);
    const contained: Record<string, unknown> = {};
    if (contain.creator) contained[v1 ? 'Creator' : 'creator'] = userObj(who.creator);
    if (contain.modifier) contained[v1 ? 'Modifier' : 'modifier'] = userObj(who.modifier);
    if (contain.favorite) contained[v1 ? 'Favorite' : 'favorite'] = favorite;
    if (contain.permission) contained[v1 ? 'Permission' : 'permission'] = permission;
    if (contain.secret) contained[v1 ? 'Secret' : 'secrets'] = secrets.get(s.id) ?? [];
    if (contain.resourceType) contained[v1 ? 'ResourceType' : 'resource_type'] = presentType(type, date);
    out.push(v1 ? { Resource: base, ...contained } : { ...base, ...contained });
  }
  return out;
}

// --- schemas ---------------------------------------------------------------------------------

export const secretSchema = exact({ id: str, user_id: str, resource_id: str, data: str, created: str, modified: str });
export const permissionSchema = exact({
  id: str,
  aco: str,
  aco_foreign_key: str,
  aro: str,
  aro_foreign_key: str,
  type: int,
  created: str,
  modified: str,
});
export const favoriteSchema = exact({ id: str, user_id: str, foreign_key: str, foreign_model: str, created: str, modified: str });
const nullableUser = { anyOf: [{ type: 'null' }, userSchema] };
const nullableFavorite = { anyOf: [{ type: 'null' }, favoriteSchema] };
const typeSchema = exact({ id: str, slug: str, name: str, description: str, definition: str, created: str, modified: str });

const resourceFields = {
  id: str,
  name: str,
  username: nullableStr,
  uri: nullableStr,
  description: nullableStr,
  deleted: bool,
  created: str,
  modified: str,
  created_by: nullableStr,
  modified_by: nullableStr,
  resource_type_id: nullableStr,
  folder_parent_id: nullableStr,
  personal: bool,
};
const CONTAINED_V2 = {
  creator: nullableUser,
  modifier: nullableUser,
  favorite: nullableFavorite,
  permission: permissionSchema,
  secrets: { type: 'array', items: secretSchema },
  resource_type: typeSchema,
};
const CONTAINED_V1 = {
  Creator: nullableUser,
  Modifier: nullableUser,
  Favorite: nullableFavorite,
  Permission: permissionSchema,
  Secret: { type: 'array', items: secretSchema },
  ResourceType: typeSchema,
};

/** A resource, v2 (contained objects inline) or v1 (`Resource` and the contained objects beside). */
export const resourceSchema = {
  anyOf: [
    exact({ ...resourceFields, ...CONTAINED_V2 }, Object.keys(CONTAINED_V2)),
    exact({ Resource: exact(resourceFields), ...CONTAINED_V1 }, Object.keys(CONTAINED_V1)),
  ],
};
