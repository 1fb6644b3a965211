// Sessions: `POST /auth/login/{apiKey}` (a Coffer API key exchanged for a session of this API),
// `POST /auth/refreshToken/{token}/{refreshToken}`, `POST /auth/logout`; `GET /info/version`
// (before login), `GET /user/info`, `GET /user/get-master-key-options`.
// The API key and the tokens travel in the path as Passwork documents; the request log redacts
// them (app.ts, http/log-paths.ts), and they never reach an audit record.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { type RequestContext, requireUser } from '../../modules/auth/actor.ts';
import { bool, fieldsOf } from './body.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { exact, masterKeyOptions, responses, str, tokens, userInfo, version } from './schemas.ts';

/** The Passwork release whose API (v4) this surface speaks. */
export const PASSWORK_VERSION = '6.4.0';

const TOKEN = /^[A-Za-z0-9_-]{10,200}$/;
const tokenParams = (...names: string[]) =>
  ({
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, { type: 'string', minLength: 1, maxLength: 300 }])),
    required: names,
  }) as const;

const invalidKey = () => new AppError('auth.invalid_credentials', 'The API key is invalid.');

export function authRoutes(app: FastifyInstance, c: PassworkDeps): void {
  async function userOf(ctx: RequestContext) {
    requireUser(ctx.actor);
    const u = await c.users.get(ctx, ctx.actor.userId);
    const name = [u.firstName, u.lastName].filter(Boolean).join(' ') || u.username;
    return { id: u.id, name, email: u.email ?? '', login: u.username };
  }

  /** The session pair as Passwork answers it (TTLs in seconds, deadlines as Unix times). */
  function tokenAnswer(pair: { accessToken: string; refreshToken: string; expiresIn: number; absoluteExpiresAt: string }) {
    const now = Math.floor(c.clock.now() / 1000);
    const absolute = Math.floor(Date.parse(pair.absoluteExpiresAt) / 1000);
    return {
      token: pair.accessToken,
      refreshToken: pair.refreshToken,
      tokenTtl: pair.expiresIn,
      refreshTokenTtl: Math.max(0, Math.min(c.session.refreshSeconds, absolute - now)),
      tokenExpiredAt: Math.min(now + pair.expiresIn, absolute),
      refreshTokenExpiredAt: Math.min(now + c.session.refreshSeconds, absolute),
    };
  }

  app.post('/auth/login/:apiKey', {
    config: { auth: 'public', permission: 'none', action: 'auth.apikey_exchange' },
    schema: { params: tokenParams('apiKey'), response: responses({ 200: tokens }) },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const key = ((req.params as { apiKey: string }).apiKey ?? '').trim();
      const useMasterPassword = bool(fieldsOf(req.body), 'useMasterPassword') ?? false;
      if (!TOKEN.test(key)) throw invalidKey();
      let actor: Awaited<ReturnType<typeof c.auth.authenticate>>;
      try {
        actor = await c.auth.authenticate(key, req.ctx.sourceIp, 'passwork');
      } catch (e) {
        // a bound key from another address, an expired or revoked key: one answer
        if (e instanceof AppError && (e.code === 'auth.invalid_token' || e.code === 'forbidden')) throw invalidKey();
        throw e;
      }
      // only an API key logs in here (a session token of this API is not a key)
      if (actor.authMethod !== 'apikey' || !actor.apiKeyId) throw invalidKey();
      req.ctx.actor = actor;
      const pair = await c.auth.exchangeApiKey(req.ctx);
      // the new session, as the client will present it (its family carries the encryption mode)
      const session = await c.auth.authenticate(pair.accessToken, req.ctx.sourceIp, 'passwork');
      await c.clientKeys.startSession({ ...req.ctx, actor: session }, session.sessionFamilyId ?? '', useMasterPassword);
      const user = await userOf({ ...req.ctx, actor: session });
      reply.header('cache-control', 'no-store');
      return ok({ ...tokenAnswer(pair), user });
    },
  });

  app.post('/auth/refreshToken/:token/:refreshToken', {
    config: { auth: 'public', permission: 'none', action: 'auth.refresh' },
    schema: { params: tokenParams('token', 'refreshToken'), response: responses({ 200: tokens }) },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const { refreshToken } = req.params as { token: string; refreshToken: string };
      const r = refreshToken.trim();
      if (!TOKEN.test(r)) throw new AppError('auth.invalid_token', 'The refresh token is invalid or expired.');
      const pair = await c.auth.refresh(req.ctx, r);
      const session = await c.auth.authenticate(pair.accessToken, req.ctx.sourceIp, 'passwork');
      const user = await userOf({ ...req.ctx, actor: session });
      reply.header('cache-control', 'no-store');
      return ok({ ...tokenAnswer(pair), user });
    },
  });

  app.post('/auth/logout', {
    config: { auth: 'user', permission: 'self', action: 'auth.logout', duringPasswordChange: true },
    schema: { response: responses({ 200: { type: 'null' } }) },
    handler: async (req: FastifyRequest) => {
      const family = req.ctx.actor.sessionFamilyId;
      await c.auth.logout(req.ctx);
      await c.clientKeys.endSession(family);
      return ok(null);
    },
  });

  app.get('/info/version', {
    config: { auth: 'public', permission: 'none', action: 'passwork.version', audit: false },
    schema: { response: responses({ 200: version }) },
    handler: async () => ok({ version: PASSWORK_VERSION, legacySupport: false, apiVersion: 'v4', product: 'Coffer' }),
  });

  app.get('/info/settings', {
    config: { auth: 'user', permission: 'self', action: 'passwork.settings' },
    schema: { response: responses({ 200: exact({ clientSideEncryption: { type: 'boolean' }, version: str }) }) },
    handler: async (req: FastifyRequest) => {
      const cse = await c.clientKeys.usesMasterPassword(c.db, req.ctx.actor.sessionFamilyId);
      return ok({ clientSideEncryption: cse, version: PASSWORK_VERSION });
    },
  });

  app.get('/user/info', {
    config: { auth: 'user', permission: 'self', action: 'passwork.user_info' },
    schema: { response: responses({ 200: userInfo }) },
    handler: async (req: FastifyRequest) => {
      requireUser(req.ctx.actor);
      const u = await userOf(req.ctx);
      const cse = await c.clientKeys.usesMasterPassword(c.db, req.ctx.actor.sessionFamilyId);
      return ok({ ...u, role: req.ctx.actor.role as string, useMasterPassword: cse, keys: null });
    },
  });

  app.get('/user/get-master-key-options', {
    config: { auth: 'user', permission: 'self', action: 'passwork.master_key_options' },
    schema: { response: responses({ 200: masterKeyOptions }) },
    handler: async (req: FastifyRequest) => ok(await c.clientKeys.masterKeyOptions(req.ctx)),
  });
}
