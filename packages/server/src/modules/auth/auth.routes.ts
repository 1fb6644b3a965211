import { PendingApproval } from '@coffer/contracts/admin-requests';
import {
  ApiKey,
  BeginTotp,
  CreateApiKey,
  CreatedApiKey,
  DisableTotp,
  Login,
  RecoveryCodes,
  Refresh,
  RegenerateRecoveryCodes,
  TokenPair,
  TotpCode,
  TotpEnrollment,
  WhoAmI,
} from '@coffer/contracts/auth';
import { IdParams, Ok, Page } from '@coffer/contracts/common';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/app-error.ts';
import { isPendingApproval } from '../admin-requests/admin-requests.service.ts';
import { requireUser } from './actor.ts';
import type { ApiKeysService } from './api-keys.service.ts';
import type { AuthService } from './auth.service.ts';
import type { TotpService } from './totp.service.ts';

/**
 * The routes that hand bearer credentials to the caller's script: login, refresh and the API key
 * exchange. Not mounted on the web UI's surface (ADR 0017): a browser's session lives in an
 * HttpOnly cookie that `/ui/session` sets, and has no refresh token.
 */
export function authTokenRoutes(fastify: FastifyInstance, deps: { auth: AuthService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth } = deps;
  const tags = ['auth'];

  app.post('/api/v1/auth/login', {
    config: { auth: 'public', permission: 'none', action: 'auth.login' },
    schema: {
      tags,
      summary: 'Sign in with username and password (plus a TOTP or recovery code when enrolled)',
      description: 'Unknown users, wrong passwords, disabled and locked accounts all answer 401 auth.invalid_credentials.',
      body: Login,
      response: { 200: TokenPair },
    },
    handler: async (req) => auth.login(req.ctx, req.body),
  });
  app.post('/api/v1/auth/refresh', {
    config: { auth: 'public', permission: 'none', action: 'auth.refresh' },
    schema: { tags, summary: 'Exchange a refresh token (single use) for new tokens', body: Refresh, response: { 200: TokenPair } },
    handler: async (req) => auth.refresh(req.ctx, req.body.refreshToken),
  });
  app.post('/api/v1/auth/token', {
    config: { auth: 'user', permission: 'self', action: 'auth.apikey_exchange' },
    schema: {
      tags,
      summary: 'Exchange the API key in the Authorization header for a session (Passwork flow)',
      response: { 200: TokenPair },
    },
    handler: async (req) => auth.exchangeApiKey(req.ctx),
  });
}

/** Sessions and keys of the signed-in user: logout, whoami, API keys, TOTP, recovery codes. */
export function authRoutes(fastify: FastifyInstance, deps: { auth: AuthService; apiKeys: ApiKeysService; totp: TotpService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, apiKeys, totp } = deps;
  const tags = ['auth'];

  app.post('/api/v1/auth/logout', {
    config: { auth: 'user', permission: 'self', action: 'auth.logout', duringPasswordChange: true },
    schema: { tags, summary: 'End this session and its refresh tokens', security: [{ bearer: [] }], response: { 200: Ok } },
    handler: async (req) => {
      await auth.logout(req.ctx);
      return { ok: true as const };
    },
  });
  app.get('/api/v1/auth/whoami', {
    config: { auth: 'user', permission: 'self', action: 'auth.whoami' },
    schema: { tags, summary: 'Who the token belongs to', response: { 200: WhoAmI } },
    handler: async (req) => {
      const a = req.ctx.actor;
      requireUser(a);
      if (a.authMethod !== 'session' && a.authMethod !== 'apikey') throw new AppError('auth.required', 'Authentication is required.');
      return {
        userId: a.userId,
        username: a.username,
        role: a.role,
        allPasswords: a.allPasswords,
        authMethod: a.authMethod,
        sessionId: a.sessionId,
        apiKeyId: a.apiKeyId,
        scopes: a.scopes ? [...a.scopes] : null,
      };
    },
  });

  const createKey = { body: CreateApiKey, response: { 201: CreatedApiKey, 202: PendingApproval } };
  app.post('/api/v1/me/api-keys', {
    config: { auth: 'user', permission: 'self', action: 'apikey.create' },
    schema: {
      tags: ['api-keys'],
      operationId: 'apikeyCreateOwn',
      summary: 'Create an API key for yourself (shown once; needs currentPassword, and totpCode with TOTP)',
      ...createKey,
    },
    handler: async (req, reply) => {
      requireUser(req.ctx.actor);
      const r = await apiKeys.create(req.ctx, req.ctx.actor.userId, req.body);
      return reply.code(isPendingApproval(r) ? 202 : 201).send(r);
    },
  });
  app.get('/api/v1/me/api-keys', {
    config: { auth: 'user', permission: 'self', action: 'apikey.list' },
    schema: { tags: ['api-keys'], operationId: 'apikeyListOwn', summary: 'Your API keys', response: { 200: Page(ApiKey) } },
    handler: async (req) => {
      requireUser(req.ctx.actor);
      return apiKeys.list(req.ctx, req.ctx.actor.userId);
    },
  });
  app.post('/api/v1/users/:id/api-keys', {
    config: { auth: 'user', permission: 'apikeys.manage', action: 'apikey.create' },
    schema: {
      tags: ['api-keys'],
      summary:
        "Create an API key for a user, e.g. an API user (PMP's Generate); the caller re-authenticates as themselves (202: needs another administrator's approval)",
      params: IdParams,
      ...createKey,
    },
    handler: async (req, reply) => {
      const r = await apiKeys.create(req.ctx, req.params.id, req.body);
      return reply.code(isPendingApproval(r) ? 202 : 201).send(r);
    },
  });
  app.get('/api/v1/users/:id/api-keys', {
    config: { auth: 'user', permission: 'apikeys.manage', action: 'apikey.list' },
    schema: { tags: ['api-keys'], summary: "A user's API keys", params: IdParams, response: { 200: Page(ApiKey) } },
    handler: async (req) => apiKeys.list(req.ctx, req.params.id),
  });
  app.delete('/api/v1/api-keys/:id', {
    config: { auth: 'user', permission: 'self', action: 'apikey.revoke' },
    schema: {
      tags: ['api-keys'],
      summary: 'Revoke an API key (yours, or any with apikeys.manage)',
      params: IdParams,
      response: { 204: Type.Null() },
    },
    handler: async (req, reply) => {
      await apiKeys.revoke(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/me/totp', {
    config: { auth: 'user', permission: 'self', action: 'mfa.totp_begin' },
    schema: {
      tags: ['mfa'],
      summary: 'Start TOTP enrolment (needs currentPassword; returns the seed once)',
      body: BeginTotp,
      response: { 200: TotpEnrollment },
    },
    handler: async (req) => totp.begin(req.ctx, req.body),
  });
  app.post('/api/v1/me/totp/confirm', {
    config: { auth: 'user', permission: 'self', action: 'mfa.totp_enable' },
    schema: {
      tags: ['mfa'],
      summary: 'Confirm enrolment with a code; returns recovery codes once',
      body: TotpCode,
      response: { 200: RecoveryCodes },
    },
    handler: async (req) => totp.confirm(req.ctx, req.body.code),
  });
  app.post('/api/v1/me/totp/disable', {
    config: { auth: 'user', permission: 'self', action: 'mfa.totp_disable' },
    schema: {
      tags: ['mfa'],
      summary: 'Turn TOTP off (needs currentPassword and totpCode or recoveryCode; ends all sessions and keys)',
      body: DisableTotp,
      response: { 200: Ok },
    },
    handler: async (req) => {
      await totp.disable(req.ctx, req.body);
      return { ok: true as const };
    },
  });
  app.post('/api/v1/me/recovery-codes', {
    config: { auth: 'user', permission: 'self', action: 'mfa.recovery_codes_regenerate' },
    schema: {
      tags: ['mfa'],
      summary: 'Replace your recovery codes (needs currentPassword and totpCode or recoveryCode)',
      body: RegenerateRecoveryCodes,
      response: { 200: RecoveryCodes },
    },
    handler: async (req) => totp.regenerateRecoveryCodes(req.ctx, req.body),
  });
}
