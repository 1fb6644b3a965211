import { createHash, createHmac, type KeyObject } from 'node:crypto';
import type { AuditLogTable } from '../../db/schema.ts';

/**
 * The tamper-evident chain (ADR 0003, ADR 0008).
 *
 * Each record's `hash` is SHA-256 over its canonical form, which includes the previous record's
 * hash, so editing, deleting, inserting or reordering any record breaks the plain chain at that
 * record. Anyone can recompute a plain hash, though: whoever can write the database could rewrite
 * the records after the newest signed checkpoint and their hashes. So every record from the MAC
 * start on (`audit_head.mac_from`: 1 on a store created with MACs, the marker record
 * `audit.mac_start` on a migrated one) also carries `mac` = HMAC-SHA-256 under the audit MAC key
 * of its key term over the previous record's MAC and its own canonical form: without the keyring
 * nobody can write a record that verifies, at the end of the chain or anywhere else.
 * Signed checkpoints (Ed25519) over (seq, hash, mac, MAC start) let a party holding only the
 * exported public key check the chain up to the newest checkpoint.
 */
export const GENESIS_HASH = '0'.repeat(64);
/** The "previous MAC" of the first MACed record. */
export const GENESIS_MAC = '0'.repeat(64);
/** HKDF label of the audit MAC key of a key term (keyring.derive). Changing it needs a new version. */
export const AUDIT_MAC_LABEL = 'coffer/audit-mac/v1';
/** Action of the record that starts the MAC chain on a store that had records before MACs. */
export const MAC_START_ACTION = 'audit.mac_start';

export type AuditRecord = Omit<AuditLogTable, 'hash' | 'mac'>;

/**
 * The canonical form. A record without a key term is a legacy record (written before the MAC
 * start) and keeps the v1 form; a MACed record's form (v2) also covers its key term and whether it
 * was written while sealed; v3 (records with `via`, from migration 0013) also the API surface.
 */
export function canonicalRecord(r: AuditRecord): string {
  const fields = [
    Number(r.seq),
    r.id,
    Number(r.time),
    r.actor_id,
    r.actor_name,
    r.actor_kind,
    r.auth_method,
    r.source_ip,
    r.request_id,
    r.action,
    r.object_type,
    r.object_id,
    r.outcome,
    r.reason,
    r.details,
  ];
  if (r.mac_term === null || r.mac_term === undefined) return JSON.stringify(['coffer-audit/v1', ...fields, r.prev_hash]);
  // v3 (migration 0013 on): also the API surface the record came through
  if (r.via !== null && r.via !== undefined) {
    return JSON.stringify(['coffer-audit/v3', ...fields, Number(r.sealed) ? 1 : 0, Number(r.mac_term), r.via, r.prev_hash]);
  }
  return JSON.stringify(['coffer-audit/v2', ...fields, Number(r.sealed) ? 1 : 0, Number(r.mac_term), r.prev_hash]);
}

export function recordHash(r: AuditRecord): string {
  return createHash('sha256').update(canonicalRecord(r)).digest('hex');
}

/** HMAC-SHA-256 over the previous record's MAC and this record's canonical form. */
export function recordMac(key: KeyObject, prevMac: string, canonical: string): string {
  return createHmac('sha256', key).update(`coffer-audit-mac/v1\n${prevMac}\n`).update(canonical).digest('hex');
}

/** Hash and MAC of a record, from one canonical form. */
export function sealRecord(r: AuditRecord, key: KeyObject, prevMac: string): { hash: string; mac: string } {
  const canonical = canonicalRecord(r);
  return { hash: createHash('sha256').update(canonical).digest('hex'), mac: recordMac(key, prevMac, canonical) };
}

/**
 * What a checkpoint signs. v1 (before MACs): (seq, hash, time). v2: also the record's MAC (null
 * while the head is a legacy record) and the MAC start, so a signed checkpoint pins where MACs begin.
 */
export function checkpointMessage(seq: number, hash: string, time: number, v2?: { mac: string | null; macFrom: number }): Buffer {
  if (!v2) return Buffer.from(JSON.stringify(['coffer-audit-checkpoint/v1', seq, hash, time]));
  return Buffer.from(JSON.stringify(['coffer-audit-checkpoint/v2', seq, hash, v2.mac, v2.macFrom, time]));
}

export interface VerifyProblem {
  seq: number;
  kind:
    | 'hash_mismatch'
    | 'broken_link'
    | 'sequence_gap'
    | 'mac_missing'
    | 'mac_mismatch'
    | 'mac_boundary'
    | 'mac_start'
    | 'sealed_record'
    | 'bad_checkpoint'
    | 'checkpoint_mismatch'
    | 'head_mismatch';
  message: string;
}

export interface VerifyResult {
  /** Nothing wrong was found in what was checked (see macsChecked). */
  ok: boolean;
  records: number;
  /** The last record: compare (lastSeq, lastHash, lastMac) with an external copy to see a cut tail. */
  lastSeq: number;
  lastHash: string;
  lastMac: string | null;
  /** Records from this seq on carry a MAC (1: all of them; records before it are legacy). */
  macFrom: number;
  /**
   * Where macFrom came from: `pinned` under the keys (checked with them), `not_started` (the keys
   * pin none: a store migrated from before MACs that no server has started on since, every record
   * legacy), `unchecked` (no keys: audit_head's value, which a database writer can change).
   */
  macStart: 'pinned' | 'not_started' | 'unchecked';
  /** Whether the MACs were recomputed (needs the keyring); otherwise only their presence was checked. */
  macsChecked: boolean;
  checkpoints: number;
  lastCheckpointSeq: number | null;
  /** Records written while sealed that wait to enter the chain (not yet protected by a MAC). */
  sealedPending: number;
  /** The first bad record, if any. */
  firstBad: VerifyProblem | null;
}
