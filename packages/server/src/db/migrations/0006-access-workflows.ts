import { type Kysely, sql } from 'kysely';

// Frozen once released. Access workflows: access requests with their approvals, exclusive
// checkouts, and an index for the sweep of expired grants.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('requester_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('start_at', 'bigint', (c) => c.notNull())
    .addColumn('end_at', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('approvals_required', 'integer', (c) => c.notNull())
    .addColumn('approvers', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('comment', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('access_requests_requester').on('access_requests').columns(['requester_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('access_requests_secret').on('access_requests').columns(['secret_id', 'requester_id', 'state']).execute();
  await db.schema.createIndex('access_requests_state').on('access_requests').columns(['state', 'end_at']).execute();

  // One decision per approver and request: the primary key makes a second approval by the same
  // person impossible, whatever the number of processes.
  await db.schema
    .createTable('access_approvals')
    .addColumn('request_id', 'text', (c) => c.notNull().references('access_requests.id').onDelete('cascade'))
    .addColumn('approver_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_approvals_pk', ['request_id', 'approver_id'])
    .execute();

  await db.schema
    .createTable('checkouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('request_id', 'text', (c) => c.references('access_requests.id').onDelete('set null'))
    .addColumn('holder_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('reason', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('ended_by', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('rotated_version', 'integer')
    .execute();
  // Exclusive checkout, enforced by the database across processes: at most one active row per
  // secret. Partial unique indexes work the same on SQLite and PostgreSQL; inserts name the same
  // predicate in their ON CONFLICT target.
  await sql`create unique index checkouts_one_active on checkouts (secret_id) where active = 1`.execute(db);
  await db.schema.createIndex('checkouts_due').on('checkouts').columns(['active', 'ends_at']).execute();
  await db.schema.createIndex('checkouts_holder').on('checkouts').columns(['holder_id', 'active']).execute();
  await db.schema.createIndex('checkouts_secret').on('checkouts').columns(['secret_id', 'started_at']).execute();

  // the sweep deletes grants whose expires_at has passed
  await db.schema.createIndex('grants_expires').on('grants').column('expires_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
