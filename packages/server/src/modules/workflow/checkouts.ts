// Exclusive checkout: start (using an approval once), checkin (the holder, or forced), the end of
// a checkout shared by checkin, revoke and the sweep, and the list of current checkouts.
import type { Checkout, CheckoutQuery, Rotation, StartCheckout } from '@coffer/contracts/workflow';
import { sql } from 'kysely';
import type { Trx } from '../../db/database.ts';
import type { AccessRequestTable, CheckoutTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { levelRank } from '../access/levels.ts';
import { can, type RequestContext, requireUser } from '../auth/actor.ts';
import { approvalRequiredError, type Core, checkedOutError, iso, MINUTE, type PendingRecord, type Publish } from './core.ts';
import { workflowPolicy } from './policy.ts';
import type { Presenter } from './presenter.ts';
import type { RotationSteps } from './rotate.ts';
import { describeState, effectiveState, stateLabels } from './states.ts';

export type EndHow = 'checkin' | 'forced' | 'expired' | 'revoked';

const endedHow: Record<EndHow, string> = {
  checkin: 'checked in by its holder',
  forced: "checked in on the holder's behalf",
  expired: 'its time ran out',
  revoked: 'its approval was revoked',
};

export function createCheckouts(core: Core, rotation: Pick<RotationSteps, 'rotateIn'>, presenter: Presenter, publish: Publish) {
  const { deps, secretRow, requestRow, lockRequest, holdSecretShared, liveCheckout, userNames, isExemptOwner, checkWindow, appendLater } =
    core;
  const { clock, access, audited } = deps;
  const { presentCheckouts } = presenter;

  /**
   * Ends an active checkout and says so only if this call ended it (`UPDATE … WHERE active = 1
   * RETURNING`; a second caller gets null). Its request moves from checked_out to checked_in (a
   * revoked one stays revoked); the password rotates when the policy says so; `checkout.ended` is
   * published. The request row is locked first (lock order, see core.ts).
   */
  async function finishCheckout(
    trx: Trx,
    ctx: RequestContext,
    co: Pick<CheckoutTable, 'id' | 'request_id' | 'ends_at'>,
    how: EndHow,
    now: number,
  ): Promise<{ row: CheckoutTable; rotation: Rotation | null } | null> {
    if (co.request_id) await lockRequest(trx, co.request_id);
    const endedAt = how === 'expired' ? Math.min(now, Number(co.ends_at)) : now;
    const ended = await trx
      .updateTable('checkouts')
      .set({ active: 0, ended_at: endedAt, ended_by: ctx.actor.userId, end_reason: how })
      .where('id', '=', co.id)
      .where('active', '=', 1)
      .returningAll()
      .executeTakeFirst();
    if (!ended) return null;
    if (ended.request_id) {
      await trx
        .updateTable('access_requests')
        .set((eb) => ({ state: 'checked_in', prev_state: eb.ref('state'), end_at: endedAt, updated_at: now }))
        .where('id', '=', ended.request_id)
        .where('state', '=', 'checked_out')
        .execute();
    }
    const s = await secretRow(trx, ended.secret_id);
    let rot: Rotation | null = null;
    // an E2E secret's value is made by its clients: rotate-on-checkin cannot apply (ADR 0022)
    if (s && !s.e2e && (await workflowPolicy(trx, s.parent_node_id)).checkout.rotateOnCheckin.value) {
      rot = await rotation.rotateIn(trx, ctx, s.id, { trigger: how });
      await trx.updateTable('checkouts').set({ rotated_version: rot.version }).where('id', '=', ended.id).execute();
    }
    await publish(trx, {
      type: 'checkout.ended',
      data: {
        checkoutId: ended.id,
        secretId: ended.secret_id,
        holderId: ended.holder_id,
        requestId: ended.request_id,
        how,
        rotated: rot !== null,
      },
    });
    return { row: { ...ended, rotated_version: rot?.version ?? null }, rotation: rot };
  }

  /**
   * Active checkouts of a secret whose end has passed: ended here (as the sweep would). Their
   * system audit records are returned for the caller to write last (`appendLater`).
   */
  async function endOverdue(trx: Trx, secretId: string, now: number): Promise<PendingRecord[]> {
    const overdue = await trx
      .selectFrom('checkouts')
      .select(['id', 'request_id', 'ends_at', 'holder_id'])
      .where('secret_id', '=', secretId)
      .where('active', '=', 1)
      .where('ends_at', '<=', now)
      .execute();
    const pending: PendingRecord[] = [];
    for (const co of overdue) {
      const sys = core.systemCtx();
      const done = await finishCheckout(trx, sys, co, 'expired', now);
      if (!done) continue;
      pending.push({
        ctx: sys,
        action: 'checkout.expired',
        objectType: 'checkout',
        objectId: co.id,
        reason: 'the checkout duration ended',
        details: { secretId, holderId: co.holder_id, rotatedVersion: done.rotation?.version ?? null },
      });
    }
    return pending;
  }

  /** Uses an approved checkout request once: approved -> checked_out, decided by the row the update changed. */
  async function useApproval(trx: Trx, request: AccessRequestTable, endsAt: number, now: number): Promise<AccessRequestTable> {
    const used = await trx
      .updateTable('access_requests')
      .set((eb) => ({
        state: 'checked_out',
        prev_state: eb.ref('state'),
        end_at: eb.case().when('end_at', '<', endsAt).then(eb.ref('end_at')).else(endsAt).end(),
        updated_at: now,
      }))
      .where('id', '=', request.id)
      .where('state', '=', 'approved')
      .where('start_at', '<=', now)
      .where('end_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (used) return used;
    // lost to a revoke, a cancel, another checkout or the end of the window: say what it is now
    const current = await requestRow(trx, request.id);
    throw new AppError('conflict', current ? describeState(current, now) : 'The access request is gone.');
  }

  async function checkout(ctx: RequestContext, secretId: string, input: StartCheckout): Promise<Checkout> {
    return audited(
      ctx,
      { action: 'checkout.start', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        const { s, level } = await deps.secrets.load(trx, ctx, secretId, 'reveal');
        const policy = await workflowPolicy(trx, s.parent_node_id);
        const now = clock.now();
        checkWindow(policy, level, now);
        if (policy.requireReason.value && !input.reason?.trim()) {
          throw new AppError('validation.failed', 'A reason is required to check out this secret.', {
            details: [{ path: '/reason', message: 'required by policy' }],
          });
        }
        const max = policy.checkout.maxMinutes.value;
        if (input.durationMinutes !== undefined && input.durationMinutes > max) {
          throw new AppError('validation.failed', `A checkout of this secret lasts at most ${max} minutes.`, {
            details: [{ path: '/durationMinutes', message: `at most ${max}` }],
          });
        }
        const needsApproval = policy.approval.required.value && !isExemptOwner(policy, level);
        let endsAt = now + (input.durationMinutes ?? max) * MINUTE;
        let request: AccessRequestTable | undefined;
        if (input.requestId) {
          // who, which secret and which action never change: checked on this read; the state is
          // decided by the conditional update below
          request = await requestRow(trx, input.requestId);
          if (!request || request.requester_id !== ctx.actor.userId || request.secret_id !== s.id) {
            throw new AppError('not_found', 'No such access request of yours for this secret.');
          }
          if (request.action !== 'checkout') throw new AppError('conflict', 'This approval is for revealing, not for a checkout.');
          const state = effectiveState(request, now);
          if (state !== 'approved') throw new AppError('conflict', `The access request is ${stateLabels[state]}.`);
          if (now < Number(request.start_at)) throw new AppError('conflict', `The approved window starts at ${iso(request.start_at)}.`);
          // the approval is used once, and first (lock order): a revoke that comes after finds it
          // checked out and ends this checkout; a concurrent checkout or revoke that came first wins
          request = await useApproval(trx, request, endsAt, now);
          endsAt = Number(request.end_at);
        } else if (needsApproval) {
          throw approvalRequiredError('checkout');
        }
        // an overdue checkout nobody swept yet ends now, like the sweep would end it
        const pending = await endOverdue(trx, s.id, now);
        const row: CheckoutTable = {
          id: newId('cko', now),
          secret_id: s.id,
          request_id: request?.id ?? null,
          holder_id: ctx.actor.userId,
          reason: input.reason ?? null,
          started_at: now,
          ends_at: endsAt,
          active: 1,
          ended_at: null,
          ended_by: null,
          end_reason: null,
          rotated_version: null,
        };
        const inserted = await trx
          .insertInto('checkouts')
          .values(row)
          // the predicate is a literal, so both databases infer the partial unique index from it
          .onConflict((oc) => oc.column('secret_id').where('active', '=', sql.lit(1)).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) {
          const holder = await liveCheckout(trx, s.id, now);
          if (!holder) throw new AppError('conflict', 'The secret is being checked out by someone else; try again.');
          ev.details = { holderId: holder.holder_id, endsAt: iso(holder.ends_at) };
          throw checkedOutError(holder.holder_name, holder.holder_id, holder.ends_at);
        }
        // after the insert (which may have waited for the end of another checkout), never before:
        // a rotation waiting for the secret then sees this checkout (see rotate.ts)
        await holdSecretShared(trx, s.id);
        await publish(trx, {
          type: 'checkout.started',
          data: { checkoutId: row.id, secretId: s.id, holderId: row.holder_id, requestId: row.request_id, endsAt: iso(endsAt) },
        });
        await appendLater(trx, pending);
        ev.details = { checkoutId: row.id, requestId: row.request_id, endsAt: iso(endsAt) };
        return (await presentCheckouts(trx, [row]))[0] as Checkout;
      },
    );
  }

  /**
   * Checks in the active checkout of the secret: the holder's own, or forced by an owner or an
   * administrator (with a reason). Which checkout that is, is read; whether this call ended it, is
   * decided by finishCheckout's conditional update. When another transaction ended it first (a
   * revoke, the sweep, an overdue end inside a new checkout), the active checkout is read again, in
   * a new statement that sees what that transaction committed, so the answer is the one a
   * checkin after it would give — never an end decided from the stale read.
   */
  async function checkin(ctx: RequestContext, secretId: string, input: { reason?: string }): Promise<Checkout> {
    return audited(
      ctx,
      { action: 'checkout.end', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        const { s, level } = await deps.secrets.load(trx, ctx, secretId, 'list');
        const now = clock.now();
        let lost: string | null = null;
        for (let attempt = 0; attempt < 3; attempt++) {
          const co = await trx.selectFrom('checkouts').selectAll().where('secret_id', '=', s.id).where('active', '=', 1).executeTakeFirst();
          if (!co) throw new AppError('conflict', `The secret is not checked out${lost ? await endedMeanwhile(trx, lost) : ''}.`);
          let how: 'checkin' | 'forced';
          if (co.holder_id === ctx.actor.userId) how = 'checkin';
          else if (level >= levelRank.manage || ctx.actor.role === 'administrator') how = 'forced';
          else {
            const names = await userNames(trx, [co.holder_id]);
            throw checkedOutError(names.get(co.holder_id) ?? null, co.holder_id, co.ends_at);
          }
          if (how === 'forced' && !input.reason?.trim()) {
            throw new AppError('validation.failed', 'A reason is required to check in on behalf of the holder.', {
              details: [{ path: '/reason', message: 'required' }],
            });
          }
          const done = await finishCheckout(trx, ctx, co, how, now);
          if (!done) {
            lost = co.id;
            continue;
          }
          ev.details = { checkoutId: co.id, holderId: co.holder_id, how, rotatedVersion: done.rotation?.version ?? null };
          const rotations = new Map(done.rotation ? [[co.id, done.rotation]] : []);
          return (await presentCheckouts(trx, [done.row], rotations))[0] as Checkout;
        }
        throw new AppError(
          'conflict',
          `The checkouts of this secret changed meanwhile${lost ? await endedMeanwhile(trx, lost) : ''}; try again.`,
        );
      },
    );
  }

  /** How a checkout that another transaction ended, ended (as it is now). */
  async function endedMeanwhile(trx: Trx, id: string): Promise<string> {
    const co = await trx.selectFrom('checkouts').select(['end_reason', 'ended_at']).where('id', '=', id).executeTakeFirst();
    if (!co?.end_reason) return '';
    return ` (the checkout ended meanwhile: ${endedHow[co.end_reason]}${co.ended_at ? ` at ${iso(co.ended_at)}` : ''})`;
  }

  async function listCheckouts(ctx: RequestContext, q: CheckoutQuery): Promise<{ items: Checkout[]; nextCursor: null }> {
    return audited(ctx, { action: 'checkout.list', objectType: 'checkout', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const scope = q.scope ?? 'visible';
      if (scope === 'all' && !can(ctx.actor, 'audit.read')) throw new AppError('forbidden', 'Listing every checkout needs audit.read.');
      const now = clock.now();
      let query = trx
        .selectFrom('checkouts as c')
        .innerJoin('secrets as s', 's.id', 'c.secret_id')
        .selectAll('c')
        .where('c.active', '=', 1)
        .where('c.ends_at', '>', now)
        .where('s.deleted_at', 'is', null);
      if (q.secretId) query = query.where('c.secret_id', '=', q.secretId);
      const me = ctx.actor.userId;
      if (scope === 'mine') query = query.where('c.holder_id', '=', me);
      else if (scope === 'visible') {
        const principals = await access.principalsOf(trx, ctx.actor);
        if (!principals) throw new AppError('auth.required', 'Authentication is required.');
        const visible = access.secretVisible(ctx.actor, principals, 'list');
        // biome-ignore lint/suspicious/noExplicitAny: the scope condition is written for the `s` alias of secrets
        query = query.where((eb) => eb.or([eb('c.holder_id', '=', me), visible(eb as any)]));
      }
      const rows = await query.orderBy('c.ends_at').orderBy('c.id').limit(500).execute();
      ev.details = { scope, count: rows.length };
      return { items: await presentCheckouts(trx, rows), nextCursor: null };
    });
  }

  return { finishCheckout, endOverdue, checkout, checkin, listCheckouts };
}
export type Checkouts = ReturnType<typeof createCheckouts>;
