// The web UI's session: sign in (the cookie is set), read it back (the CSRF token and the user the
// UI shows), sign out (revoked and the cookie cleared). Paths are relative to the surface's /ui.
import { Login } from '@coffer/contracts/auth';
import { WebSession } from '@coffer/contracts/web';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/app-error.ts';
import { type Actor, requireUser } from '../../modules/auth/actor.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import { clearedCookie, presentedSessionToken, sessionCookie } from './session-cookie.ts';

export interface WebSessionDeps {
  auth: Pick<AuthService, 'loginWeb' | 'authenticate' | 'csrfToken' | 'logout'>;
  /** The sessions' idle lifetime (config.session.idleSeconds): the UI locks itself after it too. */
  idleSeconds: number;
}

export function webSessionRoutes(fastify: FastifyInstance, deps: WebSessionDeps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, idleSeconds } = deps;

  /** What the UI may know of its session: never the session token (that stays in the cookie). */
  function present(actor: Actor): WebSession {
    requireUser(actor);
    if (!actor.sessionId || actor.sessionAbsoluteExpiresAt === undefined) throw new AppError('auth.invalid_token', 'No web session.');
    return {
      csrfToken: auth.csrfToken(actor.sessionId),
      user: {
        userId: actor.userId,
        username: actor.username,
        role: actor.role,
        allPasswords: actor.allPasswords,
        authMethod: 'session',
        sessionId: actor.sessionId,
        apiKeyId: null,
        scopes: null,
      },
      mustChangePassword: actor.mustChangePassword === true,
      idleSeconds,
      absoluteExpiresAt: new Date(actor.sessionAbsoluteExpiresAt).toISOString(),
    };
  }

  app.post('/session', {
    // the login use case writes the audit record (auth.login, via web), success or failure; a
    // browser signing in again ends the session its earlier cookie named (auth.logout, audited)
    config: { auth: 'public', permission: 'none', action: 'auth.login' },
    schema: { body: Login, response: { 200: WebSession } },
    handler: async (req, reply) => {
      const { sessionToken } = await auth.loginWeb(req.ctx, req.body, presentedSessionToken(req));
      // the new session read back as every later request will read it
      const actor = await auth.authenticate(sessionToken, req.ctx.sourceIp, 'web');
      reply.header('set-cookie', sessionCookie(req, sessionToken));
      return present(actor);
    },
  });

  app.get('/session', {
    config: { auth: 'user', permission: 'self', action: 'auth.web_session', duringPasswordChange: true },
    schema: { response: { 200: WebSession } },
    handler: async (req) => present(req.ctx.actor),
  });

  app.delete('/session', {
    config: { auth: 'user', permission: 'self', action: 'auth.logout', duringPasswordChange: true },
    schema: { response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await auth.logout(req.ctx);
      return reply.code(204).header('set-cookie', clearedCookie(req)).send(null);
    },
  });
}
