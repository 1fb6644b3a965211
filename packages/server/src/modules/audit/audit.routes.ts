import { Readable } from 'node:stream';
import { AuditCheckpoints, AuditQuery, AuditRecord, AuditVerify } from '@coffer/contracts/audit';
import { Page } from '@coffer/contracts/common';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AuditService } from './audit.service.ts';

export function auditRoutes(fastify: FastifyInstance, deps: { audit: AuditService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { audit } = deps;
  const tags = ['audit'];

  app.get('/api/v1/audit', {
    config: { auth: 'user', permission: 'audit.read', action: 'audit.read' },
    schema: {
      tags,
      summary: 'Audit records, newest first, with filters and cursor pagination',
      querystring: AuditQuery,
      response: { 200: Page(AuditRecord) },
    },
    handler: async (req) => audit.list(req.ctx, req.query),
  });
  app.get('/api/v1/audit/export', {
    config: { auth: 'user', permission: 'audit.read', action: 'audit.export' },
    schema: {
      tags,
      summary: 'The same records as JSON lines (application/jsonl), streamed',
      querystring: AuditQuery,
      response: { 200: { content: { 'application/jsonl': { schema: Type.String() } } } },
    },
    handler: async (req, reply) => {
      const lines = audit.exportLines(req.ctx, req.query);
      // pull the first line before answering, so a denial is a proper error response
      const first = await lines.next();
      async function* rest() {
        if (!first.done) yield first.value;
        yield* lines;
      }
      reply.header('content-type', 'application/jsonl; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="coffer-audit.jsonl"');
      return reply.send(Readable.from(rest()) as unknown as string);
    },
  });
  app.get('/api/v1/audit/verify', {
    config: { auth: 'user', permission: 'audit.read', action: 'audit.verify' },
    schema: { tags, summary: 'Check the hash chain and signed checkpoints; names the first bad record', response: { 200: AuditVerify } },
    handler: async (req) => audit.verify(req.ctx),
  });
  app.get('/api/v1/audit/checkpoints', {
    config: { auth: 'user', permission: 'audit.read', action: 'audit.checkpoints_read' },
    schema: { tags, summary: 'Signed checkpoints and the public key, for safekeeping outside Coffer', response: { 200: AuditCheckpoints } },
    handler: async (req) => audit.checkpoints(req.ctx),
  });
  app.post('/api/v1/audit/checkpoints', {
    config: { auth: 'user', permission: 'audit.read', action: 'audit.checkpoint' },
    schema: { tags, summary: 'Sign a checkpoint of the current head now', response: { 200: AuditCheckpoints } },
    handler: async (req) => audit.checkpointNow(req.ctx),
  });
}
