import { Page } from '@coffer/contracts/common';
import { DeleteMetadata, MetadataField, MetadataQuery, SetMetadata } from '@coffer/contracts/metadata';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { MetadataService } from './metadata.service.ts';

export function metadataRoutes(fastify: FastifyInstance, deps: { metadata: MetadataService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const tags = ['metadata'];

  app.get('/api/v1/metadata', {
    config: { auth: 'user', permission: 'self', action: 'metadata.list' },
    schema: {
      tags,
      summary: 'Metadata fields of a vault, folder or secret (view); metadata is stored in clear, never put secrets in it',
      querystring: MetadataQuery,
      response: { 200: Page(MetadataField) },
    },
    handler: async (req) => metadata.list(req.ctx, req.query.nodeId),
  });
  app.put('/api/v1/metadata', {
    config: { auth: 'user', permission: 'self', action: 'metadata.set' },
    schema: {
      tags,
      summary: 'Set a typed metadata field (string, number, boolean, date YYYY-MM-DD, user id) in a section (edit)',
      body: SetMetadata,
      response: { 200: MetadataField },
    },
    handler: async (req) => metadata.set(req.ctx, req.body),
  });
  app.delete('/api/v1/metadata', {
    config: { auth: 'user', permission: 'self', action: 'metadata.delete' },
    schema: { tags, summary: 'Delete a metadata field (edit)', body: DeleteMetadata, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await metadata.remove(req.ctx, req.body);
      return reply.code(204).send(null);
    },
  });
}
