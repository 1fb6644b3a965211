import type { Kysely } from 'kysely';

// Frozen once released. Attachments of secrets (encrypted chunks) and typed metadata fields in
// sections on vaults, folders and secrets (clear text).
export async function up(db: Kysely<unknown>): Promise<void> {
  // Only what is needed to list and serve a file is in clear: its name, the declared content type and
  // the size. Nothing derived from the content (no hash: a hash of a small or guessable file reveals it).
  await db.schema
    .createTable('attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('attachments_secret_name', ['secret_id', 'name'])
    .execute();
  // One row per chunk of the content; each chunk AES-GCM encrypted and bound to (attachment, index),
  // so chunks cannot be reordered or moved to another file.
  await db.schema
    .createTable('attachment_chunks')
    .addColumn('attachment_id', 'text', (c) => c.notNull().references('attachments.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('data_enc', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('attachment_chunks_pk', ['attachment_id', 'idx'])
    .execute();
  // node_id names a vault, folder or secret (no foreign key: three tables).
  await db.schema
    .createTable('metadata')
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('section', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('metadata_pk', ['node_id', 'section', 'name'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
