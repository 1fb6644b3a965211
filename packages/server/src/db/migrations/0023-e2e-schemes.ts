import { type Kysely, sql } from 'kysely';

// Frozen once released. Passwork's client-side encryption folded into the end-to-end encrypted
// vault kind (issue 15 §1/§2, ADR 0026):
// - vaults.e2e_scheme (owned by modules/vaults): how the clients of an E2E vault encrypt —
//   'openpgp' (one OpenPGP message per reader, ADR 0022) or 'master-password' (Passwork's
//   client-side encryption: one ciphertext made with keys derived from its creator's master
//   password, stored as sent); null for a server-encrypted vault.
// - secrets.e2e (owned by modules/secrets) takes a third value: 2 for a secret of a
//   'master-password' vault (1 stays OpenPGP messages, 0 server-encrypted).
// A vault made by a Passwork client in master-password mode before this migration was a server
// vault carrying the client's key material as metadata (section 'Passwork', name
// 'vaultPasswordCrypted'); when every secret in it is a `client-encrypted` item (all of them are,
// unless one was written natively), it becomes an E2E vault of that scheme.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').addColumn('e2e_scheme', 'text').execute();
  await sql`UPDATE vaults SET e2e_scheme = 'openpgp' WHERE encryption = 'e2e'`.execute(db);
  await convertMasterPasswordVaults(db);
}

/** The data part of `up` (exported for its test, which builds a store as the old code left it). */
export async function convertMasterPasswordVaults(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE vaults SET encryption = 'e2e', e2e_scheme = 'master-password'
    WHERE encryption = 'server'
      AND EXISTS (SELECT 1 FROM metadata m WHERE m.node_id = vaults.id AND m.section = 'Passwork'
                  AND m.name = 'vaultPasswordCrypted' AND m.value <> '')
      AND NOT EXISTS (SELECT 1 FROM secrets s JOIN templates t ON t.id = s.template_id
                      WHERE s.vault_id = vaults.id AND t.slug <> 'client-encrypted')`.execute(db);
  await sql`
    UPDATE secrets SET e2e = 2
    WHERE vault_id IN (SELECT id FROM vaults WHERE e2e_scheme = 'master-password')`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
