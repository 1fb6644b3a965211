// The server's own OpenPGP key pair (issue 15; ADR 0022): made at init (or at the first unseal of a
// store from before it), the private key sealed under the keyring like the audit signing key (a
// system key: never stored in clear, re-encrypted with the other system keys), the public key and
// its fingerprint readable by anyone (Passbolt clients pin it: /auth/verify.json).
import * as openpgp from 'openpgp';
import type { Db, Executor } from '../../db/database.ts';

export const OPENPGP_SERVER_KEY = 'openpgp-server';

export interface ServerKeyPair {
  armoredPrivate: string;
  armoredPublic: string;
}

/** A new key pair: Ed25519 (legacy EdDSA) primary with a Curve25519 encryption subkey, v4. */
export async function generateServerKey(): Promise<ServerKeyPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'Coffer server', email: 'server@coffer.invalid' }],
    format: 'armored',
  });
  return { armoredPrivate: privateKey, armoredPublic: publicKey };
}

/** The public half as stored (null: none yet). */
export async function serverPublicKey(
  exec: Executor,
): Promise<{ armoredKey: string; fingerprint: string; keyId: string; created: number } | null> {
  const row = await exec
    .selectFrom('system_keys')
    .select(['public_value', 'created_at'])
    .where('name', '=', OPENPGP_SERVER_KEY)
    .executeTakeFirst();
  if (!row?.public_value) return null;
  const key = await openpgp.readKey({ armoredKey: row.public_value });
  return {
    armoredKey: row.public_value,
    fingerprint: key.getFingerprint().toLowerCase(),
    keyId: key.getKeyID().toHex().toLowerCase(),
    created: key.getCreationTime().getTime(),
  };
}

/** Makes the key pair when the store has none; several nodes unsealing at once keep the first written. */
export async function ensureServerKey(db: Db, now: number, seal: (value: Buffer) => Promise<string>): Promise<void> {
  const have = await db.selectFrom('system_keys').select('name').where('name', '=', OPENPGP_SERVER_KEY).executeTakeFirst();
  if (have) return;
  const pgp = await generateServerKey();
  await db
    .insertInto('system_keys')
    .values({
      name: OPENPGP_SERVER_KEY,
      value_enc: await seal(Buffer.from(pgp.armoredPrivate, 'utf8')),
      public_value: pgp.armoredPublic,
      created_at: now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}
