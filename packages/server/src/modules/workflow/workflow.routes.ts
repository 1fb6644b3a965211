import { IdParams, Page } from '@coffer/contracts/common';
import {
  AccessRequest,
  AccessRequestQuery,
  Checkin,
  Checkout,
  CheckoutQuery,
  CreateAccessRequest,
  Decision,
  EffectiveAccessPolicy,
  RotateSecret,
  Rotation,
  SetSecretPassword,
  StartCheckout,
} from '@coffer/contracts/workflow';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { WorkflowService } from './workflow.service.ts';

export function workflowRoutes(fastify: FastifyInstance, deps: { workflow: WorkflowService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { workflow } = deps;
  const tags = ['access workflows'];

  app.post('/api/v1/access-requests', {
    config: { auth: 'user', permission: 'self', action: 'request.create' },
    schema: {
      tags,
      summary: 'Request access to a secret whose policy needs approval (reveal access; the reason is audited)',
      body: CreateAccessRequest,
      response: { 201: AccessRequest },
    },
    handler: async (req, reply) => reply.code(201).send(await workflow.createRequest(req.ctx, req.body)),
  });
  app.get('/api/v1/access-requests', {
    config: { auth: 'user', permission: 'self', action: 'request.list' },
    schema: {
      tags,
      summary: 'Your requests, the ones waiting for your approval (scope=pending), or all of them (audit.read)',
      querystring: AccessRequestQuery,
      response: { 200: Page(AccessRequest) },
    },
    handler: async (req) => workflow.listRequests(req.ctx, req.query),
  });
  app.get('/api/v1/access-requests/:id', {
    config: { auth: 'user', permission: 'self', action: 'request.read' },
    schema: {
      tags,
      summary: 'One access request (requester, approvers, owners, auditors)',
      params: IdParams,
      response: { 200: AccessRequest },
    },
    handler: async (req) => workflow.getRequest(req.ctx, req.params.id),
  });
  app.post('/api/v1/access-requests/:id/approve', {
    config: { auth: 'user', permission: 'self', action: 'request.approve' },
    schema: {
      tags,
      summary: 'Approve as an approver (never your own request); approved once enough approvers agreed',
      params: IdParams,
      body: Decision,
      response: { 200: AccessRequest },
    },
    handler: async (req) => workflow.approve(req.ctx, req.params.id, req.body.comment),
  });
  app.post('/api/v1/access-requests/:id/reject', {
    config: { auth: 'user', permission: 'self', action: 'request.reject' },
    schema: { tags, summary: 'Reject as an approver, with a comment', params: IdParams, body: Decision, response: { 200: AccessRequest } },
    handler: async (req) => workflow.reject(req.ctx, req.params.id, req.body.comment),
  });
  app.post('/api/v1/access-requests/:id/cancel', {
    config: { auth: 'user', permission: 'self', action: 'request.cancel' },
    schema: {
      tags,
      summary: 'Withdraw your own request (waiting or approved, not yet used)',
      params: IdParams,
      body: Decision,
      response: { 200: AccessRequest },
    },
    handler: async (req) => workflow.cancel(req.ctx, req.params.id, req.body.comment),
  });
  app.post('/api/v1/access-requests/:id/revoke', {
    config: { auth: 'user', permission: 'self', action: 'request.revoke' },
    schema: {
      tags,
      summary: 'Revoke an approval: live access ends at once (an active checkout is checked in)',
      params: IdParams,
      body: Decision,
      response: { 200: AccessRequest },
    },
    handler: async (req) => workflow.revoke(req.ctx, req.params.id, req.body.comment),
  });

  app.post('/api/v1/secrets/:id/checkout', {
    config: { auth: 'user', permission: 'self', action: 'checkout.start' },
    schema: {
      tags,
      summary: 'Check out a secret exclusively (requestId when approval is required); 409 secret.checked_out names the holder — no queue',
      params: IdParams,
      body: StartCheckout,
      response: { 201: Checkout },
    },
    handler: async (req, reply) => reply.code(201).send(await workflow.checkout(req.ctx, req.params.id, req.body)),
  });
  app.post('/api/v1/secrets/:id/checkin', {
    config: { auth: 'user', permission: 'self', action: 'checkout.end' },
    schema: {
      tags,
      summary: 'Check in (the holder), or force it on their behalf (manage or administrator, with a reason); rotates if the policy says so',
      params: IdParams,
      body: Checkin,
      response: { 200: Checkout },
    },
    handler: async (req) => workflow.checkin(req.ctx, req.params.id, req.body),
  });
  app.get('/api/v1/checkouts', {
    config: { auth: 'user', permission: 'self', action: 'checkout.list' },
    schema: { tags, summary: 'Current checkouts with holder and end time', querystring: CheckoutQuery, response: { 200: Page(Checkout) } },
    handler: async (req) => workflow.listCheckouts(req.ctx, req.query),
  });
  app.post('/api/v1/secrets/:id/rotate', {
    config: { auth: 'user', permission: 'self', action: 'secret.rotate' },
    schema: {
      tags,
      summary: 'Rotate the password: a new one from the effective password policy, stored as a new version (edit; never returned)',
      params: IdParams,
      body: RotateSecret,
      response: { 200: Rotation },
    },
    handler: async (req) => workflow.rotate(req.ctx, req.params.id, req.body),
  });
  app.post('/api/v1/secrets/:id/password', {
    config: { auth: 'user', permission: 'self', action: 'secret.set_password' },
    schema: {
      tags,
      summary: 'Change the password to a given value (a new version, through the rotation connector; edit)',
      params: IdParams,
      body: SetSecretPassword,
      response: { 200: Rotation },
    },
    handler: async (req) => workflow.setPassword(req.ctx, req.params.id, req.body),
  });
  app.get('/api/v1/secrets/:id/access-policy', {
    config: { auth: 'user', permission: 'self', action: 'secret.access_policy' },
    schema: {
      tags,
      summary: 'The effective access policy, each part with the vault or folder it comes from, and what it means for you',
      params: IdParams,
      response: { 200: EffectiveAccessPolicy },
    },
    handler: async (req) => workflow.accessPolicy(req.ctx, req.params.id),
  });
}
