// Row types of the access workflows' tables (modules/workflow: requests, approvals, checkouts) and
// the administrative dual-control requests (modules/admin-requests), apart from schema.ts to keep
// that file readable. Times are milliseconds since the epoch.

export type AccessRequestState =
  | 'waiting_for_approval'
  | 'approved'
  | 'checked_out'
  | 'checked_in'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'revoked';

export interface AccessRequestTable {
  id: string;
  secret_id: string;
  requester_id: string;
  action: 'reveal' | 'checkout';
  reason: string;
  start_at: number;
  /** End of the approved window; once checked out, the end of the checkout. */
  end_at: number;
  state: AccessRequestState;
  approvals_required: number;
  /** JSON array of {type, id}: the approvers named by the policy when the request was made ([] = owners). */
  approvers: string;
  decided_by: string | null;
  decided_at: number | null;
  comment: string | null;
  created_at: number;
  updated_at: number;
  /** The state the last transition left (set by that UPDATE, returned by its RETURNING); null until one. */
  prev_state: AccessRequestState | null;
}

export interface AccessApprovalTable {
  request_id: string;
  approver_id: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  created_at: number;
}

export interface CheckoutTable {
  id: string;
  secret_id: string;
  request_id: string | null;
  holder_id: string;
  reason: string | null;
  started_at: number;
  ends_at: number;
  /** 1 while held; at most one active row per secret (unique partial index). */
  active: number;
  ended_at: number | null;
  ended_by: string | null;
  end_reason: 'checkin' | 'forced' | 'expired' | 'revoked' | null;
  /** Version written by the rotation at checkin, if any. */
  rotated_version: number | null;
}

export type AdminRequestState = 'waiting_for_approval' | 'approved' | 'rejected' | 'cancelled' | 'expired' | 'executed';

/** A gated administrative operation waiting for, or done after, another administrator's approval (0010). */
export interface AdminRequestTable {
  id: string;
  operation: string;
  /** JSON: the stored operation, exactly what execute performs; never a password. */
  params: string;
  target_id: string | null;
  /** AEAD ciphertext bound to ("admin_request", id, "secret"): e.g. a password's Argon2 hash. */
  secret_enc: string | null;
  reason: string | null;
  requester_id: string;
  state: AdminRequestState;
  approvals_required: number;
  decided_by: string | null;
  decided_at: number | null;
  comment: string | null;
  executed_at: number | null;
  /** The id of what execute created (a user, an API key). */
  result_id: string | null;
  expires_at: number;
  created_at: number;
  updated_at: number;
}

export interface AdminApprovalTable {
  request_id: string;
  approver_id: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  created_at: number;
}

export interface WorkflowTables {
  access_requests: AccessRequestTable;
  access_approvals: AccessApprovalTable;
  checkouts: CheckoutTable;
  admin_requests: AdminRequestTable;
  admin_approvals: AdminApprovalTable;
}
