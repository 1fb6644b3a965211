import { PendingApproval } from '@coffer/contracts/admin-requests';
import { Cursor, IdParams, Limit, Ok, Page } from '@coffer/contracts/common';
import {
  ChangeOwnEmail,
  ChangeOwnPassword,
  CreateGroup,
  CreateUser,
  Group,
  GroupMemberParams,
  SetPassword,
  UpdateGroup,
  UpdateUser,
  User,
} from '@coffer/contracts/identities';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { isPendingApproval } from '../admin-requests/admin-requests.service.ts';
import type { GroupsService } from './groups.service.ts';
import type { OwnAccountService } from './own-account.service.ts';
import type { UsersService } from './users.service.ts';

const ListQuery = Type.Object({ cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) }, { additionalProperties: false });
const UserListQuery = Type.Object(
  {
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
    kind: Type.Optional(Type.Union([Type.Literal('human'), Type.Literal('api')])),
  },
  { additionalProperties: false },
);

export function identitiesRoutes(
  fastify: FastifyInstance,
  deps: { users: UsersService; groups: GroupsService; ownAccount: OwnAccountService },
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { users, groups, ownAccount } = deps;
  const tagsU = ['users'];
  const tagsG = ['groups'];

  app.post('/api/v1/users', {
    config: { auth: 'user', permission: 'users.write', action: 'user.create' },
    schema: {
      tags: tagsU,
      summary: 'Create a user or an API user (202: needs another administrator’s approval, see admin requests)',
      description: 'A password given here is temporary: the user must change it at the first login.',
      body: CreateUser,
      response: { 201: User, 202: PendingApproval },
    },
    handler: async (req, reply) => {
      const r = await users.create(req.ctx, req.body);
      return reply.code(isPendingApproval(r) ? 202 : 201).send(r);
    },
  });
  app.get('/api/v1/users', {
    config: { auth: 'user', permission: 'users.read', action: 'user.list' },
    schema: { tags: tagsU, summary: 'List users', querystring: UserListQuery, response: { 200: Page(User) } },
    handler: async (req) => users.list(req.ctx, req.query),
  });
  app.get('/api/v1/users/:id', {
    config: { auth: 'user', permission: 'users.read', action: 'user.read' },
    schema: { tags: tagsU, summary: 'Get a user (any user may read their own)', params: IdParams, response: { 200: User } },
    handler: async (req) => users.get(req.ctx, req.params.id),
  });
  app.patch('/api/v1/users/:id', {
    config: { auth: 'user', permission: 'users.write', action: 'user.update' },
    schema: {
      tags: tagsU,
      summary:
        "Update profile fields, role or scope (a role/scope change ends the user's sessions and keys; an e-mail change needs the caller's currentPassword and totpCode)",
      params: IdParams,
      body: UpdateUser,
      response: { 200: User, 202: PendingApproval },
    },
    handler: async (req, reply) => {
      const r = await users.update(req.ctx, req.params.id, req.body);
      return reply.code(isPendingApproval(r) ? 202 : 200).send(r);
    },
  });
  app.post('/api/v1/users/:id/disable', {
    config: { auth: 'user', permission: 'users.write', action: 'user.disable' },
    schema: {
      tags: tagsU,
      summary: 'Disable a user (ends their sessions and keys)',
      params: IdParams,
      response: { 200: User, 202: PendingApproval },
    },
    handler: async (req, reply) => {
      const r = await users.setStatus(req.ctx, req.params.id, 'disabled');
      return reply.code(isPendingApproval(r) ? 202 : 200).send(r);
    },
  });
  app.post('/api/v1/users/:id/enable', {
    config: { auth: 'user', permission: 'users.write', action: 'user.enable' },
    schema: { tags: tagsU, summary: 'Enable a user', params: IdParams, response: { 200: User, 202: PendingApproval } },
    handler: async (req, reply) => {
      const r = await users.setStatus(req.ctx, req.params.id, 'active');
      return reply.code(isPendingApproval(r) ? 202 : 200).send(r);
    },
  });
  app.delete('/api/v1/users/:id', {
    config: { auth: 'user', permission: 'users.write', action: 'user.delete' },
    schema: { tags: tagsU, summary: 'Delete a user', params: IdParams, response: { 204: Type.Null(), 202: PendingApproval } },
    handler: async (req, reply) => {
      const pending = await users.remove(req.ctx, req.params.id);
      return pending ? reply.code(202).send(pending) : reply.code(204).send(null);
    },
  });
  app.post('/api/v1/users/:id/password', {
    config: { auth: 'user', permission: 'users.write', action: 'user.password_reset' },
    schema: {
      tags: tagsU,
      summary: "Set a user's password (ends their sessions and keys; temporary: they must change it at the next login)",
      params: IdParams,
      body: SetPassword,
      response: { 200: Ok, 202: PendingApproval },
    },
    handler: async (req, reply) => {
      const pending = await users.resetPassword(req.ctx, req.params.id, req.body.password);
      return pending ? reply.code(202).send(pending) : { ok: true as const };
    },
  });
  app.post('/api/v1/users/:id/unlock', {
    config: { auth: 'user', permission: 'users.write', action: 'user.unlock' },
    schema: { tags: tagsU, summary: 'Clear the login lock of a user', params: IdParams, response: { 200: Ok } },
    handler: async (req) => {
      await users.unlock(req.ctx, req.params.id);
      return { ok: true as const };
    },
  });
  app.post('/api/v1/me/password', {
    config: { auth: 'user', permission: 'self', action: 'user.password_change', duringPasswordChange: true },
    schema: {
      tags: tagsU,
      summary: 'Change your own password (needs currentPassword, and totpCode with TOTP; ends all your sessions and keys)',
      body: ChangeOwnPassword,
      response: { 200: Ok },
    },
    handler: async (req) => {
      await ownAccount.changeOwnPassword(req.ctx, req.body);
      return { ok: true as const };
    },
  });
  app.post('/api/v1/me/email', {
    config: { auth: 'user', permission: 'self', action: 'user.email_change' },
    schema: {
      tags: tagsU,
      summary: 'Change your own e-mail address (needs currentPassword, and totpCode with TOTP)',
      body: ChangeOwnEmail,
      response: { 200: User },
    },
    handler: async (req) => ownAccount.changeOwnEmail(req.ctx, req.body),
  });

  app.post('/api/v1/groups', {
    config: { auth: 'user', permission: 'groups.write', action: 'group.create' },
    schema: { tags: tagsG, summary: 'Create a group', body: CreateGroup, response: { 201: Group } },
    handler: async (req, reply) => reply.code(201).send(await groups.create(req.ctx, req.body)),
  });
  app.get('/api/v1/groups', {
    config: { auth: 'user', permission: 'groups.read', action: 'group.list' },
    schema: { tags: tagsG, summary: 'List groups', querystring: ListQuery, response: { 200: Page(Group) } },
    handler: async (req) => groups.list(req.ctx, req.query),
  });
  app.get('/api/v1/groups/:id', {
    config: { auth: 'user', permission: 'groups.read', action: 'group.read' },
    schema: { tags: tagsG, summary: 'Get a group', params: IdParams, response: { 200: Group } },
    handler: async (req) => groups.get(req.ctx, req.params.id),
  });
  app.patch('/api/v1/groups/:id', {
    config: { auth: 'user', permission: 'groups.write', action: 'group.update' },
    schema: { tags: tagsG, summary: 'Rename or describe a group', params: IdParams, body: UpdateGroup, response: { 200: Group } },
    handler: async (req) => groups.update(req.ctx, req.params.id, req.body),
  });
  app.delete('/api/v1/groups/:id', {
    config: { auth: 'user', permission: 'groups.write', action: 'group.delete' },
    schema: { tags: tagsG, summary: 'Delete a group', params: IdParams, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await groups.remove(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
  app.put('/api/v1/groups/:id/members/:userId', {
    config: { auth: 'user', permission: 'groups.write', action: 'group.member_add' },
    schema: {
      tags: tagsG,
      summary: 'Add a member (202: the group holds a grant and needs another administrator’s approval)',
      params: GroupMemberParams,
      response: { 200: Group, 202: PendingApproval },
    },
    handler: async (req, reply) => {
      const r = await groups.addMember(req.ctx, req.params.id, req.params.userId);
      return reply.code(isPendingApproval(r) ? 202 : 200).send(r);
    },
  });
  app.delete('/api/v1/groups/:id/members/:userId', {
    config: { auth: 'user', permission: 'groups.write', action: 'group.member_remove' },
    schema: { tags: tagsG, summary: 'Remove a member', params: GroupMemberParams, response: { 200: Group } },
    handler: async (req) => groups.removeMember(req.ctx, req.params.id, req.params.userId),
  });
}
