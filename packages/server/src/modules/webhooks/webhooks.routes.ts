import { IdParams, Page } from '@coffer/contracts/common';
import {
  CreateWebhook,
  DeliveryListQuery,
  TestDelivery,
  UpdateWebhook,
  Webhook,
  WebhookDelivery,
  WebhookWithSecret,
} from '@coffer/contracts/webhooks';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { WebhooksService } from './webhooks.service.ts';

export function webhooksRoutes(fastify: FastifyInstance, deps: { webhooks: WebhooksService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { webhooks } = deps;
  const tags = ['webhooks'];

  app.post('/api/v1/webhooks', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.create' },
    schema: {
      tags,
      summary: 'Create a webhook; the answer holds its signing secret, shown this once',
      body: CreateWebhook,
      response: { 201: WebhookWithSecret },
    },
    handler: async (req, reply) => reply.code(201).send(await webhooks.create(req.ctx, req.body)),
  });
  app.get('/api/v1/webhooks', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.list' },
    schema: { tags, summary: 'List webhooks (never their secrets)', response: { 200: Page(Webhook) } },
    handler: async (req) => webhooks.list(req.ctx),
  });
  app.get('/api/v1/webhooks/:id', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.read' },
    schema: { tags, summary: 'Get a webhook (never its secret)', params: IdParams, response: { 200: Webhook } },
    handler: async (req) => webhooks.get(req.ctx, req.params.id),
  });
  app.patch('/api/v1/webhooks/:id', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.update' },
    schema: {
      tags,
      summary: 'Change the URL (checked again), the events, the description, or enable/disable',
      params: IdParams,
      body: UpdateWebhook,
      response: { 200: Webhook },
    },
    handler: async (req) => webhooks.update(req.ctx, req.params.id, req.body),
  });
  app.delete('/api/v1/webhooks/:id', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.delete' },
    schema: { tags, summary: 'Delete a webhook and its delivery log', params: IdParams, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await webhooks.remove(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
  app.post('/api/v1/webhooks/:id/rotate-secret', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.rotate_secret' },
    schema: {
      tags,
      summary: 'Replace the signing secret; the new one is shown this once and signs every later attempt',
      params: IdParams,
      response: { 200: WebhookWithSecret },
    },
    handler: async (req) => webhooks.rotateSecret(req.ctx, req.params.id),
  });
  app.get('/api/v1/webhooks/:id/deliveries', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.delivery_list' },
    schema: {
      tags,
      summary: 'The delivery log of a webhook, newest first: event, attempts, last status and error',
      params: IdParams,
      querystring: DeliveryListQuery,
      response: { 200: Page(WebhookDelivery) },
    },
    handler: async (req) => webhooks.deliveries(req.ctx, req.params.id, req.query),
  });
  app.post('/api/v1/webhooks/:id/test', {
    config: { auth: 'user', permission: 'sys.manage', action: 'webhook.test' },
    schema: {
      tags,
      summary: 'Queue a ping event to the webhook (see its delivery log for the outcome)',
      params: IdParams,
      response: { 202: TestDelivery },
    },
    handler: async (req, reply) => reply.code(202).send(await webhooks.test(req.ctx, req.params.id)),
  });
}
