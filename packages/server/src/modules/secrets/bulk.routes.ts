import { BulkCreate, BulkDelete, BulkMove, BulkResult, BulkShare } from '@coffer/contracts/bulk';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { BulkService } from './bulk.service.ts';

export function bulkRoutes(fastify: FastifyInstance, deps: { bulk: BulkService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { bulk } = deps;
  const tags = ['secrets'];
  const note = 'each item on its own (own transaction and audit record); results per item, in order; at most 1000 items';

  app.post('/api/v1/secrets/bulk/create', {
    config: { auth: 'user', permission: 'self', action: 'secret.bulk_create' },
    schema: { tags, summary: `Create secrets: ${note}`, body: BulkCreate, response: { 200: BulkResult } },
    handler: async (req) => bulk.create(req.ctx, req.body),
  });
  app.post('/api/v1/secrets/bulk/move', {
    config: { auth: 'user', permission: 'self', action: 'secret.bulk_move' },
    schema: {
      tags,
      summary: `Move secrets to a folder or a vault top (edit on both): ${note}`,
      body: BulkMove,
      response: { 200: BulkResult },
    },
    handler: async (req) => bulk.move(req.ctx, req.body),
  });
  app.post('/api/v1/secrets/bulk/delete', {
    config: { auth: 'user', permission: 'self', action: 'secret.bulk_delete' },
    schema: { tags, summary: `Move secrets to the trash (edit): ${note}`, body: BulkDelete, response: { 200: BulkResult } },
    handler: async (req) => bulk.trash(req.ctx, req.body),
  });
  app.post('/api/v1/secrets/bulk/share', {
    config: { auth: 'user', permission: 'self', action: 'secret.bulk_share' },
    schema: { tags, summary: `Share secrets with a user (manage): ${note}`, body: BulkShare, response: { 200: BulkResult } },
    handler: async (req) => bulk.share(req.ctx, req.body),
  });
}
