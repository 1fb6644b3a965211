import { createPublicKey, verify as edVerify } from 'node:crypto';
import type { Executor } from '../../db/database.ts';
import { checkpointMessage, GENESIS_HASH, recordHash, type VerifyProblem, type VerifyResult } from './audit-chain.ts';

/**
 * Walks the whole chain in sequence order and names the first bad record. Reads in pages, so the
 * memory use does not grow with the log. `publicKeyPem` overrides the key stored in the database
 * (pass an exported key: an attacker who rewrites the database can replace the stored one).
 */
export async function verifyAuditChain(db: Executor, opts: { publicKeyPem?: string } = {}): Promise<VerifyResult> {
  const stored = await db.selectFrom('system_keys').select('public_value').where('name', '=', 'audit-signing').executeTakeFirst();
  const pem = opts.publicKeyPem ?? stored?.public_value ?? undefined;
  const publicKey = pem ? createPublicKey(pem) : undefined;
  const checkpoints = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
  const cpBySeq = new Map(checkpoints.map((c) => [Number(c.seq), c]));

  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let records = 0;
  let firstBad: VerifyProblem | null = null;
  const fail = (p: VerifyProblem) => {
    firstBad ??= p;
  };

  // Checkpoint signatures are checked on their own; a bad one is a problem at its seq.
  for (const cp of checkpoints) {
    const ok =
      publicKey !== undefined &&
      edVerify(null, checkpointMessage(Number(cp.seq), cp.hash, Number(cp.time)), publicKey, Buffer.from(cp.signature, 'base64'));
    if (!ok) {
      fail({ seq: Number(cp.seq), kind: 'bad_checkpoint', message: `checkpoint at record ${cp.seq} has an invalid signature` });
      break;
    }
  }

  const PAGE = 2000;
  let after = 0;
  for (;;) {
    const page = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
    for (const r of page) {
      const seq = Number(r.seq);
      records++;
      if (firstBad === null) {
        if (seq !== expectedSeq) {
          fail({ seq: expectedSeq, kind: 'sequence_gap', message: `record ${expectedSeq} is missing (next is ${seq})` });
        } else if (r.prev_hash !== prevHash) {
          fail({ seq, kind: 'broken_link', message: `record ${seq} does not follow record ${seq - 1}` });
        } else if (recordHash(r) !== r.hash) {
          fail({ seq, kind: 'hash_mismatch', message: `record ${seq} was altered` });
        } else {
          const cp = cpBySeq.get(seq);
          if (cp && cp.hash !== r.hash) {
            fail({ seq, kind: 'checkpoint_mismatch', message: `record ${seq} differs from its signed checkpoint` });
          }
        }
      }
      prevHash = r.hash;
      expectedSeq = seq + 1;
      after = seq;
    }
    if (page.length < PAGE) break;
  }
  const lastSeq = expectedSeq - 1;
  // A checkpoint beyond the last record means records were cut off the end.
  const lastCp = checkpoints.at(-1);
  if (firstBad === null && lastCp && Number(lastCp.seq) > lastSeq) {
    fail({ seq: lastSeq + 1, kind: 'sequence_gap', message: `records after ${lastSeq} up to checkpoint ${lastCp.seq} are missing` });
  }
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  if (firstBad === null && head && (Number(head.seq) !== lastSeq || (lastSeq > 0 && head.hash !== prevHash))) {
    fail({ seq: Math.min(Number(head.seq), lastSeq) + 1, kind: 'sequence_gap', message: 'the chain head does not match the last record' });
  }
  return {
    ok: firstBad === null,
    records,
    lastSeq,
    lastHash: prevHash,
    checkpoints: checkpoints.length,
    lastCheckpointSeq: lastCp ? Number(lastCp.seq) : null,
    firstBad,
  };
}
