import { createCheckouts } from './checkouts.ts';
import { createCore, type Publish, type WorkflowDeps } from './core.ts';
import { createFlags } from './flags.ts';
import { createGate } from './gate.ts';
import { createPresenter } from './presenter.ts';
import { createRequests } from './requests.ts';
import { createRotation } from './rotate.ts';
import { createConnectorRegistry } from './rotation.ts';
import { createSweep } from './sweep.ts';

export type {
  LoadSecret,
  Publish,
  RemoteRotation,
  WorkflowDeps,
  WorkflowEvent,
  WorkflowEventType,
  WriteSecretValue,
} from './core.ts';
export type { SecretFlags } from './flags.ts';
export { flagsOfChain } from './flags.ts';
export type { RevealGrant } from './gate.ts';
export { describeState, effectiveState, stateAfterDecision, stateLabels } from './states.ts';

/**
 * Access workflows (issue 4): access requests with approvals, exclusive checkout and checkin,
 * time windows, local rotation, and the sweep that ends what expired. One file per use case group
 * (requests.ts, checkouts.ts, rotate.ts, gate.ts, sweep.ts) over shared reads and locks (core.ts);
 * the pure state rules are in states.ts.
 *
 * Invariants (README.md has them all):
 * - a requester never approves, rejects or revokes their own request: compared by user id;
 * - an approval is bound to (requester, secret, action, window) and is used once;
 * - at most one active checkout per secret (unique partial index), across processes;
 * - every transition is a conditional `UPDATE … RETURNING` and what follows is decided from the
 *   row it returned (and the state it left, `prev_state`), never from an earlier read; losers are
 *   told the state the row is in now;
 * - locks are taken in one order: request -> checkout -> secret -> audit chain head;
 * - new passwords never reach the audit trail, a log line, an error message or an event.
 */
export function createWorkflowService(deps: WorkflowDeps) {
  const core = createCore(deps);
  const connectors = deps.connectors ?? createConnectorRegistry();
  const publish: Publish = deps.publish ?? (async () => {});
  const presenter = createPresenter(core);
  const rotation = createRotation(core, connectors, publish);
  const checkouts = createCheckouts(core, rotation, presenter, publish);
  const requests = createRequests(core, checkouts, presenter, publish);
  const gate = createGate(core);
  const { sweep } = createSweep(core, checkouts, publish);
  const { secretFlags } = createFlags(core);

  return {
    createRequest: requests.createRequest,
    getRequest: requests.getRequest,
    listRequests: requests.listRequests,
    approve: requests.approve,
    reject: requests.reject,
    cancel: requests.cancel,
    revoke: requests.revoke,
    checkout: checkouts.checkout,
    checkin: checkouts.checkin,
    listCheckouts: checkouts.listCheckouts,
    rotate: rotation.rotate,
    setPassword: rotation.setPassword,
    newPassword: rotation.newPassword,
    secretRow: core.secretRow,
    lockSecret: core.lockSecret,
    revealGate: gate.revealGate,
    accessPolicy: gate.accessPolicy,
    secretFlags,
    sweep,
    connectors,
  };
}
export type WorkflowService = ReturnType<typeof createWorkflowService>;
