// The ManageEngine Password Manager Pro REST API (`/restapi/json/v1`) over Coffer's services.
import { headerOrQueryTokenAuthenticator } from '../../http/authenticators.ts';
import type { Surface } from '../../http/surface.ts';
import { accountRoutes } from './accounts.ts';
import type { PmpDeps } from './deps.ts';
import { editRoutes } from './edit.ts';
import { failure, messageOf, statusOf } from './envelope.ts';
import { registerPmpParsers } from './input.ts';
import { integrationRoutes } from './integrations.ts';
import { createKit, PMP_PREFIX } from './kit.ts';
import { passwordRoutes } from './passwords.ts';
import { requestRoutes } from './requests.ts';
import { resourceRoutes } from './resources.ts';
import { userRoutes } from './users.ts';

export type { PmpDeps } from './deps.ts';

/**
 * PMP's REST API: AUTHTOKEN (a Coffer API key, or a session) in the `AUTHTOKEN` header or the
 * query; INPUT_DATA in the query, a form body (whatever its Content-Type) or a raw JSON body;
 * every answer `{"operation":{...}}`, HTTP 200 for failed operations too. README.md has the model
 * (resource = folder, account = secret) and the differences from PMP.
 */
export function pmpSurface(deps: PmpDeps): Surface {
  const kit = createKit(deps);
  return {
    via: 'pmp',
    prefix: PMP_PREFIX,
    authenticators: [
      headerOrQueryTokenAuthenticator(deps.auth, { name: 'pmp-authtoken', header: 'authtoken', query: 'AUTHTOKEN' }),
      // the application token of PMP's integrations (its Ansible lookup sends it in the query,
      // Cortex XSOAR's PAM360 integration as a header): the same token under another name
      headerOrQueryTokenAuthenticator(deps.auth, { name: 'pmp-app-authtoken', header: 'app_authtoken', query: 'APP_AUTHTOKEN' }),
    ],
    renderError: (err, req) => ({ status: statusOf(err), body: failure(kit.nameOf(req), messageOf(err)) }),
    parsers: registerPmpParsers,
    routes(instance) {
      resourceRoutes(instance, kit);
      integrationRoutes(instance, kit);
      accountRoutes(instance, kit);
      editRoutes(instance, kit);
      passwordRoutes(instance, kit);
      requestRoutes(instance, kit);
      userRoutes(instance, kit);
    },
  };
}

/** The surface from the app's services (app.ts composes; this picks what PMP uses). */
export const pmpSurfaceFrom = (services: PmpDeps): Surface => pmpSurface(services);
