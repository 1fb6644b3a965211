import { sign as edSign, type KeyObject } from 'node:crypto';
import type { Keyring } from '../../crypto/keyring.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { AuditHeadTable, AuditLogTable } from '../../db/schema.ts';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { RequestContext } from '../auth/actor.ts';
import { AUDIT_MAC_LABEL, checkpointMessage, GENESIS_MAC, sealRecord } from './audit-chain.ts';
import { type Draft, initialMacFrom, lockHead, macStartMarker, writeSealed } from './audit-head.ts';
import { createGroupCommit } from './group-commit.ts';
import { appendFailureRecords } from './integrity.ts';
import { drainSealed, sealedShape } from './sealed-records.ts';

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
 * Appends to the chain. Must run inside the caller's transaction, so the record commits or
 * rolls back with the change it describes. The chain head row is locked for the append
 * (`for update` on PostgreSQL; SQLite transactions are already serialised), so concurrent
 * writers on several nodes still build one linear chain. Each record is hashed and MACed here,
 * in memory, under the audit MAC key of the newest key term (no extra round trip); while the
 * keyring is not in memory, records wait in audit_sealed and enter the chain at the next append
 * on an unsealed node.
 */
export function createAuditLog(deps: {
  clock: Clock;
  dialect: 'sqlite' | 'postgres';
  checkpointEvery: number;
  signer: () => AuditSigner | undefined;
  /** The keyring while unsealed; undefined while sealed. */
  keyring: () => Keyring | undefined;
  /** Loads key terms that another node added (the head names a newer term than this node holds). */
  reloadKeyring: (exec: Executor) => Promise<void>;
  /** The MAC start as pinned under the keys (sys/audit-pin.ts): read it, or pin it. */
  macStart: {
    read: (exec: Executor) => Promise<{ macFrom: number | null; problem: string | null }>;
    write: (trx: Trx, macFrom: number) => Promise<void>;
  };
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
    'mac',
    'mac_term',
    'sealed',
    'via',
  ] as const;
  type Column = (typeof columns)[number];
  const insertOne = prepared<Column, never>((db, p) =>
    db.insertInto('audit_log').values(Object.fromEntries(columns.map((c) => [c, p(c)])) as unknown as AuditLogTable),
  );
  const updateHead = prepared<'seq' | 'hash' | 'mac' | 'mac_term' | 'sealed_pending', never>((db, p) =>
    db
      .updateTable('audit_head')
      .set({
        seq: p<number>('seq'),
        hash: p('hash'),
        mac: p('mac'),
        mac_term: p<number>('mac_term'),
        sealed_pending: p<number>('sealed_pending'),
      })
      .where('id', '=', 1),
  );

  async function append(trx: Trx, ctx: RequestContext, ev: AuditEvent): Promise<number> {
    return (await appendMany(trx, [{ ctx, ev }]))[0] as number;
  }

  function draftOf(ctx: RequestContext, ev: AuditEvent): Draft {
    const time = deps.clock.now();
    return {
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
      sealed: 0,
      via: ctx.via ?? 'native',
    };
  }

  /**
   * Appends records in order: the head is read and written once, the rows go in multi-row inserts.
   * Returns their sequence numbers (0 for a record that waits in audit_sealed while sealed).
   * Before the caller's records come, when due: the MAC start marker (first append on a migrated
   * store) and the records written while sealed.
   */
  async function appendMany(trx: Trx, items: ReadonlyArray<{ ctx: RequestContext; ev: AuditEvent }>): Promise<number[]> {
    const head = await lockHead(trx, deps.dialect);
    if (!deps.keyring()) {
      // Only what Coffer genuinely records while sealed (sealed-records.ts: anonymous callers
      // refused as sealed, unseal attempts, an initialisation) waits unkeyed. Anything else — a
      // signed-in request or a job still in flight when the server was sealed — gets no record and
      // no effect (its transaction rolls back), so verification can treat any other record as forged.
      const drafts = items.map(({ ctx, ev }) => draftOf(ctx, ev));
      if (drafts.some((d) => sealedShape(d) === null)) throw new AppError('sys.sealed', 'Coffer is sealed.');
      await writeSealed(trx, drafts);
      for (const { ctx } of items) ctx.audited = true;
      return items.map(() => 0);
    }
    const headTerm = head.mac_term === null ? 0 : Number(head.mac_term);
    // another node rotated the key: MAC under its term too (terms never go backwards in the chain)
    if (headTerm > (deps.keyring()?.activeTerm ?? 0)) await deps.reloadKeyring(trx);
    const prefix: Draft[] = [];
    if (head.mac === null) {
      // No MACed record yet: a new chain, or a store migrated from before MACs. Unless the keys
      // already pin where MACs begin, pin it now, in this transaction, with the marker on a migrated
      // store. A pinned store never gets a new marker: MACs stripped from it stay missing (verify).
      const pin = await deps.macStart.read(trx);
      if (pin.macFrom === null && pin.problem === null) {
        await deps.macStart.write(trx, Number(head.mac_from));
        if (Number(head.mac_from) > 1) prefix.push(await macStartMarker(trx, head, deps.clock.now()));
      }
    }
    let pending = Number(head.sealed_pending);
    // the count in the head spares the hot path a query; settle() and the checkpoint look anyway
    if (pending > 0 || items.length === 0) {
      const taken = await drainSealed(trx, pending, deps.clock.now());
      prefix.push(...taken.drafts);
      pending = taken.pending;
    }
    const drafts = [...prefix, ...items.map(({ ctx, ev }) => draftOf(ctx, ev))];
    if (drafts.length === 0) return [];
    const rows = chainRows(head, drafts);
    if (deps.dialect === 'sqlite') {
      // in-process: re-running one prepared statement is cheaper than building a multi-row insert
      for (const r of rows) await insertOne(trx, r);
    } else {
      // over the network: one round trip per 50 rows (20 columns a row, far below the parameter limit)
      for (let i = 0; i < rows.length; i += 50) {
        await trx
          .insertInto('audit_log')
          .values(rows.slice(i, i + 50))
          .execute();
      }
    }
    const last = rows.at(-1) as AuditLogTable;
    await updateHead(trx, { seq: last.seq, hash: last.hash, mac: last.mac, mac_term: last.mac_term, sealed_pending: pending });
    for (const r of rows) {
      if (r.seq % deps.checkpointEvery === 0) await writeCheckpoint(trx, r, Number(head.mac_from));
    }
    for (const { ctx } of items) ctx.audited = true;
    return rows.slice(prefix.length).map((r) => r.seq);
  }

  /**
   * Places drafts after the head: seq, link, key term, hash and MAC. Synchronous from taking the
   * key to the last MAC, so a concurrent seal cannot wipe the key in between.
   */
  function chainRows(head: AuditHeadTable, drafts: readonly Draft[]): AuditLogTable[] {
    const keyring = deps.keyring();
    if (!keyring) throw new AppError('sys.sealed', 'Coffer is sealed.');
    const term = Math.max(keyring.activeTerm, head.mac_term === null ? 0 : Number(head.mac_term));
    const key = keyring.derive(term, AUDIT_MAC_LABEL);
    if (!key) throw new Error(`the audit MAC key of term ${term} is not loaded`);
    let seq = Number(head.seq);
    let prevHash = head.hash;
    let prevMac = head.mac ?? GENESIS_MAC;
    return drafts.map((d) => {
      seq += 1;
      const rec = { ...d, via: d.via ?? null, seq, prev_hash: prevHash, mac_term: term };
      const { hash, mac } = sealRecord(rec, key, prevMac);
      prevHash = hash;
      prevMac = mac;
      return { ...rec, hash, mac };
    });
  }

  async function writeCheckpoint(trx: Trx, head: { seq: number; hash: string; mac: string | null }, macFrom: number): Promise<boolean> {
    const signer = deps.signer();
    if (!signer) return false; // sealed: the next checkpoint after unseal covers these records
    const time = deps.clock.now();
    const seq = Number(head.seq);
    const message = checkpointMessage(seq, head.hash, time, { mac: head.mac, macFrom });
    const signature = edSign(null, message, signer.privateKey).toString('base64');
    await trx
      .insertInto('audit_checkpoints')
      .values({ seq, hash: head.hash, time, signature, key_id: signer.keyId, mac: head.mac, mac_from: macFrom })
      .onConflict((oc) => oc.column('seq').doNothing())
      .execute();
    return true;
  }

  /**
   * Puts what is due into the chain without a record of its own (the MAC start and its pin, records
   * written while sealed), then reads the pin back, so this process remembers it. Runs at start and
   * at unseal, before anything is served, and before each periodic checkpoint.
   */
  async function settle(db: Db): Promise<void> {
    if (!deps.keyring()) return;
    await db.transaction().execute((trx) => appendMany(trx, []));
    await deps.macStart.read(db);
  }

  /** Signs the current head if it is not yet covered by a checkpoint. */
  async function checkpointNow(db: Db): Promise<{ seq: number; hash: string } | null> {
    return db.transaction().execute(async (trx) => {
      if (deps.keyring()) await appendMany(trx, []);
      const head = await lockHead(trx, deps.dialect);
      if (Number(head.seq) === 0) return null;
      const last = await trx.selectFrom('audit_checkpoints').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (last && Number(last.seq) >= Number(head.seq)) return { seq: Number(head.seq), hash: head.hash };
      const ok = await writeCheckpoint(trx, head, Number(head.mac_from));
      return ok ? { seq: Number(head.seq), hash: head.hash } : null;
    });
  }

  const { appendDurable } = createGroupCommit({
    appendMany,
    refuse: (ctx, ev) =>
      !deps.keyring() && sealedShape(draftOf(ctx, ev)) === null ? new AppError('sys.sealed', 'Coffer is sealed.') : undefined,
  });

  return { append, appendDurable, checkpointNow, settle, initialMacFrom: (trx: Trx) => initialMacFrom(trx, deps.dialect) };
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
  'secret.approval_required',
  'auth.reauth_failed',
  'auth.csrf_failed',
  'request.rate_limited',
  'sys.unseal_nonce_invalid',
]);

export function outcomeOf(err: unknown): Outcome {
  if (!isAppError(err)) return 'error';
  if (deniedCodes.has(err.code)) return 'denied';
  return err.code === 'internal' || err.code === 'audit.unavailable' || err.code === 'integrity.failed' ? 'error' : 'failure';
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
  /** Set by a use case that settles its reason itself (a reveal taking the reason of the caller's approval). */
  reason?: string | null;
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
          reason: ev.reason ?? spec.reason ?? null,
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
          reason: ev.reason ?? spec.reason ?? null,
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
    const failure: AuditEvent = {
      action: spec.action,
      objectType: spec.objectType ?? null,
      objectId: ev.objectId,
      outcome: outcomeOf(err),
      reason: isAppError(err) ? err.code : 'internal',
      details: ev.details,
    };
    // an integrity failure also gets its own record naming the damaged value
    await appendFailureRecords(deps, ctx, failure, err);
  } catch (auditErr) {
    throw auditFailure(auditErr);
  }
}
