// The native API's routes (they carry /api/v1 themselves), as one list: the native surface mounts
// them at the root, the web UI's surface a second time under /ui (ADR 0015, ADR 0017). Same
// schemas, same services, same permissions and audit; only the surface (`via`) differs.
import type { FastifyInstance } from 'fastify';
import { adminRequestsRoutes } from '../../modules/admin-requests/admin-requests.routes.ts';
import { attachmentsRoutes } from '../../modules/attachments/attachments.routes.ts';
import { auditRoutes } from '../../modules/audit/audit.routes.ts';
import { authRoutes, authTokenRoutes } from '../../modules/auth/auth.routes.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import { commentsRoutes } from '../../modules/comments/comments.routes.ts';
import { e2eRoutes } from '../../modules/e2e/e2e.routes.ts';
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

/** The services the native routes call. */
export interface NativeRoutesDeps {
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
  comments: D<typeof commentsRoutes>['comments'];
  passwords: D<typeof passwordsRoutes>['passwords'];
  bulk: D<typeof bulkRoutes>['bulk'];
  lookup: D<typeof lookupRoutes>['lookup'];
  webhooks: D<typeof webhooksRoutes>['webhooks'];
  workflow: D<typeof workflowRoutes>['workflow'];
  rotation: D<typeof rotationRoutes>['rotation'];
  adminRequests: D<typeof adminRequestsRoutes>['adminRequests'];
  userKeys: D<typeof e2eRoutes>['userKeys'];
  db: D<typeof e2eRoutes>['db'];
  attachmentMaxBytes: number;
}

/**
 * Registers every native route on `api`. `tokenRoutes: false` leaves out the routes that hand a
 * bearer token or a refresh token to the caller's script (login, refresh, API key exchange): the
 * web surface signs in through its own cookie route instead.
 */
export function registerNativeRoutes(api: FastifyInstance, d: NativeRoutesDeps, opts: { tokenRoutes: boolean }): void {
  sysRoutes(api, { sys: d.sys });
  if (opts.tokenRoutes) authTokenRoutes(api, { auth: d.auth });
  authRoutes(api, { auth: d.auth, apiKeys: d.apiKeys, totp: d.totp });
  userLookupRoutes(api, { userLookup: d.userLookup });
  identitiesRoutes(api, { users: d.users, groups: d.groups, ownAccount: d.ownAccount });
  auditRoutes(api, { audit: d.audit });
  vaultsRoutes(api, { vaults: d.vaults, explain: d.explain });
  secretsRoutes(api, { secrets: d.secrets, templates: d.templates });
  transferRoutes(api, { transfer: d.transfer });
  attachmentsRoutes(api, { attachments: d.attachments, maxBytes: d.attachmentMaxBytes });
  metadataRoutes(api, { metadata: d.metadata });
  commentsRoutes(api, { comments: d.comments });
  passwordsRoutes(api, { passwords: d.passwords });
  bulkRoutes(api, { bulk: d.bulk });
  lookupRoutes(api, { lookup: d.lookup });
  webhooksRoutes(api, { webhooks: d.webhooks });
  workflowRoutes(api, { workflow: d.workflow });
  rotationRoutes(api, { rotation: d.rotation });
  adminRequestsRoutes(api, { adminRequests: d.adminRequests });
  e2eRoutes(api, { userKeys: d.userKeys, db: d.db });
}
