// The Passbolt API under `/passbolt` (issue 15 §2; ADR 0025): Passbolt's clients take the server's
// base URL, and Passbolt may live in a subdirectory, so `https://host/passbolt` is that base and
// `/passbolt/resources.json` etc. stay clear of the web UI and the other APIs. README.md has the
// model (resource = secret of an end-to-end encrypted vault, secret = that reader's OpenPGP message).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerAuthenticator } from '../../http/authenticators.ts';
import type { RenderedError, Surface } from '../../http/surface.ts';
import type { AppError } from '../../lib/app-error.ts';
import { registerParsers } from './body.ts';
import type { PassboltDeps } from './deps.ts';
import { errorAnswer, header, ok } from './envelope.ts';
import { favoriteRoutes } from './favorites.ts';
import { folderRoutes } from './folders.ts';
import { createPassboltIds, type PassboltIds } from './ids.ts';
import { resourceTypeRoutes } from './resource-types.ts';
import { resourceRoutes } from './resources.ts';
import { envelopeOf, str } from './schemas.ts';
import { secretRoutes } from './secrets.ts';

export type { PassboltDeps } from './deps.ts';

export const PASSBOLT_PREFIX = '/passbolt';

/** What every route file of this surface gets: the services and the UUIDs of objects. */
export type PassboltContext = PassboltDeps & { ids: PassboltIds };

export function renderError(err: AppError, req: FastifyRequest): RenderedError {
  const { status, message, body } = errorAnswer(err);
  return {
    status,
    body: { header: header(req, 'error', status, message), body },
    headers: { 'content-type': 'application/json; charset=utf-8' },
  };
}

function healthRoutes(api: FastifyInstance): void {
  // Passbolt's liveness probe (public): "OK" in the envelope
  api.get('/healthcheck/status.json', {
    config: { auth: 'public', permission: 'none', action: 'passbolt.healthcheck', audit: false },
    schema: { response: { 200: envelopeOf(str) } },
    handler: async (req) => ok(req, 'OK'),
  });
}

export function passboltSurface(deps: PassboltDeps): Surface {
  const c: PassboltContext = { ...deps, ids: createPassboltIds(deps.db, deps.numbering) };
  return {
    via: 'passbolt',
    prefix: PASSBOLT_PREFIX,
    // a session of this API: the JWT login's access token as `Authorization: Bearer`
    authenticators: [bearerAuthenticator(c.auth)],
    missingCredential: 'You need to login to access this location.',
    renderError,
    parsers: registerParsers,
    routes(api) {
      healthRoutes(api);
      resourceTypeRoutes(api);
      resourceRoutes(api, c);
      secretRoutes(api, c);
      folderRoutes(api, c);
      favoriteRoutes(api, c);
    },
  };
}

/** The surface from the app's services and the session configuration. */
export function passboltSurfaceFrom(
  services: Omit<PassboltDeps, 'session' | 'vaultName'>,
  config: { session: { idleSeconds: number; refreshSeconds: number }; passboltVault?: string | undefined },
): Surface {
  return passboltSurface({
    ...services,
    vaultName: config.passboltVault ?? 'Passbolt',
    session: { idleSeconds: config.session.idleSeconds, refreshSeconds: config.session.refreshSeconds },
  });
}
