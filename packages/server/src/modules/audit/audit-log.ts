import { sign as edSign, type KeyObject } from 'node:crypto';
import type { Db, Executor, Trx } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { AuditLogTable } from '../../db/schema.ts';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { RequestContext } from '../auth/actor.ts';
import { type AuditRecord, checkpointMessage, GENESIS_HASH, recordHash } from './audit-chain.ts';

export type Outcome = 'success' | 'denied' | 'failure' | 'error';

export interface AuditEvent {
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  outcome: Outcome;
  /** The user's stated reason, or the error code of a denial/failure. Never a secret. */
  reason?: string | null;
  /** Small, non-secret facts (changed field names, counts). Never values of secrets. */
  details?: Record<string, unknown> | null;
}

export interface AuditSigner {
  keyId: string;
  privateKey: KeyObject;
}

/**
 * Appends to the hash chain. Must run inside the caller's transaction, so the record commits or
 * rolls back with the change it describes. The chain head row is locked for the append
 * (`for update` on PostgreSQL; SQLite transactions are already serialised), so concurrent
 * writers on several nodes still build one linear chain.
 */
export function createAuditLog(deps: {
  clock: Clock;
  dialect: 'sqlite' | 'postgres';
  checkpointEvery: number;
  signer: () => AuditSigner | undefined;
}) {
  const columns = [
    'seq',
    'id',
    'time',
    'actor_id',
    'actor_name',
    'actor_kind',
    'auth_method',
    'source_ip',
    'request_id',
    'action',
    'object_type',
    'object_id',
    'outcome',
    'reason',
    'details',
    'prev_hash',
    'hash',
  ] as const;
  type Column = (typeof columns)[number];
  const insertOne = prepared<Column, never>((db, p) =>
    db.insertInto('audit_log').values(Object.fromEntries(columns.map((c) => [c, p(c)])) as unknown as AuditLogTable),
  );
  const updateHead = prepared<'seq' | 'hash', never>((db, p) =>
    db
      .updateTable('audit_head')
      .set({ seq: p<number>('seq'), hash: p('hash') })
      .where('id', '=', 1),
  );

  async function append(trx: Trx, ctx: RequestContext, ev: AuditEvent): Promise<number> {
    return (await appendMany(trx, [{ ctx, ev }]))[0] as number;
  }

  /**
   * Appends records in order: the head is read and written once, the rows go in multi-row inserts.
   * Returns their sequence numbers.
   */
  async function appendMany(trx: Trx, items: ReadonlyArray<{ ctx: RequestContext; ev: AuditEvent }>): Promise<number[]> {
    let headQuery = trx.selectFrom('audit_head').selectAll().where('id', '=', 1);
    if (deps.dialect === 'postgres') headQuery = headQuery.forUpdate();
    const head = await headQuery.executeTakeFirst();
    let seq = head ? Number(head.seq) : 0;
    let prev = head ? head.hash : GENESIS_HASH;
    const rows: Array<AuditRecord & { hash: string }> = [];
    const checkpoints: Array<{ seq: number; hash: string }> = [];
    for (const { ctx, ev } of items) {
      seq += 1;
      const time = deps.clock.now();
      const rec: AuditRecord = {
        seq,
        id: newId('aud', time),
        time,
        actor_id: ctx.actor.userId,
        actor_name: ctx.actor.username,
        actor_kind: ctx.actor.kind,
        auth_method: ctx.actor.authMethod,
        source_ip: ctx.sourceIp || null,
        request_id: ctx.requestId || null,
        action: ev.action,
        object_type: ev.objectType ?? null,
        object_id: ev.objectId ?? null,
        outcome: ev.outcome,
        reason: ev.reason ?? null,
        details: ev.details ? JSON.stringify(ev.details) : null,
        prev_hash: prev,
      };
      const hash = recordHash(rec);
      rows.push({ ...rec, hash });
      if (seq % deps.checkpointEvery === 0) checkpoints.push({ seq, hash });
      prev = hash;
    }
    if (deps.dialect === 'sqlite') {
      // in-process: re-running one prepared statement is cheaper than building a multi-row insert
      for (const r of rows) await insertOne(trx, r);
    } else {
      // over the network: one round trip per 50 rows (17 columns a row, far below the parameter limit)
      for (let i = 0; i < rows.length; i += 50) {
        await trx
          .insertInto('audit_log')
          .values(rows.slice(i, i + 50))
          .execute();
      }
    }
    if (head) {
      await updateHead(trx, { seq, hash: prev });
    } else {
      await trx.insertInto('audit_head').values({ id: 1, seq, hash: prev }).execute();
    }
    for (const c of checkpoints) await writeCheckpoint(trx, c.seq, c.hash);
    for (const { ctx } of items) ctx.audited = true;
    return rows.map((r) => r.seq);
  }

  async function writeCheckpoint(trx: Trx, seq: number, hash: string): Promise<boolean> {
    const signer = deps.signer();
    if (!signer) return false; // sealed: the next checkpoint after unseal covers these records
    const time = deps.clock.now();
    const signature = edSign(null, checkpointMessage(seq, hash, time), signer.privateKey).toString('base64');
    await trx
      .insertInto('audit_checkpoints')
      .values({ seq, hash, time, signature, key_id: signer.keyId })
      .onConflict((oc) => oc.column('seq').doNothing())
      .execute();
    return true;
  }

  /** Signs the current head if it is not yet covered by a checkpoint. */
  async function checkpointNow(db: Db): Promise<{ seq: number; hash: string } | null> {
    return db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('audit_head').selectAll().where('id', '=', 1);
      if (deps.dialect === 'postgres') q = q.forUpdate();
      const head = await q.executeTakeFirst();
      if (!head) return null;
      const last = await trx.selectFrom('audit_checkpoints').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (last && Number(last.seq) >= Number(head.seq)) return { seq: Number(head.seq), hash: head.hash };
      const ok = await writeCheckpoint(trx, Number(head.seq), head.hash);
      return ok ? { seq: Number(head.seq), hash: head.hash } : null;
    });
  }

  // Group commit for records that stand alone (reads, denials): records that arrive while a commit
  // is in flight share the next one, so N concurrent requests cost one durable commit instead of N.
  // Each caller still waits until its own record is committed (fail closed).
  const queue: Array<{ ctx: RequestContext; ev: AuditEvent; resolve: (seq: number) => void; reject: (e: unknown) => void }> = [];
  let flushing = false;

  async function flush(db: Db): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        // let the event loop take in the requests that arrived meanwhile (a SQLite commit blocks
        // it), so they join this commit instead of each paying for their own
        await new Promise((resolve) => setImmediate(resolve));
        const batch = queue.splice(0, 500);
        try {
          const seqs = await db.transaction().execute((trx) => appendMany(trx, batch));
          for (const [i, b] of batch.entries()) b.resolve(seqs[i] as number);
        } catch (e) {
          for (const b of batch) {
            b.ctx.audited = false;
            b.reject(e);
          }
        }
      }
    } finally {
      flushing = false;
    }
  }

  /** Appends in its own (shared) transaction and resolves once the record is durable. */
  function appendDurable(db: Db, ctx: RequestContext, ev: AuditEvent): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      queue.push({ ctx, ev, resolve, reject });
      if (!flushing) void flush(db);
    });
  }

  return { append, appendDurable, checkpointNow };
}
export type AuditLog = ReturnType<typeof createAuditLog>;

/** 4xx codes that mean "not allowed" rather than "bad request". */
const deniedCodes = new Set([
  'forbidden',
  'not_found',
  'auth.required',
  'auth.invalid_token',
  'auth.invalid_credentials',
  'auth.mfa_required',
  'auth.rate_limited',
  'auth.password_change_required',
  'sys.sealed',
]);

export function outcomeOf(err: unknown): Outcome {
  if (!isAppError(err)) return 'error';
  if (deniedCodes.has(err.code)) return 'denied';
  return err.code === 'internal' || err.code === 'audit.unavailable' ? 'error' : 'failure';
}

/**
 * Runs a use case with its audit record. Success: the record is written in the same transaction
 * as the effect. Failure: the effect rolls back and the denial/failure is recorded in its own
 * transaction. Fail closed: if the record cannot be written, the caller gets `audit.unavailable`
 * and no data.
 */
interface AuditedSpec {
  action: string;
  objectType?: string;
  objectId?: string | null;
  reason?: string | null;
  /** The use case writes nothing: it runs on one connection without a transaction, and its record is
   * group-committed after the read (still before the caller sees any data). */
  readOnly?: boolean;
}
export type AuditedEv = {
  objectId: string | null;
  details: Record<string, unknown> | null;
  /** Set when the use case did something else than its name says: a gated call that only filed
   * an admin request records `admin_request.create` on the request, not the change it asked for. */
  action?: string;
  objectType?: string;
};

export function createAudited(deps: { db: Db; audit: AuditLog }) {
  function audited<T>(
    ctx: RequestContext,
    spec: AuditedSpec & { readOnly: true },
    fn: (exec: Executor, ev: AuditedEv) => Promise<T>,
  ): Promise<T>;
  function audited<T>(
    ctx: RequestContext,
    spec: AuditedSpec & { readOnly?: false },
    fn: (trx: Trx, ev: AuditedEv) => Promise<T>,
  ): Promise<T>;
  async function audited<T>(ctx: RequestContext, spec: AuditedSpec, fn: (trx: Trx, ev: AuditedEv) => Promise<T>): Promise<T> {
    const ev: AuditedEv = { objectId: spec.objectId ?? null, details: null };
    let effectDone = false;
    if (spec.readOnly) {
      let result: T;
      try {
        // One connection, no BEGIN/COMMIT: a transaction would add nothing a read needs. On
        // PostgreSQL each statement reads its own snapshot at READ COMMITTED either way, and the
        // two statements cost two round trips per request (a reveal spent half its time in socket
        // writes); on SQLite the one connection is held until the read is done, so no write can
        // come between its statements.
        result = await deps.db.connection().execute((conn) => (fn as unknown as (e: Executor, ev: AuditedEv) => Promise<T>)(conn, ev));
      } catch (err) {
        await recordFailure(deps, ctx, spec, ev, err);
        throw err;
      }
      try {
        await deps.audit.appendDurable(deps.db, ctx, {
          action: spec.action,
          objectType: spec.objectType ?? null,
          objectId: ev.objectId,
          outcome: 'success',
          reason: spec.reason ?? null,
          details: ev.details,
        });
      } catch (err) {
        throw auditFailure(err);
      }
      return result;
    }
    try {
      return await deps.db.transaction().execute(async (trx) => {
        const result = await fn(trx, ev);
        effectDone = true;
        await deps.audit.append(trx, ctx, {
          action: ev.action ?? spec.action,
          objectType: ev.objectType ?? spec.objectType ?? null,
          objectId: ev.objectId,
          outcome: 'success',
          reason: spec.reason ?? null,
          details: ev.details,
        });
        return result;
      });
    } catch (err) {
      if (effectDone) throw auditFailure(err);
      await recordFailure(deps, ctx, spec, ev, err);
      throw err;
    }
  }
  return audited;
}

export function auditFailure(cause: unknown): AppError {
  return new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause });
}

async function recordFailure(
  deps: { db: Db; audit: AuditLog },
  ctx: RequestContext,
  spec: { action: string; objectType?: string; objectId?: string | null },
  ev: { objectId: string | null; details: Record<string, unknown> | null },
  err: unknown,
): Promise<void> {
  try {
    await deps.audit.appendDurable(deps.db, ctx, {
      action: spec.action,
      objectType: spec.objectType ?? null,
      objectId: ev.objectId,
      outcome: outcomeOf(err),
      reason: isAppError(err) ? err.code : 'internal',
      details: ev.details,
    });
  } catch (auditErr) {
    throw auditFailure(auditErr);
  }
}
