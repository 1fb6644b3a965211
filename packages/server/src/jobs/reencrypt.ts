import { type RawBuilder, sql } from 'kysely';
import { type Binding, DecryptError } from '../crypto/aead.ts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { integrityError } from '../lib/integrity-error.ts';
import type { IntegrityReporter } from '../modules/audit/integrity.ts';
import type { SealManager } from '../modules/sys/seal.ts';

/**
 * Every encrypted column, with the binding of each value. The re-encryption job walks this list;
 * a new encrypted column must be added here (a test checks every `*_enc` column is listed).
 */
export const encryptedColumns: ReadonlyArray<{
  table: string;
  /** The primary key columns, in index order (keyset pagination walks them). */
  keys: readonly string[];
  column: string;
  binding: (key: readonly string[]) => Binding;
}> = [
  {
    table: 'system_keys',
    keys: ['name'],
    column: 'value_enc',
    binding: ([id]) => ({ type: 'system_key', id: String(id), field: 'value' }),
  },
  { table: 'users', keys: ['id'], column: 'totp_secret_enc', binding: ([id]) => ({ type: 'user', id: String(id), field: 'totp_secret' }) },
  {
    table: 'secret_values',
    keys: ['secret_id', 'field'],
    column: 'value_enc',
    binding: ([id, field]) => ({ type: 'secret', id: String(id), field: String(field) }),
  },
  {
    table: 'secret_versions',
    keys: ['secret_id', 'version'],
    column: 'values_enc',
    binding: ([id, version]) => ({ type: 'secret_version', id: `${id}:${version}`, field: 'values' }),
  },
  {
    table: 'attachment_chunks',
    keys: ['attachment_id', 'idx'],
    column: 'data_enc',
    binding: ([id, idx]) => ({ type: 'attachment', id: String(id), field: `chunk:${idx}` }),
  },
  {
    table: 'attachment_removed_chunks',
    keys: ['attachment_id', 'idx'],
    column: 'data_enc',
    binding: ([id, idx]) => ({ type: 'attachment', id: String(id), field: `chunk:${idx}` }),
  },
  { table: 'webhooks', keys: ['id'], column: 'secret_enc', binding: ([id]) => ({ type: 'webhook', id: String(id), field: 'secret' }) },
  // the new password of an open remote rotation (modules/rotation/journal.ts pendingBinding); erased
  // (null) once the entry settles, so only open entries have one
  {
    table: 'rotation_journal',
    keys: ['id'],
    column: 'pending_enc',
    binding: ([id]) => ({ type: 'rotation', id: String(id), field: 'pending' }),
  },
  // a pending password reset's Argon2 hash (admin-requests/dual-control.ts secretBinding)
  {
    table: 'admin_requests',
    keys: ['id'],
    column: 'secret_enc',
    binding: ([id]) => ({ type: 'admin_request', id: String(id), field: 'secret' }),
  },
];

/** `(k1, k2) > (v1, v2)` spelled out, so both dialects use the primary-key index. */
function after(keys: readonly string[], values: readonly unknown[]): RawBuilder<unknown> {
  const [k, ...restKeys] = keys;
  const [v, ...restValues] = values;
  if (restKeys.length === 0) return sql`${sql.ref(k as string)} > ${v}`;
  return sql`(${sql.ref(k as string)} > ${v} or (${sql.ref(k as string)} = ${v} and ${after(restKeys, restValues)}))`;
}

function sameRow(keys: readonly string[], values: readonly unknown[]): RawBuilder<unknown> {
  return sql.join(
    keys.map((k, i) => sql`${sql.ref(k)} = ${values[i]}`),
    sql` and `,
  );
}

export interface ReencryptState {
  targetTerm: number;
  tableIndex: number;
  lastKey: string;
  processed: number;
  total: number;
  /** Values that failed their integrity check: left as they are (audited, logged), not counted in processed. */
  failed?: number;
}

const JOB = 'keyring.reencrypt';
const BATCH = 200;

/**
 * Resumable re-encryption to the active term. Progress is stored after every batch, so a restart
 * (or another node taking over the lease) continues where it stopped. Each value is swapped with a
 * conditional update (only if it still holds the old ciphertext), so a concurrent write is never
 * overwritten.
 */
export function createReencryptJob(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  owner: string;
  /** Audits and logs a value that fails its integrity check; the job goes on with the others, or
   * stops when that record cannot be written (fail closed: no unaudited skip). */
  integrity: IntegrityReporter;
}) {
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
      // an incomplete run walked everything: its damaged values stay until a new rotation
      .where('status', 'not in', ['done', 'incomplete'])
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
      const col = sql.ref(c.column);
      const keyCols = sql.join(c.keys.map((k) => sql.ref(k)));
      const last = state.lastKey ? (JSON.parse(state.lastKey) as unknown[]) : null;
      const rows = (
        await sql<Record<string, unknown>>`select ${keyCols}, ${col} as v from ${sql.table(c.table)}
          where ${col} is not null and ${col} not like ${`c1.${state.targetTerm}.%`} and ${last ? after(c.keys, last) : sql`1 = 1`}
          order by ${keyCols} limit ${BATCH}`.execute(db)
      ).rows.map((r) => ({ k: c.keys.map((k) => r[k]), v: String(r.v) }));
      // sealed before the transaction: a value that does not authenticate is reported and left as it
      // is (it stays on its old term, so countPending still shows it), and the others move on
      const moved: Array<{ k: unknown[]; v: string; next: string }> = [];
      let failed = 0;
      for (const r of rows) {
        const b = c.binding(r.k.map(String));
        let pt: Buffer;
        try {
          pt = keyring.decrypt(b, r.v);
        } catch (e) {
          if (!(e instanceof DecryptError)) throw e;
          seal.requireKeys(); // sealed meanwhile: stop here, the data is not at fault
          // fail closed: a damaged value is skipped only once its audit record is durable; otherwise
          // the run stops here (nothing of this batch committed) and is retried later
          if (!(await deps.integrity(integrityError(b), JOB))) {
            throw new Error(`re-encryption stopped: the integrity failure of ${b.type} ${b.id} (${b.field}) could not be audited`);
          }
          failed++;
          continue;
        }
        moved.push({ k: r.k, v: r.v, next: keyring.encrypt(b, pt) });
        pt.fill(0);
      }
      await db.transaction().execute(async (trx) => {
        // a value rewritten meanwhile (under the active term) is not ours to move: count what moved
        let changed = 0;
        for (const r of moved) {
          const u =
            await sql`update ${sql.table(c.table)} set ${col} = ${r.next} where ${sameRow(c.keys, r.k)} and ${col} = ${r.v}`.execute(trx);
          changed += Number(u.numAffectedRows ?? 0);
        }
        if (rows.length < BATCH) {
          state.tableIndex++;
          state.lastKey = '';
        } else {
          state.lastKey = JSON.stringify((rows.at(-1) as { k: unknown[] }).k);
        }
        state.processed += changed;
        if (failed > 0) state.failed = (state.failed ?? 0) + failed;
        // the total was counted when the rotation began; values written since under the new term
        // needed no move, so a finished run reports what it actually had to do
        if (state.tableIndex >= encryptedColumns.length) state.total = state.processed + (state.failed ?? 0);
        const now = clock.now();
        const next = JSON.stringify(state);
        // conditional: only if the job is still the one we claimed (a rotation meanwhile replaces it)
        const u = await trx
          .updateTable('jobs')
          .set({
            state: next,
            lease_until: now + 60_000,
            updated_at: now,
            status: state.tableIndex < encryptedColumns.length ? 'running' : (state.failed ?? 0) > 0 ? 'incomplete' : 'done',
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
    if (!row) return { status: 'idle' as const, targetTerm: null, processed: 0, total: 0, percent: 100, failed: 0 };
    const s = JSON.parse(row.state) as ReencryptState;
    const failed = s.failed ?? 0;
    const done = s.processed + failed;
    // the share of values moved: 100 only when every value moved, never while damaged ones stayed behind
    const percent =
      row.status === 'done' ? 100 : s.total === 0 ? 0 : Math.min(99.9, Math.floor((s.processed / Math.max(s.total, done)) * 1000) / 10);
    return { status: row.status, targetTerm: s.targetTerm, processed: s.processed, total: Math.max(s.total, done), percent, failed };
  }

  return { enqueue, runOnce, kick, status, countPending };
}
export type ReencryptJob = ReturnType<typeof createReencryptJob>;
