import type { Kysely } from 'kysely';

// Frozen once released. What a user keeps for themself, first needed by the Passwork API (issue 13):
// - secret_favorites: the secrets a user marked as favourite (one row per user and secret; gone
//   with either).
// - share_views: when the recipient of a share (a grant with is_share = 1, "the inbox") first
//   opened it or marked it seen; gone with the grant (a new share of the same secret is unseen).
// - client_key_profiles: a user's client-side encryption profile (Passwork's master key options):
//   the PBKDF2 salt their clients derive the master key with, and the SHA-256 of that master key
//   as first presented (a pin that keeps a client with a mistyped master password from writing
//   what nobody can decrypt). The server never sees the master password nor the master key.
// - client_key_sessions: the session families that logged in with a master password (client-side
//   encryption on); other families of the same user work in clear.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secret_favorites')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('secret_favorites_pk', ['user_id', 'secret_id'])
    .execute();
  await db.schema.createIndex('secret_favorites_secret').on('secret_favorites').column('secret_id').execute();
  await db.schema
    .createTable('share_views')
    .addColumn('grant_id', 'text', (c) => c.primaryKey().references('grants.id').onDelete('cascade'))
    .addColumn('viewed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('client_key_profiles')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('mk_salt', 'text', (c) => c.notNull())
    .addColumn('master_hash', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('client_key_sessions')
    .addColumn('family_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('client_key_sessions_user').on('client_key_sessions').column('user_id').execute();
}
