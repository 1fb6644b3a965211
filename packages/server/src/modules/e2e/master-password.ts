// The 'master-password' scheme of end-to-end encrypted vaults (ADR 0026): Passwork's client-side
// encryption. Its clients derive a master key from the user's master password, encrypt a vault
// password with it and every item's key with that, and send ciphertexts only. The server keeps
// what they send as the item's one value (`payload` of the built-in template `client-encrypted`)
// and its files as `{encryptedKey, encryptedData, hash}` JSON, and can open none of it. What it can
// check is the shape: a value that is not the client's ciphertext (a plaintext sent by mistake) is
// refused, never stored.
import { AppError } from '../../lib/app-error.ts';

/** `secrets.e2e`: how a secret's value is kept (migration 0018, 0023). */
export const SECRET_KIND = { server: 0, openpgp: 1, masterPassword: 2 } as const;

/** The only template of a 'master-password' vault, and its one sensitive field. */
export const CLIENT_ENCRYPTED_TEMPLATE = 'client-encrypted';
export const PAYLOAD_FIELD = 'payload';
/** The media type of a client-encrypted file (`{encryptedKey, encryptedData, hash}` JSON). */
export const CLIENT_ENCRYPTED_MEDIA_TYPE = 'application/vnd.coffer.client-encrypted+json';

/** The surfaces a master-password secret's ciphertext is handed to: Coffer's own, and Passwork's (its clients open it). */
export const CLIENT_SEALED_READERS: ReadonlySet<string> = new Set(['native', 'web', 'passwork']);

/** What a client of this scheme stores for an item. */
export interface ClientPayload {
  cryptedPassword: string;
  cryptedKey: string;
  custom: Array<{ name: string; value: string; type: string }> | null;
}

// the base32 alphabet of Passwork's connectors (digits, then letters without i, l, o and s)
const B32_ALPHABET = '0123456789abcdefghjkmnpqrtuvwxyz';
const BASE32 = /^[0-9abcdefghjkmnpqrtuvwxyz]+$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SALTED = Buffer.from('Salted__');

function unbase32(s: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s.toLowerCase()) {
    value = ((value << 5) | B32_ALPHABET.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** An OpenSSL-style AES ciphertext ("Salted__", 8 salt bytes, whole blocks) in base64. */
function isSaltedBase64(text: string): boolean {
  if (!BASE64.test(text) || text.length % 4 !== 0) return false;
  const raw = Buffer.from(text, 'base64');
  return raw.length >= 32 && (raw.length - 16) % 16 === 0 && raw.subarray(0, 8).equals(SALTED);
}

/**
 * Is `text` a ciphertext as Passwork's clients make it: the base64 of an OpenSSL-style AES
 * ciphertext, itself base32-encoded (the connectors' form), or that base64 alone.
 */
export function isClientCiphertext(text: string, maxLength = 1_000_000): boolean {
  if (text.length < 44 || text.length > maxLength) return false;
  if (BASE32.test(text)) {
    const inner = unbase32(text).toString('latin1');
    if (isSaltedBase64(inner)) return true;
  }
  return isSaltedBase64(text);
}

const notCiphertext = (path: string) =>
  new AppError(
    'secret.e2e_unsupported',
    'This secret is in an end-to-end encrypted vault of the master-password scheme: its value must be the ciphertext its client made (Passwork with a master password), never a value in clear.',
    { details: [{ path, message: 'not a client ciphertext' }] },
  );

/**
 * Checks the sensitive values of a secret of this scheme: exactly the `payload` field, a JSON
 * `{cryptedPassword, cryptedKey, custom}` whose parts are client ciphertexts (`cryptedKey` and the
 * custom fields' parts may be empty). Anything else is refused with the path that failed.
 */
export function checkClientValues(sensitive: Record<string, string>): void {
  for (const field of Object.keys(sensitive)) if (field !== PAYLOAD_FIELD) throw notCiphertext(`/fields/${field}`);
  const raw = sensitive[PAYLOAD_FIELD];
  if (raw === undefined) return;
  let p: Partial<ClientPayload>;
  try {
    p = JSON.parse(raw) as Partial<ClientPayload>;
  } catch {
    throw notCiphertext(`/fields/${PAYLOAD_FIELD}`);
  }
  if (typeof p !== 'object' || p === null || typeof p.cryptedPassword !== 'string' || !isClientCiphertext(p.cryptedPassword)) {
    throw notCiphertext(`/fields/${PAYLOAD_FIELD}/cryptedPassword`);
  }
  if (p.cryptedKey !== undefined && p.cryptedKey !== '' && (typeof p.cryptedKey !== 'string' || !isClientCiphertext(p.cryptedKey))) {
    throw notCiphertext(`/fields/${PAYLOAD_FIELD}/cryptedKey`);
  }
  if (p.custom !== undefined && p.custom !== null) {
    if (!Array.isArray(p.custom)) throw notCiphertext(`/fields/${PAYLOAD_FIELD}/custom`);
    p.custom.forEach((c, i) => {
      for (const part of ['name', 'value', 'type'] as const) {
        const v = (c as Record<string, unknown> | null)?.[part];
        if (v !== '' && (typeof v !== 'string' || !isClientCiphertext(v)))
          throw notCiphertext(`/fields/${PAYLOAD_FIELD}/custom/${i}/${part}`);
      }
    });
  }
}

/**
 * Checks a file of a secret of this scheme: the JSON `{encryptedKey, encryptedData, hash}` its
 * client made (the key and the data client ciphertexts, the hash a short text). Anything else —
 * a file in clear labelled with the media type — is refused.
 */
export function checkClientFile(content: Buffer): void {
  const refuse = (path: string) => notCiphertext(`/file${path}`);
  let f: Record<string, unknown>;
  try {
    f = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw refuse('');
  }
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw refuse('');
  if (typeof f.encryptedKey !== 'string' || !isClientCiphertext(f.encryptedKey)) throw refuse('/encryptedKey');
  if (typeof f.encryptedData !== 'string' || !isClientCiphertext(f.encryptedData, content.length)) throw refuse('/encryptedData');
  if (f.hash !== undefined && (typeof f.hash !== 'string' || f.hash.length > 200)) throw refuse('/hash');
}

/** Refuses a template other than `client-encrypted` in a vault of this scheme. */
export function requireClientTemplate(slug: string): void {
  if (slug !== CLIENT_ENCRYPTED_TEMPLATE) {
    throw new AppError(
      'secret.e2e_unsupported',
      `Secrets in an end-to-end encrypted vault of the master-password scheme are client-encrypted items (template "${CLIENT_ENCRYPTED_TEMPLATE}"), written by their clients.`,
      { details: [{ path: '/template', message: `must be "${CLIENT_ENCRYPTED_TEMPLATE}"` }] },
    );
  }
}
