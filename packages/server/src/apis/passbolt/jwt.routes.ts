// Passbolt's JWT login (ADR 0025 "Authentication"): a challenge encrypted to the server and signed
// by the user's key -> an answer encrypted to the user (signed by the server) holding the access
// token (a JWT wrapping a Coffer session of this API: modules/auth/jwt.ts) and a Coffer refresh
// token; refresh (single use, the family revoked on reuse) and logout. The access token is signed
// with RS256 under the server's JWT key, whose public half is served as Passbolt serves it:
// /auth/jwt/jwks.json (a JWKS) and /auth/jwt/rsa.json (`keydata`, PEM).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { MAX_MESSAGE } from '../../modules/e2e/openpgp-checks.ts';
import { fieldsOf, invalid, required, text } from './body.ts';
import { ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { exact, nothing, responses, str } from './schemas.ts';
import { addCookies, cookieValues } from './session.ts';
import type { PassboltContext } from './surface.ts';
import { baseUrl, PASSBOLT_PREFIX } from './urls.ts';

const REFRESH_COOKIE = 'refresh_token';
const refreshCookie = (req: FastifyRequest, value: string, maxAge?: number) =>
  `${REFRESH_COOKIE}=${value}; Path=${PASSBOLT_PREFIX}/auth/jwt; HttpOnly; SameSite=Strict${maxAge !== undefined ? `; Max-Age=${maxAge}` : ''}${req.protocol === 'https' ? '; Secure' : ''}`;

function userUuid(b: Record<string, unknown>): string {
  const id = required(b, 'user_id', 64);
  if (!ANY_UUID.test(id)) throw invalid('user_id', 'uuid', 'The user identifier should be a valid UUID.');
  return id.toLowerCase();
}

export function jwtRoutes(api: FastifyInstance, c: PassboltContext): void {
  /** The access token for a session of this user, as the client will present it. */
  const accessToken = async (req: FastifyRequest, sessionId: string, uuid: string) =>
    (await c.auth.sessionJwt(sessionId, { sub: uuid, iss: `${baseUrl(req)}/` }, c.session.idleSeconds)).token;

  const giveRefresh = (req: FastifyRequest, reply: FastifyReply, token: string) =>
    addCookies(reply, [refreshCookie(req, token, c.session.refreshSeconds)]);

  api.post('/auth/jwt/login.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.login' },
    schema: { response: responses({ 200: exact({ challenge: str }) }) },
    handler: async (req, reply) => {
      const b = fieldsOf(req.body);
      const uuid = userUuid(b);
      const challenge = required(b, 'challenge', MAX_MESSAGE);
      const userId = await c.ids.idOf('user', uuid);
      const domain = baseUrl(req);
      const r = await c.auth.jwtLogin(req.ctx, userId, challenge, domain);
      const refreshToken = r.issued.refreshToken as string;
      const answer = await r.reply({
        version: '1.0.0',
        domain,
        verify_token: r.verifyToken,
        access_token: await accessToken(req, r.issued.sessionId, uuid),
        refresh_token: refreshToken,
      });
      giveRefresh(req, reply, refreshToken);
      return ok(req, { challenge: answer }, 'The authentication was a success.');
    },
  });

  api.post('/auth/jwt/refresh.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.refresh' },
    schema: { response: responses({ 200: exact({ access_token: str, refresh_token: str }) }) },
    handler: async (req, reply) => {
      const b = fieldsOf(req.body);
      const uuid = userUuid(b);
      const fromCookie = cookieValues(req, REFRESH_COOKIE);
      const token = text(b, 'refresh_token', 200) ?? (fromCookie.length === 1 ? fromCookie[0] : undefined);
      if (!token) throw invalid('refresh_token', '_required', 'A refresh token is required.');
      const userId = (await c.ids.idOf('user', uuid)) ?? 'unknown';
      const pair = await c.auth.refresh(req.ctx, token, { userId });
      const actor = await c.auth.authenticate(pair.accessToken, req.ctx.sourceIp, 'passbolt');
      if (!actor.sessionId) throw new AppError('auth.invalid_token', 'The token is invalid or has expired.');
      giveRefresh(req, reply, pair.refreshToken);
      return ok(req, { access_token: await accessToken(req, actor.sessionId, uuid), refresh_token: pair.refreshToken });
    },
  });

  const jwk = exact({ kty: str, alg: str, use: str, kid: str, n: str, e: str });
  api.get('/auth/jwt/jwks.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.jwt_key', audit: false },
    schema: { response: responses({ 200: exact({ keys: { type: 'array', items: jwk } }) }) },
    handler: async (req) => ok(req, (await c.auth.jwtPublicKey()).jwks),
  });

  api.get('/auth/jwt/rsa.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.jwt_key', audit: false },
    schema: { response: responses({ 200: exact({ keydata: str }) }) },
    handler: async (req) => ok(req, { keydata: (await c.auth.jwtPublicKey()).pem }),
  });

  api.post('/auth/jwt/logout.json', {
    config: { auth: 'user', permission: 'self', action: 'auth.logout', duringPasswordChange: true },
    schema: { response: responses({ 200: nothing }) },
    handler: async (req, reply) => {
      if (!req.ctx.actor.sessionId) throw new AppError('validation.failed', 'An API key has no session to end.');
      await c.auth.logout(req.ctx);
      addCookies(reply, [refreshCookie(req, '', 0)]);
      return ok(req, null, 'The user has been logged out.');
    },
  });
}
