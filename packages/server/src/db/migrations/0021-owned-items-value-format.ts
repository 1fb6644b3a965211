import type { Kysely } from 'kysely';

// Frozen once released. The Passbolt API's resources over end-to-end encrypted vaults (issue 15 §2,
// ADR 0025 "Resources"):
// - vaults.items_owned_by_creator (owned by modules/vaults): 1 when any active human user with a
//   registered OpenPGP key may create a secret or a folder at the vault's root without a vault
//   grant, the creator getting `manage` on the new item (Passbolt's personal resources).
// - secrets.value_format (owned by modules/secrets): the plaintext format of an E2E secret's
//   messages (a Passbolt resource type slug: 'password-string', 'password-and-description',
//   'totp', 'password-description-totp'); null: Coffer's JSON object of the sensitive fields.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('vaults')
    .addColumn('items_owned_by_creator', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('secrets').addColumn('value_format', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
