import { createHash, type Hash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Trx } from '../../db/database.ts';
import type { AuditSealedTable } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import { systemActor } from '../auth/actor.ts';
import type { VerifyProblem } from './audit-chain.ts';
import type { Draft } from './audit-head.ts';

/**
 * Records written while no key is in memory (ADR 0008): what they may be, how they enter the chain
 * and what verification expects of them. audit_sealed holds them in clear until an unsealed node
 * drains it, so whoever can write the database could put rows there for the server to MAC as
 * genuine. The one rule below therefore decides three times: when a record is written while sealed
 * (anything else fails closed with `sys.sealed`), when the table is drained (anything else is
 * refused, and the refusal recorded), and when the chain is verified (a `sealed` record that
 * breaks it is reported as `sealed_record`).
 */

/** Clock difference tolerated between the nodes that write sealed-time records and the one that drains them. */
export const SEALED_CLOCK_SKEW_MS = 60_000;
/** The system record after the records of one drain: `{count, digest, lastTime}` of what entered the chain. */
export const SEALED_DRAIN_ACTION = 'audit.sealed_drain';
/** The system record naming rows of audit_sealed that were refused (outcome error). */
export const SEALED_REFUSED_ACTION = 'audit.sealed_refused';

/**
 * What Coffer writes while sealed, as one list. Anonymous callers only (the seal check comes
 * before authentication, http/hooks.ts):
 * - any route refused before a service runs: by the seal check, or by the two checks that come
 *   before it (a credential or a NUL in the query string); reason -> outcome;
 * - unseal attempts and resets (sys.service.ts), with the failures their route can answer;
 * and the system's records of an initialisation (sys/init.ts), once, before the chain starts.
 */
const REFUSED_BEFORE_SERVICE: Readonly<Record<string, string>> = {
  'sys.sealed': 'denied',
  'sys.not_initialized': 'failure',
  'request.credentials_in_query': 'failure',
  'validation.failed': 'failure',
};
const UNSEAL_FAILURES: ReadonlySet<string> = new Set([
  'sys.not_initialized',
  'sys.unseal_failed',
  'validation.failed',
  'request.invalid_json',
  'request.body_too_large',
  'request.unsupported_media_type',
  'request.credentials_in_query',
  'internal',
]);

const AUDIT_ID = /^aud_[0-9a-hjkmnp-tv-z]{26}$/;
const USER_ID = /^usr_[0-9a-hjkmnp-tv-z]{26}$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;
const ACTION = /^(?=.{3,64}$)[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

type SealedFields = Omit<AuditSealedTable, 'pos'>;
export type SealedShape = 'anonymous' | 'init' | 'init_admin';

function detailsOf(r: SealedFields): Record<string, unknown> | null | undefined {
  if (r.details === null) return null;
  try {
    const d = JSON.parse(r.details) as unknown;
    return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const hasKeys = (d: Record<string, unknown>, keys: string[]) => Object.keys(d).sort().join() === [...keys].sort().join();
const intOrNull = (v: unknown) => v === null || Number.isSafeInteger(v);

function anonymousOk(r: SealedFields): boolean {
  if (r.actor_id !== null || r.actor_name !== null || r.auth_method !== 'none' || r.object_type !== null || r.object_id !== null) {
    return false;
  }
  if (r.request_id === null || !REQUEST_ID.test(r.request_id)) return false;
  if (r.source_ip !== null && isIP(r.source_ip) === 0) return false;
  const d = detailsOf(r);
  if (r.action === 'sys.unseal') {
    if (r.outcome === 'success') {
      return (
        r.reason === null && !!d && hasKeys(d, ['sealed', 'progress']) && typeof d.sealed === 'boolean' && Number.isSafeInteger(d.progress)
      );
    }
    return r.outcome !== 'denied' && r.reason !== null && UNSEAL_FAILURES.has(r.reason) && d === null;
  }
  if (r.action === 'sys.unseal_reset') {
    const ok = r.outcome === 'success' ? r.reason === null : r.outcome === 'denied' && r.reason === 'sys.unseal_nonce_invalid';
    return ok && d === null;
  }
  return ACTION.test(r.action) && r.reason !== null && REFUSED_BEFORE_SERVICE[r.reason] === r.outcome && d === null;
}

function initOk(r: SealedFields): SealedShape | null {
  if (r.actor_id !== null || r.actor_name !== systemActor.username || r.auth_method !== 'system') return null;
  if (r.request_id !== 'init' || r.source_ip !== null || r.outcome !== 'success' || r.reason !== null) return null;
  const d = detailsOf(r);
  if (!d) return null;
  if (r.action === 'sys.init' && r.object_type === null && r.object_id === null) {
    const ok =
      hasKeys(d, ['mode', 'shares', 'threshold']) &&
      (d.mode === 'keyfile' || d.mode === 'shamir') &&
      intOrNull(d.shares) &&
      intOrNull(d.threshold);
    return ok ? 'init' : null;
  }
  if (r.action === 'user.create' && r.object_type === 'user' && r.object_id !== null && USER_ID.test(r.object_id)) {
    const ok =
      hasKeys(d, ['role', 'initial', 'temporaryPassword']) &&
      d.role === 'administrator' &&
      d.initial === true &&
      typeof d.temporaryPassword === 'boolean';
    return ok ? 'init_admin' : null;
  }
  return null;
}

/** What kind of sealed-time record this is, or null when Coffer never writes such a record while sealed. */
export function sealedShape(r: SealedFields): SealedShape | null {
  if (!AUDIT_ID.test(r.id) || !Number.isSafeInteger(Number(r.time))) return null;
  if (r.actor_kind === 'anonymous') return anonymousOk(r) ? 'anonymous' : null;
  if (r.actor_kind === 'system') return initOk(r);
  return null;
}

/** The digest a drain record names: SHA-256 over the content of its records, in chain order. */
export function sealedDigest(): { add(r: SealedFields): void; hex(): string } {
  const h: Hash = createHash('sha256');
  return {
    add(r) {
      const fields = [r.id, Number(r.time), r.actor_id, r.actor_name, r.actor_kind, r.auth_method, r.source_ip, r.request_id];
      h.update(`${JSON.stringify([...fields, r.action, r.object_type, r.object_id, r.outcome, r.reason, r.details])}\n`);
    },
    hex: () => h.copy().digest('hex'),
  };
}

const DRAIN_BATCH = 500;

function systemDraft(now: number, action: string, outcome: Draft['outcome'], details: Record<string, unknown>): Draft {
  return {
    id: newId('aud', now),
    time: now,
    actor_id: systemActor.userId,
    actor_name: systemActor.username,
    actor_kind: systemActor.kind,
    auth_method: systemActor.authMethod,
    source_ip: null,
    request_id: null,
    action,
    object_type: 'audit',
    object_id: null,
    outcome,
    reason: null,
    details: JSON.stringify(details),
    sealed: 0,
    via: null,
  };
}

/**
 * Takes the oldest waiting rows out of audit_sealed, for the caller to put in the chain in this
 * transaction: those Coffer could have written while sealed (sealedShape, their times not going
 * backwards and not after now), MACed and marked `sealed`, followed by a drain record naming their
 * count and digest; and a refusal record naming the ids of the rest, which never enter the chain.
 */
export async function drainSealed(trx: Trx, pending: number, now: number): Promise<{ drafts: Draft[]; pending: number }> {
  const taken = await trx
    .selectFrom('audit_sealed')
    .selectAll()
    .orderBy('pos')
    .limit(DRAIN_BATCH + 1)
    .execute();
  if (taken.length === 0) return { drafts: [], pending: 0 };
  // an initialisation's two records are never split between drains
  const cut = taken.length > DRAIN_BATCH && taken[DRAIN_BATCH - 1]?.action !== 'sys.init' ? DRAIN_BATCH : taken.length;
  const rows = taken.slice(0, cut);
  await trx
    .deleteFrom('audit_sealed')
    .where('pos', '<=', (rows.at(-1) as AuditSealedTable).pos)
    .execute();
  const rest = cut < taken.length ? Math.max(1, pending - rows.length) : 0;

  const previous = await trx
    .selectFrom('audit_log')
    .select('details')
    .where('action', '=', SEALED_DRAIN_ACTION)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  let lastTime = Number((JSON.parse(previous?.details ?? '{}') as { lastTime?: unknown }).lastTime ?? Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(lastTime)) lastTime = Number.NEGATIVE_INFINITY;
  // an initialisation's records are genuine only before the chain starts, once
  let initAllowed = false;
  if (rows.some((r) => r.action === 'sys.init')) {
    const started = await trx
      .selectFrom('audit_log')
      .select('seq')
      .where((eb) =>
        eb.or([
          eb('action', '=', 'sys.init'),
          eb.and([eb('sealed', '=', 0), eb('action', 'not in', [SEALED_DRAIN_ACTION, SEALED_REFUSED_ACTION])]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    initAllowed = started === undefined;
  }

  const accepted: Draft[] = [];
  const refused: string[] = [];
  const digest = sealedDigest();
  let prevShape: SealedShape | null = null;
  for (const { pos: _p, ...r } of rows) {
    const time = Number(r.time);
    const shape = sealedShape(r);
    const ok =
      shape !== null &&
      time <= now + SEALED_CLOCK_SKEW_MS &&
      time >= lastTime - SEALED_CLOCK_SKEW_MS &&
      (shape !== 'init' || initAllowed) &&
      (shape !== 'init_admin' || prevShape === 'init');
    if (!ok) {
      refused.push(AUDIT_ID.test(r.id) ? r.id : '(malformed id)');
      continue;
    }
    if (shape === 'init') initAllowed = false;
    prevShape = shape;
    lastTime = Math.max(lastTime, time);
    digest.add(r);
    accepted.push({ ...r, time, sealed: 1, via: null });
  }
  const drafts = [...accepted];
  if (accepted.length > 0) {
    drafts.push(systemDraft(now, SEALED_DRAIN_ACTION, 'success', { count: accepted.length, digest: digest.hex(), lastTime }));
  }
  if (refused.length > 0) {
    // not MACed as genuine: named here (ids only; their content is whatever was put in the table)
    drafts.push(systemDraft(now, SEALED_REFUSED_ACTION, 'error', { count: refused.length, ids: refused.slice(0, 100) }));
  }
  return { drafts, pending: rest };
}

/**
 * The same rule for verification, record by record in chain order: every `sealed` record has a
 * sealed-time shape (an initialisation once, before anything else), their times do not go
 * backwards, and each run of them is followed at once by its drain record (count and digest
 * match, no record later than it).
 */
export function sealedRunCheck() {
  let run: { first: number; count: number; digest: ReturnType<typeof sealedDigest>; maxTime: number } | null = null;
  let lastTime = Number.NEGATIVE_INFINITY;
  let started = false;
  let initSeen = false;
  let prevShape: SealedShape | null = null;
  const problem = (seq: number, message: string): VerifyProblem => ({ seq, kind: 'sealed_record', message });

  function check(r: SealedFields & { seq: number; sealed: number }): VerifyProblem | null {
    const seq = Number(r.seq);
    const time = Number(r.time);
    if (Number(r.sealed) !== 0) {
      const shape = sealedShape(r);
      if (shape === null)
        return problem(seq, `record ${seq} is marked as written while sealed, but Coffer writes no such record while sealed`);
      if (shape === 'init' && (started || initSeen)) return problem(seq, `record ${seq} is an initialisation after the chain started`);
      if (shape === 'init_admin' && prevShape !== 'init')
        return problem(seq, `record ${seq} is an initial administrator without its initialisation`);
      if (time < lastTime - SEALED_CLOCK_SKEW_MS)
        return problem(seq, `record ${seq} was written while sealed before the record it follows`);
      initSeen ||= shape === 'init';
      prevShape = shape;
      lastTime = Math.max(lastTime, time);
      run ??= { first: seq, count: 0, digest: sealedDigest(), maxTime: time };
      run.count++;
      run.digest.add(r);
      run.maxTime = Math.max(run.maxTime, time);
      return null;
    }
    prevShape = null;
    const drain = r.action === SEALED_DRAIN_ACTION && r.actor_kind === 'system';
    if (run) {
      const open = run;
      run = null;
      const d = drain ? (detailsOf(r) ?? {}) : {};
      if (!drain || d.count !== open.count || d.digest !== open.digest.hex() || open.maxTime > time + SEALED_CLOCK_SKEW_MS) {
        return problem(seq, `records ${open.first}-${seq - 1}, written while sealed, are not followed by their drain record`);
      }
      return null;
    }
    if (drain) return problem(seq, `record ${seq} is a drain record without the records it names`);
    if (r.action !== SEALED_REFUSED_ACTION || r.actor_kind !== 'system') started = true;
    return null;
  }

  /** After the last record: a run without its drain record means the chain was cut. */
  function end(nextSeq: number): VerifyProblem | null {
    return run ? problem(nextSeq, `records from ${run.first} on, written while sealed, are not followed by their drain record`) : null;
  }
  return { check, end };
}
