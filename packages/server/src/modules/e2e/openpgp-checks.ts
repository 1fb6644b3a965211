// What the server can check of OpenPGP material it cannot open (ADR 0022): a user's public key
// (public, carries the user's e-mail address, strong enough, live, can encrypt) and a message for a
// reader (armored, only public-key encrypted session keys for that reader's key followed by exactly
// one integrity-protected encrypted packet — nothing in clear, nothing appended).
import * as openpgp from 'openpgp';
import { AppError } from '../../lib/app-error.ts';

/** Largest armored key and message accepted (a message holds a few fields, not files). */
export const MAX_ARMORED_KEY = 64 * 1024;
export const MAX_MESSAGE = 64 * 1024;

export interface ParsedPublicKey {
  armored: string;
  fingerprint: string;
  keyId: string;
  algorithm: string;
  bits: number;
  created: number;
  expires: number | null;
  /** Key ids (16 hex) of the key's packets that may encrypt (primary and subkeys). */
  encryptionKeyIds: string[];
}

const keyInvalid = (message: string) => new AppError('user.openpgp_key_invalid', message);

/** Curves accepted (openpgp.js names); RSA needs 2048 bits at least; DSA and ElGamal are refused. */
const GOOD_CURVES = new Set([
  'curve25519Legacy',
  'ed25519Legacy',
  'nistP256',
  'nistP384',
  'nistP521',
  'brainpoolP256r1',
  'brainpoolP384r1',
  'brainpoolP512r1',
]);
const GOOD_ALGOS = new Set([
  'rsaEncryptSign',
  'rsaEncrypt',
  'rsaSign',
  'eddsaLegacy',
  'ecdh',
  'ecdsa',
  'ed25519',
  'x25519',
  'ed448',
  'x448',
]);

function strength(info: { algorithm: string; bits?: number; curve?: string }): number | null {
  if (!GOOD_ALGOS.has(info.algorithm)) return null;
  if (info.algorithm.startsWith('rsa')) return (info.bits ?? 0) >= 2048 ? (info.bits ?? 0) : null;
  if (info.algorithm === 'ed25519' || info.algorithm === 'x25519') return 256;
  if (info.algorithm === 'ed448' || info.algorithm === 'x448') return 448;
  if (!info.curve || !GOOD_CURVES.has(info.curve)) return null;
  return /521/.test(info.curve) ? 521 : /384/.test(info.curve) ? 384 : /512/.test(info.curve) ? 512 : 256;
}

/** The e-mail addresses in a key's user ids, lower-cased. */
function emailsOf(key: openpgp.Key): string[] {
  const out: string[] = [];
  for (const u of key.users) {
    const email = u.userID?.email;
    if (email) out.push(email.toLowerCase());
  }
  return out;
}

/**
 * Parses and checks a user's public key: one armored public key (no private key material), a user
 * id carrying `email`, a valid self-signature, not revoked or expired at `now`, a strong algorithm,
 * and a key that can encrypt.
 */
export async function parsePublicKey(armored: string, email: string, now: Date): Promise<ParsedPublicKey> {
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armored)) throw keyInvalid('That is a private key: send only the public key.');
  if (!/^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(armored)) throw keyInvalid('Not an armored OpenPGP public key.');
  const end = armored.indexOf('-----END PGP PUBLIC KEY BLOCK-----');
  if (end < 0 || armored.slice(end + '-----END PGP PUBLIC KEY BLOCK-----'.length).trim() !== '') {
    throw keyInvalid('Not one armored OpenPGP public key (text after its end).');
  }
  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch {
    throw keyInvalid('Not an armored OpenPGP public key.');
  }
  if (keys.length !== 1) throw keyInvalid('Send exactly one public key.');
  const key = keys[0] as openpgp.Key;
  if (key.isPrivate()) throw keyInvalid('That is a private key: send only the public key.');
  if (!email) throw keyInvalid('Your account has no e-mail address: an administrator must set one before you register a key.');
  if (!emailsOf(key).includes(email.toLowerCase())) {
    throw keyInvalid('No user id of the key carries your e-mail address.');
  }
  try {
    await key.verifyPrimaryKey(now);
  } catch (e) {
    const why = e instanceof Error ? e.message : '';
    if (/revoked/i.test(why)) throw keyInvalid('The key is revoked.');
    if (/expired/i.test(why)) throw keyInvalid('The key is expired.');
    throw keyInvalid('The key has no valid self-signature.');
  }
  const info = key.getAlgorithmInfo() as { algorithm: string; bits?: number; curve?: string };
  const bits = strength(info);
  if (bits === null) throw keyInvalid('The key algorithm or size is too weak (RSA needs 2048 bits; DSA and ElGamal are refused).');
  const expiration = await key.getExpirationTime();
  const expires = expiration instanceof Date ? expiration.getTime() : null;
  if (expires !== null && expires <= now.getTime()) throw keyInvalid('The key is expired.');
  const encryptionKeyIds: string[] = [];
  try {
    const enc = await key.getEncryptionKey(undefined, now);
    if (strength(enc.getAlgorithmInfo() as { algorithm: string; bits?: number; curve?: string }) === null) {
      throw keyInvalid('The encryption subkey is too weak.');
    }
    encryptionKeyIds.push(enc.getKeyID().toHex());
    // every live encryption subkey may receive messages
    for (const sub of key.subkeys) {
      const id = sub.getKeyID().toHex();
      if (encryptionKeyIds.includes(id)) continue;
      try {
        const k = await key.getEncryptionKey(sub.getKeyID(), now);
        if (strength(k.getAlgorithmInfo() as { algorithm: string; bits?: number; curve?: string }) !== null) encryptionKeyIds.push(id);
      } catch {
        // not an encryption subkey
      }
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw keyInvalid('The key cannot encrypt (no live encryption key).');
  }
  return {
    armored: key.armor(),
    fingerprint: key.getFingerprint().toLowerCase(),
    keyId: key.getKeyID().toHex().toLowerCase(),
    algorithm: info.algorithm,
    bits,
    created: key.getCreationTime().getTime(),
    expires,
    encryptionKeyIds,
  };
}

const ALLOWED_SESSION_KEY = openpgp.enums.packet.publicKeyEncryptedSessionKey;
const ALLOWED_DATA = new Set<number>([openpgp.enums.packet.symEncryptedIntegrityProtectedData, openpgp.enums.packet.aeadEncryptedData]);

/**
 * Why a message is not one the server may hand to `recipientKeyIds`' owner, or null when it is:
 * one armored PGP MESSAGE block, then one or more session keys encrypted to the reader's key
 * (every one of them to that key: never a password-encrypted or wildcard one), then exactly one
 * integrity-protected encrypted data packet, and nothing else (no literal data, no compressed or
 * signature packet outside the encryption, nothing appended).
 */
export async function messageProblem(armored: string, recipientKeyIds: string[]): Promise<string | null> {
  if (armored.length > MAX_MESSAGE) return 'too large';
  if (!/^\s*-----BEGIN PGP MESSAGE-----\r?\n/.test(armored)) return 'not an armored OpenPGP message';
  const endMark = '-----END PGP MESSAGE-----';
  const end = armored.indexOf(endMark);
  if (end < 0 || armored.indexOf('-----BEGIN', 10) !== -1 || armored.slice(end + endMark.length).trim() !== '') {
    return 'not one armored OpenPGP message (text after its end)';
  }
  let message: openpgp.Message<string>;
  try {
    message = await openpgp.readMessage({ armoredMessage: armored });
  } catch {
    return 'not an armored OpenPGP message';
  }
  const packets = [...message.packets] as unknown as Array<{
    constructor: { tag: number };
    publicKeyID?: { toHex(): string; isWildcard(): boolean };
  }>;
  const last = packets.at(-1);
  if (!last || !ALLOWED_DATA.has(last.constructor.tag)) return 'does not end with one integrity-protected encrypted packet';
  const sessionKeys = packets.slice(0, -1);
  if (sessionKeys.length === 0) return 'has no session key encrypted to the reader';
  const wanted = new Set(recipientKeyIds.map((k) => k.toLowerCase()));
  for (const p of sessionKeys) {
    if (p.constructor.tag !== ALLOWED_SESSION_KEY)
      return 'holds a packet other than public-key encrypted session keys before the encrypted data';
    const id = p.publicKeyID;
    if (!id || id.isWildcard()) return 'has a session key for an anonymous recipient';
    if (!wanted.has(id.toHex().toLowerCase())) return "has a session key for a key that is not the reader's registered key";
  }
  return null;
}
