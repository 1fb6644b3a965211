// Response schemas of the Passbolt routes of users, groups and permissions: the objects in both API
// formats (v2 flat, v1 wrapped by model) inside the surface's envelope (schemas.ts). An allow-list:
// Fastify's serializer drops what a schema does not name.
import { ANY_UUID } from './ids.ts';
import { bool, responses as envelopes, int, str } from './schemas.ts';

export { str };

const date = { type: ['string', 'null'] } as const;
const uuid = { type: 'string', pattern: ANY_UUID.source } as const;

type Props = Record<string, unknown>;

/**
 * An object of these properties, `required` of them always there. Nothing else is written (the
 * serializer writes only the properties a schema names); extra ones are not refused, so that the
 * format branches (`anyOf` v2 / v1) choose by their required properties alone.
 */
export function obj<P extends Props>(properties: P, required: readonly (keyof P & string)[] = Object.keys(properties)) {
  return { type: 'object', required, properties } as const;
}
const nullable = (s: object) => ({ anyOf: [{ type: 'null' }, s] }) as const;

/** A route's `response`: the envelope of `body` on 200, the error envelopes otherwise. */
export const responses = (body: unknown) => envelopes({ 200: body });

export const role = obj({ id: uuid, name: str, description: str, created: date, modified: date });
export const profile = obj({
  id: uuid,
  user_id: uuid,
  first_name: str,
  last_name: str,
  created: date,
  modified: date,
  avatar: obj({ url: obj({ medium: str, small: str }) }),
});
export const gpgkey = obj({
  id: uuid,
  user_id: uuid,
  armored_key: str,
  bits: int,
  uid: str,
  key_id: str,
  fingerprint: str,
  type: str,
  expires: date,
  key_created: date,
  deleted: bool,
  created: date,
  modified: date,
});
const membershipFields = { id: uuid, group_id: uuid, user_id: uuid, is_admin: bool, created: date };
const membershipRequired = ['id', 'group_id', 'user_id', 'is_admin', 'created'] as const;
const groupUsers = { type: 'array', items: obj(membershipFields, membershipRequired) } as const;

const userFields = {
  id: uuid,
  role_id: uuid,
  username: str,
  active: bool,
  deleted: bool,
  created: date,
  modified: date,
  disabled: date,
  is_mfa_enabled: bool,
  last_logged_in: date,
};
const userRequired = ['id', 'role_id', 'username', 'active', 'deleted', 'created', 'modified', 'disabled', 'is_mfa_enabled'] as const;
const userV2 = obj(
  { ...userFields, profile, gpgkey: nullable(gpgkey), role, groups_users: groupUsers, setup: obj({ token: str, expires: date, url: str }) },
  userRequired,
);
const userV1 = obj({ User: obj(userFields, userRequired), Profile: profile, Gpgkey: nullable(gpgkey), Role: role, GroupUser: groupUsers }, [
  'User',
]);
export const user = { anyOf: [userV2, userV1] } as const;
/** A membership with its user (a group's `groups_users`, `my_group_user`). */
export const groupUser = obj({ ...membershipFields, user }, membershipRequired);
const groupUsersWithUser = { type: 'array', items: groupUser } as const;

const groupFields = { id: uuid, name: str, deleted: bool, created: date, modified: date, created_by: date, modified_by: date };
const groupRequired = ['id', 'name', 'deleted', 'created', 'modified'] as const;
const groupV2 = obj(
  { ...groupFields, groups_users: groupUsersWithUser, my_group_user: nullable(groupUser), modifier: nullable(userV2) },
  groupRequired,
);
const groupV1 = obj({ Group: obj(groupFields, groupRequired), GroupUser: groupUsersWithUser, MyGroupUser: nullable(groupUser) }, ['Group']);
export const group = { anyOf: [groupV2, groupV1] } as const;

const permissionFields = {
  id: uuid,
  aco: str,
  aco_foreign_key: uuid,
  aro: str,
  aro_foreign_key: uuid,
  type: int,
  created: date,
  modified: date,
};
const permissionV2 = obj(
  { ...permissionFields, user: userV2, group: groupV2 },
  Object.keys(permissionFields) as (keyof typeof permissionFields)[],
);
const permissionV1 = obj({ Permission: obj(permissionFields), User: userV1, Group: groupV1 }, ['Permission']);
export const permission = { anyOf: [permissionV2, permissionV1] } as const;

const models = { user, group, permission, gpgkey, role } as const;
/** One object of a model, or a list of them. */
export const one = (m: keyof typeof models) => responses(models[m]);
export const list = (m: keyof typeof models) => responses({ type: 'array', items: models[m] });

export const gpgkeyOne = responses({ anyOf: [gpgkey, obj({ Gpgkey: gpgkey })] });
export const gpgkeyList = responses({ type: 'array', items: { anyOf: [gpgkey, obj({ Gpgkey: gpgkey })] } });
export const roleList = responses({ type: 'array', items: { anyOf: [role, obj({ Role: role })] } });
export const noBody = responses({ type: 'null' });
export const aros = responses({ type: 'array', items: { anyOf: [user, group] } });
export const simulation = responses(obj({ changes: obj({ added: { type: 'array' }, removed: { type: 'array' } }) }));

/** `{id}` of a path (checked as a UUID by ids.require, which answers Passbolt's message). */
export const idParams = () => obj({ id: str });
