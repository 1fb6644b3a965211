// Passwork's encodings without client-side encryption: every value (password, custom field name,
// type and value) travels as base64 of its UTF-8 bytes; an attachment as base64 of the base64 of
// the file, with a SHA-256 the clients check after decoding. The hash is of the file's bytes read
// as Latin-1 text and encoded in UTF-8 (what both official connectors compute: a byte >= 0x80
// counts as two), so it equals a plain SHA-256 only for ASCII files.
import { createHash } from 'node:crypto';
import { AppError } from '../../lib/app-error.ts';

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const fatal = new TextDecoder('utf-8', { fatal: true });

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function bad(path: string, message: string): AppError {
  return new AppError('validation.failed', 'Some fields are invalid.', { details: [{ path, message }] });
}

/** base64 (standard alphabet, padding optional; white space ignored) -> bytes, or a 400 naming `path`. */
export function unb64Bytes(value: string, path: string): Buffer {
  const s = value.replace(/\s+/g, '');
  if (!B64.test(s) || s.length % 4 === 1) throw bad(path, 'must be base64');
  return Buffer.from(s, 'base64');
}

/** base64 of UTF-8 text -> the text, or a 400 naming `path`. */
export function unb64(value: string, path: string): string {
  try {
    return fatal.decode(unb64Bytes(value, path));
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw bad(path, 'must be base64 of UTF-8 text');
  }
}

/** The attachment hash the Passwork connectors verify (see above). */
export function passworkFileHash(bytes: Buffer): string {
  return createHash('sha256')
    .update(Buffer.from(bytes.toString('latin1'), 'utf8'))
    .digest('hex');
}

/** base64(base64(file)), as `encryptedData` carries a file without client-side encryption. */
export function encodeFile(bytes: Buffer): string {
  return Buffer.from(bytes.toString('base64'), 'ascii').toString('base64');
}

/** `encryptedData` without client-side encryption -> the file's bytes. */
export function decodeFile(encryptedData: string, path: string): Buffer {
  const inner = unb64Bytes(encryptedData, path).toString('latin1');
  return unb64Bytes(inner, path);
}

/** The key an attachment carries without client-side encryption (the connectors send and expect it). */
export const PLAIN_ATTACHMENT_KEY = b64('a'.repeat(32));

/** The hash sent with an upload matches the file (the connectors' hash, or a plain SHA-256). */
export function hashMatches(bytes: Buffer, hash: string): boolean {
  const h = hash.trim().toLowerCase();
  return h === passworkFileHash(bytes) || h === createHash('sha256').update(bytes).digest('hex');
}
