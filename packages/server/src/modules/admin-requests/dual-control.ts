import type { AdminOperation, AdminOperationType, PendingApproval } from '@coffer/contracts/admin-requests';
import type { Executor, Trx } from '../../db/database.ts';
import type { AdminRequestTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditedEv } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import { presentRequests } from './admin-requests.presenter.ts';
import { type GatedOperation, type GateFacts, gatedOperations } from './gated-operations.ts';

/** An approved request being executed: its id and who approved it (for the effect's audit record). */
export interface Approval {
  requestId: string;
  approvedBy: string[];
}

/**
 * How a gated use case runs: a normal call (gated when the table says so), a request filed on
 * purpose (POST /admin-requests: always a request), or the execution of an approved request
 * (never gated again: the approval covers exactly this stored operation).
 */
export type GateMode = { kind: 'call' } | { kind: 'request'; reason: string | null } | { kind: 'execute'; approval: Approval };
export const callMode: GateMode = Object.freeze({ kind: 'call' });

/** How long a request can wait for approval and then for its execution. */
export const REQUEST_TTL_MS = 24 * 3600_000;

/** The binding of the encrypted part of a request (e.g. a password's Argon2 hash) to its row. */
export const secretBinding = (requestId: string) => ({ type: 'admin_request', id: requestId, field: 'secret' });

export async function countActiveAdministrators(exec: Executor): Promise<number> {
  const r = await exec
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'administrator')
    .where('status', '=', 'active')
    .where('kind', '=', 'human')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The gate the users, groups and API-key services call inside their transaction, after their own
 * authorization and validation and before the effect. It answers null (go on) or files an admin
 * request and answers it (the caller returns it, 202): the rule lives in the services, so the
 * routes, the CLI, jobs and later compatibility APIs all get it.
 */
export function createDualControl(deps: { clock: Clock; seal: SealManager; mode: 'auto' | 'always' }) {
  const { clock, seal } = deps;

  /** Whether dual control applies now: always, or (auto) while more than one active human administrator exists. */
  async function applies(exec: Executor): Promise<boolean> {
    return deps.mode === 'always' || (await countActiveAdministrators(exec)) > 1;
  }

  async function gate<K extends AdminOperationType>(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    op: Extract<AdminOperation, { type: K }>,
    facts: GateFacts[K],
    opts: { mode: GateMode; targetId: string | null; secret?: string | null },
  ): Promise<PendingApproval | null> {
    const spec = gatedOperations[op.type as K] as GatedOperation<K>;
    const refusal = spec.refused?.(facts);
    if (refusal) throw new AppError('forbidden', refusal);
    if (opts.mode.kind === 'execute') return null;
    // the system (first start, store-level recovery, jobs) acts on the operator's authority
    if (ctx.actor.kind !== 'user' || !ctx.actor.userId) return null;
    if (opts.mode.kind === 'call') {
      const admins = await countActiveAdministrators(trx);
      if (deps.mode !== 'always' && admins <= 1) return null;
      if (!spec.gated(facts, admins)) return null;
    }
    const now = clock.now();
    const id = newId('adm', now);
    const { type, ...params } = op;
    const row: AdminRequestTable = {
      id,
      operation: type,
      params: JSON.stringify(params),
      target_id: opts.targetId,
      secret_enc: opts.secret ? await seal.encrypt(trx, secretBinding(id), opts.secret) : null,
      reason: opts.mode.kind === 'request' ? opts.mode.reason : null,
      requester_id: ctx.actor.userId,
      state: 'waiting_for_approval',
      approvals_required: 1,
      decided_by: null,
      decided_at: null,
      comment: null,
      executed_at: null,
      result_id: null,
      expires_at: now + REQUEST_TTL_MS,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('admin_requests').values(row).execute();
    // the call's audit record is the request's: nothing else happened
    ev.action = 'admin_request.create';
    ev.objectType = 'admin_request';
    ev.objectId = id;
    ev.details = { operation: type, targetId: opts.targetId, onPurpose: opts.mode.kind === 'request' };
    const [request] = await presentRequests(trx, [row], now);
    return { status: 'pending_approval', request: request as NonNullable<typeof request> };
  }

  return { gate, applies, mode: deps.mode };
}
export type DualControl = ReturnType<typeof createDualControl>;
