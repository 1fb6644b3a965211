import { seg, type Transport } from '../transport.ts';
import type {
  CreateWebhook,
  DeliveryListQuery,
  Page,
  TestDelivery,
  UpdateWebhook,
  Webhook,
  WebhookDelivery,
  WebhookWithSecret,
} from '../types.ts';
import { paginate } from './secrets.ts';

/**
 * Outbound webhooks (administrators: `sys.manage`). Coffer POSTs each subscribed event as JSON,
 * signed with `Coffer-Signature: v1=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`; the signing
 * secret is returned by `create` and `rotateSecret` only, once.
 */
export function webhooksApi(t: Transport) {
  const deliveries = (id: string, query: DeliveryListQuery = {}): Promise<Page<WebhookDelivery>> =>
    t.json({ method: 'GET', path: `/api/v1/webhooks/${seg(id)}/deliveries`, query });
  return {
    /** Creates a webhook; keep `secret` (shown this once) to verify signatures. */
    create(input: CreateWebhook): Promise<WebhookWithSecret> {
      return t.json({ method: 'POST', path: '/api/v1/webhooks', body: input });
    },
    /** The webhooks (never their secrets). */
    list(): Promise<Page<Webhook>> {
      return t.json({ method: 'GET', path: '/api/v1/webhooks' });
    },
    get(id: string): Promise<Webhook> {
      return t.json({ method: 'GET', path: `/api/v1/webhooks/${seg(id)}` });
    },
    /** Changes the URL, events, description, or enables/disables it. */
    update(id: string, patch: UpdateWebhook): Promise<Webhook> {
      return t.json({ method: 'PATCH', path: `/api/v1/webhooks/${seg(id)}`, body: patch });
    },
    /** Deletes a webhook and its delivery log. */
    async delete(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/webhooks/${seg(id)}` });
    },
    /** Replaces the signing secret; the new one (shown once) signs every later attempt. */
    rotateSecret(id: string): Promise<WebhookWithSecret> {
      return t.json({ method: 'POST', path: `/api/v1/webhooks/${seg(id)}/rotate-secret` });
    },
    /** One page of the delivery log, newest first: event, attempts, last status and error. */
    deliveries,
    /** The whole delivery log, page after page. */
    allDeliveries(id: string, query: DeliveryListQuery = {}): AsyncGenerator<WebhookDelivery, void, undefined> {
      return paginate((q: DeliveryListQuery) => deliveries(id, q), query);
    },
    /** Queues a `ping` event to the webhook; its outcome shows in the delivery log. */
    test(id: string): Promise<TestDelivery> {
      return t.json({ method: 'POST', path: `/api/v1/webhooks/${seg(id)}/test` });
    },
  };
}
