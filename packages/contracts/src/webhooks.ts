import { type Static, Type } from 'typebox';
import { Cursor, Id, Limit, Timestamp } from './common.ts';
import { Name, Text } from './text.ts';

/** Every event a webhook can receive. `ping` is sent only by the test endpoint. */
export const webhookEventTypes = [
  'access_request.created',
  'access_request.approved',
  'access_request.rejected',
  'access_request.expired',
  'checkout.started',
  'checkout.ended',
  'secret.rotated',
  'secret.out_of_sync',
  'rotation.failed',
  'grant.expired',
  'ping',
] as const;

export const WebhookEventType = Type.Union([
  Type.Literal('access_request.created'),
  Type.Literal('access_request.approved'),
  Type.Literal('access_request.rejected'),
  Type.Literal('access_request.expired'),
  Type.Literal('checkout.started'),
  Type.Literal('checkout.ended'),
  Type.Literal('secret.rotated'),
  Type.Literal('secret.out_of_sync'),
  Type.Literal('rotation.failed'),
  Type.Literal('grant.expired'),
  Type.Literal('ping'),
]);
export type WebhookEventType = Static<typeof WebhookEventType>;

/** The events a webhook may subscribe to (all but `ping`). */
export const SubscribableEventType = Type.Union([
  Type.Literal('access_request.created'),
  Type.Literal('access_request.approved'),
  Type.Literal('access_request.rejected'),
  Type.Literal('access_request.expired'),
  Type.Literal('checkout.started'),
  Type.Literal('checkout.ended'),
  Type.Literal('secret.rotated'),
  Type.Literal('secret.out_of_sync'),
  Type.Literal('rotation.failed'),
  Type.Literal('grant.expired'),
]);
export type SubscribableEventType = Static<typeof SubscribableEventType>;

/** A value in an event's data: ids, user names, reasons, times. Never a secret value. */
export const WebhookDataValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String())]);
export type WebhookDataValue = Static<typeof WebhookDataValue>;

/**
 * The JSON body POSTed to a webhook. Headers: `Coffer-Webhook-Id`, `Coffer-Delivery-Id` (stable
 * across retries: deduplicate on it), `Coffer-Timestamp` (unix seconds) and
 * `Coffer-Signature: v1=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`.
 */
export const WebhookEvent = Type.Object(
  {
    id: Type.String({ description: 'Event id (the same in every webhook the event goes to)' }),
    type: WebhookEventType,
    occurredAt: Timestamp,
    data: Type.Record(Type.String(), WebhookDataValue),
  },
  { additionalProperties: false },
);
export type WebhookEvent = Static<typeof WebhookEvent>;

const Url = Name(2000, { minLength: 8, description: 'http:// or https:// URL of the receiver' });
// every subscribable event at most once (all of them: every type but `ping`)
const Events = Type.Array(SubscribableEventType, { minItems: 1, maxItems: webhookEventTypes.length - 1, uniqueItems: true });

export const CreateWebhook = Type.Object(
  {
    url: Url,
    events: Events,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    description: Type.Optional(Text(500)),
  },
  { additionalProperties: false },
);
export type CreateWebhook = Static<typeof CreateWebhook>;

export const UpdateWebhook = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Text(500)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhook = Static<typeof UpdateWebhook>;

/** A webhook as listed: never its signing secret. */
export const Webhook = Type.Object(
  {
    id: Id,
    url: Type.String(),
    events: Type.Array(SubscribableEventType),
    enabled: Type.Boolean(),
    description: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Webhook = Static<typeof Webhook>;

/** Returned by create and rotate: the signing secret, shown this once. */
export const WebhookWithSecret = Type.Object(
  {
    webhook: Webhook,
    secret: Type.String({ description: 'The HMAC signing secret (whsec_…), shown once' }),
  },
  { additionalProperties: false },
);
export type WebhookWithSecret = Static<typeof WebhookWithSecret>;

export const WebhookDeliveryState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

export const WebhookDelivery = Type.Object(
  {
    id: Id,
    webhookId: Id,
    eventId: Type.String(),
    eventType: WebhookEventType,
    state: WebhookDeliveryState,
    attempts: Type.Integer({ minimum: 0 }),
    lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last attempt; null if none was received' }),
    lastError: Type.Union([Type.String(), Type.Null()]),
    nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
    deliveredAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    payload: WebhookEvent,
  },
  { additionalProperties: false },
);
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const DeliveryListQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) },
  { additionalProperties: false },
);

export const TestDelivery = Type.Object({ deliveryId: Id, eventId: Type.String() }, { additionalProperties: false });
export type TestDelivery = Static<typeof TestDelivery>;
