import { createHash } from 'node:crypto';
import type { AuditLogTable } from '../../db/schema.ts';

/**
 * The tamper-evident chain. Each record's hash covers its own fields and the previous record's
 * hash, so editing, deleting, inserting or reordering any record breaks the chain at that record.
 * Signed checkpoints (Ed25519) over (seq, hash) pin the chain: a rewrite of everything after a
 * record is still caught at the next checkpoint. What a chain cannot show by itself: records cut
 * off the end after the last checkpoint (truncation of the tail) — compare with an exported
 * checkpoint for that.
 */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditRecord = Omit<AuditLogTable, 'hash'>;

export function recordHash(r: AuditRecord): string {
  const canonical = JSON.stringify([
    'coffer-audit/v1',
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
    r.prev_hash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function checkpointMessage(seq: number, hash: string, time: number): Buffer {
  return Buffer.from(JSON.stringify(['coffer-audit-checkpoint/v1', seq, hash, time]));
}

export interface VerifyProblem {
  seq: number;
  kind: 'hash_mismatch' | 'broken_link' | 'sequence_gap' | 'bad_checkpoint' | 'checkpoint_mismatch';
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  lastSeq: number;
  lastHash: string;
  checkpoints: number;
  lastCheckpointSeq: number | null;
  /** The first bad record, if any. */
  firstBad: VerifyProblem | null;
}
