import type { Kysely } from 'kysely';

// Frozen once released. An account's dependencies (issue 14), owned by modules/rotation.
//
// rotation_targets.dependencies: JSON array of what uses the account's password (services, hosts,
// scripts: name, kind, host, note), listed so operators can update them after a rotation; never
// a secret. dependencies_reviewed: 0 while the list is known to be incomplete or out of date;
// hold_unreviewed: 1 holds the scheduled rotation of such a target (flagged, held_at) instead of
// running it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('rotation_targets')
    .addColumn('dependencies', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('rotation_targets')
    .addColumn('dependencies_reviewed', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('rotation_targets')
    .addColumn('hold_unreviewed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('rotation_targets').addColumn('held_at', 'bigint').execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
