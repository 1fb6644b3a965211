import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque bearer credentials: a type prefix and 256 random bits, base64url. Only their keyed hash
 * (HMAC-SHA-256 under a key from the keyring) is stored, so the database alone cannot be used to
 * authenticate nor to test guesses offline.
 */
export type TokenKind = 'session' | 'refresh' | 'apikey' | 'mfa';

const prefixes: Record<TokenKind, string> = {
  session: 'cfs_',
  refresh: 'cfr_',
  apikey: 'cfk_',
  mfa: 'cfm_',
};

export function newToken(kind: TokenKind): string {
  return prefixes[kind] + randomBytes(32).toString('base64url');
}

export function tokenKind(token: string): TokenKind | undefined {
  for (const [k, p] of Object.entries(prefixes)) if (token.startsWith(p)) return k as TokenKind;
  return undefined;
}

// HMAC keys are imported once as KeyObjects: importing a raw Buffer on every call costs ~4x more
const keyObjects = new WeakMap<Buffer, KeyObject>();

export function keyedHash(key: Buffer, value: string): string {
  let k = keyObjects.get(key);
  if (!k) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return createHmac('sha256', k).update(value, 'utf8').digest('base64url');
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string equality (lengths are compared via fixed-size digests). */
export function constantTimeEqual(a: string, b: string): boolean {
  // utf16le keeps every code unit (utf8 would fold lone surrogates into U+FFFD)
  const da = createHash('sha256').update(a, 'utf16le').digest();
  const db = createHash('sha256').update(b, 'utf16le').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
