import { seg, type Transport } from '../transport.ts';
import type {
  AbandonRotationInput,
  AbandonRotationResult,
  AccessRequest,
  AccessRequestQuery,
  Checkin,
  Checkout,
  CheckoutQuery,
  CreateAccessRequest,
  EffectiveAccessPolicy,
  Page,
  RotateSecret,
  Rotation,
  RotationStatus,
  RotationTarget,
  RotationTargetInput,
  RotationTargetList,
  RotationTargetQuery,
  StartCheckout,
  VerifyResult,
} from '../types.ts';
import { paginate } from './secrets.ts';

/** The body of a decision (approve, reject, cancel, revoke): the comment is audited as the reason. */
const decision = (comment: string | undefined) => (comment === undefined ? {} : { comment });

/**
 * Access requests: where the policy of a vault or folder says so (`approval.required`), revealing
 * or checking out a secret needs a request approved by enough approvers, for a time window
 * (without one, reveals and checkouts fail with `secret.approval_required`).
 * States, in PMP's words: waiting for approval, approved, checked out (in use), checked in,
 * rejected, expired; and cancelled, revoked.
 */
export function accessRequestsApi(t: Transport) {
  const list = (query: AccessRequestQuery = {}): Promise<Page<AccessRequest>> =>
    t.json({ method: 'GET', path: '/api/v1/access-requests', query });
  return {
    /**
     * Asks for access to a secret (reveal access needed) for `durationMinutes` from `startAt`
     * (default now), with a reason that is audited. `action: 'checkout'` asks for the exclusive
     * checkout; pass the approved request's id to `checkouts.start`.
     */
    create(input: CreateAccessRequest): Promise<AccessRequest> {
      return t.json({ method: 'POST', path: '/api/v1/access-requests', body: input });
    },
    /** One page: your requests (`scope: 'mine'`, default), those waiting for your approval (`pending`), or all (`audit.read`). */
    list,
    /** Every request matching the query, page after page. */
    listAll(query: AccessRequestQuery = {}): AsyncGenerator<AccessRequest, void, undefined> {
      return paginate(list, query);
    },
    /** One request (its requester, approvers, owners of the secret and auditors may read it). */
    get(id: string): Promise<AccessRequest> {
      return t.json({ method: 'GET', path: `/api/v1/access-requests/${seg(id)}` });
    },
    /** Approves as an approver (never your own request); it is approved once enough approvers agreed. */
    approve(id: string, opts: { comment?: string } = {}): Promise<AccessRequest> {
      return t.json({ method: 'POST', path: `/api/v1/access-requests/${seg(id)}/approve`, body: decision(opts.comment) });
    },
    /** Rejects as an approver; the comment tells the requester why. */
    reject(id: string, opts: { comment?: string } = {}): Promise<AccessRequest> {
      return t.json({ method: 'POST', path: `/api/v1/access-requests/${seg(id)}/reject`, body: decision(opts.comment) });
    },
    /** Withdraws your own request (waiting or approved, not yet used). */
    cancel(id: string, opts: { comment?: string } = {}): Promise<AccessRequest> {
      return t.json({ method: 'POST', path: `/api/v1/access-requests/${seg(id)}/cancel`, body: decision(opts.comment) });
    },
    /** Revokes an approval (approver, owner or administrator): the access ends at once, a checkout is checked in. */
    revoke(id: string, opts: { comment?: string } = {}): Promise<AccessRequest> {
      return t.json({ method: 'POST', path: `/api/v1/access-requests/${seg(id)}/revoke`, body: decision(opts.comment) });
    },
    /**
     * The effective access policy of a secret (approval, checkout, time window, reason), each part
     * with the vault or folder it comes from, and what it means for you (`you.needsApproval`).
     */
    policy(secretId: string): Promise<EffectiveAccessPolicy> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(secretId)}/access-policy` });
    },
  };
}

/**
 * Exclusive checkouts. While someone holds a secret's checkout, nobody else may check it out (409
 * `secret.checked_out`, whose `details` name `/holder`, `/holderId` and `/endsAt`; there is no
 * queue), nor reveal it unless the policy allows shared reads.
 */
export function checkoutsApi(t: Transport) {
  return {
    /** Checks a secret out; give the approved request's `requestId` when the policy requires approval. */
    start(secretId: string, input: StartCheckout = {}): Promise<Checkout> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(secretId)}/checkout`, body: input });
    },
    /**
     * Checks a secret in (the holder), or forces it on the holder's behalf (manage or administrator,
     * with a reason). When the policy rotates on checkin, `rotation` names the new version.
     */
    checkin(secretId: string, input: Checkin = {}): Promise<Checkout> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(secretId)}/checkin`, body: input });
    },
    /** Current checkouts with holder and end time: on secrets you can list (default), yours, or all (`audit.read`). */
    list(query: CheckoutQuery = {}): Promise<Page<Checkout>> {
      return t.json({ method: 'GET', path: '/api/v1/checkouts', query });
    },
  };
}

/**
 * Password rotation (`edit`): the new value is stored as a new version and never returned; a secret
 * with a rotation target is changed on the target first (journal: pending, changed, verified, done).
 */
export function rotationApi(t: Transport) {
  return {
    /** Generates a new password under the effective password policy and stores it as a new version. */
    rotate(secretId: string, input: RotateSecret = {}): Promise<Rotation> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(secretId)}/rotate`, body: input });
    },
    /** Gives the secret a rotation target: the password (or SSH key) then changes there first, verified (issue 14). */
    setTarget(secretId: string, input: RotationTargetInput): Promise<RotationTarget> {
      return t.json({ method: 'PUT', path: `/api/v1/secrets/${seg(secretId)}/rotation-target`, body: input });
    },
    /** Removes the rotation target (refused while a rotation is open). */
    async removeTarget(secretId: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/secrets/${seg(secretId)}/rotation-target` });
    },
    /** The target with its heartbeat status and out-of-sync flag, and the newest journal entries. */
    status(secretId: string): Promise<RotationStatus> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(secretId)}/rotation` });
    },
    /** Targets of the secrets you may view (out-of-sync ones first); `outOfSync: true`: only those. */
    listTargets(query: RotationTargetQuery = {}): Promise<RotationTargetList> {
      return t.json({ method: 'GET', path: '/api/v1/rotation-targets', query });
    },
    /**
     * Closes an open rotation the reconciler cannot settle (administrator, re-authenticated, reason
     * required), keeping the password that logs in: `current` or `pending` (verified first when the
     * target answers).
     */
    abandon(secretId: string, input: AbandonRotationInput): Promise<AbandonRotationResult> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(secretId)}/rotation/abandon`, body: input });
    },
    /** Dry run / heartbeat now: logs in to the target with the stored password, changes nothing. */
    verify(secretId: string): Promise<VerifyResult> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(secretId)}/rotation/verify` });
    },
    /** Sets the password to the given value (a new version, through the rotation connector). */
    setPassword(
      secretId: string,
      password: string,
      opts: { reason?: string; where?: 'auto' | 'local' | 'remote' } = {},
    ): Promise<Rotation> {
      return t.json({
        method: 'POST',
        path: `/api/v1/secrets/${seg(secretId)}/password`,
        body: { password, ...(opts.reason !== undefined ? { reason: opts.reason } : {}), ...(opts.where ? { where: opts.where } : {}) },
      });
    },
  };
}
