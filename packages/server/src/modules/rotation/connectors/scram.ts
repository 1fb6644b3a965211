// SCRAM-SHA-256 verifiers as PostgreSQL stores them (RFC 5802, RFC 7677), computed here so that
// `ALTER ROLE … PASSWORD` carries the verifier and the cleartext never reaches the server (its
// statement log, pg_stat_statements, a replica).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;

/**
 * The password as SCRAM hashes it: SASLprep (RFC 4013) in the form PostgreSQL applies it —
 * non-ASCII spaces become a space, characters "mapped to nothing" are dropped, then NFKC. Like
 * PostgreSQL, a password that SASLprep would refuse (controls, unassigned code points) is used as
 * its raw bytes. ASCII passwords (every generated one) are unchanged.
 */
export function saslPrep(password: string): string {
  if (/^[\x20-\x7e]*$/.test(password)) return password;
  const mapped = password
    .replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .replace(/\u00ad|\u034f|\u1806|[\u180b-\u180d]|\u200c|\u200d|\u2060|[\ufe00-\ufe0f]|\ufeff/g, '');
  const n = mapped.normalize('NFKC');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: prohibited output (RFC 4013 section 2.3)
  if (/[\u0000-\u001f\u007f-\u009f\u06dd\u070f\u180e\u200e\u200f\u2028-\u202e\u2060-\u2063\u206a-\u206f\ud800-\udfff\ufff9-\ufffd]/.test(n))
    return password;
  return n;
}

function keys(password: string, salt: Buffer, iterations: number) {
  const salted = pbkdf2Sync(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` with a fresh 16-byte salt. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string {
  const k = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${k.storedKey.toString('base64')}:${k.serverKey.toString('base64')}`;
}

const VERIFIER = /^SCRAM-SHA-256\$(\d{1,7}):([A-Za-z0-9+/=]{4,200})\$([A-Za-z0-9+/=]{44}):([A-Za-z0-9+/=]{44})$/;

/**
 * Whether `password` is the one a stored verifier was made from: the keys are derived again with
 * the verifier's salt and iterations and compared in constant time — what the server checks at a
 * SCRAM login, without one. False for anything but a SCRAM-SHA-256 verifier (md5, null).
 */
export function verifierMatches(stored: string | null, password: string): boolean {
  const m = stored ? VERIFIER.exec(stored) : null;
  if (!m) return false;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > 1_000_000) return false;
  const k = keys(password, Buffer.from(m[2] as string, 'base64'), iterations);
  const a = Buffer.concat([k.storedKey, k.serverKey]);
  const b = Buffer.concat([Buffer.from(m[3] as string, 'base64'), Buffer.from(m[4] as string, 'base64')]);
  return a.length === b.length && timingSafeEqual(a, b);
}
