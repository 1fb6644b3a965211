import type {
  AdminOperation,
  AdminRequest,
  AdminRequestExecution,
  AdminRequestQuery,
  CreateAdminRequest,
  PendingApproval,
} from '@coffer/contracts/admin-requests';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { AdminRequestTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditedEv, AuditLog, createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser, systemActor } from '../auth/actor.ts';
import type { ApiKeysService } from '../auth/api-keys.service.ts';
import type { Reauth, ReauthProof } from '../auth/reauth.ts';
import type { GroupsService } from '../identities/groups.service.ts';
import { assertPasswordRules } from '../identities/password-rules.ts';
import type { UsersService } from '../identities/users.service.ts';
import type { SealManager } from '../sys/seal.ts';
import { effectiveState, operationOf, presentRequests, stateLabels } from './admin-requests.presenter.ts';
import { type GateMode, secretBinding } from './dual-control.ts';
import { gatedOperations } from './gated-operations.ts';

/** The gated use cases of their owning services, run again when an approved request is executed. */
export type Runners = UsersService['runners'] & GroupsService['runners'] & ApiKeysService['runners'];
type Outcome = Omit<AdminRequestExecution, 'request'>;

const SWEEP_BATCH = 200;

export function isPendingApproval(x: unknown): x is PendingApproval {
  return typeof x === 'object' && x !== null && (x as { status?: unknown }).status === 'pending_approval' && 'request' in x;
}

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

/**
 * Admin requests (ADR 0010): the requests the dual-control gate files, their approval by another
 * administrator, and their one execution by the requester. Invariants:
 * - nobody decides on their own request: compared by user id (also in the conditional update), so
 *   neither the requester's API keys nor a group of theirs can; approvers are active human
 *   administrators holding the operation's permission (a narrowly scoped key cannot approve);
 * - execute performs exactly the stored operation, once: approved → executed by a conditional
 *   update (UPDATE … RETURNING) of the requester's own request, then the effect through the owning
 *   service (the same checks as a direct call), then its audit record naming the request and the
 *   approvers, all in one transaction;
 * - a password is never stored: only its Argon2 hash, encrypted and bound to the request id, and
 *   deleted when the request is executed, rejected, cancelled or expired;
 * - requests expire REQUEST_TTL_MS after they were filed (approved or not); until the sweep stores
 *   that, they read as expired;
 * - every transition is a conditional update deciding from the row it changed; a loser is told the
 *   state the row is in now.
 */
export function createAdminRequestsService(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  hasher: PasswordHasher;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  /** Executing an API key request mints a key: the requester re-authenticates then (auth/reauth.ts). */
  reauth: Pick<Reauth, 'check'>;
  runners: Runners;
}) {
  const { db, clock, seal, hasher, audit, audited, reauth, runners } = deps;

  /** Runs a gated use case of its owning service. */
  async function run(
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
  }

  const findRow = (exec: Executor, id: string) => exec.selectFrom('admin_requests').selectAll().where('id', '=', id).executeTakeFirst();

  /** The requester, administrators (the approvers) and readers of the audit trail see a request; others get 404. */
  async function loadRequest(exec: Executor, ctx: RequestContext, id: string) {
    requireUser(ctx.actor);
    const r = await findRow(exec, id);
    const mine = r?.requester_id === ctx.actor.userId;
    if (!r || (!mine && ctx.actor.role !== 'administrator' && !can(ctx.actor, 'audit.read'))) {
      throw new AppError('not_found', 'No such admin request.');
    }
    return { r, mine };
  }

  async function presentById(exec: Executor, id: string, now: number): Promise<AdminRequest> {
    const row = await exec.selectFrom('admin_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return (await presentRequests(exec, [row], now))[0] as AdminRequest;
  }

  /** "The admin request is <state now>": what a loser of a race (or a late caller) is told. */
  async function stateConflict(exec: Executor, id: string, now: number): Promise<AppError> {
    const cur = await findRow(exec, id);
    return new AppError('conflict', cur ? `The admin request is ${stateLabels[effectiveState(cur, now)]}.` : 'No such admin request.');
  }

  async function create(ctx: RequestContext, input: CreateAdminRequest): Promise<AdminRequest> {
    const op = input.operation;
    let stored: AdminOperation;
    let secret: string | null = null;
    // hashed before the transaction (Argon2 is slow and memory-hard); only the hash is kept
    // the account password rules are judged first, as for a direct call (no hash of a refused one)
    if (op.type === 'user.create') {
      const { password, ...user } = op.user;
      if (password !== undefined && (user.kind ?? 'human') === 'human') {
        const email = (user as { email?: string }).email ?? '';
        assertPasswordRules(password, { totp: false, userInputs: [user.username, email] }, '/operation/user/password');
      }
      secret = password !== undefined ? await hasher.hash(password) : null;
      stored = { type: op.type, user, temporaryPassword: secret !== null };
    } else if (op.type === 'user.password_reset') {
      const target = await db
        .selectFrom('users')
        .select(['username', 'email', 'first_name', 'last_name', 'totp_enabled'])
        .where('id', '=', op.userId)
        .executeTakeFirst();
      const words = target ? [target.username, target.email, target.first_name, target.last_name] : [];
      assertPasswordRules(op.password, { totp: target?.totp_enabled === 1, userInputs: words }, '/operation/password');
      secret = await hasher.hash(op.password);
      stored = { type: op.type, userId: op.userId };
    } else {
      stored = op;
    }
    const reason = input.reason ?? null;
    return audited(ctx, { action: 'admin_request.create', objectType: 'admin_request', reason }, async (trx, ev) => {
      requireUser(ctx.actor);
      const r = await run(trx, ctx, ev, stored, secret, { kind: 'request', reason });
      // fail closed: a request, never the effect itself (the transaction rolls back)
      if (!isPendingApproval(r)) throw new AppError('internal', 'The request was not filed.');
      return r.request;
    });
  }

  async function get(ctx: RequestContext, id: string): Promise<AdminRequest> {
    return audited(ctx, { action: 'admin_request.read', objectType: 'admin_request', objectId: id, readOnly: true }, async (exec) => {
      const { r } = await loadRequest(exec, ctx, id);
      return (await presentRequests(exec, [r], clock.now()))[0] as AdminRequest;
    });
  }

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

  async function list(ctx: RequestContext, q: AdminRequestQuery): Promise<{ items: AdminRequest[]; nextCursor: string | null }> {
    return audited(ctx, { action: 'admin_request.list', objectType: 'admin_request', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      const scope = q.scope ?? 'mine';
      if (scope === 'all' && !can(ctx.actor, 'audit.read'))
        throw new AppError('forbidden', 'Listing every admin request needs audit.read.');
      const me = ctx.actor.userId;
      const now = clock.now();
      const limit = q.limit ?? 50;
      ev.details = { scope };
      if (scope === 'pending' && ctx.actor.role !== 'administrator') return { items: [], nextCursor: null };
      let query = exec.selectFrom('admin_requests').selectAll();
      if (scope === 'mine') query = query.where('requester_id', '=', me);
      if (scope === 'pending') {
        query = query.where('requester_id', '!=', me).where('state', '=', 'waiting_for_approval').where('expires_at', '>', now);
      }
      const st = q.state;
      if (st === 'expired') {
        query = query.where((eb) =>
          eb.or([
            eb('state', '=', 'expired'),
            eb.and([eb('state', 'in', ['waiting_for_approval', 'approved']), eb('expires_at', '<=', now)]),
          ]),
        );
      } else if (st === 'waiting_for_approval' || st === 'approved') {
        query = query.where('state', '=', st).where('expires_at', '>', now);
      } else if (st) {
        query = query.where('state', '=', st);
      }
      const cursor = decodeCursor(q.cursor);
      if (cursor) {
        const [t, cid] = cursor;
        query = query.where((eb) => eb.or([eb('created_at', '<', t), eb.and([eb('created_at', '=', t), eb('id', '<', cid)])]));
      }
      let rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const more = rows.length > limit;
      rows = rows.slice(0, limit);
      const last = rows.at(-1);
      const nextCursor = more && last ? Buffer.from(JSON.stringify([Number(last.created_at), last.id])).toString('base64url') : null;
      // pending: only what this credential could approve (a scoped key lacking the permission sees less)
      const items =
        scope === 'pending' ? rows.filter((r) => can(ctx.actor, gatedOperations[r.operation as AdminOperation['type']].permission)) : rows;
      ev.details = { scope, count: items.length };
      return { items: await presentRequests(exec, items, now), nextCursor };
    });
  }

  /** Stores the expiry of requests whose deadline passed; each in its own transaction, audited as the system. */
  async function sweep(now: number = clock.now()): Promise<number> {
    const due = await db
      .selectFrom('admin_requests')
      .select(['id', 'operation', 'requester_id', 'state'])
      .where('state', 'in', ['waiting_for_approval', 'approved'])
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(SWEEP_BATCH)
      .execute();
    let n = 0;
    for (const r of due) {
      await db.transaction().execute(async (trx) => {
        const done = await trx
          .updateTable('admin_requests')
          .set({ state: 'expired', updated_at: now, secret_enc: null })
          .where('id', '=', r.id)
          .where('state', 'in', ['waiting_for_approval', 'approved'])
          .where('expires_at', '<=', now)
          .returning(['state'])
          .executeTakeFirst();
        if (!done) return;
        n++;
        const ctx = { actor: systemActor, requestId: newId('req', now), sourceIp: '', audited: false };
        await audit.append(trx, ctx, {
          action: 'admin_request.expire',
          objectType: 'admin_request',
          objectId: r.id,
          outcome: 'success',
          reason: 'not executed within its lifetime',
          details: { operation: r.operation, requesterId: r.requester_id, was: r.state },
        });
      });
    }
    return n;
  }

  return {
    create,
    get,
    list,
    approve: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'approve', comment),
    reject: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'reject', comment),
    cancel,
    execute,
    sweep,
  };
}
export type AdminRequestsService = ReturnType<typeof createAdminRequestsService>;
