import type { TemplateField } from '@coffer/contracts/secrets';
import type {
  AccessRequest,
  AccessRequestQuery,
  Approver,
  Checkout,
  CheckoutQuery,
  CreateAccessRequest,
  RequestState,
  Rotation,
  StartCheckout,
} from '@coffer/contracts/workflow';
import { sql } from 'kysely';
import { generatePassword, type RandomInt, resolvePasswordPolicy } from '../../crypto/password-generator.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { AccessRequestTable, CheckoutTable, SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser, systemActor } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import type { PolicyNode } from '../vaults/policy-chain.ts';
import { describeWindow, gatesReveal, inWindow, type WorkflowPolicy, workflowPolicy } from './policy.ts';
import { type ConnectorRegistry, createConnectorRegistry } from './rotation.ts';

export type WorkflowEventType =
  | 'access_request.created'
  | 'access_request.approved'
  | 'access_request.rejected'
  | 'access_request.expired'
  | 'checkout.started'
  | 'checkout.ended'
  | 'secret.rotated'
  | 'grant.expired';
/** Ids, names, times and reasons only: never a secret value. Shaped like the webhooks' event input. */
export interface WorkflowEvent {
  type: WorkflowEventType;
  data: Record<string, string | number | boolean | null | string[]>;
}
/** Publishes an event inside the transaction of the change (webhooks' outbox); a no-op by default. */
export type Publish = (trx: Trx, event: WorkflowEvent) => Promise<unknown>;

/** Writes a new value of one sensitive field as a new version of the secret (the caller authorized). */
export type WriteSecretValue = (
  trx: Trx,
  ctx: RequestContext,
  s: SecretTable,
  field: string,
  value: string,
  action: string,
) => Promise<SecretTable>;

type LoadSecret = (
  trx: Executor,
  ctx: RequestContext,
  id: string,
  need: 'list' | 'view' | 'reveal' | 'edit' | 'manage',
) => Promise<{ s: SecretTable; level: number }>;

const iso = (ms: number) => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const MINUTE = 60_000;
/** How far ahead a request may start. */
const MAX_LEAD_MS = 30 * 24 * 3600_000;
const SWEEP_BATCH = 200;

export const stateLabels: Record<RequestState, string> = {
  waiting_for_approval: 'waiting for approval',
  approved: 'approved',
  checked_out: 'checked out (in use)',
  checked_in: 'checked in',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
  revoked: 'revoked',
};

/**
 * The state a request is in at `now`. Stored states are made true by the sweep; until it runs, a
 * waiting or approved request whose window ended reads as expired, and a checked-out one whose
 * checkout ended as checked in, so answers never depend on when the sweep last ran.
 */
export function effectiveState(r: Pick<AccessRequestTable, 'state' | 'end_at'>, now: number): RequestState {
  if ((r.state === 'waiting_for_approval' || r.state === 'approved') && Number(r.end_at) <= now) return 'expired';
  if (r.state === 'checked_out' && Number(r.end_at) <= now) return 'checked_in';
  return r.state;
}

function checkedOutError(holderName: string | null, holderId: string, endsAt: number): AppError {
  return new AppError(
    'secret.checked_out',
    `The secret is checked out by ${holderName ?? holderId} until ${iso(endsAt)}; there is no queue, try again after that.`,
    {
      details: [
        { path: '/holder', message: holderName ?? holderId },
        { path: '/holderId', message: holderId },
        { path: '/endsAt', message: iso(endsAt) },
      ],
    },
  );
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
 * Access workflows (issue 4): access requests with approvals, exclusive checkout and checkin,
 * time windows, local rotation, and the sweep that ends what expired.
 *
 * Invariants:
 * - a requester never approves their own request: the approver is compared by user id, so neither
 *   their API keys (which act as them) nor a group they are in can do it;
 * - an approval is bound to (requester, secret, action, window) and is used once: checking out
 *   moves the request from approved to checked_out by a conditional update; an expired, rejected,
 *   revoked, cancelled or used request is never accepted;
 * - at most one active checkout per secret, enforced by a unique partial index (ON CONFLICT DO
 *   NOTHING): it holds across processes; the loser gets 409 `secret.checked_out` with the holder
 *   and the end time (there is no queue);
 * - every state change is a conditional update, so two processes (sweeps, approvers, checkins)
 *   racing on the same row do it once; each change writes its audit record (reason = the user's
 *   reason or comment) and publishes its event in the same transaction;
 * - new passwords never reach the audit trail, a log line, an error message or an event.
 */
export function createWorkflowService(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  access: Access;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  secrets: { load: LoadSecret };
  writeSecretValue: WriteSecretValue;
  /** Reads the current value of a field (for connectors that need it). */
  readSecretValue?: (trx: Trx, s: SecretTable, field: string) => Promise<string | null>;
  connectors?: ConnectorRegistry;
  publish?: Publish;
  randomInt?: RandomInt;
}) {
  const { db, clock, access, audit, audited } = deps;
  const connectors = deps.connectors ?? createConnectorRegistry();
  const publish: Publish = deps.publish ?? (async () => {});

  const systemCtx = (): RequestContext => ({ actor: systemActor, requestId: newId('req', clock.now()), sourceIp: '', audited: false });

  // ---- helpers -------------------------------------------------------------------------------

  async function secretRow(exec: Executor, id: string): Promise<SecretTable | undefined> {
    return exec.selectFrom('secrets').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async function userNames(exec: Executor, ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    if (!unique.length) return new Map();
    const rows = await exec.selectFrom('users').select(['id', 'username']).where('id', 'in', unique).execute();
    return new Map(rows.map((r) => [r.id, r.username]));
  }

  /** Owners (manage access) bypass approval and the time window unless the policy says ownersToo. */
  function isExemptOwner(policy: WorkflowPolicy, level: number): boolean {
    return level >= levelRank.manage && !policy.approval.ownersToo.value;
  }

  function checkWindow(policy: WorkflowPolicy, level: number, now: number): void {
    if (policy.timeWindow && !isExemptOwner(policy, level) && !inWindow(policy.timeWindow, now)) {
      throw new AppError('forbidden', `This secret may be used only ${describeWindow(policy.timeWindow)}.`);
    }
  }

  /** The live checkout of a secret (active and not past its end), with the holder's name. */
  async function liveCheckout(exec: Executor, secretId: string, now: number) {
    return exec
      .selectFrom('checkouts as c')
      .leftJoin('users as u', 'u.id', 'c.holder_id')
      .selectAll('c')
      .select('u.username as holder_name')
      .where('c.secret_id', '=', secretId)
      .where('c.active', '=', 1)
      .where('c.ends_at', '>', now)
      .executeTakeFirst();
  }

  /** Is the actor one of the approvers of the request (the self rule is checked separately)? */
  async function isApprover(exec: Executor, ctx: RequestContext, r: AccessRequestTable, s: SecretTable): Promise<boolean> {
    if (ctx.actor.kind !== 'user' || !ctx.actor.userId) return false;
    const approvers = JSON.parse(r.approvers) as Approver[];
    if (approvers.length === 0) return (await access.secretLevel(exec, ctx.actor, s)) >= levelRank.manage;
    if (approvers.some((a) => a.type === 'user' && a.id === ctx.actor.userId)) return true;
    const groups = approvers.filter((a) => a.type === 'group').map((a) => a.id);
    if (!groups.length) return false;
    const hit = await exec
      .selectFrom('group_members')
      .select('group_id')
      .where('user_id', '=', ctx.actor.userId)
      .where('group_id', 'in', groups)
      .executeTakeFirst();
    return hit !== undefined;
  }

  /**
   * Loads a request the actor may see: the requester, an approver, an owner of the secret, or a
   * reader of the audit trail. Anything else reads like a missing request (404).
   */
  async function loadRequest(exec: Executor, ctx: RequestContext, id: string) {
    requireUser(ctx.actor);
    const r = await exec.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst();
    const notFound = () => new AppError('not_found', 'No such access request.');
    if (!r) throw notFound();
    const s = await secretRow(exec, r.secret_id);
    if (!s) throw notFound();
    const mine = r.requester_id === ctx.actor.userId;
    const approver = !mine && (await isApprover(exec, ctx, r, s));
    const owner = (await access.secretLevel(exec, ctx.actor, s)) >= levelRank.manage;
    if (!mine && !approver && !owner && !can(ctx.actor, 'audit.read')) throw notFound();
    return { r, s, mine, approver, owner };
  }

  /** The request as it is now, after a change in this transaction. */
  async function presentRequestById(exec: Executor, id: string, now: number): Promise<AccessRequest> {
    const row = await exec.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return (await presentRequests(exec, [row], now))[0] as AccessRequest;
  }

  async function presentRequests(exec: Executor, rows: AccessRequestTable[], now: number): Promise<AccessRequest[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const approvals = await exec.selectFrom('access_approvals').selectAll().where('request_id', 'in', ids).orderBy('created_at').execute();
    const secrets = await exec
      .selectFrom('secrets')
      .select(['id', 'name'])
      .where(
        'id',
        'in',
        rows.map((r) => r.secret_id),
      )
      .execute();
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

  async function presentCheckouts(
    exec: Executor,
    rows: CheckoutTable[],
    rotations: Map<string, Rotation> = new Map(),
  ): Promise<Checkout[]> {
    if (!rows.length) return [];
    const secrets = await exec
      .selectFrom('secrets')
      .select(['id', 'name'])
      .where(
        'id',
        'in',
        rows.map((r) => r.secret_id),
      )
      .execute();
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

  // ---- rotation ------------------------------------------------------------------------------

  async function passwordField(exec: Executor, s: SecretTable): Promise<string> {
    const t = await exec.selectFrom('templates').select(['fields', 'slug']).where('id', '=', s.template_id).executeTakeFirstOrThrow();
    const fields = JSON.parse(t.fields) as TemplateField[];
    const f = fields.find((x) => x.slug === 'password' && x.sensitive) ?? fields.find((x) => x.type === 'password');
    if (!f) throw new AppError('conflict', 'This secret has no password field to rotate.');
    return f.slug;
  }

  /** The connector a secret rotates through. Only LOCAL exists yet; remote kinds will be chosen here. */
  function connectorKindOf(_s: SecretTable): string {
    return 'local';
  }

  /**
   * The one rotation step: pick the value (given, or generated from the effective password policy),
   * let the connector apply it, store it as a new version, publish `secret.rotated`.
   */
  async function rotateIn(
    trx: Trx,
    ctx: RequestContext,
    secretId: string,
    opts: { value?: string; trigger: 'manual' | 'set_password' | 'checkin' | 'expired' | 'forced' | 'revoked' },
  ): Promise<Rotation> {
    const s = await secretRow(trx, secretId);
    if (!s) throw new AppError('not_found', 'No such secret.');
    const field = await passwordField(trx, s);
    const policy = await workflowPolicy(trx, s.parent_node_id);
    const value = opts.value ?? generatePassword(resolvePasswordPolicy(policy.passwordPolicy), deps.randomInt);
    const kind = connectorKindOf(s);
    const connector = connectors.get(kind);
    const template = await trx.selectFrom('templates').select('slug').where('id', '=', s.template_id).executeTakeFirstOrThrow();
    await connector.rotate({
      secretId: s.id,
      template: template.slug,
      field,
      username: s.username,
      host: s.host,
      url: s.url,
      newValue: value,
      currentValue: async () => (deps.readSecretValue ? deps.readSecretValue(trx, s, field) : null),
    });
    const row = await deps.writeSecretValue(trx, ctx, s, field, value, opts.value !== undefined ? 'set_password' : 'rotate');
    const now = clock.now();
    await publish(trx, {
      type: 'secret.rotated',
      data: { secretId: s.id, version: row.version, field, connector: kind, trigger: opts.trigger },
    });
    return { secretId: s.id, version: row.version, field, connector: kind, rotatedAt: iso(now) };
  }

  // ---- checkouts -----------------------------------------------------------------------------

  /**
   * Ends an active checkout (conditional: a second caller gets null), moves its request to
   * checked_in, rotates when the policy says so, publishes `checkout.ended`.
   */
  async function finishCheckout(
    trx: Trx,
    ctx: RequestContext,
    co: CheckoutTable,
    how: 'checkin' | 'forced' | 'expired' | 'revoked',
    now: number,
  ): Promise<{ row: CheckoutTable; rotation: Rotation | null } | null> {
    const endedAt = how === 'expired' ? Math.min(now, Number(co.ends_at)) : now;
    const done = await trx
      .updateTable('checkouts')
      .set({ active: 0, ended_at: endedAt, ended_by: ctx.actor.userId, end_reason: how })
      .where('id', '=', co.id)
      .where('active', '=', 1)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) return null;
    if (co.request_id) {
      await trx
        .updateTable('access_requests')
        .set({ state: 'checked_in', end_at: endedAt, updated_at: now })
        .where('id', '=', co.request_id)
        .where('state', '=', 'checked_out')
        .execute();
    }
    const s = await secretRow(trx, co.secret_id);
    let rotation: Rotation | null = null;
    if (s && (await workflowPolicy(trx, s.parent_node_id)).checkout.rotateOnCheckin.value) {
      rotation = await rotateIn(trx, ctx, s.id, { trigger: how });
      await trx.updateTable('checkouts').set({ rotated_version: rotation.version }).where('id', '=', co.id).execute();
    }
    await publish(trx, {
      type: 'checkout.ended',
      data: {
        checkoutId: co.id,
        secretId: co.secret_id,
        holderId: co.holder_id,
        requestId: co.request_id,
        how,
        rotated: rotation !== null,
      },
    });
    const row: CheckoutTable = {
      ...co,
      active: 0,
      ended_at: endedAt,
      ended_by: ctx.actor.userId,
      end_reason: how,
      rotated_version: rotation?.version ?? null,
    };
    return { row, rotation };
  }

  /** Active checkouts of a secret whose end has passed: ended here (as the sweep would), audited as the system. */
  async function endOverdue(trx: Trx, secretId: string, now: number): Promise<void> {
    const overdue = await trx
      .selectFrom('checkouts')
      .selectAll()
      .where('secret_id', '=', secretId)
      .where('active', '=', 1)
      .where('ends_at', '<=', now)
      .execute();
    for (const co of overdue) {
      const sys = systemCtx();
      const r = await finishCheckout(trx, sys, co, 'expired', now);
      if (r)
        await auditSystem(trx, sys, 'checkout.expired', 'checkout', co.id, 'the checkout duration ended', {
          secretId,
          holderId: co.holder_id,
        });
    }
  }

  async function auditSystem(
    trx: Trx,
    ctx: RequestContext,
    action: string,
    objectType: string,
    objectId: string,
    reason: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await audit.append(trx, ctx, { action, objectType, objectId, outcome: 'success', reason, details });
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
          request = await trx.selectFrom('access_requests').selectAll().where('id', '=', input.requestId).executeTakeFirst();
          if (!request || request.requester_id !== ctx.actor.userId || request.secret_id !== s.id) {
            throw new AppError('not_found', 'No such access request of yours for this secret.');
          }
          if (request.action !== 'checkout') throw new AppError('conflict', 'This approval is for revealing, not for a checkout.');
          const state = effectiveState(request, now);
          if (state !== 'approved') throw new AppError('conflict', `The access request is ${stateLabels[state]}.`);
          if (now < Number(request.start_at)) throw new AppError('conflict', `The approved window starts at ${iso(request.start_at)}.`);
          endsAt = Math.min(endsAt, Number(request.end_at));
        } else if (needsApproval) {
          throw new AppError('forbidden', 'Checking out this secret needs an approved access request (requestId).');
        }
        // an overdue checkout nobody swept yet ends now, like the sweep would end it
        await endOverdue(trx, s.id, now);
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
        if (request) {
          // the approval is used once: a concurrent checkout with the same request finds it taken
          const used = await trx
            .updateTable('access_requests')
            .set({ state: 'checked_out', end_at: endsAt, updated_at: now })
            .where('id', '=', request.id)
            .where('state', '=', 'approved')
            .where('end_at', '>', now)
            .executeTakeFirst();
          if (Number(used.numUpdatedRows) !== 1) throw new AppError('conflict', 'The access request was used or changed meanwhile.');
        }
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
        await publish(trx, {
          type: 'checkout.started',
          data: { checkoutId: row.id, secretId: s.id, holderId: row.holder_id, requestId: row.request_id, endsAt: iso(endsAt) },
        });
        ev.details = { checkoutId: row.id, requestId: row.request_id, endsAt: iso(endsAt) };
        return (await presentCheckouts(trx, [row]))[0] as Checkout;
      },
    );
  }

  async function checkin(ctx: RequestContext, secretId: string, input: { reason?: string }): Promise<Checkout> {
    return audited(
      ctx,
      { action: 'checkout.end', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        const { s, level } = await deps.secrets.load(trx, ctx, secretId, 'list');
        const co = await trx.selectFrom('checkouts').selectAll().where('secret_id', '=', s.id).where('active', '=', 1).executeTakeFirst();
        if (!co) throw new AppError('conflict', 'The secret is not checked out.');
        const now = clock.now();
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
        if (!done) throw new AppError('conflict', 'The checkout ended meanwhile.');
        ev.details = { checkoutId: co.id, holderId: co.holder_id, how, rotatedVersion: done.rotation?.version ?? null };
        const rotations = new Map(done.rotation ? [[co.id, done.rotation]] : []);
        return (await presentCheckouts(trx, [done.row], rotations))[0] as Checkout;
      },
    );
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

  // ---- requests ------------------------------------------------------------------------------

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
      return (await presentRequests(trx, [row], now))[0] as AccessRequest;
    });
  }

  async function getRequest(ctx: RequestContext, id: string): Promise<AccessRequest> {
    return audited(ctx, { action: 'request.read', objectType: 'access_request', objectId: id, readOnly: true }, async (trx) => {
      const { r } = await loadRequest(trx, ctx, id);
      return (await presentRequests(trx, [r], clock.now()))[0] as AccessRequest;
    });
  }

  /** Approve or reject as an approver; the row is claimed first so concurrent approvers serialize. */
  async function decide(ctx: RequestContext, id: string, decision: 'approve' | 'reject', comment: string | undefined) {
    const action = decision === 'approve' ? 'request.approve' : 'request.reject';
    return audited(ctx, { action, objectType: 'access_request', objectId: id, reason: comment ?? null }, async (trx, ev) => {
      const { r, s, mine, approver } = await loadRequest(trx, ctx, id);
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
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new AppError('conflict', `The access request is ${stateLabels[effectiveState(r, now)]}.`);
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
      let state: RequestState = 'waiting_for_approval';
      if (decision === 'reject') {
        state = 'rejected';
      } else {
        const n = await trx
          .selectFrom('access_approvals')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('request_id', '=', id)
          .where('decision', '=', 'approve')
          .executeTakeFirstOrThrow();
        if (Number(n.n) >= Number(r.approvals_required)) state = 'approved';
        ev.details = { approvals: Number(n.n), required: Number(r.approvals_required) };
      }
      if (state !== 'waiting_for_approval') {
        await trx
          .updateTable('access_requests')
          .set({ state, decided_by: me, decided_at: now, comment: comment ?? null, updated_at: now })
          .where('id', '=', id)
          .where('state', '=', 'waiting_for_approval')
          .execute();
        await publish(trx, {
          type: state === 'approved' ? 'access_request.approved' : 'access_request.rejected',
          data: { requestId: id, secretId: s.id, requesterId: r.requester_id, approverId: me },
        });
      }
      ev.details = { ...ev.details, secretId: s.id, requesterId: r.requester_id, state };
      return presentRequestById(trx, id, now);
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
          .set({ state: 'cancelled', decided_by: ctx.actor.userId, decided_at: now, comment: comment ?? null, updated_at: now })
          .where('id', '=', id)
          .where('state', 'in', ['waiting_for_approval', 'approved'])
          .where('end_at', '>', now)
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1)
          throw new AppError('conflict', `The access request is ${stateLabels[effectiveState(r, now)]}.`);
        ev.details = { secretId: r.secret_id };
        return presentRequestById(trx, id, now);
      },
    );
  }

  /** Withdraws an approval: the request ends at once, and so does its checkout (rotating if the policy says so). */
  async function revoke(ctx: RequestContext, id: string, comment: string | undefined) {
    return audited(
      ctx,
      { action: 'request.revoke', objectType: 'access_request', objectId: id, reason: comment ?? null },
      async (trx, ev) => {
        const { r, mine, approver, owner } = await loadRequest(trx, ctx, id);
        if (mine) throw new AppError('forbidden', 'You cannot revoke your own request; cancel it or check in.');
        if (!approver && !owner && ctx.actor.role !== 'administrator') {
          throw new AppError('forbidden', 'Only an approver, an owner or an administrator can revoke an approval.');
        }
        const now = clock.now();
        const done = await trx
          .updateTable('access_requests')
          .set({ state: 'revoked', decided_by: ctx.actor.userId, decided_at: now, comment: comment ?? null, updated_at: now })
          .where('id', '=', id)
          .where('state', 'in', ['approved', 'checked_out'])
          .where('end_at', '>', now)
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1)
          throw new AppError('conflict', `The access request is ${stateLabels[effectiveState(r, now)]}.`);
        let endedCheckout: string | null = null;
        if (r.state === 'checked_out') {
          const co = await trx.selectFrom('checkouts').selectAll().where('request_id', '=', id).where('active', '=', 1).executeTakeFirst();
          if (co && (await finishCheckout(trx, ctx, co, 'revoked', now))) endedCheckout = co.id;
        }
        ev.details = { secretId: r.secret_id, requesterId: r.requester_id, endedCheckout };
        return presentRequestById(trx, id, now);
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

  // ---- rotation use cases --------------------------------------------------------------------

  /** Refuses a change of the password while someone else holds the checkout. */
  async function requireNotHeldByOther(trx: Trx, ctx: RequestContext, secretId: string, now: number) {
    const co = await liveCheckout(trx, secretId, now);
    if (co && co.holder_id !== ctx.actor.userId) throw checkedOutError(co.holder_name, co.holder_id, co.ends_at);
  }

  async function rotate(ctx: RequestContext, secretId: string, input: { reason?: string }): Promise<Rotation> {
    return audited(
      ctx,
      { action: 'secret.rotate', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        await deps.secrets.load(trx, ctx, secretId, 'edit');
        await requireNotHeldByOther(trx, ctx, secretId, clock.now());
        const r = await rotateIn(trx, ctx, secretId, { trigger: 'manual' });
        ev.details = { version: r.version, field: r.field, connector: r.connector };
        return r;
      },
    );
  }

  async function setPassword(ctx: RequestContext, secretId: string, input: { password: string; reason?: string }): Promise<Rotation> {
    return audited(
      ctx,
      { action: 'secret.set_password', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        await deps.secrets.load(trx, ctx, secretId, 'edit');
        await requireNotHeldByOther(trx, ctx, secretId, clock.now());
        const r = await rotateIn(trx, ctx, secretId, { value: input.password, trigger: 'set_password' });
        ev.details = { version: r.version, field: r.field, connector: r.connector };
        return r;
      },
    );
  }

  // ---- reveal gate and policy ----------------------------------------------------------------

  /**
   * Throws when the caller may not reveal the secret now: outside the time window; exclusively
   * checked out by someone else (409 with holder and end, unless the policy allows shared read);
   * approval required and the caller holds neither a live checkout nor an approved reveal request
   * whose window is open. Owners (manage) bypass approval and window unless the policy says
   * ownersToo. Costs one query when the policy gates nothing.
   */
  async function revealGate(trx: Executor, ctx: RequestContext, secret: { id: string; parent_node_id: string }, chain?: PolicyNode[]) {
    const policy = await workflowPolicy(trx, secret.parent_node_id, chain);
    if (!gatesReveal(policy)) return;
    const now = clock.now();
    const me = ctx.actor.userId;
    const needsLevel = policy.timeWindow !== null || policy.approval.required.value;
    const level = needsLevel ? await access.secretLevel(trx, ctx.actor, secret) : 0;
    checkWindow(policy, level, now);
    const live = await liveCheckout(trx, secret.id, now);
    if (live && live.holder_id !== me && policy.checkout.exclusive.value && !policy.checkout.sharedRead.value) {
      throw checkedOutError(live.holder_name, live.holder_id, live.ends_at);
    }
    if (!policy.approval.required.value || isExemptOwner(policy, level)) return;
    if (live && live.holder_id === me) return;
    const approved = me
      ? await trx
          .selectFrom('access_requests')
          .select('id')
          .where('secret_id', '=', secret.id)
          .where('requester_id', '=', me)
          .where('action', '=', 'reveal')
          .where('state', '=', 'approved')
          .where('start_at', '<=', now)
          .where('end_at', '>', now)
          .executeTakeFirst()
      : undefined;
    if (!approved) {
      throw new AppError(
        'forbidden',
        'Revealing this secret needs an approved access request (POST /api/v1/access-requests), or your checkout.',
      );
    }
  }

  async function accessPolicy(ctx: RequestContext, secretId: string) {
    return audited(ctx, { action: 'secret.access_policy', objectType: 'secret', objectId: secretId, readOnly: true }, async (trx) => {
      const { s, level } = await deps.secrets.load(trx, ctx, secretId, 'view');
      const p = await workflowPolicy(trx, s.parent_node_id);
      const exempt = isExemptOwner(p, level);
      return {
        secretId: s.id,
        requireReason: p.requireReason,
        approval: p.approval,
        checkout: p.checkout,
        timeWindow: p.timeWindow,
        chain: p.chain,
        you: {
          owner: level >= levelRank.manage,
          needsApproval: p.approval.required.value && !exempt,
          inWindow: exempt || inWindow(p.timeWindow, clock.now()),
        },
      };
    });
  }

  // ---- sweep ---------------------------------------------------------------------------------

  /**
   * Ends what expired at `now`: deletes expired grants, expires requests whose window ended, checks
   * in checkouts whose end passed (rotating when the policy says so). Each item in its own
   * transaction, each change conditional, so concurrent sweeps (several processes) do each thing
   * once; each change is audited as the system and published.
   */
  async function sweep(now: number = clock.now()): Promise<{ grants: number; requests: number; checkouts: number }> {
    const counts = { grants: 0, requests: 0, checkouts: 0 };
    const grants = await db
      .selectFrom('grants')
      .selectAll()
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(SWEEP_BATCH)
      .execute();
    for (const g of grants) {
      await db.transaction().execute(async (trx) => {
        const del = await trx.deleteFrom('grants').where('id', '=', g.id).where('expires_at', '<=', now).executeTakeFirst();
        if (Number(del.numDeletedRows) !== 1) return;
        counts.grants++;
        const data = {
          grantId: g.id,
          nodeId: g.node_id,
          nodeType: g.node_type,
          principalType: g.principal_type,
          principalId: g.principal_id,
          expiresAt: iso(g.expires_at as number),
        };
        await auditSystem(trx, systemCtx(), 'grant.expired', 'grant', g.id, 'the grant expired', data);
        await publish(trx, { type: 'grant.expired', data });
      });
    }
    const requests = await db
      .selectFrom('access_requests')
      .selectAll()
      .where('state', 'in', ['waiting_for_approval', 'approved'])
      .where('end_at', '<=', now)
      .orderBy('end_at')
      .limit(SWEEP_BATCH)
      .execute();
    for (const r of requests) {
      await db.transaction().execute(async (trx) => {
        const upd = await trx
          .updateTable('access_requests')
          .set({ state: 'expired', updated_at: now })
          .where('id', '=', r.id)
          .where('state', 'in', ['waiting_for_approval', 'approved'])
          .where('end_at', '<=', now)
          .executeTakeFirst();
        if (Number(upd.numUpdatedRows) !== 1) return;
        counts.requests++;
        const data = { requestId: r.id, secretId: r.secret_id, requesterId: r.requester_id, was: r.state };
        await auditSystem(trx, systemCtx(), 'request.expired', 'access_request', r.id, 'the requested window ended', data);
        await publish(trx, { type: 'access_request.expired', data });
      });
    }
    const due = await db
      .selectFrom('checkouts')
      .selectAll()
      .where('active', '=', 1)
      .where('ends_at', '<=', now)
      .orderBy('ends_at')
      .limit(SWEEP_BATCH)
      .execute();
    for (const co of due) {
      await db.transaction().execute(async (trx) => {
        const sys = systemCtx();
        const done = await finishCheckout(trx, sys, co, 'expired', now);
        if (!done) return;
        counts.checkouts++;
        await auditSystem(trx, sys, 'checkout.expired', 'checkout', co.id, 'the checkout duration ended', {
          secretId: co.secret_id,
          holderId: co.holder_id,
          rotatedVersion: done.rotation?.version ?? null,
        });
      });
    }
    return counts;
  }

  return {
    createRequest,
    getRequest,
    listRequests,
    approve: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'approve', comment),
    reject: (ctx: RequestContext, id: string, comment?: string) => decide(ctx, id, 'reject', comment),
    cancel,
    revoke,
    checkout,
    checkin,
    listCheckouts,
    rotate,
    setPassword,
    revealGate,
    accessPolicy,
    sweep,
    connectors,
  };
}
export type WorkflowService = ReturnType<typeof createWorkflowService>;
