import type { Kysely } from 'kysely';

// Frozen once released. Dual control of administrative actions that open secret values (ADR 0010):
// admin requests with their approvals, and the temporary-password flag of users (a password an
// administrator set must be changed at the next login). The admin requests have their own tables
// rather than rows in access_requests: an access request is about one secret (secret_id NOT NULL,
// a window, a checkout), an admin request about one stored administrative operation.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('admin_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('operation', 'text', (c) => c.notNull())
    // the stored operation (JSON, never a password): exactly what execute performs
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    // what the operation needs that must not be stored in clear (a password's Argon2 hash),
    // encrypted under the keyring and bound to the request id
    .addColumn('secret_enc', 'text')
    .addColumn('reason', 'text')
    .addColumn('requester_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('approvals_required', 'integer', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('comment', 'text')
    .addColumn('executed_at', 'bigint')
    .addColumn('result_id', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_requests_requester').on('admin_requests').columns(['requester_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('admin_requests_state').on('admin_requests').columns(['state', 'expires_at']).execute();

  // One decision per approver and request (primary key), whatever the number of processes.
  await db.schema
    .createTable('admin_approvals')
    .addColumn('request_id', 'text', (c) => c.notNull().references('admin_requests.id').onDelete('cascade'))
    .addColumn('approver_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('admin_approvals_pk', ['request_id', 'approver_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
