// SQL of the rotation module's own tables (rotation_targets, rotation_journal). Every step of the
// journal is a conditional UPDATE on (id, state, lease owner): a process that lost its lease, or
// an entry another process settled, changes nothing, and the caller learns it from the row count.
import { sql } from 'kysely';
import type { Executor, Trx } from '../../db/database.ts';
import type { JournalState, RotationJournalTable, RotationTargetTable } from '../../db/schema-rotation.ts';

export const OPEN_STATES: JournalState[] = ['pending', 'changed', 'verified'];

/** The field slugs of a secret's template (which field a connector would change). */
export async function templateFieldSlugs(exec: Executor, templateId: string): Promise<string[]> {
  const t = await exec.selectFrom('templates').select('fields').where('id', '=', templateId).executeTakeFirstOrThrow();
  return (JSON.parse(t.fields) as { slug: string }[]).map((f) => f.slug);
}

export function targetRow(exec: Executor, secretId: string) {
  return exec.selectFrom('rotation_targets').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
}

export async function upsertTarget(trx: Trx, row: RotationTargetTable): Promise<void> {
  const { secret_id, created_at, created_by, ...rest } = row;
  await trx
    .insertInto('rotation_targets')
    .values(row)
    .onConflict((oc) => oc.column('secret_id').doUpdateSet(rest))
    .execute();
}

export function deleteTarget(trx: Trx, secretId: string) {
  return trx.deleteFrom('rotation_targets').where('secret_id', '=', secretId).executeTakeFirst();
}

/** Pins the SSH host key seen on first use; a key pinned meanwhile by another process wins. */
export function pinHostKey(exec: Executor, secretId: string, hostKey: string, now: number) {
  return exec
    .updateTable('rotation_targets')
    .set({ host_key: hostKey, updated_at: now })
    .where('secret_id', '=', secretId)
    .where('host_key', 'is', null)
    .execute();
}

export function setHeartbeat(
  exec: Executor,
  secretId: string,
  v: Pick<RotationTargetTable, 'last_heartbeat_at' | 'last_heartbeat_status' | 'out_of_sync' | 'next_heartbeat_at'>,
) {
  return exec
    .updateTable('rotation_targets')
    .set({ ...v, updated_at: v.last_heartbeat_at ?? 0 })
    .where('secret_id', '=', secretId)
    .returning(['secret_id'])
    .executeTakeFirst();
}

export function setOutOfSync(exec: Executor, secretId: string, outOfSync: boolean, now: number) {
  return exec
    .updateTable('rotation_targets')
    .set({ out_of_sync: outOfSync ? 1 : 0, updated_at: now })
    .where('secret_id', '=', secretId)
    .execute();
}

export function setNextRotation(exec: Executor, secretId: string, at: number | null, now: number) {
  return exec.updateTable('rotation_targets').set({ next_rotation_at: at, updated_at: now }).where('secret_id', '=', secretId).execute();
}

/** A scheduled rotation held (dependencies not reviewed): flagged, and not due again until reviewed. */
export function holdRotation(exec: Executor, secretId: string, now: number) {
  return exec
    .updateTable('rotation_targets')
    .set({ held_at: now, next_rotation_at: null, updated_at: now })
    .where('secret_id', '=', secretId)
    .execute();
}

export function dueHeartbeats(exec: Executor, now: number, limit: number) {
  return exec
    .selectFrom('rotation_targets')
    .select('secret_id')
    .where('next_heartbeat_at', '<=', now)
    .orderBy('next_heartbeat_at')
    .limit(limit)
    .execute();
}

export function dueRotations(exec: Executor, now: number, limit: number) {
  return exec
    .selectFrom('rotation_targets')
    .select('secret_id')
    .where('next_rotation_at', '<=', now)
    .orderBy('next_rotation_at')
    .limit(limit)
    .execute();
}

/** Inserts an open entry; false when the secret has one already (the unique partial index). */
export async function insertEntry(trx: Trx, row: RotationJournalTable): Promise<boolean> {
  const r = await trx
    .insertInto('rotation_journal')
    .values(row)
    .onConflict((oc) => oc.column('secret_id').where('active', '=', sql.lit(1)).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export function entryRow(exec: Executor, id: string) {
  return exec.selectFrom('rotation_journal').selectAll().where('id', '=', id).executeTakeFirst();
}

export function openEntryOf(exec: Executor, secretId: string) {
  return exec.selectFrom('rotation_journal').selectAll().where('secret_id', '=', secretId).where('active', '=', 1).executeTakeFirst();
}

export function entriesOf(exec: Executor, secretId: string, limit: number) {
  return exec
    .selectFrom('rotation_journal')
    .selectAll()
    .where('secret_id', '=', secretId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Entries to reconcile: open ones, and promoted SSH-key rotations whose old key is still to be
 * removed (`cleanup`), whose lease ran out.
 */
export function staleEntries(exec: Executor, now: number, limit: number) {
  return exec
    .selectFrom('rotation_journal')
    .select('id')
    .where((eb) => eb.or([eb('active', '=', 1), eb('cleanup', 'is not', null)]))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('updated_at')
    .limit(limit)
    .execute();
}

/** Takes the lease of an entry whose lease ran out (the reconciler). */
export function claimStale(exec: Executor, id: string, owner: string, now: number, leaseMs: number) {
  return exec
    .updateTable('rotation_journal')
    .set((eb) => ({ lease_owner: owner, lease_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where((eb) => eb.or([eb('active', '=', 1), eb('cleanup', 'is not', null)]))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .returningAll()
    .executeTakeFirst();
}

/** Extends our lease before a step that talks to the target; false when it is no longer ours. */
export async function renewLease(exec: Executor, id: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
  const r = await exec
    .updateTable('rotation_journal')
    .set({ lease_until: now + leaseMs, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('lease_until', '>=', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Moves an open entry we hold from one of `from` to `to`. */
export async function advance(trx: Trx, id: string, owner: string, from: JournalState[], to: JournalState, now: number): Promise<boolean> {
  const r = await trx
    .updateTable('rotation_journal')
    .set({ state: to, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('active', '=', 1)
    .where('state', 'in', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Settles an open entry we hold: done (promoted) or rolled_back. The pending value is erased. */
export async function settle(
  trx: Trx,
  id: string,
  owner: string,
  to: 'done' | 'rolled_back',
  v: { now: number; newVersion?: number; lastError?: string | null; cleanup?: string | null; cleanupLeaseUntil?: number },
): Promise<boolean> {
  const r = await trx
    .updateTable('rotation_journal')
    .set({
      state: to,
      active: null,
      pending_enc: null,
      new_version: v.newVersion ?? null,
      last_error: v.lastError ?? null,
      cleanup: v.cleanup ?? null,
      updated_at: v.now,
      settled_at: v.now,
      // a cleanup still to do stays ours until then; the reconciler takes it over after that
      lease_until: v.cleanup ? (v.cleanupLeaseUntil ?? v.now) : null,
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('active', '=', 1)
    .where('state', 'in', OPEN_STATES)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Lets the reconciler take the entry after `retryAt` (our step failed without an answer). */
export function release(exec: Executor, id: string, owner: string, retryAt: number, lastError: string, now: number) {
  return exec
    .updateTable('rotation_journal')
    .set({ lease_until: retryAt, last_error: lastError, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

export function clearCleanup(exec: Executor, id: string, owner: string, now: number) {
  return exec
    .updateTable('rotation_journal')
    .set({ cleanup: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}
