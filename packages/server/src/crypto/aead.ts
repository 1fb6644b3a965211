import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';

/** What a ciphertext belongs to. Bound into the GCM associated data, so a ciphertext copied to
 * another record, field or key term fails to decrypt. */
export interface Binding {
  /** Record type, e.g. `user`. */
  type: string;
  /** Record id. */
  id: string;
  /** Field name, e.g. `totp_secret`. */
  field: string;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Unambiguous encoding of the binding and key term (JSON of an array of strings). */
export function associatedData(binding: Binding, term: number): Buffer {
  return Buffer.from(JSON.stringify(['coffer/v1', binding.type, binding.id, binding.field, String(term)]));
}

/** AES-256-GCM with a fresh random 96-bit nonce. Returns nonce | ciphertext | tag. */
const keyBytes = (key: Buffer | KeyObject) => (Buffer.isBuffer(key) ? key.length : key.symmetricKeySize);

export function aeadSeal(key: Buffer | KeyObject, plaintext: Buffer, aad: Buffer): Buffer {
  if (keyBytes(key) !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, ct, cipher.getAuthTag()]);
}

/** Inverse of aeadSeal; throws DecryptError on any tampering or wrong key/binding. */
export function aeadOpen(key: Buffer | KeyObject, sealed: Buffer, aad: Buffer): Buffer {
  if (keyBytes(key) !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new DecryptError();
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const ct = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw new DecryptError();
  }
}

/** Carries no detail on purpose: which check failed is not told to anyone. */
export class DecryptError extends Error {
  override name = 'DecryptError';
  constructor() {
    super('decryption failed');
  }
}
