import type {
  CreateWebhook,
  SubscribableEventType,
  TestDelivery,
  UpdateWebhook,
  Webhook,
  WebhookDataValue,
  WebhookDelivery,
  WebhookEvent,
  WebhookEventType,
  WebhookWithSecret,
} from '@coffer/contracts/webhooks';
import type { Binding } from '../../crypto/aead.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { WebhookDeliveryTable, WebhookTable } from '../../db/schema.ts';
import { type ClaimedJob, JobError, type JobQueue } from '../../jobs/queue.ts';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { integrityRecordOf } from '../../lib/integrity-error.ts';
import type { createAudited } from '../audit/audit-log.ts';
import type { IntegrityReporter } from '../audit/integrity.ts';
import { authorize, can, type RequestContext } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import { newWebhookSecret, signatureHeader } from './signature.ts';
import { checkTarget, postToTarget, type Resolver, systemResolver } from './target.ts';

export interface WebhooksConfig {
  allowedTargets: readonly string[];
  timeoutMs: number;
  maxAttempts: number;
}

export const defaultWebhooksConfig: WebhooksConfig = { allowedTargets: [], timeoutMs: 5000, maxAttempts: 10 };

/** What other modules publish: the event's type and its data (ids, names, reasons; never a secret value). */
export interface WebhookEventInput {
  type: Exclude<WebhookEventType, 'ping'>;
  data: Record<string, WebhookDataValue>;
}

export const DELIVER_JOB = 'webhook.deliver';
const PERMISSION = 'sys.manage' as const;
const secretBinding = (id: string): Binding => ({ type: 'webhook', id, field: 'secret' });
const iso = (ms: number) => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const notFound = () => new AppError('not_found', 'No such webhook.');

/** A failed attempt: the receiver's status (if it answered) goes to the delivery log. */
class DeliveryError extends JobError {
  readonly status: number | null;
  constructor(code: string, message: string, status: number | null = null, opts: { permanent?: boolean } = {}) {
    super(code, message, opts);
    this.status = status;
  }
}

export function presentWebhook(w: WebhookTable): Webhook {
  return {
    id: w.id,
    url: w.url,
    events: JSON.parse(w.events) as SubscribableEventType[],
    enabled: Number(w.enabled) === 1,
    description: w.description,
    createdAt: iso(w.created_at),
    updatedAt: iso(w.updated_at),
  };
}

function presentDelivery(d: WebhookDeliveryTable): WebhookDelivery {
  return {
    id: d.id,
    webhookId: d.webhook_id,
    eventId: d.event_id,
    eventType: d.event_type as WebhookEventType,
    state: d.state,
    attempts: Number(d.attempts),
    lastStatus: d.last_status === null ? null : Number(d.last_status),
    lastError: d.last_error,
    nextAttemptAt: isoOrNull(d.next_attempt_at),
    deliveredAt: isoOrNull(d.delivered_at),
    createdAt: iso(d.created_at),
    updatedAt: iso(d.updated_at),
    payload: JSON.parse(d.payload) as WebhookEvent,
  };
}

/**
 * Outbound webhooks. Administrators (`sys.manage`) manage them; the signing secret is shown once
 * (create, rotate) and stored encrypted. `publish(trx, event)` is the outbox: called inside the
 * publishing use case's transaction, it writes one delivery row and one queued job per matching
 * enabled webhook, so an event goes out if and only if that transaction commits. Delivery is
 * at-least-once (a process may die after the receiver answered and before the log is updated):
 * receivers deduplicate on `Coffer-Delivery-Id`, which stays the same across retries.
 */
export function createWebhooksService(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  audited: ReturnType<typeof createAudited>;
  jobs: JobQueue;
  config?: WebhooksConfig;
  /** DNS resolution (tests may substitute one); default node:dns lookup of all addresses. */
  resolve?: Resolver;
  /** Audits and logs a signing secret that fails its integrity check (a delivery is no request). */
  integrity: IntegrityReporter;
}) {
  const { db, clock, seal, audited, jobs } = deps;
  const config = deps.config ?? defaultWebhooksConfig;
  const resolve = deps.resolve ?? systemResolver;

  /**
   * The permission and, when a URL is given, its target are checked before any transaction (a DNS
   * lookup must not hold the database); a refusal is audited like any failed use case.
   */
  async function precheck(ctx: RequestContext, spec: { action: string; objectType: string; objectId?: string }, url?: string) {
    let failure: unknown;
    if (!can(ctx.actor, PERMISSION)) failure = new AppError('forbidden', 'You do not have permission to do this.');
    else if (url !== undefined) {
      try {
        await checkTarget(url, config, resolve);
      } catch (e) {
        failure = e;
      }
    }
    if (failure !== undefined) {
      await audited(ctx, spec, async (_trx, ev) => {
        if (url !== undefined) ev.details = { url };
        throw failure;
      });
    }
  }

  async function load(trx: Executor, id: string): Promise<WebhookTable> {
    const w = await trx.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!w) throw notFound();
    return w;
  }

  async function create(ctx: RequestContext, input: CreateWebhook): Promise<WebhookWithSecret> {
    const spec = { action: 'webhook.create', objectType: 'webhook' };
    await precheck(ctx, spec, input.url);
    return audited(ctx, spec, async (trx, ev) => {
      authorize(ctx.actor, PERMISSION);
      const now = clock.now();
      const id = newId('whk', now);
      const secret = newWebhookSecret();
      const row: WebhookTable = {
        id,
        url: input.url,
        events: JSON.stringify(input.events),
        enabled: input.enabled === false ? 0 : 1,
        description: input.description ?? '',
        secret_enc: await seal.encrypt(trx, secretBinding(id), secret),
        created_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('webhooks').values(row).execute();
      ev.objectId = id;
      ev.details = { url: input.url, events: input.events, enabled: row.enabled === 1 };
      return { webhook: presentWebhook(row), secret };
    });
  }

  async function list(ctx: RequestContext) {
    return audited(ctx, { action: 'webhook.list', objectType: 'webhook', readOnly: true }, async (trx) => {
      authorize(ctx.actor, PERMISSION);
      const rows = await trx.selectFrom('webhooks').selectAll().orderBy('id').execute();
      return { items: rows.map(presentWebhook), nextCursor: null };
    });
  }

  async function get(ctx: RequestContext, id: string): Promise<Webhook> {
    return audited(ctx, { action: 'webhook.read', objectType: 'webhook', objectId: id, readOnly: true }, async (trx) => {
      authorize(ctx.actor, PERMISSION);
      return presentWebhook(await load(trx, id));
    });
  }

  async function update(ctx: RequestContext, id: string, input: UpdateWebhook): Promise<Webhook> {
    const spec = { action: 'webhook.update', objectType: 'webhook', objectId: id };
    await precheck(ctx, spec, input.url);
    return audited(ctx, spec, async (trx, ev) => {
      authorize(ctx.actor, PERMISSION);
      const w = await load(trx, id);
      const now = clock.now();
      const set: Partial<WebhookTable> = { updated_at: now };
      if (input.url !== undefined) set.url = input.url;
      if (input.events !== undefined) set.events = JSON.stringify(input.events);
      if (input.enabled !== undefined) set.enabled = input.enabled ? 1 : 0;
      if (input.description !== undefined) set.description = input.description;
      await trx.updateTable('webhooks').set(set).where('id', '=', id).execute();
      ev.details = { ...input };
      return presentWebhook({ ...w, ...set });
    });
  }

  async function remove(ctx: RequestContext, id: string): Promise<void> {
    await audited(ctx, { action: 'webhook.delete', objectType: 'webhook', objectId: id }, async (trx, ev) => {
      authorize(ctx.actor, PERMISSION);
      const w = await load(trx, id);
      // its deliveries go with it (their queued jobs find nothing and end)
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
      ev.details = { url: w.url };
    });
  }

  async function rotateSecret(ctx: RequestContext, id: string): Promise<WebhookWithSecret> {
    return audited(ctx, { action: 'webhook.rotate_secret', objectType: 'webhook', objectId: id }, async (trx) => {
      authorize(ctx.actor, PERMISSION);
      const w = await load(trx, id);
      const secret = newWebhookSecret();
      const now = clock.now();
      const set = { secret_enc: await seal.encrypt(trx, secretBinding(id), secret), updated_at: now };
      await trx.updateTable('webhooks').set(set).where('id', '=', id).execute();
      return { webhook: presentWebhook({ ...w, ...set }), secret };
    });
  }

  async function deliveries(ctx: RequestContext, id: string, q: { cursor?: string; limit?: number }) {
    return audited(ctx, { action: 'webhook.delivery_list', objectType: 'webhook', objectId: id, readOnly: true }, async (trx) => {
      authorize(ctx.actor, PERMISSION);
      await load(trx, id);
      const limit = q.limit ?? 50;
      let query = trx
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', id)
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (q.cursor) query = query.where('id', '<', q.cursor);
      const rows = await query.execute();
      const page = rows.slice(0, limit);
      return {
        items: page.map(presentDelivery),
        nextCursor: rows.length > limit ? (page[page.length - 1] as WebhookDeliveryTable).id : null,
      };
    });
  }

  function eventOf(type: WebhookEventType, data: Record<string, WebhookDataValue>): WebhookEvent {
    const now = clock.now();
    return { id: newId('evt', now), type, occurredAt: iso(now), data };
  }

  async function insertDelivery(trx: Trx, webhookId: string, event: WebhookEvent): Promise<string> {
    const now = clock.now();
    const id = newId('whd', now);
    await trx
      .insertInto('webhook_deliveries')
      .values({
        id,
        webhook_id: webhookId,
        event_id: event.id,
        event_type: event.type,
        payload: JSON.stringify(event),
        state: 'pending',
        attempts: 0,
        last_status: null,
        last_error: null,
        next_attempt_at: now,
        delivered_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await jobs.enqueue(trx, DELIVER_JOB, { deliveryId: id }, { maxAttempts: config.maxAttempts });
    return id;
  }

  /**
   * The outbox: call inside the use case's transaction. One delivery per enabled webhook that
   * subscribes to the event's type; nothing is sent unless the transaction commits.
   */
  async function publish(trx: Trx, input: WebhookEventInput): Promise<{ eventId: string; deliveries: number }> {
    const event = eventOf(input.type, input.data);
    const hooks = await trx.selectFrom('webhooks').select(['id', 'events']).where('enabled', '=', 1).orderBy('id').execute();
    let n = 0;
    for (const h of hooks) {
      if (!(JSON.parse(h.events) as string[]).includes(input.type)) continue;
      await insertDelivery(trx, h.id, event);
      n++;
    }
    return { eventId: event.id, deliveries: n };
  }

  async function test(ctx: RequestContext, id: string): Promise<TestDelivery> {
    return audited(ctx, { action: 'webhook.test', objectType: 'webhook', objectId: id }, async (trx) => {
      authorize(ctx.actor, PERMISSION);
      const w = await load(trx, id);
      if (Number(w.enabled) !== 1) throw new AppError('conflict', 'The webhook is disabled; enable it to send a test event.');
      const event = eventOf('ping', { webhookId: id, requestedBy: ctx.actor.username });
      const deliveryId = await insertDelivery(trx, id, event);
      return { deliveryId, eventId: event.id };
    });
  }

  type Outcome = { kind: 'gone' } | { kind: 'cancelled' } | { kind: 'delivered'; status: number };

  /** The HTTP part of a delivery, outside any transaction. */
  async function send(job: ClaimedJob<{ deliveryId: string }>): Promise<Outcome> {
    const d = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(['d.id', 'd.state', 'd.payload', 'w.id as webhookId', 'w.url', 'w.enabled', 'w.secret_enc'])
      .where('d.id', '=', job.payload.deliveryId)
      .executeTakeFirst();
    if (!d || d.state === 'delivered') return { kind: 'gone' };
    if (Number(d.enabled) !== 1 || d.state === 'cancelled') return { kind: 'cancelled' };
    let target: Awaited<ReturnType<typeof checkTarget>>;
    try {
      target = await checkTarget(d.url, config, resolve);
    } catch (e) {
      throw isAppError(e) ? new DeliveryError(e.code, e.message) : e;
    }
    let secret: string;
    try {
      secret = (await seal.decrypt(db, secretBinding(d.webhookId), d.secret_enc)).toString('utf8');
    } catch (e) {
      if (!integrityRecordOf(e)) throw e;
      // nothing is sent unsigned or signed with garbage; retrying cannot help: a new secret can
      await deps.integrity(e, 'webhook.deliver', job.id);
      throw new DeliveryError('integrity.failed', 'the signing secret failed its integrity check; rotate the secret', null, {
        permanent: true,
      });
    }
    const timestamp = Math.floor(clock.now() / 1000);
    let status: number;
    try {
      ({ status } = await postToTarget(
        target,
        {
          'content-type': 'application/json',
          'user-agent': 'Coffer-Webhooks/1',
          'coffer-webhook-id': d.webhookId,
          'coffer-delivery-id': d.id,
          'coffer-timestamp': String(timestamp),
          'coffer-signature': signatureHeader(secret, timestamp, d.payload),
        },
        d.payload,
        config.timeoutMs,
      ));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new DeliveryError('webhook.timeout', `no answer within ${config.timeoutMs} ms`);
      }
      const code = (e as { code?: unknown }).code;
      throw new DeliveryError('webhook.network', typeof code === 'string' ? code.slice(0, 40) : 'connection failed');
    }
    if (status >= 300 && status < 400)
      throw new DeliveryError('webhook.redirect', `the receiver answered ${status} (redirects are not followed)`, status);
    if (status < 200 || status >= 300) throw new DeliveryError('webhook.http_status', `the receiver answered ${status}`, status);
    return { kind: 'delivered', status };
  }

  jobs.register<{ deliveryId: string }, Outcome>(DELIVER_JOB, {
    maxAttempts: config.maxAttempts,
    backoff: { baseMs: 30_000, maxMs: 3_600_000 },
    external: send,
    commit: async (trx, job, outcome) => {
      if (outcome.kind === 'gone') return;
      const now = clock.now();
      const base = trx.updateTable('webhook_deliveries').where('id', '=', job.payload.deliveryId).where('state', '=', 'pending');
      if (outcome.kind === 'cancelled') {
        await base.set({ state: 'cancelled', next_attempt_at: null, updated_at: now }).execute();
        return;
      }
      await base
        .set({
          state: 'delivered',
          attempts: job.attempt,
          last_status: outcome.status,
          last_error: null,
          next_attempt_at: null,
          delivered_at: now,
          updated_at: now,
        })
        .execute();
    },
    onFailure: async (trx, job, f) => {
      await trx
        .updateTable('webhook_deliveries')
        .set({
          state: f.final ? 'failed' : 'pending',
          attempts: job.attempt,
          last_status: f.cause instanceof DeliveryError ? f.cause.status : null,
          last_error: f.error,
          next_attempt_at: f.nextRunAt,
          updated_at: clock.now(),
        })
        .where('id', '=', job.payload.deliveryId)
        .where('state', '=', 'pending')
        .execute();
    },
  });

  return { create, list, get, update, remove, rotateSecret, deliveries, test, publish };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
/** What publishing modules need. */
export type WebhookPublisher = Pick<WebhooksService, 'publish'>;
