// GPGAuth (Passbolt's login by key, ADR 0025 "Authentication"): the server's key and its proof
// (stage 0), the nonce encrypted to the user's key (stage 1), the decrypted nonce -> a session in
// the passbolt_session cookie (stage 2); logout and the session check. The checks, the tokens and
// the audit are the auth service's (modules/auth/key-sign-in.ts); this file reads and writes the wire.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { Actor } from '../../modules/auth/actor.ts';
import { GPGAUTH_NONCE } from '../../modules/auth/key-sign-in.ts';
import { MAX_MESSAGE } from '../../modules/e2e/openpgp-checks.ts';
import { fieldsOf, invalid, text } from './body.ts';
import { ok } from './envelope.ts';
import { bool, exact, nothing, nullableStr, open, responses, str } from './schemas.ts';
import { addCookies, clearedCookies, csrfCookie, sessionCookie } from './session.ts';
import type { PassboltContext } from './surface.ts';
import { PASSBOLT_PREFIX } from './urls.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KEYS = ['keyid', 'server_verify_token', 'user_token_result'] as const;

/**
 * The `gpg_auth` fields however the client sent them: JSON `{gpg_auth: {...}}` or
 * `{data: {gpg_auth: {...}}}`, or a form `data[gpg_auth][keyid]=...` (or `gpg_auth[keyid]=...`).
 */
export function gpgAuthFields(body: unknown): { keyid?: string; server_verify_token?: string; user_token_result?: string } {
  const b = fieldsOf(body);
  let g: unknown = b.gpg_auth ?? (isObject(b.data) ? b.data.gpg_auth : undefined);
  if (g === undefined) {
    const flat: Record<string, unknown> = {};
    for (const prefix of ['data[gpg_auth]', 'gpg_auth']) {
      for (const k of KEYS) if (b[`${prefix}[${k}]`] !== undefined) flat[k] ??= b[`${prefix}[${k}]`];
    }
    g = flat;
  }
  if (!isObject(g)) throw invalid('gpg_auth', 'type', 'The gpg_auth data should be an object.');
  const keyid = text(g, 'keyid', 64);
  const server_verify_token = text(g, 'server_verify_token', MAX_MESSAGE);
  const user_token_result = text(g, 'user_token_result', 200);
  return {
    ...(keyid !== undefined ? { keyid } : {}),
    ...(server_verify_token !== undefined ? { server_verify_token } : {}),
    ...(user_token_result !== undefined ? { user_token_result } : {}),
  };
}

/** The headers every GPGAuth answer carries (URLs under the surface's prefix). */
function gpgAuthHeaders(reply: FastifyReply, progress: string, authenticated: boolean): void {
  reply.header('x-gpgauth-version', '1.3.0');
  reply.header('x-gpgauth-authenticated', authenticated ? 'true' : 'false');
  reply.header('x-gpgauth-progress', progress);
  reply.header('x-gpgauth-login-url', `${PASSBOLT_PREFIX}/auth/login`);
  reply.header('x-gpgauth-logout-url', `${PASSBOLT_PREFIX}/auth/logout`);
  reply.header('x-gpgauth-verify-url', `${PASSBOLT_PREFIX}/auth/verify`);
  reply.header('x-gpgauth-pubkey-url', `${PASSBOLT_PREFIX}/auth/verify.json`);
}

const fingerprintOf = (keyid: string | undefined): string => {
  if (keyid === undefined || keyid.trim() === '') throw invalid('keyid', '_required', 'A key fingerprint is required.');
  if (!/^[0-9a-f]{40}$/i.test(keyid.trim())) throw invalid('keyid', 'fingerprint', 'The key fingerprint should be 40 hexadecimal digits.');
  return keyid.trim();
};

const serverKeyBody = exact({ fingerprint: str, keydata: str });

/** The user as Passbolt's login answers it (what its clients read: id, username, profile, gpgkey, role). */
export const loginUserBody = open({
  id: str,
  username: str,
  active: bool,
  deleted: bool,
  role: exact({ name: str }),
  profile: open({ user_id: str, first_name: str, last_name: str }),
  gpgkey: open({ user_id: str, fingerprint: str, key_id: str }),
  last_logged_in: nullableStr,
});

export async function presentLoginUser(c: PassboltContext, req: FastifyRequest, actor: Actor, fingerprint: string) {
  const userId = actor.userId as string;
  const u = await c.users.get({ ...req.ctx, actor, audited: false }, userId);
  const id = await c.ids.uuidOf('user', userId);
  const fp = fingerprint.toUpperCase();
  return {
    id,
    username: u.email || u.username,
    active: u.status === 'active',
    deleted: false,
    role: { name: u.role === 'administrator' ? 'admin' : 'user' },
    profile: { user_id: id, first_name: u.firstName ?? '', last_name: u.lastName ?? '' },
    gpgkey: { user_id: id, fingerprint: fp, key_id: fp.slice(-16) },
    last_logged_in: u.loginActivity?.lastLoginAt ?? null,
  };
}

export function authRoutes(api: FastifyInstance, c: PassboltContext): void {
  const serverKey = async () => {
    const k = await c.auth.serverPublicKey();
    return { fingerprint: k.fingerprint, keydata: k.armoredKey };
  };

  // the server's public key (clients pin it and encrypt to it)
  api.get('/auth/verify.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.server_key', audit: false },
    schema: { response: responses({ 200: serverKeyBody }) },
    handler: async (req) => ok(req, await serverKey()),
  });

  // stage 0 alone: the server proves its key by decrypting the client's nonce (or, without one, its key)
  api.post('/auth/verify.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.server_verify' },
    schema: { response: responses({ 200: serverKeyBody }) },
    handler: async (req, reply) => {
      const f = gpgAuthFields(req.body);
      if (f.server_verify_token !== undefined) {
        const nonce = await c.auth.verifyServer(f.server_verify_token);
        gpgAuthHeaders(reply, 'stage0', false);
        reply.header('x-gpgauth-verify-response', nonce);
      }
      return ok(req, await serverKey());
    },
  });

  // stages 0, 1 and 2 as the fields say
  api.post('/auth/login.json', {
    config: { auth: 'public', permission: 'none', action: 'auth.login' },
    schema: { response: responses({ 200: { anyOf: [nothing, loginUserBody] } }) },
    handler: async (req, reply) => {
      const f = gpgAuthFields(req.body);
      if (f.server_verify_token !== undefined) {
        const nonce = await c.auth.verifyServer(f.server_verify_token);
        gpgAuthHeaders(reply, 'stage0', false);
        reply.header('x-gpgauth-verify-response', nonce);
        return ok(req, null);
      }
      const fingerprint = fingerprintOf(f.keyid);
      if (f.user_token_result === undefined) {
        const armored = await c.auth.gpgauthChallenge(req.ctx, fingerprint);
        gpgAuthHeaders(reply, 'stage1', false);
        reply.header('x-gpgauth-user-auth-token', encodeURIComponent(armored));
        return ok(req, null);
      }
      if (!GPGAUTH_NONCE.test(f.user_token_result)) {
        throw invalid('user_token_result', 'format', 'The user token result should be a valid GPGAuth token.');
      }
      const issued = await c.auth.gpgauthComplete(req.ctx, fingerprint, f.user_token_result);
      // the new session read back as every later request will read it
      const actor = await c.auth.authenticate(issued.accessToken, req.ctx.sourceIp, 'passbolt');
      gpgAuthHeaders(reply, 'complete', true);
      reply.header('x-gpgauth-refer', `${PASSBOLT_PREFIX}/`);
      addCookies(reply, [sessionCookie(req, issued.accessToken), csrfCookie(req, c.auth.csrfToken(issued.sessionId))]);
      return ok(req, await presentLoginUser(c, req, actor, fingerprint), 'You are successfully logged in.');
    },
  });

  // logout: the session's whole family ends (and a JWT login's refresh tokens with it)
  for (const method of ['GET', 'POST'] as const) {
    api.route({
      method,
      url: '/auth/logout.json',
      config: { auth: 'user', permission: 'self', action: 'auth.logout', duringPasswordChange: true },
      schema: { response: responses({ 200: nothing }) },
      handler: async (req, reply) => {
        if (!req.ctx.actor.sessionId) throw new AppError('validation.failed', 'An API key has no session to end.');
        await c.auth.logout(req.ctx);
        addCookies(reply, clearedCookies(req));
        return ok(req, null, 'You are now logged out.');
      },
    });
  }

  // polled by clients: a refusal is audited (the edge), a yes writes nothing (it reads only the caller's session)
  api.get('/auth/is-authenticated.json', {
    config: { auth: 'user', permission: 'self', action: 'auth.session_check', duringPasswordChange: true },
    schema: { response: responses({ 200: nothing }) },
    handler: async (req) => ok(req, null),
  });
}
