// Delinea (Thycotic) Secret Server's REST API under /SecretServer (`/SecretServer/api/v1/...`,
// `/SecretServer/oauth2/token`), over Coffer's services. Clients take `https://host/SecretServer`
// as their base URL. README.md has the model (a vault is a top folder) and the differences.
import type { Surface } from '../../http/surface.ts';
import { anyCaseBearer } from './bearer.ts';
import { registerParsers } from './body.ts';
import { checkoutRoutes } from './checkout.ts';
import type { SecretServerDeps } from './deps.ts';
import { isTokenRoute, ssError, tokenError } from './errors.ts';
import { folderRoutes } from './folders.ts';
import { generalRoutes } from './general.ts';
import { createKit, SS_PREFIX } from './kit.ts';
import { metadataRoutes } from './metadata.ts';
import { rpcRoutes } from './rpc.ts';
import { searchRoutes } from './search.ts';
import { secretReadRoutes } from './secrets-read.ts';
import { secretWriteRoutes } from './secrets-write.ts';
import { templateRoutes } from './templates.ts';
import { tokenRoutes } from './token.ts';

export type { SecretServerDeps } from './deps.ts';

export function secretServerSurface(deps: SecretServerDeps & { sealed: () => boolean }): Surface {
  const kit = createKit(deps);
  return {
    via: 'secretserver',
    prefix: SS_PREFIX,
    // the OAuth2 access token (a Coffer session of this API) or a Coffer API key
    authenticators: [anyCaseBearer(deps.auth)],
    renderError(err, req) {
      const { status, body } = isTokenRoute(req) ? tokenError(err) : ssError(err);
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (status === 401) headers['www-authenticate'] = 'Bearer';
      return { status, body, headers };
    },
    parsers: registerParsers,
    routes(api) {
      tokenRoutes(api, kit, deps.sealed);
      generalRoutes(api, kit);
      searchRoutes(api, kit);
      secretReadRoutes(api, kit);
      secretWriteRoutes(api, kit);
      checkoutRoutes(api, kit);
      rpcRoutes(api, kit);
      templateRoutes(api, kit);
      folderRoutes(api, kit);
      metadataRoutes(api, kit);
    },
  };
}

/** The surface from the app's services: sealed while the seal manager holds no keys. */
export function secretServerSurfaceFrom(services: SecretServerDeps & { seal: { keys?: unknown } }): Surface {
  return secretServerSurface({ ...services, sealed: () => services.seal.keys === undefined });
}
