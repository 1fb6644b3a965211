// What the use cases of the workflow module share: their dependencies, the reads and locks they
// all need, and the few rules about time windows and owners. No use case lives here.
import type { Approver, Rotation } from '@coffer/contracts/workflow';
import { SqliteAdapter } from 'kysely';
import type { RandomInt } from '../../crypto/password-generator.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { AccessRequestTable, SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser, systemActor } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import { describeWindow, inWindow, type WorkflowPolicy } from './policy.ts';
import type { ConnectorRegistry } from './rotation.ts';
import { isOwnRequest } from './states.ts';

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

export type LoadSecret = (
  trx: Executor,
  ctx: RequestContext,
  id: string,
  need: 'list' | 'view' | 'reveal' | 'edit' | 'manage',
) => Promise<{ s: SecretTable; level: number }>;

export interface RemoteRotation {
  hasTarget(exec: Executor, secretId: string): Promise<boolean>;
  /** A remote rotation of the secret is open (its stored password must not change meanwhile). */
  isRotating(exec: Executor, secretId: string): Promise<boolean>;
  rotate(
    ctx: RequestContext,
    secretId: string,
    opts: { reason?: string; value?: string; trigger: string; guard?: (trx: Trx) => Promise<void> },
  ): Promise<Rotation>;
  enqueue(trx: Trx, secretId: string, trigger: string): Promise<string | null>;
}

export interface WorkflowDeps {
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
  /**
   * Remote rotation (modules/rotation): a secret with a rotation target rotates through it —
   * at once for a user's rotate/set-password, queued when a checkin or revoke ends a checkout
   * inside a transaction (the target is never called inside one).
   */
  remote?: RemoteRotation;
  publish?: Publish;
  randomInt?: RandomInt;
}

/** A system audit record kept until the end of its transaction (see `appendLater`). */
export interface PendingRecord {
  ctx: RequestContext;
  action: string;
  objectType: string;
  objectId: string;
  reason: string;
  details: Record<string, unknown>;
}

export const iso = (ms: number) => new Date(Number(ms)).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
export const MINUTE = 60_000;
export const SWEEP_BATCH = 200;

export function checkedOutError(holderName: string | null, holderId: string, endsAt: number): AppError {
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

/** "Approval needed": its own code, so clients can tell it from a permission they lack. */
export function approvalRequiredError(what: 'reveal' | 'checkout'): AppError {
  return new AppError(
    'secret.approval_required',
    what === 'reveal'
      ? 'Revealing this secret needs an approved access request of yours (action reveal) inside its window, or your checkout.'
      : 'Checking out this secret needs an approved access request of yours (action checkout): give its requestId.',
  );
}

/**
 * Locks, in the one order every workflow transaction takes them (PostgreSQL; SQLite runs one
 * transaction at a time): access request -> checkout -> secret -> audit chain head (last, by
 * `audited` and `appendLater`). A revoke changes the request before it ends the checkout, so
 * whatever ends a checkout locks the request first; taking them the other way round deadlocks.
 */
export function createCore(deps: WorkflowDeps) {
  const { db, clock, access, audit } = deps;
  const postgres = !(db.getExecutor().adapter instanceof SqliteAdapter);

  const systemCtx = (): RequestContext => ({ actor: systemActor, requestId: newId('req', clock.now()), sourceIp: '', audited: false });

  async function secretRow(exec: Executor, id: string): Promise<SecretTable | undefined> {
    return exec.selectFrom('secrets').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async function requestRow(exec: Executor, id: string): Promise<AccessRequestTable | undefined> {
    return exec.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Waits for and holds the request row (PostgreSQL) before a checkout of it is changed. */
  async function lockRequest(trx: Trx, id: string): Promise<void> {
    if (postgres) await trx.selectFrom('access_requests').select('id').where('id', '=', id).forUpdate().execute();
  }

  /**
   * The secret row, locked for a change of its value (PostgreSQL): a checkout in flight holds it
   * shared (see `holdSecretShared`), so a rotation's guard, read after this, sees that checkout.
   */
  async function lockSecret(trx: Trx, id: string): Promise<void> {
    if (postgres) await trx.selectFrom('secrets').select('id').where('id', '=', id).forUpdate().execute();
  }

  /** A new checkout holds its secret shared until it commits, so no rotation slips in under it. */
  async function holdSecretShared(trx: Trx, id: string): Promise<void> {
    if (postgres) await trx.selectFrom('secrets').select('id').where('id', '=', id).forShare().execute();
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
   * reader of the audit trail. Anything else reads like a missing request (404). Who is who comes
   * from fields that never change (requester, secret, approvers); the state read here decides
   * nothing — transitions decide from the row their UPDATE returns.
   */
  async function loadRequest(exec: Executor, ctx: RequestContext, id: string) {
    requireUser(ctx.actor);
    const r = await requestRow(exec, id);
    const notFound = () => new AppError('not_found', 'No such access request.');
    if (!r) throw notFound();
    const s = await secretRow(exec, r.secret_id);
    if (!s) throw notFound();
    const mine = isOwnRequest(r.requester_id, ctx.actor.userId);
    const approver = !mine && (await isApprover(exec, ctx, r, s));
    const owner = (await access.secretLevel(exec, ctx.actor, s)) >= levelRank.manage;
    if (!mine && !approver && !owner && !can(ctx.actor, 'audit.read')) throw notFound();
    return { r, s, mine, approver, owner };
  }

  async function auditSystem(trx: Trx, rec: PendingRecord): Promise<void> {
    await audit.append(trx, rec.ctx, {
      action: rec.action,
      objectType: rec.objectType,
      objectId: rec.objectId,
      outcome: 'success',
      reason: rec.reason,
      details: rec.details,
    });
  }

  /**
   * Writes system records that a use case collected on its way (an overdue checkout it ended).
   * Called at the end of the use case: the audit chain head is the last lock a transaction takes.
   */
  async function appendLater(trx: Trx, pending: PendingRecord[]): Promise<void> {
    for (const rec of pending) await auditSystem(trx, rec);
  }

  return {
    deps,
    postgres,
    systemCtx,
    secretRow,
    requestRow,
    lockRequest,
    lockSecret,
    holdSecretShared,
    userNames,
    isExemptOwner,
    checkWindow,
    liveCheckout,
    isApprover,
    loadRequest,
    auditSystem,
    appendLater,
  };
}
export type Core = ReturnType<typeof createCore>;
