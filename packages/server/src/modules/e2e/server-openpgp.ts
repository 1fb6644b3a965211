// What the server does with its own OpenPGP key (sys/openpgp-server-key.ts) and the users'
// registered keys when a client proves a key instead of a password (the Passbolt API's GPGAuth and
// JWT logins): decrypt what a client encrypted to the server (optionally checking the client's
// signature), encrypt and sign for a user's registered key, and find the registered key of a
// fingerprint or of a user. The private key is read from the sealed store on each use (unsealed
// only), never logged nor cached beyond the call.
import * as openpgp from 'openpgp';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import { serverPublicKey } from '../sys/openpgp-server-key.ts';
import type { SealManager } from '../sys/seal.ts';
import { MAX_MESSAGE } from './openpgp-checks.ts';

const unreadable = () =>
  new AppError('validation.failed', 'The message could not be decrypted.', {
    details: [{ path: '/message', message: 'The message could not be decrypted.', rule: 'decrypt' }],
  });

export function createServerOpenpgp(deps: { db: Db; seal: Pick<SealManager, 'openpgpPrivateKey'> }) {
  const { db, seal } = deps;

  async function privateKey(): Promise<openpgp.PrivateKey> {
    return openpgp.readPrivateKey({ armoredKey: await seal.openpgpPrivateKey(db) });
  }

  /** The server's public key and its fingerprint (40 hex digits, upper case as Passbolt shows it). */
  async function publicKey(): Promise<{ armoredKey: string; fingerprint: string }> {
    const k = await serverPublicKey(db);
    if (!k) throw new AppError('sys.not_initialized', 'The server has no OpenPGP key yet.');
    return { armoredKey: k.armoredKey, fingerprint: k.fingerprint.toUpperCase() };
  }

  /**
   * The text of an armored message encrypted to the server's key. With `signedBy`, the message
   * must carry a valid signature by that armored public key. Anything else (not armored, not for
   * this key, tampered, unsigned or signed by another key) -> validation.failed, no detail.
   */
  async function decrypt(armoredMessage: string, opts: { signedBy?: string } = {}): Promise<string> {
    if (armoredMessage.length > MAX_MESSAGE || !armoredMessage.includes('-----BEGIN PGP MESSAGE-----')) throw unreadable();
    try {
      const message = await openpgp.readMessage({ armoredMessage });
      const verificationKeys = opts.signedBy ? await openpgp.readKey({ armoredKey: opts.signedBy }) : undefined;
      const { data, signatures } = await openpgp.decrypt({
        message,
        decryptionKeys: await privateKey(),
        ...(verificationKeys ? { verificationKeys, expectSigned: true } : {}),
      });
      if (verificationKeys) {
        // expectSigned already throws on a missing or bad signature; every signature must hold
        for (const s of signatures) await s.verified;
      }
      return data as string;
    } catch (e) {
      if (e instanceof AppError && e.code !== 'validation.failed') throw e;
      throw unreadable();
    }
  }

  /** `text` encrypted to a user's registered (armored) key and signed by the server. */
  async function encryptFor(text: string, armoredKey: string): Promise<string> {
    const encryptionKeys = await openpgp.readKey({ armoredKey });
    return (await openpgp.encrypt({
      message: await openpgp.createMessage({ text }),
      encryptionKeys,
      signingKeys: await privateKey(),
    })) as string;
  }

  /** The registered key of a fingerprint (any case), with its user; undefined when none. */
  async function keyByFingerprint(fingerprint: string): Promise<{ userId: string; armoredKey: string; fingerprint: string } | undefined> {
    if (!/^[0-9a-f]{40}$/i.test(fingerprint)) return undefined;
    const row = await db
      .selectFrom('user_openpgp_keys')
      .select(['user_id', 'armored_key', 'fingerprint'])
      .where('fingerprint', '=', fingerprint.toLowerCase())
      .executeTakeFirst();
    return row ? { userId: row.user_id, armoredKey: row.armored_key, fingerprint: row.fingerprint } : undefined;
  }

  /** A user's registered key; undefined when they have none. */
  async function keyOfUser(userId: string): Promise<{ userId: string; armoredKey: string; fingerprint: string } | undefined> {
    const row = await db
      .selectFrom('user_openpgp_keys')
      .select(['user_id', 'armored_key', 'fingerprint'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? { userId: row.user_id, armoredKey: row.armored_key, fingerprint: row.fingerprint } : undefined;
  }

  return { publicKey, decrypt, encryptFor, keyByFingerprint, keyOfUser };
}
export type ServerOpenpgp = ReturnType<typeof createServerOpenpgp>;
