import {
  AdminDecision,
  AdminRequest,
  AdminRequestExecution,
  AdminRequestQuery,
  CreateAdminRequest,
  ExecuteAdminRequest,
} from '@coffer/contracts/admin-requests';
import { IdParams, Page } from '@coffer/contracts/common';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminRequestsService } from './admin-requests.service.ts';

export function adminRequestsRoutes(fastify: FastifyInstance, deps: { adminRequests: AdminRequestsService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { adminRequests } = deps;
  const tags = ['admin requests'];

  app.post('/api/v1/admin-requests', {
    config: { auth: 'user', permission: 'self', action: 'admin_request.create' },
    schema: {
      tags,
      summary: "File an administrative operation for another administrator's approval (gated calls do this by themselves)",
      description:
        'The operation is checked as a direct call would be (permission, validation), then stored: a password only as its encrypted Argon2 hash.',
      body: CreateAdminRequest,
      response: { 201: AdminRequest },
    },
    handler: async (req, reply) => reply.code(201).send(await adminRequests.create(req.ctx, req.body)),
  });
  app.get('/api/v1/admin-requests', {
    config: { auth: 'user', permission: 'self', action: 'admin_request.list' },
    schema: {
      tags,
      summary: 'Your admin requests, the ones waiting for your approval (scope=pending), or all of them (audit.read)',
      querystring: AdminRequestQuery,
      response: { 200: Page(AdminRequest) },
    },
    handler: async (req) => adminRequests.list(req.ctx, req.query),
  });
  app.get('/api/v1/admin-requests/:id', {
    config: { auth: 'user', permission: 'self', action: 'admin_request.read' },
    schema: { tags, summary: 'One admin request (requester, administrators, auditors)', params: IdParams, response: { 200: AdminRequest } },
    handler: async (req) => adminRequests.get(req.ctx, req.params.id),
  });
  app.post('/api/v1/admin-requests/:id/approve', {
    config: { auth: 'user', permission: 'users.write', action: 'admin_request.approve' },
    schema: {
      tags,
      summary: 'Approve as another administrator (never your own request); the requester then executes it',
      params: IdParams,
      body: AdminDecision,
      response: { 200: AdminRequest },
    },
    handler: async (req) => adminRequests.approve(req.ctx, req.params.id, req.body.comment),
  });
  app.post('/api/v1/admin-requests/:id/reject', {
    config: { auth: 'user', permission: 'users.write', action: 'admin_request.reject' },
    schema: {
      tags,
      summary: 'Reject as another administrator, with a comment',
      params: IdParams,
      body: AdminDecision,
      response: { 200: AdminRequest },
    },
    handler: async (req) => adminRequests.reject(req.ctx, req.params.id, req.body.comment),
  });
  app.post('/api/v1/admin-requests/:id/cancel', {
    config: { auth: 'user', permission: 'self', action: 'admin_request.cancel' },
    schema: {
      tags,
      summary: 'Withdraw your own request (waiting or approved, not yet executed)',
      params: IdParams,
      body: AdminDecision,
      response: { 200: AdminRequest },
    },
    handler: async (req) => adminRequests.cancel(req.ctx, req.params.id, req.body.comment),
  });
  app.post('/api/v1/admin-requests/:id/execute', {
    config: { auth: 'user', permission: 'self', action: 'admin_request.execute' },
    schema: {
      tags,
      summary:
        'Perform your approved request, exactly as stored, once (an API key is minted now and shown once: send currentPassword, and totpCode with TOTP)',
      params: IdParams,
      body: ExecuteAdminRequest,
      response: { 200: AdminRequestExecution },
    },
    // a body-less POST (only an API key request needs the proof) reads as an empty one
    preValidation: async (req) => {
      req.body ??= {};
    },
    handler: async (req) => adminRequests.execute(req.ctx, req.params.id, req.body),
  });
}
