// The server's JWT signing key (RS256, RSA 2048), for APIs whose clients verify the access tokens
// they get against the server's published key (the Passbolt API: /auth/jwt/jwks.json and
// /auth/jwt/rsa.json). Made at its first use (a key pair costs ~0.1 s: stores that never issue a
// JWT never make one); the private key a system key sealed under the keyring like the others
// (re-encrypted with them on key rotation); the public key stored beside it in clear. Several nodes
// making it at once keep the first written.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Db } from '../../db/database.ts';

export const JWT_SIGNING_KEY = 'jwt-rs256';

export interface JwtKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The key id: the first 16 bytes of the SHA-256 of the public key (SPKI DER), base64url. */
  kid: string;
  /** The public key as PEM (SPKI). */
  publicPem: string;
}

/** The stored key pair, made when the store has none. `seal`/`open` protect the private half. */
export async function jwtKeys(
  db: Db,
  now: number,
  seal: (value: Buffer) => Promise<string>,
  open: (valueEnc: string) => Promise<Buffer>,
): Promise<JwtKeys> {
  let row = await db.selectFrom('system_keys').select(['value_enc', 'public_value']).where('name', '=', JWT_SIGNING_KEY).executeTakeFirst();
  if (!row) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await db
      .insertInto('system_keys')
      .values({
        name: JWT_SIGNING_KEY,
        value_enc: await seal(pair.privateKey.export({ format: 'der', type: 'pkcs8' })),
        public_value: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        created_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await db
      .selectFrom('system_keys')
      .select(['value_enc', 'public_value'])
      .where('name', '=', JWT_SIGNING_KEY)
      .executeTakeFirstOrThrow();
  }
  const privateKey = createPrivateKey({ key: await open(row.value_enc), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    publicKey,
    kid: createHash('sha256').update(spki).digest().subarray(0, 16).toString('base64url'),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
