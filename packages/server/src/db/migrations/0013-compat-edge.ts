import type { Kysely } from 'kysely';

// Frozen once released. The edge for compatibility APIs (ADR 0015):
// - audit_log.via: the API surface a record came through (null on records from before: native);
//   a record with `via` has the v3 canonical form, which covers it (modules/audit/audit-chain.ts).
// - object_numbers: the stable integer id of an object reached through a compatibility API (PMP,
//   senhasegura and Secret Server clients parse integers). One number space across kinds; a number
//   is taken from object_number_seq, which only grows, so a number is never reused (not even after
//   its object is deleted: the row stays).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('via', 'text').execute();
  await db.schema
    .createTable('object_numbers')
    .addColumn('num', 'bigint', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addUniqueConstraint('object_numbers_kind_object', ['kind', 'object_id'])
    .execute();
  await db.schema
    .createTable('object_number_seq')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('last', 'bigint', (c) => c.notNull())
    .execute();
  await db
    .insertInto('object_number_seq' as never)
    .values({ id: 1, last: 0 } as never)
    .execute();
}
