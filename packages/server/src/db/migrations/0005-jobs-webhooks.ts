import type { Kysely } from 'kysely';

// Frozen once released. The job queue shared by every Coffer process on one database (leases,
// retries, dedupe keys for periodic work), and outbound webhooks with their delivery log.
export async function up(db: Kysely<unknown>): Promise<void> {
  // `jobs` (0001) holds the one-row-per-name resumable jobs (re-encryption); this is the general
  // queue. The payload is JSON of ids and parameters, never a secret value; last_error is a short
  // code/message written by the queue (no stack, no secret).
  await db.schema
    .createTable('job_queue')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('dedupe_key', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // NULLs never collide: only jobs that name a dedupe key are unique by it.
  await db.schema.createIndex('job_queue_dedupe').unique().on('job_queue').column('dedupe_key').execute();
  await db.schema.createIndex('job_queue_due').on('job_queue').columns(['state', 'run_at']).execute();

  // The signing secret is AES-GCM encrypted under the keyring, bound to (webhook, id, secret).
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One row per (event, webhook): the outbox row written in the publishing transaction, then the
  // delivery log. The payload holds ids, names and reasons, never a secret value.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
