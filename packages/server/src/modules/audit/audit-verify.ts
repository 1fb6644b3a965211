import { createHash, createPublicKey, verify as edVerify, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../../db/database.ts';
import type { AuditCheckpointTable } from '../../db/schema.ts';
import {
  canonicalRecord,
  checkpointMessage,
  GENESIS_HASH,
  GENESIS_MAC,
  MAC_START_ACTION,
  recordMac,
  type VerifyProblem,
  type VerifyResult,
} from './audit-chain.ts';
import { sealedRunCheck } from './sealed-records.ts';

export interface VerifyOptions {
  /** Overrides the key stored in the database (pass an exported key: whoever rewrites the
   * database can replace the stored one). */
  publicKeyPem?: string;
  /** The audit MAC key of a key term (undefined for a term not held). Without this option MACs
   * are checked for presence only: `macsChecked` is false. */
  macKey?: (term: number) => KeyObject | undefined;
  /**
   * With macKey: the MAC start as the keys pin it (sys/audit-pin.ts), which is the truth, not
   * audit_head.mac_from. `pinned: null`: the keys pin none, allowed only while no record is in the
   * MAC era (a migrated store never started since) and never when `required` (a running server
   * pinned it before serving). `problem`: the pin is missing, does not authenticate, or differs from
   * what the server saw.
   */
  macStart?: { pinned: number | null; required: boolean; problem?: string | null };
}

const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function checkpointSignedOk(cp: AuditCheckpointTable, publicKey: KeyObject | undefined): boolean {
  if (!publicKey) return false;
  const v2 = cp.mac_from === null || cp.mac_from === undefined ? undefined : { mac: cp.mac, macFrom: Number(cp.mac_from) };
  const message = checkpointMessage(Number(cp.seq), cp.hash, Number(cp.time), v2);
  return edVerify(null, message, publicKey, Buffer.from(cp.signature, 'base64'));
}

/** The marker at the MAC start of a migrated store must name exactly the legacy records before it. */
function isStartMarker(details: string | null, macFrom: number): boolean {
  try {
    return (JSON.parse(details ?? 'null') as { legacyRecords?: unknown } | null)?.legacyRecords === macFrom - 1;
  } catch {
    return false;
  }
}

/**
 * Walks the whole chain in sequence order and names the first bad record: plain hashes and links,
 * the MAC of every record from the MAC start on, the checkpoint signatures and what they sign, and
 * the head. Reads in pages, so the memory use does not grow with the log.
 */
export async function verifyAuditChain(db: Executor, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const stored = await db.selectFrom('system_keys').select('public_value').where('name', '=', 'audit-signing').executeTakeFirst();
  const pem = opts.publicKeyPem ?? stored?.public_value ?? undefined;
  const publicKey = pem ? createPublicKey(pem) : undefined;
  const checkpoints = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
  const cpBySeq = new Map(checkpoints.map((c) => [Number(c.seq), c]));
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  // without a head row every record must carry a MAC: the strictest reading
  const headMacFrom = head ? Number(head.mac_from) : 1;
  const pinned = opts.macStart?.pinned ?? null;
  const macFrom = pinned ?? headMacFrom;
  // problems of the pin itself, reported at the MAC start unless a record before it is bad
  let pinProblem: VerifyProblem | null = null;
  const pinFail = (seq: number, message: string) => {
    pinProblem ??= { seq, kind: 'mac_start', message };
  };
  if (opts.macStart?.problem) pinFail(macFrom, `${opts.macStart.problem}: the MAC start cannot be trusted`);
  if (opts.macStart && pinned === null && opts.macStart.required) {
    pinFail(macFrom, 'the keys pin no MAC start, though this server pinned it before serving (were MACs stripped?)');
  }
  if (pinned !== null && headMacFrom !== pinned) {
    pinFail(Math.min(pinned, headMacFrom), `the chain head says MACs start at ${headMacFrom}, the keys pin ${pinned}`);
  }
  const unpinned = opts.macStart !== undefined && pinned === null;
  if (unpinned) {
    const v2 = checkpoints.find((c) => c.mac_from !== null);
    if (v2) pinFail(Number(v2.seq), `checkpoint ${v2.seq} signs a MAC start, but the keys pin none`);
  }
  const sealedRuns = sealedRunCheck();

  let prevHash = GENESIS_HASH;
  let prevMac = GENESIS_MAC;
  let lastMac: string | null = null;
  let lastTerm: number | null = null;
  let prevTerm = 0;
  let expectedSeq = 1;
  let records = 0;
  let firstBad: VerifyProblem | null = null;
  const fail = (p: VerifyProblem) => {
    firstBad ??= p;
  };

  // Checkpoint signatures are checked on their own; a bad one is a problem at its seq (reported
  // when no record before it is bad).
  const badCp = checkpoints.find((cp) => !checkpointSignedOk(cp, publicKey));
  const cpProblem: VerifyProblem | null = badCp
    ? { seq: Number(badCp.seq), kind: 'bad_checkpoint', message: `checkpoint at record ${badCp.seq} has an invalid signature` }
    : null;

  const PAGE = 2000;
  let after = 0;
  for (;;) {
    const page = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
    for (const r of page) {
      const seq = Number(r.seq);
      records++;
      if (firstBad === null) {
        const keyed = seq >= macFrom;
        const term = r.mac_term === null ? null : Number(r.mac_term);
        const canonical = canonicalRecord(r);
        if (seq !== expectedSeq) {
          fail({ seq: expectedSeq, kind: 'sequence_gap', message: `record ${expectedSeq} is missing (next is ${seq})` });
        } else if (r.prev_hash !== prevHash) {
          fail({ seq, kind: 'broken_link', message: `record ${seq} does not follow record ${seq - 1}` });
        } else if (canonicalHash(canonical) !== r.hash) {
          fail({ seq, kind: 'hash_mismatch', message: `record ${seq} was altered` });
        } else if (!keyed && (r.mac !== null || term !== null || Number(r.sealed) !== 0)) {
          fail({ seq, kind: 'mac_boundary', message: `record ${seq} carries a MAC but precedes the MAC start (${macFrom})` });
        } else if (keyed && (r.mac === null || term === null)) {
          fail({ seq, kind: 'mac_missing', message: `record ${seq} has no MAC` });
        } else if (Number(r.sealed) !== 0 && ((r.actor_kind !== 'anonymous' && r.actor_kind !== 'system') || r.actor_id !== null)) {
          fail({ seq, kind: 'sealed_record', message: `record ${seq} is marked as written while sealed but names a signed-in actor` });
        } else if (keyed && seq === macFrom && macFrom > 1 && (r.action !== MAC_START_ACTION || !isStartMarker(r.details, macFrom))) {
          fail({ seq, kind: 'mac_boundary', message: `record ${seq} should be the marker where MACs start` });
        } else if (keyed && (term as number) < prevTerm) {
          fail({ seq, kind: 'mac_mismatch', message: `record ${seq} is MACed under an older key term than record ${seq - 1}` });
        } else if (keyed && opts.macKey && !macOk(opts.macKey(term as number), prevMac, canonical, r.mac as string)) {
          fail({ seq, kind: 'mac_mismatch', message: `record ${seq} was not written by Coffer (its MAC does not match)` });
        } else if (keyed && unpinned) {
          fail({ seq, kind: 'mac_start', message: `record ${seq} is in the MAC era, but the keys pin no MAC start` });
        } else {
          const sealedProblem = sealedRuns.check(r);
          const cp = cpBySeq.get(seq);
          if (sealedProblem) fail(sealedProblem);
          else if (cp && (cp.hash !== r.hash || (cp.mac_from !== null && (cp.mac !== r.mac || Number(cp.mac_from) !== macFrom)))) {
            fail({ seq, kind: 'checkpoint_mismatch', message: `record ${seq} differs from its signed checkpoint` });
          }
        }
        if (keyed && term !== null) prevTerm = term;
      }
      prevHash = r.hash;
      if (seq >= macFrom) prevMac = r.mac ?? GENESIS_MAC;
      lastMac = r.mac;
      lastTerm = r.mac_term === null ? null : Number(r.mac_term);
      expectedSeq = seq + 1;
      after = seq;
    }
    if (page.length < PAGE) break;
  }
  const lastSeq = expectedSeq - 1;
  const openRun = firstBad === null ? sealedRuns.end(lastSeq + 1) : null;
  if (openRun) fail(openRun);
  // A checkpoint beyond the last record means records were cut off the end.
  const lastCp = checkpoints.at(-1);
  if (firstBad === null && lastCp && Number(lastCp.seq) > lastSeq) {
    fail({ seq: lastSeq + 1, kind: 'sequence_gap', message: `records after ${lastSeq} up to checkpoint ${lastCp.seq} are missing` });
  }
  if (firstBad === null) {
    const headSeq = head ? Number(head.seq) : 0;
    const headMatches =
      head === undefined
        ? lastSeq === 0
        : headSeq === lastSeq &&
          (lastSeq === 0 ||
            (head.hash === prevHash &&
              (head.mac ?? null) === lastMac &&
              (head.mac_term === null ? null : Number(head.mac_term)) === lastTerm));
    if (!headMatches) {
      fail({ seq: Math.min(headSeq, lastSeq) + 1, kind: 'head_mismatch', message: 'the chain head does not match the last record' });
    }
  }
  for (const p of [cpProblem, pinProblem as VerifyProblem | null]) {
    if (p && (firstBad === null || (firstBad as VerifyProblem).seq > p.seq)) firstBad = p;
  }
  const sealed = await db
    .selectFrom('audit_sealed')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return {
    ok: firstBad === null,
    records,
    lastSeq,
    lastHash: prevHash,
    lastMac,
    macFrom,
    macStart: opts.macStart === undefined ? 'unchecked' : pinned === null ? 'not_started' : 'pinned',
    macsChecked: opts.macKey !== undefined,
    checkpoints: checkpoints.length,
    lastCheckpointSeq: lastCp ? Number(lastCp.seq) : null,
    sealedPending: Number(sealed?.n ?? 0),
    firstBad,
  };
}

function canonicalHash(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

function macOk(key: KeyObject | undefined, prevMac: string, canonical: string, mac: string): boolean {
  return key !== undefined && sameHex(recordMac(key, prevMac, canonical), mac);
}
