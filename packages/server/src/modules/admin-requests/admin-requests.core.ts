import type { AdminOperation, AdminRequest, AdminRequestExecution, PendingApproval } from '@coffer/contracts/admin-requests';
import type { Executor, Trx } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { AuditedEv } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser } from '../auth/actor.ts';
import type { ApiKeysService } from '../auth/api-keys.service.ts';
import type { GroupsService } from '../identities/groups.service.ts';
import type { UsersService } from '../identities/users.service.ts';
import { effectiveState, presentRequests, stateLabels } from './admin-requests.presenter.ts';
import type { GateMode } from './dual-control.ts';

// What the use cases of admin requests share (admin-requests.service.ts files, lists and sweeps;
// admin-requests.decisions.ts approves, rejects and cancels; admin-requests.execute.ts executes):
// the reads of a request and the run of a gated operation through its owning service.

/** The gated use cases of their owning services, run again when an approved request is executed. */
export type Runners = UsersService['runners'] & GroupsService['runners'] & ApiKeysService['runners'];
export type Outcome = Omit<AdminRequestExecution, 'request'>;

export function isPendingApproval(x: unknown): x is PendingApproval {
  return typeof x === 'object' && x !== null && (x as { status?: unknown }).status === 'pending_approval' && 'request' in x;
}

export const findRow = (exec: Executor, id: string) =>
  exec.selectFrom('admin_requests').selectAll().where('id', '=', id).executeTakeFirst();

/** The requester, administrators (the approvers) and readers of the audit trail see a request; others get 404. */
export async function loadRequest(exec: Executor, ctx: RequestContext, id: string) {
  requireUser(ctx.actor);
  const r = await findRow(exec, id);
  const mine = r?.requester_id === ctx.actor.userId;
  if (!r || (!mine && ctx.actor.role !== 'administrator' && !can(ctx.actor, 'audit.read'))) {
    throw new AppError('not_found', 'No such admin request.');
  }
  return { r, mine };
}

export async function presentById(exec: Executor, id: string, now: number): Promise<AdminRequest> {
  const row = await exec.selectFrom('admin_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return (await presentRequests(exec, [row], now))[0] as AdminRequest;
}

/** "The admin request is <state now>": what a loser of a race (or a late caller) is told. */
export async function stateConflict(exec: Executor, id: string, now: number): Promise<AppError> {
  const cur = await findRow(exec, id);
  return new AppError('conflict', cur ? `The admin request is ${stateLabels[effectiveState(cur, now)]}.` : 'No such admin request.');
}

/** Runs a gated use case of its owning service (filing it on purpose, or executing it). */
export function createRunner(runners: Runners) {
  return async function run(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    op: AdminOperation,
    secret: string | null,
    mode: GateMode,
  ): Promise<Outcome | PendingApproval> {
    const wrap = <T, K extends keyof Outcome>(key: K, r: T | PendingApproval): Outcome | PendingApproval =>
      isPendingApproval(r) ? r : ({ [key]: r } as Outcome);
    const secretOrThrow = () => {
      if (secret === null) throw new AppError('conflict', 'The request lacks its stored password.');
      return secret;
    };
    switch (op.type) {
      case 'user.create':
        return wrap('user', await runners['user.create'](trx, ctx, ev, op.user, secret, mode));
      case 'user.update':
        return wrap('user', await runners['user.update'](trx, ctx, ev, op.userId, op.patch, mode));
      case 'user.enable':
        return wrap('user', await runners['user.enable'](trx, ctx, ev, op.userId, mode));
      case 'user.disable':
        return wrap('user', await runners['user.disable'](trx, ctx, ev, op.userId, mode));
      case 'user.delete':
        return (await runners['user.delete'](trx, ctx, ev, op.userId, mode)) ?? {};
      case 'user.password_reset':
        return (await runners['user.password_reset'](trx, ctx, ev, op.userId, secretOrThrow(), mode)) ?? {};
      case 'group.member_add':
        return wrap('group', await runners['group.member_add'](trx, ctx, ev, op.groupId, op.userId, mode));
      case 'apikey.create':
        return wrap('apiKey', await runners['apikey.create'](trx, ctx, ev, op.userId, op.apiKey, mode));
    }
  };
}
export type Run = ReturnType<typeof createRunner>;
