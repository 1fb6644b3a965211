import type { Trx } from '../../db/database.ts';
import type { AuditHeadTable, AuditSealedTable } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import { systemActor } from '../auth/actor.ts';
import { type AuditRecord, GENESIS_HASH, MAC_START_ACTION } from './audit-chain.ts';
import { verifyAuditChain } from './audit-verify.ts';

/** A record before it has a place in the chain (seq, link, key term, hash and MAC). */
export type Draft = Omit<AuditRecord, 'seq' | 'prev_hash' | 'mac_term'>;

/**
 * Reads the chain head and locks it for the append (`for update` on PostgreSQL; SQLite
 * transactions are serialised already), creating it on the first append of a store.
 */
export async function lockHead(trx: Trx, dialect: 'sqlite' | 'postgres'): Promise<AuditHeadTable> {
  const read = () => {
    const q = trx.selectFrom('audit_head').selectAll().where('id', '=', 1);
    return (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  };
  const head = await read();
  if (head) return head;
  await trx
    .insertInto('audit_head')
    .values({ id: 1, seq: 0, hash: GENESIS_HASH, mac: null, mac_term: null, mac_from: 1, sealed_pending: 0 })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return (await read()) as AuditHeadTable;
}

/**
 * At initialisation: where MACs begin on this store, to pin with the keys (1 on a new store); null
 * when it already holds records from before MACs (the first unsealed append pins it, with its marker).
 */
export async function initialMacFrom(trx: Trx, dialect: 'sqlite' | 'postgres'): Promise<number | null> {
  const head = await lockHead(trx, dialect);
  return Number(head.seq) === 0 ? Number(head.mac_from) : null;
}

/**
 * While no key is in memory (sealed, or before initialisation) a record cannot be MACed: it waits
 * in audit_sealed, in arrival order, and is durable before the caller answers (fail closed). The
 * head row stays locked meanwhile, so a node that drains the table at the same time cannot miss it.
 */
export async function writeSealed(trx: Trx, drafts: readonly Draft[]): Promise<void> {
  if (drafts.length === 0) return;
  const last = await trx.selectFrom('audit_sealed').select('pos').orderBy('pos', 'desc').limit(1).executeTakeFirst();
  let pos = last ? Number(last.pos) : 0;
  // while sealed only anonymous refusals and the initialisation are recorded: no API surface is kept
  const rows: AuditSealedTable[] = drafts.map(({ sealed: _s, via: _v, ...d }) => ({ ...d, pos: ++pos }));
  for (let i = 0; i < rows.length; i += 50) {
    await trx
      .insertInto('audit_sealed')
      .values(rows.slice(i, i + 50))
      .execute();
  }
  await trx
    .updateTable('audit_head')
    .set((eb) => ({ sealed_pending: eb('sealed_pending', '+', rows.length) }))
    .where('id', '=', 1)
    .execute();
}

/**
 * The record that starts the MAC chain on a store that has legacy records (migrated from before
 * MACs). The legacy chain is verified first (hashes, links, checkpoint signatures) and the outcome
 * is written into the marker, which is MACed like every record after it: its prev_hash pins the
 * legacy head, so the legacy part cannot be rewritten afterwards either.
 */
export async function macStartMarker(trx: Trx, head: AuditHeadTable, now: number): Promise<Draft> {
  const legacy = await verifyAuditChain(trx);
  return {
    id: newId('aud', now),
    time: now,
    actor_id: systemActor.userId,
    actor_name: systemActor.username,
    actor_kind: systemActor.kind,
    auth_method: systemActor.authMethod,
    source_ip: null,
    request_id: null,
    action: MAC_START_ACTION,
    object_type: 'audit',
    object_id: null,
    outcome: 'success',
    reason: null,
    details: JSON.stringify({
      legacyRecords: Number(head.seq),
      legacyVerified: legacy.ok,
      legacyFirstBad: legacy.firstBad ? { seq: legacy.firstBad.seq, kind: legacy.firstBad.kind } : null,
      legacyCheckpoint: legacy.lastCheckpointSeq,
    }),
    sealed: 0,
    via: null,
  };
}
