import { type Kysely, sql } from 'kysely';

// Frozen once released. Keyed audit records (ADR 0008). Runs sealed, so it computes nothing keyed:
// it adds the MAC columns and fixes where MACs must begin. A store that already has records keeps
// them as the legacy part of the chain (plain hashes + signed checkpoints) and the first append
// after unseal writes the marker record `audit.mac_start` at `mac_from`; every record from there
// on must carry a MAC. An empty store MACs from record 1.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
  await db.schema.alterTable('audit_log').addColumn('mac_term', 'integer').execute();
  await db.schema
    .alterTable('audit_log')
    .addColumn('sealed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema.alterTable('audit_head').addColumn('mac', 'text').execute();
  await db.schema.alterTable('audit_head').addColumn('mac_term', 'integer').execute();
  await db.schema
    .alterTable('audit_head')
    .addColumn('mac_from', 'bigint', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('audit_head')
    .addColumn('sealed_pending', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  // the records so far are the legacy part; MACs begin right after them
  await sql`update audit_head set mac_from = seq + 1`.execute(db);

  await db.schema.alterTable('audit_checkpoints').addColumn('mac', 'text').execute();
  await db.schema.alterTable('audit_checkpoints').addColumn('mac_from', 'bigint').execute();

  // Records that arrive while no node holds the keyring (sealed, or not yet initialised) cannot be
  // MACed; they wait here, in order, until the next append on an unsealed node puts them in the
  // chain. A separate table keeps the rule of the chain simple: every record from mac_from on
  // carries a MAC.
  await db.schema
    .createTable('audit_sealed')
    .addColumn('pos', 'bigint', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('auth_method', 'text')
    .addColumn('source_ip', 'text')
    .addColumn('request_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text')
    .addColumn('object_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('details', 'text')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('the audit MAC migration cannot be undone');
}
