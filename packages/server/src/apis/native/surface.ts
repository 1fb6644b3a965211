// The native API (`/api/v1`): one surface among several (ADR 0015). Its routes carry /api/v1
// themselves and are the ones the OpenAPI document describes; errors use the native envelope.
import { bearerAuthenticator } from '../../http/authenticators.ts';
import { renderNative } from '../../http/hooks.ts';
import { operationIds, serversFor } from '../../http/openapi.ts';
import type { Surface } from '../../http/surface.ts';
import { adminRequestsRoutes } from '../../modules/admin-requests/admin-requests.routes.ts';
import { attachmentsRoutes } from '../../modules/attachments/attachments.routes.ts';
import { auditRoutes } from '../../modules/audit/audit.routes.ts';
import { authRoutes } from '../../modules/auth/auth.routes.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import { identitiesRoutes } from '../../modules/identities/identities.routes.ts';
import { userLookupRoutes } from '../../modules/identities/user-lookup.routes.ts';
import { lookupRoutes } from '../../modules/lookup/lookup.routes.ts';
import { metadataRoutes } from '../../modules/metadata/metadata.routes.ts';
import { passwordsRoutes } from '../../modules/passwords/passwords.routes.ts';
import { rotationRoutes } from '../../modules/rotation/rotation.routes.ts';
import { bulkRoutes } from '../../modules/secrets/bulk.routes.ts';
import { secretsRoutes } from '../../modules/secrets/secrets.routes.ts';
import { sysRoutes } from '../../modules/sys/sys.routes.ts';
import { transferRoutes } from '../../modules/transfer/transfer.routes.ts';
import { vaultsRoutes } from '../../modules/vaults/vaults.routes.ts';
import { webhooksRoutes } from '../../modules/webhooks/webhooks.routes.ts';
import { workflowRoutes } from '../../modules/workflow/workflow.routes.ts';

type D<F extends (app: never, deps: never) => unknown> = Parameters<F>[1];

export interface NativeDeps {
  /** The generated OpenAPI document (from @fastify/swagger on the root instance). */
  swagger: () => object;
  auth: AuthService;
  sys: D<typeof sysRoutes>['sys'];
  apiKeys: D<typeof authRoutes>['apiKeys'];
  totp: D<typeof authRoutes>['totp'];
  userLookup: D<typeof userLookupRoutes>['userLookup'];
  users: D<typeof identitiesRoutes>['users'];
  groups: D<typeof identitiesRoutes>['groups'];
  ownAccount: D<typeof identitiesRoutes>['ownAccount'];
  audit: D<typeof auditRoutes>['audit'];
  vaults: D<typeof vaultsRoutes>['vaults'];
  explain: D<typeof vaultsRoutes>['explain'];
  secrets: D<typeof secretsRoutes>['secrets'];
  templates: D<typeof secretsRoutes>['templates'];
  transfer: D<typeof transferRoutes>['transfer'];
  attachments: D<typeof attachmentsRoutes>['attachments'];
  metadata: D<typeof metadataRoutes>['metadata'];
  passwords: D<typeof passwordsRoutes>['passwords'];
  bulk: D<typeof bulkRoutes>['bulk'];
  lookup: D<typeof lookupRoutes>['lookup'];
  webhooks: D<typeof webhooksRoutes>['webhooks'];
  workflow: D<typeof workflowRoutes>['workflow'];
  rotation: D<typeof rotationRoutes>['rotation'];
  adminRequests: D<typeof adminRequestsRoutes>['adminRequests'];
  attachmentMaxBytes: number;
}

export function nativeSurface(d: NativeDeps): Surface {
  return {
    via: 'native',
    prefix: '',
    hidden: false,
    authenticators: [bearerAuthenticator(d.auth)],
    renderError: renderNative,
    routes(api) {
      const operationId = operationIds();
      // every route documents the error envelope and, unless public, the bearer scheme
      api.addHook('onRoute', (route) => {
        const cfg = route.config as { auth?: string; action?: string } | undefined;
        if (!route.schema || !cfg?.auth) return;
        if (cfg.action) operationId(route, cfg.action);
        const response = (route.schema.response ?? {}) as Record<string, unknown>;
        response['4xx'] ??= { $ref: 'ErrorEnvelope#' };
        response['5xx'] ??= { $ref: 'ErrorEnvelope#' };
        route.schema.response = response;
        if (cfg.auth === 'user') (route.schema as Record<string, unknown>).security ??= [{ bearer: [] }];
      });
      sysRoutes(api, { sys: d.sys });
      authRoutes(api, { auth: d.auth, apiKeys: d.apiKeys, totp: d.totp });
      userLookupRoutes(api, { userLookup: d.userLookup });
      identitiesRoutes(api, { users: d.users, groups: d.groups, ownAccount: d.ownAccount });
      auditRoutes(api, { audit: d.audit });
      vaultsRoutes(api, { vaults: d.vaults, explain: d.explain });
      secretsRoutes(api, { secrets: d.secrets, templates: d.templates });
      transferRoutes(api, { transfer: d.transfer });
      attachmentsRoutes(api, { attachments: d.attachments, maxBytes: d.attachmentMaxBytes });
      metadataRoutes(api, { metadata: d.metadata });
      passwordsRoutes(api, { passwords: d.passwords });
      bulkRoutes(api, { bulk: d.bulk });
      lookupRoutes(api, { lookup: d.lookup });
      webhooksRoutes(api, { webhooks: d.webhooks });
      workflowRoutes(api, { workflow: d.workflow });
      rotationRoutes(api, { rotation: d.rotation });
      adminRequestsRoutes(api, { adminRequests: d.adminRequests });
      api.get('/api/v1/openapi.json', {
        config: { auth: 'public', permission: 'none', action: 'docs.openapi', audit: false, whileSealed: true },
        schema: { hide: true },
        // servers: where this client reached the server (a generated client then needs no base URL)
        handler: async (req) => ({ ...d.swagger(), servers: serversFor(req) }),
      });
    },
  };
}
