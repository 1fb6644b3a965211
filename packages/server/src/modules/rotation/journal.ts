// The rotation journal: a remote rotation as steps recorded durably, so that no crash, at any
// point, leaves the target with a password the vault does not hold (ADR 0021).
//
//   begin     new value generated, stored encrypted as `pending`, committed   (target untouched)
//   change    the target gets the new value, OUTSIDE any transaction           -> `changed`
//   verify    a login with the new value                                       -> `verified`
//   promote   the new value becomes the secret's current version (the old one stays in its
//             history), the entry settles `done`, audited and published in one transaction
//   finish    (SSH keys) the old public key is removed from authorized_keys
//
// A failure without an answer, or a crash, leaves the entry open; whoever holds its lease (the
// process that began it, else the reconciler once the lease ran out) settles it by asking the
// target: a login with the pending value works -> promote; else a login with the current value
// works -> roll back; else nothing is concluded and it is asked again later.
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import type { RotationJournalTable, RotationTargetTable } from '../../db/schema-rotation.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import type { Resolver, TargetPolicy } from '../webhooks/target.ts';
import { type ChangeResult, ConnectorError, type Credential, checkedAddress, type Endpoint, type RemoteConnectors } from './connector.ts';
import * as repo from './rotation.repository.ts';
import { dependenciesOf } from './targets.ts';

export const pendingBinding = (entryId: string) => ({ type: 'rotation', id: entryId, field: 'pending' });

export interface RotationEvent {
  type: 'secret.rotated' | 'secret.out_of_sync' | 'rotation.failed';
  data: Record<string, string | number | boolean | null | string[]>;
}

/** What the journal needs of the secrets it rotates (bound in app.ts to the secrets service). */
export interface SecretAccess {
  row(exec: Executor, id: string): Promise<SecretTable | undefined>;
  /** Locks the secret row for the rest of the transaction (PostgreSQL; SQLite runs one at a time). */
  lock(trx: Trx, id: string): Promise<void>;
  /** The secret's sensitive values, decrypted. */
  sensitive(exec: Executor, s: SecretTable): Promise<Record<string, string>>;
  /** Writes the new value as a new version (the old one stays in the history). */
  write(trx: Trx, ctx: RequestContext, s: SecretTable, field: string, value: string): Promise<SecretTable>;
}

export interface JournalDeps {
  db: Db;
  clock: Clock;
  seal: Pick<SealManager, 'encrypt' | 'decrypt'>;
  audit: Pick<AuditLog, 'append'>;
  connectors: RemoteConnectors;
  secrets: SecretAccess;
  publish: (trx: Trx, event: RotationEvent) => Promise<unknown>;
  /** This process in `lease_owner`. */
  owner: string;
  /** How long a step may hold an entry; connector calls end well before (`timeoutMs`). */
  leaseMs: number;
  timeoutMs: number;
  /** The outbound allowlist (the webhooks'). */
  policy: TargetPolicy;
  resolve?: Resolver;
  /** Called after each step committed (progress for logs and tests); it may delay the next step. */
  onStep?: (entryId: string, step: 'pending' | 'changed' | 'verified' | 'done' | 'rolled_back') => Promise<void> | void;
}

export type Outcome =
  | { state: 'done'; entryId: string; version: number }
  | { state: 'rolled_back'; entryId: string; error: string }
  | { state: 'open'; entryId: string; error: string };

const ownLost = new Error('the rotation lease was taken over');

/** A code for last_error and audit details: ours only, never a target's text. */
export function errorCode(e: unknown): string {
  if (e instanceof ConnectorError) return e.code;
  if (e instanceof AppError) return e.code;
  return 'error';
}

export function createJournal(deps: JournalDeps) {
  const { db, clock, seal, audit, connectors, secrets, owner, leaseMs } = deps;
  const step = async (id: string, s: Parameters<NonNullable<JournalDeps['onStep']>>[1]) => {
    if (deps.onStep) await deps.onStep(id, s);
  };

  /** The endpoint of a target: its host checked against the allowlist now (every connection). */
  async function endpoint(t: RotationTargetTable): Promise<Endpoint> {
    const address = await checkedAddress(t.host, deps.policy, deps.resolve);
    return {
      host: t.host,
      address,
      port: t.port,
      options: JSON.parse(t.options) as Record<string, string>,
      hostKey: t.host_key,
      timeoutMs: deps.timeoutMs,
    };
  }

  async function privilegedOf(exec: Executor, t: RotationTargetTable): Promise<Credential | null> {
    if (!t.privileged_secret_id) return null;
    const p = await secrets.row(exec, t.privileged_secret_id);
    if (!p) throw new AppError('conflict', 'The privileged account of this rotation target no longer exists.');
    const v = await secrets.sensitive(exec, p);
    if (v['private-key']) return { username: p.username, secret: v['private-key'], type: 'key' };
    if (v.password === undefined) throw new AppError('conflict', 'The privileged account of this rotation target has no password or key.');
    return { username: p.username, secret: v.password, type: 'password' };
  }

  /** Everything one rotation talks to the target with, read fresh. */
  async function context(e: Pick<RotationJournalTable, 'secret_id' | 'field'>) {
    const t = await repo.targetRow(db, e.secret_id);
    if (!t) throw new AppError('conflict', 'The secret no longer has a rotation target.');
    const s = await secrets.row(db, e.secret_id);
    if (!s) throw new AppError('not_found', 'No such secret.');
    const connector = connectors.get(t.kind);
    const current = (await secrets.sensitive(db, s))[e.field] ?? null;
    return { t, s, connector, current, privileged: await privilegedOf(db, t), ep: await endpoint(t) };
  }
  type Ctx = Awaited<ReturnType<typeof context>>;
  const credential = (c: Ctx, secret: string): Credential => ({
    username: c.s.username,
    secret,
    type: c.connector.field === 'private-key' ? 'key' : 'password',
  });

  async function pinSeen(c: Ctx, seen: string | undefined) {
    if (seen && !c.t.host_key) {
      await repo.pinHostKey(db, c.t.secret_id, seen, clock.now());
      c.t = { ...c.t, host_key: seen };
      c.ep = { ...c.ep, hostKey: seen };
    }
  }

  async function record(trx: Trx, ctx: RequestContext, e: RotationJournalTable, action: string, details: Record<string, unknown>) {
    await audit.append(trx, ctx, {
      action,
      objectType: 'secret',
      objectId: e.secret_id,
      outcome: action === 'rotation.rolled_back' || action === 'rotation.stuck' ? 'failure' : 'success',
      reason: e.reason,
      details: { entryId: e.id, connector: e.kind, trigger: e.trigger, ...details },
    });
  }

  /**
   * Step 1, in the caller's transaction (which audits the request): the new value is stored
   * encrypted as `pending` with this process's lease. The target is not touched until it commits.
   */
  async function begin(
    trx: Trx,
    s: SecretTable,
    t: RotationTargetTable,
    opts: { value: string; trigger: string; reason: string | null; actorId: string | null },
  ): Promise<RotationJournalTable> {
    const now = clock.now();
    const connector = connectors.get(t.kind);
    const id = newId('rot', now);
    const row: RotationJournalTable = {
      id,
      secret_id: s.id,
      kind: t.kind,
      field: connector.field,
      state: 'pending',
      active: 1,
      pending_enc: await seal.encrypt(trx, pendingBinding(id), opts.value),
      base_version: s.version,
      new_version: null,
      trigger: opts.trigger,
      actor_id: opts.actorId,
      reason: opts.reason,
      lease_owner: owner,
      lease_until: now + leaseMs,
      attempts: 0,
      last_error: null,
      cleanup: null,
      created_at: now,
      updated_at: now,
      settled_at: null,
    };
    if (!(await repo.insertEntry(trx, row))) {
      throw new AppError('rotation.in_progress', 'A remote rotation of this secret is already open; retry when it has settled.');
    }
    return row;
  }

  async function pendingValue(exec: Executor, e: RotationJournalTable): Promise<string> {
    if (!e.pending_enc) throw new AppError('conflict', 'The rotation entry has no pending value.');
    return (await seal.decrypt(exec, pendingBinding(e.id), e.pending_enc)).toString('utf8');
  }

  async function advanceTo(
    ctx: RequestContext,
    e: RotationJournalTable,
    to: 'changed' | 'verified',
    details: Record<string, unknown> = {},
  ) {
    const from: RotationJournalTable['state'][] = to === 'changed' ? ['pending'] : ['pending', 'changed'];
    await db.transaction().execute(async (trx) => {
      if (!(await repo.advance(trx, e.id, owner, from, to, clock.now()))) throw ownLost;
      await record(trx, ctx, e, `rotation.${to}`, details);
    });
    e.state = to;
    await step(e.id, to);
  }

  /** The new value becomes current: a new version, the entry done, audited and published, at once. */
  async function promote(ctx: RequestContext, e: RotationJournalTable, value: string, c: Ctx): Promise<number> {
    const version = await db.transaction().execute(async (trx) => {
      await secrets.lock(trx, e.secret_id);
      const s = await secrets.row(trx, e.secret_id);
      if (!s) throw new AppError('not_found', 'No such secret.');
      const row = await secrets.write(trx, ctx, s, e.field, value);
      const now = clock.now();
      const cleanup = e.cleanup;
      if (!(await repo.settle(trx, e.id, owner, 'done', { now, newVersion: row.version, cleanup, cleanupLeaseUntil: now + leaseMs }))) {
        throw ownLost;
      }
      // what uses the password (names only): operators update them
      const dependencies = dependenciesOf(c.t).map((d) => d.name);
      await record(trx, ctx, e, 'secret.rotated', { version: row.version, field: e.field, dependencies });
      await repo.setOutOfSync(trx, e.secret_id, false, now);
      await deps.publish(trx, {
        type: 'secret.rotated',
        data: { secretId: e.secret_id, version: row.version, field: e.field, connector: e.kind, trigger: e.trigger, dependencies },
      });
      return row.version;
    });
    await step(e.id, 'done');
    if (e.cleanup) await finish(e, c, value);
    return version;
  }

  /** SSH keys: the old public key comes out of authorized_keys once the new one is current. */
  async function finish(e: RotationJournalTable, c: Ctx, value: string) {
    if (!e.cleanup || !c.connector.finish) return;
    await c.connector.finish(c.ep, { account: credential(c, value), privileged: c.privileged, cleanup: JSON.parse(e.cleanup) });
    await repo.clearCleanup(db, e.id, owner, clock.now());
  }

  async function rollBack(ctx: RequestContext, e: RotationJournalTable, error: string) {
    await db.transaction().execute(async (trx) => {
      if (!(await repo.settle(trx, e.id, owner, 'rolled_back', { now: clock.now(), lastError: error }))) throw ownLost;
      await record(trx, ctx, e, 'rotation.rolled_back', { error });
      await deps.publish(trx, {
        type: 'rotation.failed',
        data: { secretId: e.secret_id, connector: e.kind, error, settled: 'rolled_back' },
      });
    });
    await step(e.id, 'rolled_back');
  }

  /** A login's answer, or null when the target gave none (unreachable, timeout, ...). */
  async function tryVerify(c: Ctx, secret: string | null): Promise<boolean | null> {
    if (secret === null) return false;
    try {
      const r = await c.connector.verify(c.ep, credential(c, secret), c.privileged);
      await pinSeen(c, r.hostKey);
      return r.ok;
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'host_key_mismatch') return null;
      if (err instanceof ConnectorError || err instanceof AppError) return null;
      throw err;
    }
  }

  /**
   * Settles an open entry we hold by asking the target: the pending value logs in -> promote;
   * else the current value logs in -> roll back; else it stays open and is asked again later.
   */
  async function settleByAsking(ctx: RequestContext, e: RotationJournalTable, value: string, c: Ctx, cause: string): Promise<Outcome> {
    if (!(await repo.renewLease(db, e.id, owner, clock.now(), leaseMs))) throw ownLost;
    const withPending = await tryVerify(c, value);
    if (withPending) {
      if (e.state !== 'verified') await advanceTo(ctx, e, 'verified', { settledBy: 'verify_pending' });
      return { state: 'done', entryId: e.id, version: await promote(ctx, e, value, c) };
    }
    const withCurrent = await tryVerify(c, c.current);
    if (withCurrent) {
      await rollBack(ctx, e, cause);
      return { state: 'rolled_back', entryId: e.id, error: cause };
    }
    const now = clock.now();
    const error = withPending === false && withCurrent === false ? 'neither_logs_in' : cause;
    await repo.release(db, e.id, owner, now + retryDelay(e.attempts), error, now);
    if (error === 'neither_logs_in') {
      await db.transaction().execute(async (trx) => {
        await repo.setOutOfSync(trx, e.secret_id, true, now);
        await record(trx, ctx, e, 'rotation.stuck', { error });
        await deps.publish(trx, { type: 'secret.out_of_sync', data: { secretId: e.secret_id, connector: e.kind, entryId: e.id } });
      });
    }
    return { state: 'open', entryId: e.id, error };
  }

  /** Steps 2-5 for an entry this process began. */
  async function drive(ctx: RequestContext, e: RotationJournalTable, value: string): Promise<Outcome> {
    await step(e.id, 'pending');
    let c: Ctx;
    try {
      c = await context(e);
    } catch (err) {
      await repo.release(db, e.id, owner, clock.now(), errorCode(err), clock.now());
      throw err;
    }
    let changed: ChangeResult;
    try {
      if (!(await repo.renewLease(db, e.id, owner, clock.now(), leaseMs))) throw ownLost;
      changed = await c.connector.change(c.ep, { account: credential(c, c.current ?? ''), next: value, privileged: c.privileged });
    } catch (err) {
      if (err === ownLost) throw err;
      return settleByAsking(ctx, e, value, c, `change_${errorCode(err)}`);
    }
    await pinSeen(c, changed.hostKey);
    if (changed.cleanup) {
      e.cleanup = JSON.stringify(changed.cleanup);
      await db
        .updateTable('rotation_journal')
        .set({ cleanup: e.cleanup })
        .where('id', '=', e.id)
        .where('lease_owner', '=', owner)
        .execute();
    }
    await advanceTo(ctx, e, 'changed');
    const ok = await tryVerify(c, value);
    if (!ok) return settleByAsking(ctx, e, value, c, ok === false ? 'verify_rejected' : 'verify_unreachable');
    await advanceTo(ctx, e, 'verified');
    return { state: 'done', entryId: e.id, version: await promote(ctx, e, value, c) };
  }

  /** The reconciler's work on one stale entry (its lease ran out): settle it, or finish its cleanup. */
  async function reconcileOne(ctx: RequestContext, id: string): Promise<Outcome | 'skipped' | 'cleaned'> {
    const e = await repo.claimStale(db, id, owner, clock.now(), leaseMs);
    if (!e) return 'skipped';
    if (e.active !== 1) {
      // promoted; the old SSH key is still to be removed
      const c = await context(e);
      await finish(e, c, c.current ?? '');
      return 'cleaned';
    }
    const value = await pendingValue(db, e);
    const c = await context(e);
    return settleByAsking(ctx, e, value, c, e.last_error ?? 'process_stopped');
  }

  /** Settles every stale entry (a recurring job). Errors of one entry do not stop the others. */
  async function reconcile(ctx: RequestContext, limit = 100): Promise<{ settled: number; open: number; errors: number }> {
    const counts = { settled: 0, open: 0, errors: 0 };
    for (const { id } of await repo.staleEntries(db, clock.now(), limit)) {
      try {
        const r = await reconcileOne(ctx, id);
        if (r === 'skipped') continue;
        if (r === 'cleaned' || r.state !== 'open') counts.settled++;
        else counts.open++;
      } catch (err) {
        if (err !== ownLost) counts.errors++;
      }
    }
    return counts;
  }

  /** Back-off of an entry nobody could settle: 30 s, doubling, at most an hour. */
  function retryDelay(attempts: number): number {
    return Math.min(3_600_000, 30_000 * 2 ** Math.min(10, Math.max(0, attempts - 1)));
  }

  return { begin, drive, reconcile, reconcileOne, endpoint, privilegedOf, context, tryVerify, ownLost };
}
export type Journal = ReturnType<typeof createJournal>;
