// The Passbolt API under `/passbolt` (issue 15 §2; ADR 0025): Passbolt's clients take the server's
// base URL, and Passbolt may live in a subdirectory, so `https://host/passbolt` is that base and
// `/passbolt/resources.json` etc. stay clear of the web UI and the other APIs. README.md has the
// model (resource = secret of an end-to-end encrypted vault, secret = that reader's OpenPGP message).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RenderedError, Surface } from '../../http/surface.ts';
import type { AppError } from '../../lib/app-error.ts';
import { authRoutes } from './auth.routes.ts';
import { registerParsers } from './body.ts';
import { commentRoutes } from './comments.ts';
import type { PassboltDeps } from './deps.ts';
import { errorAnswer, header, ok } from './envelope.ts';
import { favoriteRoutes } from './favorites.ts';
import { folderRoutes } from './folders.ts';
import { groupRoutes } from './groups.ts';
import { createPassboltIds, type PassboltIds } from './ids.ts';
import { jwtRoutes } from './jwt.routes.ts';
import { MFA_ERROR_PATH, mfaRequiredBody, mfaRoutes } from './mfa.routes.ts';
import { permissionRoutes } from './permissions.ts';
import { resourceTypeRoutes } from './resource-types.ts';
import { resourceRoutes } from './resources.ts';
import { responses, str } from './schemas.ts';
import { secretRoutes } from './secrets.ts';
import { bearerAuthenticator, cookieAuthenticator, csrfCookieOnRead } from './session.ts';
import { settingsRoutes } from './settings.routes.ts';
import { shareRoutes } from './share.ts';
import { PASSBOLT_PREFIX } from './urls.ts';
import { userReadRoutes } from './users.ts';
import { userAdminRoutes } from './users-admin.ts';

export type { PassboltDeps } from './deps.ts';

export { baseUrl, PASSBOLT_PREFIX } from './urls.ts';

/** What every route file of this surface gets: the services and the UUIDs of objects. */
export type PassboltContext = PassboltDeps & { ids: PassboltIds };

export function renderError(err: AppError, req: FastifyRequest): RenderedError {
  const { status, message, body } = errorAnswer(err);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (err.code === 'auth.mfa_required') {
    // as Passbolt's redirect to /mfa/verify/error.json answers (go-passbolt tests header.url)
    const h = header(req, 'error', status, message);
    return { status, body: { header: { ...h, url: `${PASSBOLT_PREFIX}${MFA_ERROR_PATH}` }, body: mfaRequiredBody(req) }, headers };
  }
  if (err.code === 'auth.invalid_credentials' && req.routeOptions?.url?.startsWith(`${PASSBOLT_PREFIX}/auth/`)) {
    headers['x-gpgauth-authenticated'] = 'false';
    headers['x-gpgauth-error'] = 'true';
  }
  return { status, body: { header: header(req, 'error', status, message), body }, headers };
}

function healthRoutes(api: FastifyInstance): void {
  // Passbolt's liveness probe (public): "OK" in the envelope
  api.get('/healthcheck/status.json', {
    config: { auth: 'public', permission: 'none', action: 'sys.health', audit: false },
    schema: { response: responses({ 200: str }) },
    handler: async (req) => ok(req, 'OK'),
  });
}

export function passboltSurface(deps: PassboltDeps): Surface {
  const c: PassboltContext = { ...deps, ids: createPassboltIds(deps.db, deps.numbering) };
  // the JWT login's access token (or an opaque token of this API) first, then the GPGAuth cookie
  const authenticators = [bearerAuthenticator(c.auth), cookieAuthenticator(c.auth)];
  return {
    via: 'passbolt',
    prefix: PASSBOLT_PREFIX,
    authenticators,
    missingCredential: 'You need to login to access this location.',
    renderError,
    parsers: registerParsers,
    routes(api) {
      // the first read of a cookie session hands out its CSRF token (session.ts)
      api.addHook('onSend', async (req, reply, payload) => {
        csrfCookieOnRead(req, reply);
        return payload;
      });
      healthRoutes(api);
      authRoutes(api, c);
      jwtRoutes(api, c);
      mfaRoutes(api, c);
      settingsRoutes(api, c, authenticators);
      userReadRoutes(api, c);
      userAdminRoutes(api, c);
      permissionRoutes(api, c);
      shareRoutes(api, c);
      groupRoutes(api, c);
      resourceTypeRoutes(api);
      resourceRoutes(api, c);
      secretRoutes(api, c);
      folderRoutes(api, c);
      favoriteRoutes(api, c);
      commentRoutes(api, c);
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
