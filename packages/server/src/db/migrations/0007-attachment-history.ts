import type { Kysely } from 'kysely';

// Frozen once released. Removed attachments are kept (still encrypted, same ids and chunk
// bindings) so that restoring an older version of a secret brings its files back; they go with
// the secret when it is purged. Separate tables rather than a flag on `attachments`: the live
// table keeps its one-name-per-secret constraint and needs no rebuild on SQLite.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('attachments_removed')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('removed_by', 'text')
    .addColumn('removed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attachments_removed_secret').on('attachments_removed').columns(['secret_id']).execute();
  await db.schema
    .createTable('attachment_removed_chunks')
    .addColumn('attachment_id', 'text', (c) => c.notNull().references('attachments_removed.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('data_enc', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('attachment_removed_chunks_pk', ['attachment_id', 'idx'])
    .execute();
}
