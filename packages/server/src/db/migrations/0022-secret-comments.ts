import type { Kysely } from 'kysely';

// Frozen once released. Comments on secrets (modules/comments, ADR 0025 "Comments"):
// - secret_comments: one comment (display text, not secret) on a secret, by its author; a reply
//   names its parent comment of the same secret. Purging a secret drops its comments and deleting
//   a comment drops its replies (foreign-key cascades); deleting a user keeps their comments with
//   no author (set null).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secret_comments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('parent_id', 'text', (c) => c.references('secret_comments.id').onDelete('cascade'))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('secret_comments_secret').on('secret_comments').columns(['secret_id', 'created_at']).execute();
  await db.schema.createIndex('secret_comments_parent').on('secret_comments').column('parent_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
