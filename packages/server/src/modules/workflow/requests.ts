// Access requests: create, read, list, approve/reject, cancel, revoke. Every transition is one
// conditional `UPDATE … RETURNING` that also records the state it left (`prev_state`), and what
// follows is decided from the row it returned, never from an earlier read; a caller whose update
// matched nothing is told the state the request is in now (read again after the update).
import type { AccessRequest, AccessRequestQuery, CreateAccessRequest } from '@coffer/contracts/workflow';
import type { Trx } from '../../db/database.ts';
import type { AccessRequestTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { can, type RequestContext, requireUser } from '../auth/actor.ts';
import type { Checkouts } from './checkouts.ts';
import { type Core, iso, MINUTE, type Publish, SWEEP_BATCH } from './core.ts';
import { workflowPolicy } from './policy.ts';
import type { Presenter } from './presenter.ts';
import { describeState, LIVE_STATES, stateAfterDecision } from './states.ts';

/** How far ahead a request may start. */
const MAX_LEAD_MS = 30 * 24 * 3600_000;

function decodeCursor(c: string | undefined): [number, string] | null {
  if (!c) return null;
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string') return v as [number, string];
  } catch {
    // fall through
  }
  throw new AppError('validation.failed', 'Invalid cursor.', { details: [{ path: '/cursor', message: 'invalid' }] });
}

export function createRequests(core: Core, checkouts: Pick<Checkouts, 'finishCheckout'>, presenter: Presenter, publish: Publish) {
  const { deps, requestRow, secretRow, loadRequest, isApprover, isExemptOwner } = core;
  const { clock, audited } = deps;
  const { presentRequests, presentRequest } = presenter;

  /** The refusal of a transition that matched nothing: the state the request is in now. */
  async function lost(trx: Trx, id: string, now: number): Promise<AppError> {
    const current = await requestRow(trx, id);
    return new AppError('conflict', current ? describeState(current, now) : 'The access request is gone.');
  }

  async function createRequest(ctx: RequestContext, input: CreateAccessRequest): Promise<AccessRequest> {
    return audited(ctx, { action: 'request.create', objectType: 'access_request', reason: input.reason }, async (trx, ev) => {
      requireUser(ctx.actor);
      const { s, level } = await deps.secrets.load(trx, ctx, input.secretId, 'reveal');
      const policy = await workflowPolicy(trx, s.parent_node_id);
      if (!policy.approval.required.value || isExemptOwner(policy, level)) {
        throw new AppError('conflict', 'This secret needs no approval for you: reveal it or check it out directly.');
      }
      const now = clock.now();
      let start = now;
      if (input.startAt !== undefined) {
        const t = Date.parse(input.startAt);
        if (!Number.isFinite(t) || t > now + MAX_LEAD_MS) {
          throw new AppError('validation.failed', 'startAt must be a date within 30 days.', {
            details: [{ path: '/startAt', message: 'within 30 days' }],
          });
        }
        start = Math.max(now, t);
      }
      const action = input.action ?? (policy.checkout.exclusive.value ? 'checkout' : 'reveal');
      if (action === 'checkout' && input.durationMinutes > policy.checkout.maxMinutes.value) {
        throw new AppError('validation.failed', `A checkout of this secret lasts at most ${policy.checkout.maxMinutes.value} minutes.`, {
          details: [{ path: '/durationMinutes', message: `at most ${policy.checkout.maxMinutes.value}` }],
        });
      }
      const row: AccessRequestTable = {
        id: newId('arq', now),
        secret_id: s.id,
        requester_id: ctx.actor.userId,
        action,
        reason: input.reason,
        start_at: start,
        end_at: start + input.durationMinutes * MINUTE,
        state: 'waiting_for_approval',
        approvals_required: policy.approval.approvals.value,
        approvers: JSON.stringify(policy.approval.approvers.value),
        decided_by: null,
        decided_at: null,
        comment: null,
        created_at: now,
        updated_at: now,
        prev_state: null,
      };
      await trx.insertInto('access_requests').values(row).execute();
      await publish(trx, {
        type: 'access_request.created',
        data: {
          requestId: row.id,
          secretId: s.id,
          requesterId: row.requester_id,
          action,
          startAt: iso(row.start_at),
          endAt: iso(row.end_at),
        },
      });
      ev.objectId = row.id;
      ev.details = { secretId: s.id, action, startAt: iso(row.start_at), endAt: iso(row.end_at) };
      return presentRequest(trx, row, now);
    });
  }

  async function getRequest(ctx: RequestContext, id: string): Promise<AccessRequest> {
    return audited(ctx, { action: 'request.read', objectType: 'access_request', objectId: id, readOnly: true }, async (trx) => {
      const { r } = await loadRequest(trx, ctx, id);
      return presentRequest(trx, r, clock.now());
    });
  }

  /**
   * Approve or reject as an approver. The row is claimed first (a conditional update that holds it
   * until commit), so concurrent approvers serialize; the decision is counted against the claimed row.
   */
  async function decide(ctx: RequestContext, id: string, decision: 'approve' | 'reject', comment: string | undefined) {
    const action = decision === 'approve' ? 'request.approve' : 'request.reject';
    return audited(ctx, { action, objectType: 'access_request', objectId: id, reason: comment ?? null }, async (trx, ev) => {
      const { mine, approver } = await loadRequest(trx, ctx, id);
      if (mine) throw new AppError('forbidden', 'You cannot approve or reject your own request.');
      if (!approver) throw new AppError('forbidden', 'You are not an approver of this request.');
      const me = ctx.actor.userId as string;
      const now = clock.now();
      const claimed = await trx
        .updateTable('access_requests')
        .set({ updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'waiting_for_approval')
        .where('end_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!claimed) throw await lost(trx, id, now);
      const prior = await trx
        .selectFrom('access_approvals')
        .select('decision')
        .where('request_id', '=', id)
        .where('approver_id', '=', me)
        .executeTakeFirst();
      if (prior) throw new AppError('conflict', 'You already decided on this request.');
      await trx
        .insertInto('access_approvals')
        .values({ request_id: id, approver_id: me, decision, comment: comment ?? null, created_at: now })
        .execute();
      const n = await trx
        .selectFrom('access_approvals')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('request_id', '=', id)
        .where('decision', '=', 'approve')
        .executeTakeFirstOrThrow();
      const required = Number(claimed.approvals_required);
      if (decision === 'approve') ev.details = { approvals: Number(n.n), required };
      const state = stateAfterDecision(decision, Number(n.n), required);
      let row = claimed;
      if (state !== 'waiting_for_approval') {
        const decided = await trx
          .updateTable('access_requests')
          .set((eb) => ({ state, prev_state: eb.ref('state'), decided_by: me, decided_at: now, comment: comment ?? null, updated_at: now }))
          .where('id', '=', id)
          .where('state', '=', 'waiting_for_approval')
          .returningAll()
          .executeTakeFirst();
        // the claim holds the row: nobody can have moved it meanwhile
        if (!decided) throw await lost(trx, id, now);
        row = decided;
        await publish(trx, {
          type: state === 'approved' ? 'access_request.approved' : 'access_request.rejected',
          data: { requestId: id, secretId: row.secret_id, requesterId: row.requester_id, approverId: me },
        });
      }
      ev.details = { ...ev.details, secretId: row.secret_id, requesterId: row.requester_id, state };
      return presentRequest(trx, row, now);
    });
  }

  async function cancel(ctx: RequestContext, id: string, comment: string | undefined) {
    return audited(
      ctx,
      { action: 'request.cancel', objectType: 'access_request', objectId: id, reason: comment ?? null },
      async (trx, ev) => {
        const { r, mine } = await loadRequest(trx, ctx, id);
        if (!mine) throw new AppError('forbidden', 'Only the requester can cancel a request.');
        const now = clock.now();
        const done = await trx
          .updateTable('access_requests')
          .set((eb) => ({
            state: 'cancelled',
            prev_state: eb.ref('state'),
            decided_by: ctx.actor.userId,
            decided_at: now,
            comment: comment ?? null,
            updated_at: now,
          }))
          .where('id', '=', id)
          .where('state', 'in', ['waiting_for_approval', 'approved'])
          .where('end_at', '>', now)
          .returningAll()
          .executeTakeFirst();
        if (!done) throw await lost(trx, id, now);
        ev.details = { secretId: r.secret_id, was: done.prev_state };
        return presentRequest(trx, done, now);
      },
    );
  }

  /**
   * Withdraws an approval: the request ends at once, and so does any checkout of it (rotating if
   * the policy says so). The request is changed first; then its active checkouts are looked up in a
   * new statement. On PostgreSQL (READ COMMITTED) an UPDATE that waited for a checkout's
   * transaction re-evaluates its WHERE on the row that transaction committed (checked_out), and a
   * later statement sees that checkout's row: so a checkout that got in first is always ended here,
   * and one that comes after finds the request revoked.
   */
  async function revoke(ctx: RequestContext, id: string, comment: string | undefined) {
    return audited(
      ctx,
      { action: 'request.revoke', objectType: 'access_request', objectId: id, reason: comment ?? null },
      async (trx, ev) => {
        const { mine, approver, owner } = await loadRequest(trx, ctx, id);
        if (mine) throw new AppError('forbidden', 'You cannot revoke your own request; cancel it or check in.');
        if (!approver && !owner && ctx.actor.role !== 'administrator') {
          throw new AppError('forbidden', 'Only an approver, an owner or an administrator can revoke an approval.');
        }
        const now = clock.now();
        const revoked = await trx
          .updateTable('access_requests')
          .set((eb) => ({
            state: 'revoked',
            prev_state: eb.ref('state'),
            decided_by: ctx.actor.userId,
            decided_at: now,
            comment: comment ?? null,
            updated_at: now,
          }))
          .where('id', '=', id)
          .where('state', 'in', LIVE_STATES)
          .where('end_at', '>', now)
          .returningAll()
          .executeTakeFirst();
        if (!revoked) throw await lost(trx, id, now);
        const active = await trx
          .selectFrom('checkouts')
          .select(['id', 'request_id', 'ends_at'])
          .where('request_id', '=', id)
          .where('active', '=', 1)
          .execute();
        let endedCheckout: string | null = null;
        let rotatedVersion: number | null = null;
        // a remote rotation is queued (run outside this transaction): the record names its job
        let rotationJobId: string | null = null;
        for (const co of active) {
          const done = await checkouts.finishCheckout(trx, ctx, co, 'revoked', now);
          if (!done) continue;
          endedCheckout = co.id;
          rotatedVersion = done.rotation?.version ?? rotatedVersion;
          rotationJobId = done.rotation?.jobId ?? rotationJobId;
        }
        ev.details = {
          secretId: revoked.secret_id,
          requesterId: revoked.requester_id,
          was: revoked.prev_state,
          endedCheckout,
          rotatedVersion,
          rotationTrigger: rotatedVersion === null ? null : 'revoked',
          ...(rotationJobId ? { rotationQueued: true, rotationJobId } : {}),
        };
        return presentRequest(trx, revoked, now);
      },
    );
  }

  async function listRequests(ctx: RequestContext, q: AccessRequestQuery): Promise<{ items: AccessRequest[]; nextCursor: string | null }> {
    return audited(ctx, { action: 'request.list', objectType: 'access_request', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const scope = q.scope ?? 'mine';
      if (scope === 'all' && !can(ctx.actor, 'audit.read')) throw new AppError('forbidden', 'Listing every request needs audit.read.');
      const me = ctx.actor.userId;
      const now = clock.now();
      const limit = q.limit ?? 50;
      let query = trx.selectFrom('access_requests').selectAll();
      if (scope === 'mine') query = query.where('requester_id', '=', me);
      if (scope === 'pending') {
        query = query.where('requester_id', '!=', me).where('state', '=', 'waiting_for_approval').where('end_at', '>', now);
      }
      if (q.secretId) query = query.where('secret_id', '=', q.secretId);
      const st = q.state;
      if (st === 'expired') {
        query = query.where((eb) =>
          eb.or([eb('state', '=', 'expired'), eb.and([eb('state', 'in', ['waiting_for_approval', 'approved']), eb('end_at', '<=', now)])]),
        );
      } else if (st === 'checked_in') {
        query = query.where((eb) =>
          eb.or([eb('state', '=', 'checked_in'), eb.and([eb('state', '=', 'checked_out'), eb('end_at', '<=', now)])]),
        );
      } else if (st === 'waiting_for_approval' || st === 'approved' || st === 'checked_out') {
        query = query.where('state', '=', st).where('end_at', '>', now);
      } else if (st) {
        query = query.where('state', '=', st);
      }
      let cursor = decodeCursor(q.cursor);
      const out: AccessRequestTable[] = [];
      let more = false;
      // pending: who may approve is decided per request (named approvers, groups, or owners)
      for (;;) {
        let page = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
        if (cursor) {
          const [t, cid] = cursor;
          page = page.where((eb) => eb.or([eb('created_at', '<', t), eb.and([eb('created_at', '=', t), eb('id', '<', cid)])]));
        }
        const batch = await page.limit(SWEEP_BATCH).execute();
        for (const r of batch) {
          if (scope === 'pending') {
            const s = await secretRow(trx, r.secret_id);
            if (!s || !(await isApprover(trx, ctx, r, s))) continue;
          }
          if (out.length === limit) {
            more = true;
            break;
          }
          out.push(r);
        }
        if (more || batch.length < SWEEP_BATCH) break;
        const last = batch.at(-1) as AccessRequestTable;
        cursor = [Number(last.created_at), last.id];
      }
      const last = out.at(-1);
      const nextCursor = more && last ? Buffer.from(JSON.stringify([Number(last.created_at), last.id])).toString('base64url') : null;
      ev.details = { scope, count: out.length };
      return { items: await presentRequests(trx, out, now), nextCursor };
    });
  }

  return {
    createRequest,
    getRequest,
    listRequests,
    approve: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'approve', comment),
    reject: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'reject', comment),
    cancel,
    revoke,
  };
}
