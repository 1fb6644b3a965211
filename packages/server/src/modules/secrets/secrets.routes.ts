import { CountedPage, Id, IdParams, Page } from '@coffer/contracts/common';
import { PutMessages, Readers, VaultReadersQuery } from '@coffer/contracts/e2e';
import {
  CreateSecret,
  CreateTemplate,
  Reveal,
  Revealed,
  SearchQuery,
  Secret,
  SecretVersion,
  Share,
  Template,
  UpdateSecret,
  UpdateTemplate,
} from '@coffer/contracts/secrets';
import { Grant } from '@coffer/contracts/vaults';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/app-error.ts';
import type { SecretsService } from './secrets.service.ts';
import type { TemplatesService } from './templates.service.ts';

const VersionParams = Type.Object({ id: Id, version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false });
const IdempotencyKey = Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' });

/** `If-Match: "v3"` (or `3`) -> 3. Absent -> undefined. */
function ifMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?v?(\d{1,9})"?\s*$/.exec(String(h));
  if (!m) throw new AppError('validation.failed', 'If-Match must be the ETag of the secret, e.g. "v3".');
  return Number(m[1]);
}

function withEtag<T extends { version: number }>(reply: FastifyReply, body: T): T {
  reply.header('etag', `"v${body.version}"`);
  return body;
}

export function secretsRoutes(fastify: FastifyInstance, deps: { secrets: SecretsService; templates: TemplatesService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { secrets, templates } = deps;
  const tags = ['secrets'];

  app.get('/api/v1/templates', {
    config: { auth: 'user', permission: 'self', action: 'template.list' },
    schema: { tags: ['templates'], summary: 'Built-in and custom templates', response: { 200: Page(Template) } },
    handler: async (req) => templates.list(req.ctx),
  });
  app.post('/api/v1/templates', {
    config: { auth: 'user', permission: 'templates.write', action: 'template.create' },
    schema: { tags: ['templates'], summary: 'Create a custom template', body: CreateTemplate, response: { 201: Template } },
    handler: async (req, reply) => reply.code(201).send(await templates.create(req.ctx, req.body)),
  });
  app.patch('/api/v1/templates/:id', {
    config: { auth: 'user', permission: 'templates.write', action: 'template.update' },
    schema: {
      tags: ['templates'],
      summary: 'Change a custom template (existing secrets stay valid)',
      params: IdParams,
      body: UpdateTemplate,
      response: { 200: Template },
    },
    handler: async (req) => templates.update(req.ctx, req.params.id, req.body),
  });

  app.post('/api/v1/secrets', {
    config: { auth: 'user', permission: 'self', action: 'secret.create' },
    schema: {
      tags,
      summary: 'Create a secret (edit on the folder); Idempotency-Key makes retries safe',
      headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
      body: CreateSecret,
      response: { 201: Secret },
    },
    handler: async (req, reply) =>
      reply.code(201).send(withEtag(reply, await secrets.create(req.ctx, req.body, req.headers['idempotency-key']))),
  });
  app.get('/api/v1/secrets', {
    config: { auth: 'user', permission: 'self', action: 'secret.search' },
    schema: {
      tags,
      summary: 'Search the secrets you can see (never matches encrypted values)',
      querystring: SearchQuery,
      response: { 200: CountedPage(Secret) },
    },
    handler: async (req) => secrets.search(req.ctx, req.query),
  });
  app.get('/api/v1/shared-with-me', {
    config: { auth: 'user', permission: 'self', action: 'secret.shared_with_me' },
    schema: { tags, summary: 'Your inbox: secrets shared to you', querystring: SearchQuery, response: { 200: CountedPage(Secret) } },
    handler: async (req) => secrets.search(req.ctx, { ...req.query, sharedOnly: true }),
  });
  app.get('/api/v1/trash', {
    config: { auth: 'user', permission: 'self', action: 'secret.trash_list' },
    schema: { tags, summary: 'Deleted secrets you can restore', querystring: SearchQuery, response: { 200: CountedPage(Secret) } },
    handler: async (req) => secrets.search(req.ctx, { ...req.query, trash: true }),
  });
  app.get('/api/v1/secrets/:id', {
    config: { auth: 'user', permission: 'self', action: 'secret.read' },
    schema: {
      tags,
      summary: 'Metadata of a secret (no sensitive values); ETag carries the version',
      params: IdParams,
      response: { 200: Secret },
    },
    handler: async (req, reply) => withEtag(reply, await secrets.get(req.ctx, req.params.id)),
  });
  app.patch('/api/v1/secrets/:id', {
    config: { auth: 'user', permission: 'self', action: 'secret.update' },
    schema: {
      tags,
      summary: 'Change or move a secret (edit); If-Match gives 412 on a stale version',
      params: IdParams,
      body: UpdateSecret,
      response: { 200: Secret },
    },
    handler: async (req, reply) => withEtag(reply, await secrets.update(req.ctx, req.params.id, req.body, ifMatch(req))),
  });
  app.delete('/api/v1/secrets/:id', {
    config: { auth: 'user', permission: 'self', action: 'secret.trash' },
    schema: { tags, summary: 'Move a secret to the trash (edit)', params: IdParams, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await secrets.trash(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
  app.post('/api/v1/secrets/:id/restore', {
    config: { auth: 'user', permission: 'self', action: 'secret.restore' },
    schema: { tags, summary: 'Restore a secret from the trash', params: IdParams, response: { 200: Secret } },
    handler: async (req) => secrets.restore(req.ctx, req.params.id),
  });
  app.delete('/api/v1/trash/:id', {
    config: { auth: 'user', permission: 'self', action: 'secret.purge' },
    schema: { tags, summary: 'Purge a secret from the trash for good (manage)', params: IdParams, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await secrets.purge(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
  app.post('/api/v1/secrets/:id/reveal', {
    config: { auth: 'user', permission: 'self', action: 'secret.reveal' },
    schema: {
      tags,
      summary: 'Reveal the sensitive values (reveal); the reason, when the policy requires it, is audited',
      params: IdParams,
      body: Reveal,
      response: { 200: Revealed },
    },
    handler: async (req) => secrets.reveal(req.ctx, req.params.id, req.body),
  });
  app.get('/api/v1/secrets/:id/policy', {
    config: { auth: 'user', permission: 'self', action: 'secret.policy' },
    schema: {
      tags,
      summary: 'The effective access policy and the node it comes from',
      params: IdParams,
      response: {
        200: Type.Object(
          { requireReason: Type.Boolean(), source: Type.Union([Type.String(), Type.Null()]) },
          { additionalProperties: false },
        ),
      },
    },
    handler: async (req) => secrets.policyOf(req.ctx, req.params.id),
  });
  app.get('/api/v1/secrets/:id/history', {
    config: { auth: 'user', permission: 'self', action: 'secret.history' },
    schema: { tags, summary: 'Versions: who, when, which fields (never values)', params: IdParams, response: { 200: Page(SecretVersion) } },
    handler: async (req) => secrets.history(req.ctx, req.params.id),
  });
  app.post('/api/v1/secrets/:id/history/:version/reveal', {
    config: { auth: 'user', permission: 'self', action: 'secret.reveal_version' },
    schema: {
      tags,
      summary: 'Reveal the values of an old version (audited like a reveal)',
      params: VersionParams,
      body: Reveal,
      response: { 200: Revealed },
    },
    handler: async (req) => secrets.revealVersion(req.ctx, req.params.id, req.params.version, req.body.reason),
  });
  app.post('/api/v1/secrets/:id/history/:version/restore', {
    config: { auth: 'user', permission: 'self', action: 'secret.restore_version' },
    schema: { tags, summary: 'Make an old version current again (a new version)', params: VersionParams, response: { 200: Secret } },
    handler: async (req, reply) => withEtag(reply, await secrets.restoreVersion(req.ctx, req.params.id, req.params.version, ifMatch(req))),
  });
  app.get('/api/v1/secrets/:id/readers', {
    config: { auth: 'user', permission: 'self', action: 'secret.readers' },
    schema: {
      tags,
      summary: 'E2E secrets: who must hold a message (with their public keys), who holds one, whether the value needs changing',
      params: IdParams,
      response: { 200: Readers },
    },
    handler: async (req) => secrets.readers(req.ctx, req.params.id),
  });
  app.put('/api/v1/secrets/:id/messages', {
    config: { auth: 'user', permission: 'self', action: 'secret.reencrypt' },
    schema: {
      tags,
      summary: 'E2E secrets: add or replace messages of readers (the same value, re-encrypted for readers without one or with a new key)',
      params: IdParams,
      body: PutMessages,
      response: { 200: Readers },
    },
    handler: async (req) => secrets.reencrypt(req.ctx, req.params.id, req.body.messages),
  });
  app.get('/api/v1/vaults/:id/readers', {
    config: { auth: 'user', permission: 'self', action: 'vault.readers' },
    schema: {
      tags,
      summary: 'E2E vaults: the readers a new secret here (or in folderId) will have, with their public keys',
      params: IdParams,
      querystring: VaultReadersQuery,
      response: { 200: Readers },
    },
    handler: async (req) => secrets.nodeReaders(req.ctx, req.params.id, req.query.folderId),
  });
  app.post('/api/v1/secrets/:id/shares', {
    config: { auth: 'user', permission: 'self', action: 'secret.share' },
    schema: {
      tags,
      summary: 'Share a secret with a user (it appears in their inbox); manage',
      params: IdParams,
      body: Share,
      response: { 201: Grant },
    },
    handler: async (req, reply) => reply.code(201).send(await secrets.share(req.ctx, req.params.id, req.body)),
  });
}
