import { seg, type Transport } from '../transport.ts';
import type {
  AdminRequest,
  AdminRequestExecution,
  AdminRequestQuery,
  CreateAdminRequest,
  ExecuteAdminRequest,
  Page,
  PendingApproval,
} from '../types.ts';
import { paginate } from './secrets.ts';

const decision = (comment: string | undefined) => (comment === undefined ? {} : { comment });

/**
 * True when a gated call did not happen yet: it became an admin request that another
 * administrator must approve, after which you execute it (`adminRequests.execute`).
 *
 * ```ts
 * const r = await coffer.users.resetPassword(id, temporary);
 * if (isPendingApproval(r)) console.log(`ask another administrator to approve ${r.request.id}`);
 * ```
 */
export function isPendingApproval(x: unknown): x is PendingApproval {
  return typeof x === 'object' && x !== null && (x as { status?: unknown }).status === 'pending_approval' && 'request' in x;
}

/**
 * Dual control of administrative actions that open secret values: giving the all-passwords
 * scope, setting another user's password, adding a member to a group that holds a grant, an API
 * key for another user, and creating, promoting, disabling or deleting administrators. While it
 * applies (several administrators, or COFFER_DUAL_CONTROL=always), those calls answer a
 * `PendingApproval`; another administrator approves; the requester executes it, once.
 */
export function adminRequestsApi(t: Transport) {
  const list = (query: AdminRequestQuery = {}): Promise<Page<AdminRequest>> =>
    t.json({ method: 'GET', path: '/api/v1/admin-requests', query });
  return {
    /** Files an operation for approval on purpose (passwords are hashed at once; never stored). */
    create(input: CreateAdminRequest): Promise<AdminRequest> {
      return t.json({ method: 'POST', path: '/api/v1/admin-requests', body: input });
    },
    /** One page: yours (`scope: 'mine'`, default), waiting for your approval (`pending`), or all (`audit.read`). */
    list,
    /** Every request matching the query, page after page. */
    listAll(query: AdminRequestQuery = {}): AsyncGenerator<AdminRequest, void, undefined> {
      return paginate(list, query);
    },
    /** One request (the requester, administrators and auditors may read it). */
    get(id: string): Promise<AdminRequest> {
      return t.json({ method: 'GET', path: `/api/v1/admin-requests/${seg(id)}` });
    },
    /** Approves as another administrator (never your own request). */
    approve(id: string, opts: { comment?: string } = {}): Promise<AdminRequest> {
      return t.json({ method: 'POST', path: `/api/v1/admin-requests/${seg(id)}/approve`, body: decision(opts.comment) });
    },
    /** Rejects as another administrator; the comment tells the requester why. */
    reject(id: string, opts: { comment?: string } = {}): Promise<AdminRequest> {
      return t.json({ method: 'POST', path: `/api/v1/admin-requests/${seg(id)}/reject`, body: decision(opts.comment) });
    },
    /** Withdraws your own request (waiting or approved, not yet executed). */
    cancel(id: string, opts: { comment?: string } = {}): Promise<AdminRequest> {
      return t.json({ method: 'POST', path: `/api/v1/admin-requests/${seg(id)}/cancel`, body: decision(opts.comment) });
    },
    /**
     * Performs your approved request exactly as stored, once. The answer carries what the
     * operation answers: `user`, `group`, or `apiKey` (its `key` is shown only here). An API key
     * request needs `proof` (your `currentPassword`, plus `totpCode` with TOTP): the key is minted now.
     */
    execute(id: string, proof: ExecuteAdminRequest = {}): Promise<AdminRequestExecution> {
      return t.json({ method: 'POST', path: `/api/v1/admin-requests/${seg(id)}/execute`, body: proof });
    },
  };
}
