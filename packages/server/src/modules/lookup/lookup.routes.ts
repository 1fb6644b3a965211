import { CredentialLookupQuery, FolderLookupQuery, FolderRef, PmpIds, PmpLookupQuery, SecretLookupQuery } from '@coffer/contracts/lookup';
import { Secret } from '@coffer/contracts/secrets';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { LookupService } from './lookup.service.ts';

/** The ETag of GET /secrets/{id}, so a lookup can be followed by a conditional write. */
function withEtag<T extends { version: number }>(reply: FastifyReply, body: T): T {
  reply.header('etag', `"v${body.version}"`);
  return body;
}

export function lookupRoutes(fastify: FastifyInstance, deps: { lookup: LookupService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { lookup } = deps;
  const tags = ['lookup'];

  app.get('/api/v1/lookup/folder', {
    config: { auth: 'user', permission: 'self', action: 'lookup.folder' },
    schema: {
      tags,
      summary: 'Folder by vault name and path (/A/B or \\A\\B), as Secret Server names them',
      querystring: FolderLookupQuery,
      response: { 200: FolderRef },
    },
    handler: async (req) => lookup.folder(req.ctx, req.query),
  });
  app.get('/api/v1/lookup/secret', {
    config: { auth: 'user', permission: 'self', action: 'lookup.secret' },
    schema: {
      tags,
      summary: 'Secret by vault name, folder path and name (metadata, as GET /secrets/{id})',
      querystring: SecretLookupQuery,
      response: { 200: Secret },
    },
    handler: async (req, reply) => withEtag(reply, await lookup.secret(req.ctx, req.query)),
  });
  app.get('/api/v1/lookup/pmp', {
    config: { auth: 'user', permission: 'self', action: 'lookup.pmp' },
    schema: {
      tags,
      summary: 'PMP resource and account names to ids (folder id, secret id)',
      querystring: PmpLookupQuery,
      response: { 200: PmpIds },
    },
    handler: async (req) => lookup.pmp(req.ctx, req.query),
  });
  app.get('/api/v1/lookup/credential', {
    config: { auth: 'user', permission: 'self', action: 'lookup.credential' },
    schema: {
      tags,
      summary: 'Secret by senhasegura identifier username@hostname (metadata, as GET /secrets/{id})',
      querystring: CredentialLookupQuery,
      response: { 200: Secret },
    },
    handler: async (req, reply) => withEtag(reply, await lookup.credential(req.ctx, req.query)),
  });
}
