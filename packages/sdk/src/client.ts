import { adminRequestsApi } from './api/admin-requests.ts';
import { attachmentsApi } from './api/attachments.ts';
import { auditApi } from './api/audit.ts';
import { apiKeysApi, authApi, totpApi } from './api/auth.ts';
import { openpgpApi } from './api/e2e.ts';
import { bulkApi, commentsApi, lookupApi, metadataApi, passwordsApi, transferApi } from './api/extras.ts';
import { groupsApi, usersApi } from './api/identities.ts';
import { secretsApi, templatesApi } from './api/secrets.ts';
import { sysApi } from './api/sys.ts';
import { accessApi, foldersApi, grantsApi, vaultsApi } from './api/vaults.ts';
import { webhooksApi } from './api/webhooks.ts';
import { accessRequestsApi, checkoutsApi, rotationApi } from './api/workflow.ts';
import { createTransport, type FetchLike } from './transport.ts';
import type { TokenPair } from './types.ts';

export { isPendingApproval } from './api/admin-requests.ts';
export type { FileContent } from './api/attachments.ts';
export { etagOf, type IfMatch, paginate } from './api/secrets.ts';
export { CofferError, CofferTransportError, type ErrorCode, type ErrorDetail, isCofferError } from './errors.ts';
export type { FetchLike } from './transport.ts';
export type * from './types.ts';

export interface ClientOptions {
  /** Where Coffer answers, e.g. `https://coffer.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** An access token from an earlier login (`cfs_…`). */
  token?: string;
  /** The refresh token that goes with `token`; lets the client renew an expired session by itself. */
  refreshToken?: string;
  /** An API key (`cfk_…`), used when there is no session token, and by `auth.exchangeApiKey()`. */
  apiKey?: string;
  /**
   * Called whenever the client adopts new tokens: after `auth.login`, `auth.exchangeApiKey`
   * and every refresh, explicit or automatic. Persist them here if the session must outlive the
   * process; the old refresh token is dead from now on (using it again ends the whole session).
   * Awaited: an error thrown here fails the call that caused the refresh.
   */
  onTokens?: (tokens: TokenPair) => void | Promise<void>;
  /** A fetch implementation; default: the global `fetch`. */
  fetch?: FetchLike;
  /** Time allowed for each request, from sending to the end of the answer (streams: to its start). Default 30 000. */
  timeoutMs?: number;
}

/**
 * A typed client for Coffer's native API (`/api/v1`).
 *
 * ```ts
 * const coffer = createClient({ baseUrl: 'https://coffer.example.com', onTokens: save });
 * await coffer.auth.login('jason', passphrase);
 * const { secret, etag } = await coffer.secrets.get(id);
 * await coffer.secrets.update(id, { description: 'rotated' }, { ifMatch: etag });
 * ```
 *
 * Every method either resolves with the server's answer, or rejects with a `CofferError` (the
 * server's error envelope: `code`, `status`, `requestId`) or a `CofferTransportError` (no usable
 * answer). When a call fails because the session expired (401 `auth.invalid_token`) and a refresh
 * token is known, the client refreshes once (concurrent calls share that refresh), reports the new
 * tokens through `onTokens`, and retries the call once; it never loops.
 */
export function createClient(options: ClientOptions) {
  const t = createTransport(options);
  return {
    /** The normalized base URL the client talks to. */
    baseUrl: t.base,
    auth: authApi(t),
    users: usersApi(t),
    groups: groupsApi(t),
    apiKeys: apiKeysApi(t),
    totp: totpApi(t),
    sys: sysApi(t),
    audit: auditApi(t),
    vaults: vaultsApi(t),
    folders: foldersApi(t),
    grants: grantsApi(t),
    access: accessApi(t),
    templates: templatesApi(t),
    secrets: secretsApi(t),
    attachments: attachmentsApi(t),
    metadata: metadataApi(t),
    /** Comments on secrets. */
    comments: commentsApi(t),
    passwords: passwordsApi(t),
    bulk: bulkApi(t),
    lookup: lookupApi(t),
    transfer: transferApi(t),
    accessRequests: accessRequestsApi(t),
    checkouts: checkoutsApi(t),
    rotation: rotationApi(t),
    webhooks: webhooksApi(t),
    adminRequests: adminRequestsApi(t),
    /** OpenPGP keys and E2E messages (ADR 0022); `createE2e` (`@coffer/sdk/e2e`) does the cryptography. */
    openpgp: openpgpApi(t),
  };
}

export type CofferClient = ReturnType<typeof createClient>;
