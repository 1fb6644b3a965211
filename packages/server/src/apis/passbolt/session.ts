// How a Passbolt client proves its session (ADR 0025 "Authentication"): the browser extension and
// go-passbolt keep the `passbolt_session` cookie of a GPGAuth login (with the `csrfToken` cookie
// echoed as `X-CSRF-Token` on every mutation), the mobile and desktop apps send the JWT of a JWT
// login as `Authorization: Bearer`. Both resolve to a Coffer session of audience 'passbolt'; a
// session that still owes its second factor (TOTP) answers every route but the MFA step, logout
// and is-authenticated with 403 "MFA authentication is required.".
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../../crypto/tokens.ts';
import type { Authenticator } from '../../http/surface.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Actor, RequestContext } from '../../modules/auth/actor.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import { looksLikeJwt } from '../../modules/auth/jwt.ts';

export const SESSION_COOKIE = 'passbolt_session';
export const CSRF_COOKIE = 'csrfToken';
export const MFA_COOKIE = 'passbolt_mfa';
const COOKIE_PATH = '/passbolt';

/** A Coffer session token (crypto/tokens.ts); an opaque bearer token (session or API key). */
const SESSION_TOKEN = /^cfs_[A-Za-z0-9_-]{43}$/;
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{10,200}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Routes a session owing its second factor may still reach (paths as registered, with the prefix);
 * /mfa/verify/error.json is not one: it answers the refusal itself.
 */
const MFA_OPEN = new Set([
  '/passbolt/mfa/verify/totp.json',
  '/passbolt/auth/logout.json',
  '/passbolt/auth/is-authenticated.json',
  '/passbolt/auth/jwt/logout.json',
]);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the passbolt_session cookie authenticated the request: its session's CSRF token. */
    passboltCsrf?: string;
  }
}

type Auth = Pick<AuthService, 'authenticate' | 'authenticateJwt' | 'csrfToken'>;

const secure = (req: FastifyRequest) => (req.protocol === 'https' ? '; Secure' : '');

/** Set-Cookie of a new session (HttpOnly: no script reads it; SameSite=Strict: no other site sends it). */
export const sessionCookie = (req: FastifyRequest, token: string) =>
  `${SESSION_COOKIE}=${token}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict${secure(req)}`;
/** Set-Cookie of the CSRF token (readable by the client's script, which echoes it in X-CSRF-Token). */
export const csrfCookie = (req: FastifyRequest, value: string) =>
  `${CSRF_COOKIE}=${value}; Path=${COOKIE_PATH}; SameSite=Strict${secure(req)}`;
/** Set-Cookie of the MFA marker go-passbolt waits for (the server keeps the state; the value proves nothing). */
export const mfaCookie = (req: FastifyRequest, value: string) =>
  `${MFA_COOKIE}=${value}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict${secure(req)}`;
/** Set-Cookie headers that remove the session, CSRF and MFA cookies. */
export const clearedCookies = (req: FastifyRequest) =>
  [SESSION_COOKIE, CSRF_COOKIE, MFA_COOKIE].map((n) => `${n}=; Path=${COOKIE_PATH}; Max-Age=0; SameSite=Strict${secure(req)}`);

/** Adds Set-Cookie headers to those the reply already has. */
export function addCookies(reply: FastifyReply, cookies: string[]): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('set-cookie', [...list, ...cookies]);
}

/** The values of a cookie in the Cookie header(s). */
export function cookieValues(req: FastifyRequest, name: string): string[] {
  const raw = req.headers.cookie;
  if (raw === undefined) return [];
  const out: string[] = [];
  for (const header of Array.isArray(raw) ? raw : [raw]) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq >= 0 && part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
    }
  }
  return out;
}

/** The second-factor gate: a session owing its TOTP code reaches only the MFA step, logout, is-authenticated. */
function mfaGate(req: FastifyRequest, ctx: RequestContext, actor: Actor): void {
  if (MFA_OPEN.has(req.routeOptions.url ?? '')) return;
  // read with the session (authenticate.ts), a JWT's too: no query of its own on every request
  if (actor.secondFactorOwed === true) {
    ctx.actor = actor; // the refusal's audit record names whose session it was
    throw new AppError('auth.mfa_required', 'MFA authentication is required.');
  }
}

/**
 * `Authorization: Bearer <JWT>` (the JWT login's access token: signature, expiry, then the session
 * it wraps) or an opaque Coffer token (a session of this API, an API key). No CSRF token: a browser
 * never adds this header on its own.
 */
export function bearerAuthenticator(auth: Auth): Authenticator {
  return {
    name: 'passbolt-bearer',
    async authenticate(req, ctx) {
      const h = req.headers.authorization;
      if (h === undefined) return undefined;
      const token = typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7).trim() : '';
      let actor: Actor;
      if (looksLikeJwt(token)) actor = await auth.authenticateJwt(token, ctx.sourceIp, 'passbolt');
      else if (OPAQUE_TOKEN.test(token)) actor = await auth.authenticate(token, ctx.sourceIp, 'passbolt');
      else throw new AppError('auth.required', 'You need to login to access this location.');
      mfaGate(req, ctx, actor);
      return actor;
    },
  };
}

/**
 * The passbolt_session cookie (a session token of audience 'passbolt'). A mutation must carry
 * X-CSRF-Token equal to the session's CSRF token (an HMAC of its id; constant-time compare).
 */
export function cookieAuthenticator(auth: Auth): Authenticator {
  return {
    name: 'passbolt-cookie',
    async authenticate(req, ctx) {
      const values = cookieValues(req, SESSION_COOKIE);
      if (values.length === 0) return undefined;
      // two cookies of the name (one planted beside the real one): which is ours is unknowable
      const token = values.length === 1 ? (values[0] as string) : '';
      if (!SESSION_TOKEN.test(token)) throw new AppError('auth.invalid_token', 'The session is invalid or has expired.');
      const actor = await auth.authenticate(token, ctx.sourceIp, 'passbolt');
      if (actor.authMethod !== 'session' || !actor.sessionId) throw new AppError('auth.invalid_token', 'The session is invalid.');
      const csrf = auth.csrfToken(actor.sessionId);
      if (!SAFE_METHODS.has(req.method)) {
        const sent = req.headers['x-csrf-token'];
        if (typeof sent !== 'string' || sent.length === 0 || !constantTimeEqual(sent, csrf)) {
          ctx.actor = actor;
          throw new AppError('auth.csrf_failed', 'Missing or incorrect CSRF cookie type.');
        }
      }
      mfaGate(req, ctx, actor);
      req.passboltCsrf = csrf;
      return actor;
    },
  };
}

/** After a GET authenticated by the cookie: the csrfToken cookie, unless the client has it already. */
export function csrfCookieOnRead(req: FastifyRequest, reply: FastifyReply): void {
  const csrf = req.passboltCsrf;
  if (!csrf || !SAFE_METHODS.has(req.method)) return;
  const have = cookieValues(req, CSRF_COOKIE);
  if (have.length === 1 && constantTimeEqual(have[0] as string, csrf)) return;
  addCookies(reply, [csrfCookie(req, csrf)]);
}
