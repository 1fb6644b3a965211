import type { AdminOperation, AdminRequest } from '@coffer/contracts/admin-requests';
import type { Executor } from '../../db/database.ts';
import type { AdminRequestTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext } from '../auth/actor.ts';
import { loadRequest, presentById, stateConflict } from './admin-requests.core.ts';
import { gatedOperations } from './gated-operations.ts';

/**
 * The decisions on an admin request: approval or rejection by another administrator, cancellation
 * by the requester. Nobody decides on their own request (compared by user id, also in the
 * conditional update); each transition is a conditional update deciding from the row it changed,
 * and a loser is told the state the row is in now.
 */
export function createAdminRequestDecisions(deps: { clock: Clock; audited: ReturnType<typeof createAudited> }) {
  const { clock, audited } = deps;

  /** Active human administrator holding the operation's permission through this credential. */
  async function mayDecide(exec: Executor, ctx: RequestContext, r: AdminRequestTable): Promise<boolean> {
    if (ctx.actor.kind !== 'user' || ctx.actor.role !== 'administrator' || !ctx.actor.userId) return false;
    const permission = gatedOperations[r.operation as AdminOperation['type']]?.permission;
    if (!permission || !can(ctx.actor, permission)) return false;
    const me = await exec.selectFrom('users').select(['kind', 'status', 'role']).where('id', '=', ctx.actor.userId).executeTakeFirst();
    return me?.kind === 'human' && me.status === 'active' && me.role === 'administrator';
  }

  async function decide(ctx: RequestContext, id: string, decision: 'approve' | 'reject', comment: string | undefined) {
    const action = decision === 'approve' ? 'admin_request.approve' : 'admin_request.reject';
    return audited(ctx, { action, objectType: 'admin_request', objectId: id, reason: comment ?? null }, async (trx, ev) => {
      const { r, mine } = await loadRequest(trx, ctx, id);
      ev.details = { operation: r.operation, requesterId: r.requester_id };
      if (mine) throw new AppError('forbidden', 'You cannot approve or reject your own request: another administrator must.');
      if (!(await mayDecide(trx, ctx, r))) {
        throw new AppError('forbidden', 'Only another active administrator (with the permission the operation needs) can decide.');
      }
      const me = ctx.actor.userId as string;
      const now = clock.now();
      // the claim serializes concurrent deciders on the row; the requester is excluded here too
      const claimed = await trx
        .updateTable('admin_requests')
        .set({ updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'waiting_for_approval')
        .where('expires_at', '>', now)
        .where('requester_id', '!=', me)
        .returningAll()
        .executeTakeFirst();
      if (!claimed) throw await stateConflict(trx, id, now);
      const inserted = await trx
        .insertInto('admin_approvals')
        .values({ request_id: id, approver_id: me, decision, comment: comment ?? null, created_at: now })
        .onConflict((oc) => oc.columns(['request_id', 'approver_id']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new AppError('conflict', 'You already decided on this request.');
      let state: 'waiting_for_approval' | 'approved' | 'rejected' = 'waiting_for_approval';
      if (decision === 'reject') {
        state = 'rejected';
      } else {
        const n = await trx
          .selectFrom('admin_approvals')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('request_id', '=', id)
          .where('decision', '=', 'approve')
          .executeTakeFirstOrThrow();
        if (Number(n.n) >= Number(claimed.approvals_required)) state = 'approved';
      }
      if (state !== 'waiting_for_approval') {
        await trx
          .updateTable('admin_requests')
          .set({
            state,
            decided_by: me,
            decided_at: now,
            comment: comment ?? null,
            updated_at: now,
            // a rejected request will never run: what it kept for running goes now
            ...(state === 'rejected' ? { secret_enc: null } : {}),
          })
          .where('id', '=', id)
          .where('state', '=', 'waiting_for_approval')
          .execute();
      }
      ev.details = { ...ev.details, state };
      return presentById(trx, id, now);
    });
  }

  async function cancel(ctx: RequestContext, id: string, comment: string | undefined): Promise<AdminRequest> {
    return audited(
      ctx,
      { action: 'admin_request.cancel', objectType: 'admin_request', objectId: id, reason: comment ?? null },
      async (trx, ev) => {
        const { r, mine } = await loadRequest(trx, ctx, id);
        ev.details = { operation: r.operation };
        if (!mine) throw new AppError('forbidden', 'Only the requester can cancel an admin request.');
        const now = clock.now();
        const done = await trx
          .updateTable('admin_requests')
          .set({
            state: 'cancelled',
            decided_by: ctx.actor.userId,
            decided_at: now,
            comment: comment ?? null,
            updated_at: now,
            secret_enc: null,
          })
          .where('id', '=', id)
          .where('state', 'in', ['waiting_for_approval', 'approved'])
          .where('expires_at', '>', now)
          .returningAll()
          .executeTakeFirst();
        if (!done) throw await stateConflict(trx, id, now);
        return presentById(trx, id, now);
      },
    );
  }

  return {
    approve: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'approve', comment),
    reject: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'reject', comment),
    cancel,
  };
}
