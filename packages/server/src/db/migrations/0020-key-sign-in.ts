import type { Kysely } from 'kysely';

// Frozen once released. Sign-in proven by a user's registered OpenPGP key (the Passbolt API's
// GPGAuth and JWT logins, issue 15 §2), owned by modules/auth:
// - key_sign_in_tokens: the one-time tokens of those sign-ins, stored only as keyed hashes.
//   kind 'gpgauth': the nonce the server encrypted to the user's key (GPGAuth stage 1); only the
//   latest one of a user counts, once (used_at), until expires_at. kind 'jwt_verify': a client's
//   verify_token already presented in a JWT login challenge (kept until its expiry: replay refused).
// - session_second_factor: session families signed in by key whose user has TOTP on and who has
//   not yet given a code in that family; such a session answers nothing but the second-factor step
//   (and logout) until the row is gone.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('key_sign_in_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('key_sign_in_tokens_user').on('key_sign_in_tokens').columns(['user_id', 'kind']).execute();
  await db.schema.createIndex('key_sign_in_tokens_expiry').on('key_sign_in_tokens').column('expires_at').execute();
  await db.schema
    .createTable('session_second_factor')
    .addColumn('family_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
