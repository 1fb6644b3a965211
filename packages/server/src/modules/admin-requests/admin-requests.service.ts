import type { AdminOperation, AdminRequest, AdminRequestQuery, CreateAdminRequest } from '@coffer/contracts/admin-requests';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser, systemActor } from '../auth/actor.ts';
import type { Reauth } from '../auth/reauth.ts';
import { ownPasswordRefused } from '../identities/own-account.service.ts';
import { accountWords, assertPasswordRules } from '../identities/password-rules.ts';
import type { SealManager } from '../sys/seal.ts';
import { createRunner, isPendingApproval, loadRequest, type Runners } from './admin-requests.core.ts';
import { createAdminRequestDecisions } from './admin-requests.decisions.ts';
import { createAdminRequestExecution } from './admin-requests.execute.ts';
import { presentRequests } from './admin-requests.presenter.ts';
import { gatedOperations } from './gated-operations.ts';

// kept where the routes and app.ts import them from
export { isPendingApproval, type Runners };

const SWEEP_BATCH = 200;

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
 * administrator (admin-requests.decisions.ts), and their one execution by the requester
 * (admin-requests.execute.ts). This file files requests on purpose, reads, lists and sweeps them.
 * Invariants:
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
  const { db, clock, hasher, audit, audited } = deps;
  const run = createRunner(deps.runners);
  const decisions = createAdminRequestDecisions({ clock, audited });
  const { execute } = createAdminRequestExecution({ ...deps, run });

  async function create(ctx: RequestContext, input: CreateAdminRequest): Promise<AdminRequest> {
    const op = input.operation;
    let stored: AdminOperation;
    let secret: string | null = null;
    let refusal: AppError | null = null;
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
    } else if (op.type === 'user.password_reset' && ctx.actor.userId === op.userId) {
      // one's own password changes with re-authentication only: refused (and audited) before any
      // Argon2 work; users.service resetPasswordIn refuses it again in every mode
      refusal = ownPasswordRefused('/operation/userId');
      stored = { type: op.type, userId: op.userId };
    } else if (op.type === 'user.password_reset') {
      const target = await db
        .selectFrom('users')
        .select(['username', 'email', 'first_name', 'last_name', 'totp_enabled'])
        .where('id', '=', op.userId)
        .executeTakeFirst();
      assertPasswordRules(op.password, { totp: target?.totp_enabled === 1, userInputs: accountWords(target) }, '/operation/password');
      secret = await hasher.hash(op.password);
      stored = { type: op.type, userId: op.userId };
    } else {
      stored = op;
    }
    const reason = input.reason ?? null;
    return audited(ctx, { action: 'admin_request.create', objectType: 'admin_request', reason }, async (trx, ev) => {
      requireUser(ctx.actor);
      if (refusal) throw refusal;
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
    approve: decisions.approve,
    reject: decisions.reject,
    cancel: decisions.cancel,
    execute,
    sweep,
  };
}
export type AdminRequestsService = ReturnType<typeof createAdminRequestsService>;
