// The Passwork API (`/api/v4`, Passwork 6's REST API) over Coffer's services. README.md has the
// model (vault = vault, folder = folder, password = secret) and the differences from Passwork.
import type { FastifyRequest } from 'fastify';
import { bearerAuthenticator, headerOrQueryTokenAuthenticator } from '../../http/authenticators.ts';
import type { Authenticator, RenderedError, Surface } from '../../http/surface.ts';
import type { AppError } from '../../lib/app-error.ts';
import { attachmentRoutes } from './attachments.ts';
import { authRoutes } from './auth.ts';
import { registerParsers } from './body.ts';
import type { PassworkDeps } from './deps.ts';
import { errorAnswer, type Subject } from './envelope.ts';
import { folderRoutes } from './folders.ts';
import { inboxRoutes } from './inbox.ts';
import { passwordReadRoutes } from './passwords-read.ts';
import { passwordWriteRoutes } from './passwords-write.ts';
import { vaultRoutes } from './vaults.ts';

export type { PassworkDeps } from './deps.ts';

export const PASSWORK_PREFIX = '/api/v4';

function subjectOf(req: FastifyRequest): Subject {
  const path = (req.url.split('?')[0] ?? '').slice(PASSWORK_PREFIX.length);
  if (path.startsWith('/auth/login')) return 'login';
  if (path.startsWith('/auth/refreshToken')) return 'refresh';
  if (/^\/passwords\/[^/]+\/attachment\/[^/]+/.test(path)) return 'attachment';
  if (path.startsWith('/passwords')) return 'password';
  if (path.startsWith('/sharing/inbox')) return 'inbox';
  if (/^\/vaults\/[^/]+\/passwords/.test(path) || path.startsWith('/vaults')) return 'vault';
  if (path.startsWith('/folders')) return 'folder';
  return 'other';
}

export function renderError(err: AppError, req: FastifyRequest): RenderedError {
  const { status, body } = errorAnswer(err, subjectOf(req));
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8' } };
}

/**
 * `Passwork-Auth: <token>` (what every Passwork client sends), else `Authorization: Bearer`. A
 * session of a master-password login that presents `Passwork-MasterHash` must present the hash of
 * the master key it first presented (modules/client-keys).
 */
function passworkAuthenticators(c: PassworkDeps): Authenticator[] {
  const header = headerOrQueryTokenAuthenticator(c.auth, { name: 'passwork-auth', header: 'passwork-auth' });
  const withMasterHash = (inner: Authenticator): Authenticator => ({
    name: inner.name,
    async authenticate(req, ctx) {
      const actor = await inner.authenticate(req, ctx);
      if (!actor) return actor;
      const h = req.headers['passwork-masterhash'];
      const hash = typeof h === 'string' ? h.trim() : '';
      if (hash && (await c.clientKeys.usesMasterPassword(c.db, actor.sessionFamilyId))) {
        await c.clientKeys.checkMasterHash({ ...ctx, actor }, hash);
      }
      return actor;
    },
  });
  return [withMasterHash(header), withMasterHash(bearerAuthenticator(c.auth))];
}

export function passworkSurface(deps: PassworkDeps): Surface {
  return {
    via: 'passwork',
    prefix: PASSWORK_PREFIX,
    authenticators: passworkAuthenticators(deps),
    renderError,
    parsers: registerParsers,
    routes(api) {
      authRoutes(api, deps);
      passwordReadRoutes(api, deps);
      passwordWriteRoutes(api, deps);
      attachmentRoutes(api, deps);
      vaultRoutes(api, deps);
      folderRoutes(api, deps);
      inboxRoutes(api, deps);
    },
  };
}

/** The surface from the app's services and the session configuration. */
export function passworkSurfaceFrom(
  services: Omit<PassworkDeps, 'session'>,
  config: { session: { idleSeconds: number; refreshSeconds: number } },
): Surface {
  return passworkSurface({
    ...services,
    session: { idleSeconds: config.session.idleSeconds, refreshSeconds: config.session.refreshSeconds },
  });
}
