// Access tokens in the JWT format (RFC 7519) for APIs whose clients expect one (the Passbolt API's
// JWT login). A JWT here only wraps a Coffer session: its `sid` names the session, which is checked
// on every use exactly as a session token is (revoked, idle and absolute deadlines, the user
// active, the audience); the signature (RS256 under the server's JWT key, modules/sys/jwt-key.ts,
// published as a JWKS for clients that verify it) proves Coffer issued it, and `exp` bounds it further.
import { createSign, createVerify, type KeyObject } from 'node:crypto';

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

const header = (kid: string) => Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
/** A JWT of this issuer: three base64url parts, bounded (an RSA-2048 signature is 342 characters). */
const FORM = /^[A-Za-z0-9_-]{10,200}\.[A-Za-z0-9_-]{10,1500}\.[A-Za-z0-9_-]{342}$/;

export const looksLikeJwt = (token: string) => FORM.test(token);

export function signJwt(key: { privateKey: KeyObject; kid: string }, claims: SessionJwtClaims): string {
  const data = `${header(key.kid)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${data}.${createSign('RSA-SHA256').update(data).sign(key.privateKey, 'base64url')}`;
}

/** The claims of a JWT this key signed, unexpired at `now` (ms); undefined otherwise. */
export function verifyJwt(key: { publicKey: KeyObject; kid: string }, token: string, now: number): SessionJwtClaims | undefined {
  if (!FORM.test(token)) return undefined;
  const [head, payload, sig] = token.split('.') as [string, string, string];
  // only the header this issuer writes (RS256, its key id): no `none`, no HS256 under the public key
  if (head !== header(key.kid)) return undefined;
  // the signature in its one canonical encoding: the last character carries 4 unused bits, and a
  // token whose string differs only there would otherwise verify too
  const raw = Buffer.from(sig, 'base64url');
  if (raw.toString('base64url') !== sig) return undefined;
  if (!createVerify('RSA-SHA256').update(`${head}.${payload}`).verify(key.publicKey, raw)) return undefined;
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
