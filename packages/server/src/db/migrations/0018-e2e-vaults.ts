import type { Kysely } from 'kysely';

// Frozen once released. End-to-end encrypted vaults (issue 15 §1, ADR 0022):
// - vaults.encryption: 'server' (values sealed under the keyring) or 'e2e' (values are OpenPGP
//   messages made by the clients, one per reader); fixed at creation.
// - secrets.e2e: 1 when the secret lives in an E2E vault (copied at create; a secret never moves
//   between kinds), so the reveal path decides without another query.
// - user_openpgp_keys: a user's registered OpenPGP public key (one per user; replaced, not kept):
//   the armored key and what Passbolt's `gpgkey` shows of it.
// - secret_messages: one armored OpenPGP message per (secret, reader), stored as sent (ciphertext
//   the server cannot open), with the fingerprint of the reader's key it was checked against and the
//   writer. `id` is the row's own id (Passbolt's `secrets[].id`).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('vaults')
    .addColumn('encryption', 'text', (c) => c.notNull().defaultTo('server'))
    .execute();
  await db.schema
    .alterTable('secrets')
    .addColumn('e2e', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('user_openpgp_keys')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('armored_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('bits', 'integer', (c) => c.notNull())
    .addColumn('key_created', 'bigint', (c) => c.notNull())
    .addColumn('expires', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_openpgp_keys_fingerprint').unique().on('user_openpgp_keys').column('fingerprint').execute();
  await db.schema
    .createTable('secret_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('key_fingerprint', 'text', (c) => c.notNull())
    .addColumn('written_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('secret_messages_secret_user', ['secret_id', 'user_id'])
    .execute();
  await db.schema.createIndex('secret_messages_user').on('secret_messages').column('user_id').execute();
}
