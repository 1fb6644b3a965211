import type { Kysely } from 'kysely';

// Frozen once released. When a user last logged in successfully, for administrators reviewing
// accounts (failed attempts and the lock are already in login_failures). Null: never since.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('last_login_at', 'bigint').execute();
}
