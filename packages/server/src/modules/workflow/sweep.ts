// The sweep: ends what expired (temporary grants, request windows, checkouts), each item in its
// own transaction and by a conditional update, so concurrent sweeps (several processes) and user
// actions racing it do each thing once.
import type { Checkouts } from './checkouts.ts';
import { type Core, iso, type Publish, SWEEP_BATCH } from './core.ts';
import { EXPIRING_STATES } from './states.ts';

export function createSweep(core: Core, checkouts: Pick<Checkouts, 'finishCheckout'>, publish: Publish) {
  const { deps, systemCtx, auditSystem } = core;
  const { db, clock } = deps;

  /**
   * Ends what expired at `now`: deletes expired grants, expires requests whose window ended, checks
   * in checkouts whose end passed (rotating when the policy says so). The candidates are read
   * outside the transactions; what is done is decided by each item's conditional update (and the
   * state it left, by its RETURNING). Each change is audited as the system and published.
   */
  async function sweep(now: number = clock.now()): Promise<{ grants: number; requests: number; checkouts: number }> {
    const counts = { grants: 0, requests: 0, checkouts: 0 };
    const grants = await db
      .selectFrom('grants')
      .select('id')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(SWEEP_BATCH)
      .execute();
    for (const { id } of grants) {
      await db.transaction().execute(async (trx) => {
        const g = await trx.deleteFrom('grants').where('id', '=', id).where('expires_at', '<=', now).returningAll().executeTakeFirst();
        if (!g) return;
        counts.grants++;
        const data = {
          grantId: g.id,
          nodeId: g.node_id,
          nodeType: g.node_type,
          principalType: g.principal_type,
          principalId: g.principal_id,
          expiresAt: iso(g.expires_at as number),
        };
        await auditSystem(trx, {
          ctx: systemCtx(),
          action: 'grant.expired',
          objectType: 'grant',
          objectId: g.id,
          reason: 'the grant expired',
          details: data,
        });
        await publish(trx, { type: 'grant.expired', data });
      });
    }
    const requests = await db
      .selectFrom('access_requests')
      .select('id')
      .where('state', 'in', EXPIRING_STATES)
      .where('end_at', '<=', now)
      .orderBy('end_at')
      .limit(SWEEP_BATCH)
      .execute();
    for (const { id } of requests) {
      await db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('access_requests')
          .set((eb) => ({ state: 'expired', prev_state: eb.ref('state'), updated_at: now }))
          .where('id', '=', id)
          .where('state', 'in', EXPIRING_STATES)
          .where('end_at', '<=', now)
          .returningAll()
          .executeTakeFirst();
        if (!r) return;
        counts.requests++;
        const data = { requestId: r.id, secretId: r.secret_id, requesterId: r.requester_id, was: r.prev_state };
        await auditSystem(trx, {
          ctx: systemCtx(),
          action: 'request.expired',
          objectType: 'access_request',
          objectId: r.id,
          reason: 'the requested window ended',
          details: data,
        });
        await publish(trx, { type: 'access_request.expired', data });
      });
    }
    const due = await db
      .selectFrom('checkouts')
      .select(['id', 'request_id', 'ends_at'])
      .where('active', '=', 1)
      .where('ends_at', '<=', now)
      .orderBy('ends_at')
      .limit(SWEEP_BATCH)
      .execute();
    for (const co of due) {
      await db.transaction().execute(async (trx) => {
        const sys = systemCtx();
        const done = await checkouts.finishCheckout(trx, sys, co, 'expired', now);
        if (!done) return;
        counts.checkouts++;
        await auditSystem(trx, {
          ctx: sys,
          action: 'checkout.expired',
          objectType: 'checkout',
          objectId: co.id,
          reason: 'the checkout duration ended',
          details: { secretId: done.row.secret_id, holderId: done.row.holder_id, rotatedVersion: done.rotation?.version ?? null },
        });
      });
    }
    return counts;
  }

  return { sweep };
}
