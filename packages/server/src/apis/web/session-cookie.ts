// The web UI's session cookie and the checks that a /ui request came from the UI's own script
// (ADR 0017). The cookie holds a session token of audience 'web'; it is HttpOnly (no script reads
// it), SameSite=Strict (no other site's page sends it), and over HTTPS `__Host-` + Secure (only this
// origin may set it, never over plain HTTP).
import { CSRF_HEADER, UI_HEADER } from '@coffer/contracts/web';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../../crypto/tokens.ts';
import type { Authenticator } from '../../http/surface.ts';
import { AppError } from '../../lib/app-error.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';

export const COOKIE = 'coffer_session';
/** Over HTTPS: the browser takes it only with Secure, Path=/ and no Domain, and only from this origin. */
export const HOST_COOKIE = `__Host-${COOKIE}`;

/** A session token as Coffer issues it (crypto/tokens.ts): an API key or refresh token is refused. */
const SESSION_TOKEN = /^cfs_[A-Za-z0-9_-]{43}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request came over HTTPS (the server's TLS, or a trusted proxy's X-Forwarded-Proto). */
const overTls = (req: FastifyRequest) => req.protocol === 'https';

/** The cookie's name on this request: `__Host-coffer_session` over HTTPS, else `coffer_session`. */
export function cookieName(req: FastifyRequest): string {
  return overTls(req) ? HOST_COOKIE : COOKIE;
}

function attributes(req: FastifyRequest): string {
  // no Max-Age/Expires: the browser forgets it when it closes; the server's deadlines rule anyway
  return `Path=/; HttpOnly; SameSite=Strict${overTls(req) ? '; Secure' : ''}`;
}

/** Set-Cookie for a new session. */
export function sessionCookie(req: FastifyRequest, token: string): string {
  return `${cookieName(req)}=${token}; ${attributes(req)}`;
}

/** Set-Cookie that removes the session cookie. */
export function clearedCookie(req: FastifyRequest): string {
  return `${cookieName(req)}=; ${attributes(req)}; Max-Age=0`;
}

/**
 * The values of the cookie named `name` in the Cookie header(s). Only the name this request's
 * scheme uses is read: over HTTPS a plain `coffer_session` (which any HTTP page of the domain or a
 * sibling subdomain could have planted) is ignored.
 */
function cookieValues(req: FastifyRequest, name: string): string[] {
  const raw = req.headers.cookie;
  if (raw === undefined) return [];
  const out: string[] = [];
  for (const header of Array.isArray(raw) ? raw : [raw]) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      out.push(part.slice(eq + 1).trim());
    }
  }
  return out;
}

/**
 * The session token of the cookie this request carries, unchecked beyond its form: what a new
 * sign-in in the same browser replaces (POST /ui/session). Null without exactly one such cookie.
 */
export function presentedSessionToken(req: FastifyRequest): string | null {
  const values = cookieValues(req, cookieName(req));
  return values.length === 1 && SESSION_TOKEN.test(values[0] as string) ? (values[0] as string) : null;
}

/**
 * `coffer_session` cookie -> Actor, for the web surface only. Only a session token of audience
 * 'web' is accepted (auth.authenticate with via 'web'); an API key or a native session in the
 * cookie is refused. An unsafe request must also carry the session's CSRF token.
 */
export function cookieAuthenticator(auth: Pick<AuthService, 'authenticate' | 'csrfToken'>): Authenticator {
  return {
    name: 'web-cookie',
    async authenticate(req, ctx) {
      const values = cookieValues(req, cookieName(req));
      if (values.length === 0) return undefined;
      // two cookies of the name (one planted beside the real one): which is ours is unknowable
      const token = values.length === 1 ? (values[0] as string) : '';
      if (!SESSION_TOKEN.test(token)) throw new AppError('auth.invalid_token', 'The session is invalid or has expired.');
      const actor = await auth.authenticate(token, ctx.sourceIp, 'web');
      if (actor.authMethod !== 'session' || !actor.sessionId) throw new AppError('auth.invalid_token', 'The session is invalid.');
      if (!SAFE_METHODS.has(req.method)) {
        // the refusal's audit record names whose session was used
        ctx.actor = actor;
        checkCsrfToken(req, auth.csrfToken(actor.sessionId));
      }
      return actor;
    },
  };
}

const csrfFailed = (why: string) => new AppError('auth.csrf_failed', `The request was refused: ${why}.`);

/** X-CSRF-Token equals the session's token (constant-time). */
function checkCsrfToken(req: FastifyRequest, expected: string): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || sent.length === 0) throw csrfFailed('the X-CSRF-Token header is missing');
  if (!constantTimeEqual(sent, expected)) throw csrfFailed('the X-CSRF-Token header does not match the session');
}

/**
 * Every request to /ui, public routes included (sign-in, unseal): sent by the UI's own script
 * (`X-Coffer-UI: 1`, which a form or a link of another site cannot set and a cross-origin script
 * cannot send without a CORS preflight Coffer never answers), not marked cross-site by the browser
 * (`Sec-Fetch-Site`, `Origin`), and with no bearer credential (the web surface takes its cookie
 * only).
 */
export function uiGuard(req: FastifyRequest): void {
  if (req.headers[UI_HEADER] !== '1') throw csrfFailed('the X-Coffer-UI header is missing');
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw csrfFailed('it came from another site');
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, req)) throw csrfFailed('it came from another origin');
  if (req.headers.authorization !== undefined) {
    throw new AppError(
      'auth.required',
      'The web UI signs in with its session cookie (POST /ui/session); bearer tokens and API keys are refused here: use /api/v1.',
    );
  }
}

/** Origin names this server as the request reached it (scheme, host and port). */
function sameOrigin(origin: string, req: FastifyRequest): boolean {
  try {
    return new URL(origin).origin === new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return false; // "null" (a sandboxed frame, a file) or garbage
  }
}
