import type { Binding } from '../crypto/aead.ts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import type { SealManager } from '../modules/sys/seal.ts';

/**
 * Every encrypted column, with the binding of each value. The re-encryption job walks this list;
 * a new encrypted column must be added here (a test checks every `*_enc` column is listed).
 */
export const encryptedColumns = [
  {
    table: 'system_keys',
    key: 'name',
    column: 'value_enc',
    binding: (id: string): Binding => ({ type: 'system_key', id, field: 'value' }),
  },
  { table: 'users', key: 'id', column: 'totp_secret_enc', binding: (id: string): Binding => ({ type: 'user', id, field: 'totp_secret' }) },
] as const;

export interface ReencryptState {
  targetTerm: number;
  tableIndex: number;
  lastKey: string;
  processed: number;
  total: number;
}

const JOB = 'keyring.reencrypt';
const BATCH = 200;

/**
 * Resumable re-encryption to the active term. Progress is stored after every batch, so a restart
 * (or another node taking over the lease) continues where it stopped. Each value is swapped with a
 * conditional update (only if it still holds the old ciphertext), so a concurrent write is never
 * overwritten.
 */
export function createReencryptJob(deps: { db: Db; clock: Clock; seal: SealManager; owner: string }) {
  const { db, clock, seal } = deps;
  let running: Promise<void> | undefined;
  let again = false;

  async function countPending(term: number): Promise<number> {
    let total = 0;
    for (const c of encryptedColumns) {
      const r = await (db as Db)
        .selectFrom(c.table as 'users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(c.column as 'totp_secret_enc', 'is not', null)
        .where(c.column as 'totp_secret_enc', 'not like', `c1.${term}.%`)
        .executeTakeFirstOrThrow();
      total += Number(r.n);
    }
    return total;
  }

  async function enqueue(targetTerm: number): Promise<void> {
    const state: ReencryptState = { targetTerm, tableIndex: 0, lastKey: '', processed: 0, total: await countPending(targetTerm) };
    const now = clock.now();
    await db
      .insertInto('jobs')
      .values({ name: JOB, status: 'pending', state: JSON.stringify(state), lease_owner: null, lease_until: null, updated_at: now })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ status: 'pending', state: JSON.stringify(state), lease_owner: null, lease_until: null, updated_at: now }),
      )
      .execute();
  }

  async function claim(): Promise<{ state: ReencryptState; raw: string } | undefined> {
    const now = clock.now();
    const r = await db
      .updateTable('jobs')
      .set({ status: 'running', lease_owner: deps.owner, lease_until: now + 60_000, updated_at: now })
      .where('name', '=', JOB)
      .where('status', '!=', 'done')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', deps.owner)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return undefined;
    const row = await db.selectFrom('jobs').select('state').where('name', '=', JOB).executeTakeFirstOrThrow();
    return { state: JSON.parse(row.state) as ReencryptState, raw: row.state };
  }

  /** Thrown inside a batch when a newer rotation replaced the job (its state changed under us). */
  const superseded = new Error('re-encryption job superseded by a newer rotation');

  async function runOnce(): Promise<void> {
    for (;;) {
      const claimed = await claim();
      if (!claimed) return;
      try {
        await runClaimed(claimed.state, claimed.raw);
        return;
      } catch (e) {
        if (e !== superseded) throw e;
        // a newer rotation was enqueued meanwhile: claim again and work towards its term
      }
    }
  }

  async function runClaimed(state: ReencryptState, raw: string): Promise<void> {
    let stored = raw;
    if (!seal.requireKeys().keyring.terms.includes(state.targetTerm)) await seal.reloadKeyring();
    const keyring = seal.requireKeys().keyring;
    while (state.tableIndex < encryptedColumns.length) {
      const c = encryptedColumns[state.tableIndex] as (typeof encryptedColumns)[number];
      const rows = (await (db as Db)
        .selectFrom(c.table as 'users')
        .select([`${c.key} as k` as 'id', `${c.column} as v` as 'totp_secret_enc'])
        .where(c.column as 'totp_secret_enc', 'is not', null)
        .where(c.column as 'totp_secret_enc', 'not like', `c1.${state.targetTerm}.%`)
        .where(c.key as 'id', '>', state.lastKey)
        .orderBy(c.key as 'id')
        .limit(BATCH)
        .execute()) as unknown as Array<{ k: string; v: string }>;
      await db.transaction().execute(async (trx) => {
        for (const r of rows) {
          const b = c.binding(r.k);
          const pt = keyring.decrypt(b, r.v);
          const next = keyring.encrypt(b, pt);
          pt.fill(0);
          await trx
            .updateTable(c.table as 'users')
            .set({ [c.column]: next } as { totp_secret_enc: string })
            .where(c.key as 'id', '=', r.k)
            .where(c.column as 'totp_secret_enc', '=', r.v)
            .execute();
        }
        if (rows.length < BATCH) {
          state.tableIndex++;
          state.lastKey = '';
        } else {
          state.lastKey = (rows.at(-1) as { k: string }).k;
        }
        state.processed += rows.length;
        const now = clock.now();
        const next = JSON.stringify(state);
        // conditional: only if the job is still the one we claimed (a rotation meanwhile replaces it)
        const u = await trx
          .updateTable('jobs')
          .set({
            state: next,
            lease_until: now + 60_000,
            updated_at: now,
            status: state.tableIndex >= encryptedColumns.length ? 'done' : 'running',
          })
          .where('name', '=', JOB)
          .where('state', '=', stored)
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) !== 1) throw superseded;
        stored = next;
      });
    }
  }

  /**
   * Starts the job in the background if there is work; at most one run per process at a time. A kick
   * during a run makes that run look for work once more when it ends (a rotation enqueued just as
   * the previous job finished must not wait for a restart).
   */
  function kick(onError: (e: unknown) => void): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await runOnce();
        } while (again);
      } catch (e) {
        onError(e);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  async function status() {
    const row = await db.selectFrom('jobs').selectAll().where('name', '=', JOB).executeTakeFirst();
    if (!row) return { status: 'idle' as const, targetTerm: null, processed: 0, total: 0, percent: 100 };
    const s = JSON.parse(row.state) as ReencryptState;
    const percent = row.status === 'done' ? 100 : s.total === 0 ? 0 : Math.min(99.9, Math.floor((s.processed / s.total) * 1000) / 10);
    return { status: row.status, targetTerm: s.targetTerm, processed: s.processed, total: Math.max(s.total, s.processed), percent };
  }

  return { enqueue, runOnce, kick, status, countPending };
}
export type ReencryptJob = ReturnType<typeof createReencryptJob>;
