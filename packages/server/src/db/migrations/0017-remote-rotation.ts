import { type Kysely, sql } from 'kysely';

// Frozen once released. Remote rotation (issue 14, ADR 0021), owned by modules/rotation.
//
// rotation_targets: where a secret's password (or SSH key) is used: one row per secret. The
// privileged account is another secret (by id); `host_key` is the SSH host key pinned on first
// use; heartbeat and rotation schedule; the last heartbeat's outcome and the out-of-sync flag.
//
// rotation_journal: one row per remote rotation, moved through its steps by conditional updates
// (pending -> changed -> verified -> done, or rolled_back). The new value is stored encrypted
// (`pending_enc`, AES-GCM bound to ("rotation", id, "pending")) and committed BEFORE the target is
// touched, and cleared when the entry settles. `active = 1` while open: the unique partial index
// allows one open rotation per secret across every process. `lease_until`: the process driving
// the entry; the reconciler takes over entries whose lease ran out.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rotation_targets')
    .addColumn('secret_id', 'text', (c) => c.primaryKey().references('secrets.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('privileged_secret_id', 'text')
    .addColumn('host_key', 'text')
    .addColumn('heartbeat_minutes', 'integer')
    .addColumn('rotate_days', 'integer')
    .addColumn('next_heartbeat_at', 'bigint')
    .addColumn('next_rotation_at', 'bigint')
    .addColumn('last_heartbeat_at', 'bigint')
    .addColumn('last_heartbeat_status', 'text', (c) => c.notNull())
    .addColumn('out_of_sync', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rotation_targets_heartbeat').on('rotation_targets').column('next_heartbeat_at').execute();
  await db.schema.createIndex('rotation_targets_rotation').on('rotation_targets').column('next_rotation_at').execute();

  await db.schema
    .createTable('rotation_journal')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('active', 'integer')
    .addColumn('pending_enc', 'text')
    .addColumn('base_version', 'integer', (c) => c.notNull())
    .addColumn('new_version', 'integer')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('cleanup', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('settled_at', 'bigint')
    .execute();
  await sql`create unique index rotation_journal_one_active on rotation_journal (secret_id) where active = 1`.execute(db);
  await db.schema.createIndex('rotation_journal_stale').on('rotation_journal').columns(['active', 'lease_until']).execute();
  await db.schema.createIndex('rotation_journal_secret').on('rotation_journal').columns(['secret_id', 'created_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
