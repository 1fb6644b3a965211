// Rows -> wire objects (an allow-list of fields), for access requests and checkouts.
import type { AccessRequest, Checkout, Rotation } from '@coffer/contracts/workflow';
import type { Executor } from '../../db/database.ts';
import type { AccessRequestTable, CheckoutTable } from '../../db/schema.ts';
import { type Core, iso, isoOrNull } from './core.ts';
import { effectiveState, stateLabels } from './states.ts';

export function createPresenter(core: Pick<Core, 'userNames'>) {
  const { userNames } = core;

  async function secretNames(exec: Executor, ids: string[]) {
    return exec.selectFrom('secrets').select(['id', 'name']).where('id', 'in', ids).execute();
  }

  async function presentRequests(exec: Executor, rows: AccessRequestTable[], now: number): Promise<AccessRequest[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const approvals = await exec.selectFrom('access_approvals').selectAll().where('request_id', 'in', ids).orderBy('created_at').execute();
    const secrets = await secretNames(
      exec,
      rows.map((r) => r.secret_id),
    );
    const names = await userNames(exec, [...rows.map((r) => r.requester_id), ...approvals.map((a) => a.approver_id)]);
    return rows.map((r) => {
      const state = effectiveState(r, now);
      return {
        id: r.id,
        secretId: r.secret_id,
        secretName: secrets.find((x) => x.id === r.secret_id)?.name ?? '',
        requesterId: r.requester_id,
        requesterName: names.get(r.requester_id) ?? null,
        action: r.action,
        reason: r.reason,
        startAt: iso(r.start_at),
        endAt: iso(r.end_at),
        state,
        stateLabel: stateLabels[state],
        approvalsRequired: Number(r.approvals_required),
        approvals: approvals
          .filter((a) => a.request_id === r.id)
          .map((a) => ({
            approverId: a.approver_id,
            approverName: names.get(a.approver_id) ?? null,
            decision: a.decision,
            comment: a.comment,
            at: iso(a.created_at),
          })),
        decidedBy: r.decided_by,
        decidedAt: isoOrNull(r.decided_at),
        comment: r.comment,
        createdAt: iso(r.created_at),
      };
    });
  }

  async function presentRequest(exec: Executor, row: AccessRequestTable, now: number): Promise<AccessRequest> {
    return (await presentRequests(exec, [row], now))[0] as AccessRequest;
  }

  async function presentCheckouts(
    exec: Executor,
    rows: CheckoutTable[],
    rotations: Map<string, Rotation> = new Map(),
  ): Promise<Checkout[]> {
    if (!rows.length) return [];
    const secrets = await secretNames(
      exec,
      rows.map((r) => r.secret_id),
    );
    const names = await userNames(
      exec,
      rows.map((r) => r.holder_id),
    );
    return rows.map((c) => ({
      id: c.id,
      secretId: c.secret_id,
      secretName: secrets.find((x) => x.id === c.secret_id)?.name ?? '',
      holderId: c.holder_id,
      holderName: names.get(c.holder_id) ?? null,
      requestId: c.request_id,
      reason: c.reason,
      startedAt: iso(c.started_at),
      endsAt: iso(c.ends_at),
      active: Number(c.active) === 1,
      endedAt: isoOrNull(c.ended_at),
      endedBy: c.ended_by,
      endReason: c.end_reason,
      rotation: rotations.get(c.id) ?? null,
    }));
  }

  return { presentRequests, presentRequest, presentCheckouts };
}
export type Presenter = ReturnType<typeof createPresenter>;
