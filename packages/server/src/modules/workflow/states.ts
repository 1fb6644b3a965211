// Pure rules of the access-request state machine: no database, no clock of their own. Other
// modules that run approvals of their own (dual-control admin requests) import these.
import type { RequestState } from '@coffer/contracts/workflow';

export const stateLabels: Record<RequestState, string> = {
  waiting_for_approval: 'waiting for approval',
  approved: 'approved',
  checked_out: 'checked out (in use)',
  checked_in: 'checked in',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
  revoked: 'revoked',
};

/** States a request leaves only by a transition (the others are final). */
export const OPEN_STATES = ['waiting_for_approval', 'approved', 'checked_out'] as const satisfies readonly RequestState[];
/** States in which an approval gives access (revoke ends them). */
export const LIVE_STATES = ['approved', 'checked_out'] as const satisfies readonly RequestState[];
/** States the sweep expires when their window ended. */
export const EXPIRING_STATES = ['waiting_for_approval', 'approved'] as const satisfies readonly RequestState[];

/**
 * The state a request is in at `now`. Stored states are made true by the sweep; until it runs, a
 * waiting or approved request whose window ended reads as expired, and a checked-out one whose
 * checkout ended as checked in, so answers never depend on when the sweep last ran.
 */
export function effectiveState(r: { state: RequestState; end_at: number }, now: number): RequestState {
  if ((r.state === 'waiting_for_approval' || r.state === 'approved') && Number(r.end_at) <= now) return 'expired';
  if (r.state === 'checked_out' && Number(r.end_at) <= now) return 'checked_in';
  return r.state;
}

/** "The access request is <state>." — what a caller whose transition did not apply is told. */
export function describeState(r: { state: RequestState; end_at: number }, now: number): string {
  return `The access request is ${stateLabels[effectiveState(r, now)]}.`;
}

/**
 * The approval discipline, as a pure step: after one more decision by a distinct approver (never
 * the requester: checked by user id before this is called), with `approvals` approvals counted so
 * far including this one, the request is rejected by any rejection, approved once `required`
 * distinct approvers agreed, and otherwise still waiting.
 */
export function stateAfterDecision(decision: 'approve' | 'reject', approvals: number, required: number): RequestState {
  if (decision === 'reject') return 'rejected';
  return approvals >= required ? 'approved' : 'waiting_for_approval';
}

/** A requester never decides on (approves, rejects, revokes) their own request: compared by user id. */
export function isOwnRequest(requesterId: string, actorUserId: string | null): boolean {
  return actorUserId !== null && requesterId === actorUserId;
}
