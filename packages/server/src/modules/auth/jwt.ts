// Access tokens in the JWT format (RFC 7519) for APIs whose clients expect one (the Passbolt API's
// JWT login). A JWT here only wraps a Coffer session: its `sid` names the session, which is checked
// on every use exactly as a session token is (revoked, idle and absolute deadlines, the user
// active, the audience); the signature (HS256 under a key derived from the token HMAC key, never
// stored) proves Coffer issued it, and `exp` bounds it further.
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/tokens.ts';

export interface SessionJwtClaims {
  /** The session's id (ses_...). */
  sid: string;
  /** The subject as the client names the user (the API's user id). */
  sub: string;
  /** The issuer (the API's base URL). */
  iss: string;
  iat: number;
  exp: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** A JWT of this issuer: three base64url parts, bounded. */
const FORM = /^[A-Za-z0-9_-]{10,100}\.[A-Za-z0-9_-]{10,1500}\.[A-Za-z0-9_-]{43}$/;

export const looksLikeJwt = (token: string) => FORM.test(token);

export function signJwt(key: Buffer, claims: SessionJwtClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = createHmac('sha256', key).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${sig}`;
}

/** The claims of a JWT this key signed, unexpired at `now` (ms); undefined otherwise. */
export function verifyJwt(key: Buffer, token: string, now: number): SessionJwtClaims | undefined {
  if (!FORM.test(token)) return undefined;
  const [head, payload, sig] = token.split('.') as [string, string, string];
  const expected = createHmac('sha256', key).update(`${head}.${payload}`).digest('base64url');
  // the signature first (constant time), the header after: only a header we wrote is signed
  if (!constantTimeEqual(sig, expected) || head !== HEADER) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const c = claims as Partial<SessionJwtClaims>;
  if (typeof c.sid !== 'string' || typeof c.exp !== 'number' || typeof c.sub !== 'string') return undefined;
  if (now >= c.exp * 1000) return undefined;
  return c as SessionJwtClaims;
}
