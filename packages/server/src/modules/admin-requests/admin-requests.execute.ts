import type { AdminRequestExecution } from '@coffer/contracts/admin-requests';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AuditedEv, AuditLog, createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { Reauth, ReauthProof } from '../auth/reauth.ts';
import type { SealManager } from '../sys/seal.ts';
import { findRow, isPendingApproval, loadRequest, presentById, type Run, stateConflict } from './admin-requests.core.ts';
import { operationOf } from './admin-requests.presenter.ts';
import { secretBinding } from './dual-control.ts';
import { gatedOperations } from './gated-operations.ts';

/**
 * Execution of an approved admin request, once, by its requester: approved → executed by a
 * conditional update (UPDATE … RETURNING), then the effect through the owning service in `execute`
 * mode (the same checks as a direct call), then its audit record naming the request and the
 * approvers, all in one transaction; the stored password hash goes once used.
 */
export function createAdminRequestExecution(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  /** Executing an API key request mints a key: the requester re-authenticates then (auth/reauth.ts). */
  reauth: Pick<Reauth, 'check'>;
  run: Run;
}) {
  const { db, clock, seal, audit, audited, reauth, run } = deps;

  async function execute(ctx: RequestContext, id: string, proof: ReauthProof = {}): Promise<AdminRequestExecution> {
    // minting a key (shown once, now) needs the requester's re-authentication, as a direct creation
    // does: checked outside the transaction (Argon2), and only for the requester's own request
    const peek = ctx.actor.userId ? await findRow(db, id) : undefined;
    const failure =
      peek?.requester_id === ctx.actor.userId && operationOf(peek).type === 'apikey.create' ? await reauth.check(ctx, proof) : undefined;
    return audited(ctx, { action: 'admin_request.execute', objectType: 'admin_request', objectId: id }, async (trx, ev) => {
      requireUser(ctx.actor);
      if (failure) throw failure;
      const now = clock.now();
      // one use: only the requester's own approved, unexpired request moves to executed, once
      const claimed = await trx
        .updateTable('admin_requests')
        .set({ state: 'executed', executed_at: now, updated_at: now })
        .where('id', '=', id)
        .where('requester_id', '=', ctx.actor.userId)
        .where('state', '=', 'approved')
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!claimed) {
        const { mine } = await loadRequest(trx, ctx, id);
        if (!mine) throw new AppError('forbidden', 'Only the administrator who filed the request can execute it.');
        throw await stateConflict(trx, id, now);
      }
      const op = operationOf(claimed);
      const approvedBy = (
        await trx
          .selectFrom('admin_approvals')
          .select('approver_id')
          .where('request_id', '=', id)
          .where('decision', '=', 'approve')
          .orderBy('created_at')
          .execute()
      ).map((a) => a.approver_id);
      ev.details = { operation: op.type, targetId: claimed.target_id, approvedBy };
      const secret = claimed.secret_enc ? (await seal.decrypt(trx, secretBinding(id), claimed.secret_enc)).toString('utf8') : null;
      const effect: AuditedEv = { objectId: claimed.target_id, details: null };
      const out = await run(trx, ctx, effect, op, secret, { kind: 'execute', approval: { requestId: id, approvedBy } });
      if (isPendingApproval(out)) throw new AppError('internal', 'An approved request was gated again.');
      // the effect's own record, as a direct call would write it, naming the request and its approvers
      await audit.append(trx, ctx, {
        action: op.type,
        objectType: gatedOperations[op.type].objectType,
        objectId: effect.objectId,
        outcome: 'success',
        details: { ...effect.details, adminRequest: id, approvedBy },
      });
      const resultId = op.type === 'user.create' || op.type === 'apikey.create' ? effect.objectId : null;
      // used once: the stored hash is not needed any more
      await trx.updateTable('admin_requests').set({ result_id: resultId, secret_enc: null }).where('id', '=', id).execute();
      ev.details = { ...ev.details, resultId };
      return { request: await presentById(trx, id, now), ...out };
    });
  }

  return { execute };
}
