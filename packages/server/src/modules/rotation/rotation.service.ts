// Remote rotation (issue 14, ADR 0021): rotate a secret on its target through the journal, verify
// (dry run) and heartbeat, the reconciler, scheduled rotation; the workflow module calls `rotate`
// and `enqueue` for secrets that have a target.

import type { VerifyResult } from '@coffer/contracts/rotation';
import type { Rotation } from '@coffer/contracts/workflow';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import type { RotationTargetTable } from '../../db/schema-rotation.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser, systemActor } from '../auth/actor.ts';
import type { Reauth } from '../auth/reauth.ts';
import type { Resolver, TargetPolicy } from '../webhooks/target.ts';
import { createAbandon } from './abandon.ts';
import type { RemoteConnectors } from './connector.ts';
import { createJournal, type JournalDeps, type Outcome, type SecretAccess } from './journal.ts';
import * as repo from './rotation.repository.ts';
import { rotationStates } from './state.ts';
import { createTargets, dependenciesOf, type TargetsDeps } from './targets.ts';

/** The part of the job queue this module uses (jobs/queue.ts). */
export interface RotationJobs {
  register(kind: string, handler: { external: (job: { id: string; payload: unknown }) => Promise<unknown>; maxAttempts?: number }): void;
  every(name: string, intervalMs: number, handler: { external: () => Promise<unknown> }): void;
  enqueue(exec: Executor, kind: string, payload: unknown, opts?: { runAt?: number }): Promise<string | null>;
}

export interface RotationDeps {
  db: Db;
  clock: Clock;
  seal: JournalDeps['seal'];
  audit: Pick<AuditLog, 'append'>;
  audited: ReturnType<typeof createAudited>;
  connectors: RemoteConnectors;
  secrets: SecretAccess & {
    load: (
      exec: Executor,
      ctx: RequestContext,
      id: string,
      need: 'list' | 'view' | 'reveal' | 'edit' | 'manage',
    ) => Promise<{ s: SecretTable }>;
    /** A new password from the secret's effective password policy. */
    newPassword: (exec: Executor, s: SecretTable) => Promise<string>;
  };
  publish: JournalDeps['publish'];
  access: TargetsDeps['access'];
  owner: string;
  policy: TargetPolicy;
  resolve?: Resolver;
  jobs?: RotationJobs;
  leaseMs?: number;
  timeoutMs?: number;
  /** How often the reconciler, the heartbeat and the rotation schedule run (default 30 s). */
  sweepMs?: number;
  onStep?: JournalDeps['onStep'];
  /** Re-authentication of the administrator who abandons a stuck rotation. */
  reauth?: Pick<Reauth, 'check'>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function createRotationService(deps: RotationDeps) {
  const { db, clock, audited, secrets } = deps;
  const leaseMs = deps.leaseMs ?? 60_000;
  const timeoutMs = deps.timeoutMs ?? Math.min(20_000, Math.floor(leaseMs / 3));
  const journal = createJournal({ ...deps, leaseMs, timeoutMs });
  const targets = createTargets(deps);
  const { abandon } = createAbandon({ ...deps, leaseMs, load: deps.secrets.load }, journal);
  const systemCtx = (): RequestContext => ({ actor: systemActor, requestId: newId('req', clock.now()), sourceIp: '', audited: false });

  const hasTarget = async (exec: Executor, secretId: string) => (await repo.targetRow(exec, secretId)) !== undefined;

  function failure(o: Exclude<Outcome, { state: 'done' }>): AppError {
    const settled =
      o.state === 'rolled_back' ? 'rolled back: the target keeps the current password' : 'left open: the reconciler settles it';
    return new AppError('rotation.failed', `The remote rotation did not complete (${o.error}); ${settled}.`, {
      details: [
        { path: '/entryId', message: o.entryId },
        { path: '/state', message: o.state },
        { path: '/error', message: o.error },
      ],
    });
  }

  async function started(ctx: RequestContext, e: Awaited<ReturnType<typeof journal.begin>>, value: string): Promise<Rotation> {
    let o: Outcome;
    try {
      o = await journal.drive(ctx, e, value);
    } catch (err) {
      if (err === journal.ownLost) throw new AppError('rotation.failed', 'The rotation was taken over by the reconciler; it settles it.');
      throw err;
    }
    if (o.state !== 'done') throw failure(o);
    return { secretId: e.secret_id, version: o.version, field: e.field, connector: e.kind, rotatedAt: iso(clock.now()) };
  }

  /**
   * Rotates the secret on its target (a user's request): authorized (edit) and begun in one
   * audited transaction, then driven step by step outside any transaction. `value`: the new
   * password (PMP's NEWPASSWORD, set-password); default generated. `guard` runs in the first
   * transaction after the secret is locked (the workflow's "not checked out by someone else").
   */
  async function rotate(
    ctx: RequestContext,
    secretId: string,
    opts: { reason?: string; value?: string; trigger: string; guard?: (trx: Trx) => Promise<void> },
  ): Promise<Rotation> {
    const { e, value } = await audited(
      ctx,
      { action: 'rotation.start', objectType: 'secret', objectId: secretId, reason: opts.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        await secrets.load(trx, ctx, secretId, 'edit');
        await secrets.lock(trx, secretId);
        if (opts.guard) await opts.guard(trx);
        const r = await beginIn(trx, secretId, { ...opts, actorId: ctx.actor.userId });
        ev.details = { entryId: r.e.id, connector: r.e.kind, trigger: opts.trigger, given: opts.value !== undefined };
        return r;
      },
    );
    return started(ctx, e, value);
  }

  async function beginIn(trx: Trx, secretId: string, opts: { reason?: string; value?: string; trigger: string; actorId: string | null }) {
    const s = await secrets.row(trx, secretId);
    if (!s) throw new AppError('not_found', 'No such secret.');
    const t = await repo.targetRow(trx, secretId);
    if (!t) throw new AppError('conflict', 'This secret has no rotation target.');
    const connector = deps.connectors.get(t.kind);
    if (opts.value !== undefined && connector.generate)
      throw new AppError('validation.failed', 'An SSH key target makes its own key pair.');
    const value = opts.value ?? connector.generate?.() ?? (await secrets.newPassword(trx, s));
    const e = await journal.begin(trx, s, t, { value, trigger: opts.trigger, reason: opts.reason ?? null, actorId: opts.actorId });
    return { e, value };
  }

  /** A rotation by the system (a queued job: checkin, revoke, schedule), begun in its own transaction. */
  async function rotateAsSystem(secretId: string, trigger: string, jobId?: string): Promise<Rotation> {
    const ctx = systemCtx();
    const { e, value } = await db.transaction().execute(async (trx) => {
      await secrets.lock(trx, secretId);
      const r = await beginIn(trx, secretId, { trigger, reason: `rotation on ${trigger}`, actorId: null });
      await deps.audit.append(trx, ctx, {
        action: 'rotation.start',
        objectType: 'secret',
        objectId: secretId,
        outcome: 'success',
        reason: `rotation on ${trigger}`,
        details: { entryId: r.e.id, connector: r.e.kind, trigger, ...(jobId ? { jobId } : {}) },
      });
      return r;
    });
    return started(ctx, e, value);
  }

  /**
   * Queues a remote rotation in the caller's transaction (a checkin or revoke ends a checkout
   * there; the target is never called inside a transaction). The job retries while another
   * rotation of the secret is open. Answers the job's id (the rotation.start record names it).
   */
  async function enqueue(trx: Trx, secretId: string, trigger: string): Promise<string | null> {
    if (!deps.jobs) throw new AppError('conflict', 'Remote rotation needs the job queue.');
    return deps.jobs.enqueue(trx, 'rotation.run', { secretId, trigger });
  }

  /** Logs in with the stored password and records the outcome (heartbeat); never changes it. */
  async function check(ctx: RequestContext, secretId: string, t: RotationTargetTable): Promise<VerifyResult> {
    const now = clock.now();
    let status: VerifyResult['status'];
    try {
      const c = await journal.context({ secret_id: secretId, field: deps.connectors.get(t.kind).field });
      const ok = await journal.tryVerify(c, c.current);
      status = ok === null ? 'unreachable' : ok ? 'ok' : 'failed';
    } catch (err) {
      if (err instanceof AppError && err.code === 'rotation.target_refused') status = 'unreachable';
      else throw err;
    }
    const outOfSync = status === 'failed' || (status === 'unreachable' && Number(t.out_of_sync) === 1);
    await db.transaction().execute(async (trx) => {
      const next = t.heartbeat_minutes === null ? null : now + Number(t.heartbeat_minutes) * MINUTE;
      await repo.setHeartbeat(trx, secretId, {
        last_heartbeat_at: now,
        last_heartbeat_status: status,
        out_of_sync: outOfSync ? 1 : 0,
        next_heartbeat_at: next,
      });
      await deps.audit.append(trx, ctx, {
        action: 'secret.heartbeat',
        objectType: 'secret',
        objectId: secretId,
        outcome: status === 'ok' ? 'success' : 'failure',
        reason: null,
        details: { status, outOfSync, connector: t.kind },
      });
      if (outOfSync && Number(t.out_of_sync) !== 1) {
        await deps.publish(trx, { type: 'secret.out_of_sync', data: { secretId, connector: t.kind, status } });
      }
    });
    return { secretId, status, outOfSync, checkedAt: iso(now) };
  }

  /** Verify (dry run): logs in with the stored password now; edit on the secret. Audited. */
  async function verify(ctx: RequestContext, secretId: string): Promise<VerifyResult> {
    const t = await audited(ctx, { action: 'rotation.verify', objectType: 'secret', objectId: secretId, readOnly: true }, async (exec) => {
      requireUser(ctx.actor);
      await secrets.load(exec, ctx, secretId, 'edit');
      const row = await repo.targetRow(exec, secretId);
      if (!row) throw new AppError('not_found', 'This secret has no rotation target.');
      return row;
    });
    return check(ctx, secretId, t);
  }

  /** Heartbeats that are due (scheduled verify). */
  async function heartbeatDue(limit = 50): Promise<number> {
    let n = 0;
    for (const { secret_id } of await repo.dueHeartbeats(db, clock.now(), limit)) {
      const t = await repo.targetRow(db, secret_id);
      if (!t) continue;
      await check(systemCtx(), secret_id, t);
      n++;
    }
    return n;
  }

  /** Rotations that are due by policy (rotateDays): queued, the next one scheduled. */
  async function rotateDue(limit = 50): Promise<number> {
    let n = 0;
    for (const { secret_id } of await repo.dueRotations(db, clock.now(), limit)) {
      await db.transaction().execute(async (trx) => {
        const t = await repo.targetRow(trx, secret_id);
        if (!t || t.next_rotation_at === null || t.next_rotation_at > clock.now()) return;
        if (Number(t.hold_unreviewed) === 1 && Number(t.dependencies_reviewed) === 0) {
          // held, not run: what uses the password is not known well enough to update it afterwards
          await repo.holdRotation(trx, secret_id, clock.now());
          await deps.audit.append(trx, systemCtx(), {
            action: 'rotation.held',
            objectType: 'secret',
            objectId: secret_id,
            outcome: 'failure',
            reason: 'dependencies not reviewed',
            details: { trigger: 'scheduled', dependencies: dependenciesOf(t).map((d) => d.name) },
          });
          return;
        }
        const next = t.rotate_days === null ? null : clock.now() + Number(t.rotate_days) * DAY;
        await repo.setNextRotation(trx, secret_id, next, clock.now());
        await enqueue(trx, secret_id, 'scheduled');
        n++;
      });
    }
    return n;
  }

  const reconcile = (limit?: number) => journal.reconcile(systemCtx(), limit);

  if (deps.jobs) {
    const jobs = deps.jobs;
    jobs.register('rotation.run', {
      maxAttempts: 20,
      external: async (job) => {
        const p = job.payload as { secretId?: unknown; trigger?: unknown };
        if (typeof p?.secretId !== 'string') return;
        // a removed target or secret: nothing to rotate any more; anything else is retried
        if (!(await hasTarget(db, p.secretId))) return;
        await rotateAsSystem(p.secretId, typeof p.trigger === 'string' ? p.trigger : 'queued', job.id);
      },
    });
    const every = deps.sweepMs ?? 30_000;
    jobs.every('rotation.reconcile', every, { external: () => reconcile() });
    jobs.every('rotation.schedule', every, {
      external: async () => {
        await rotateDue();
        await heartbeatDue();
      },
    });
  }

  return {
    setTarget: targets.setTarget,
    getStatus: targets.getStatus,
    removeTarget: targets.removeTarget,
    listTargets: targets.listTargets,
    rotate,
    abandon,
    rotateAsSystem,
    enqueue,
    verify,
    heartbeatDue,
    rotateDue,
    reconcile,
    hasTarget,
    /** Rotation state of secrets the caller already may see (the compatibility APIs' heartbeat fields). */
    states: (secretIds: string[]) => rotationStates(db, secretIds),
    openEntry: (exec: Executor, secretId: string) => repo.openEntryOf(exec, secretId),
    isRotating: async (exec: Executor, secretId: string) => (await repo.openEntryOf(exec, secretId)) !== undefined,
  };
}
export type RotationService = ReturnType<typeof createRotationService>;
