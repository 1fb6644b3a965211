import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { dialects, dropSchema, freshDatabase } from '../../test/harness.ts';
import { type Database, type Dialect, migrateToLatest, openDatabase, type Trx } from '../db/database.ts';
import { manualClock } from '../lib/clock.ts';
import { backoffDelay, createJobQueue, JobError, type JobFailure } from './queue.ts';

const WORKER = fileURLToPath(new URL('../../test/queue-worker.ts', import.meta.url));

interface Store {
  /** Instance A's connection. */
  a: Database;
  /** Instance B's: a second pool on PostgreSQL; the same connection on SQLite (one process). */
  b: Database;
  url: string;
  schema: string | null;
  dir: string;
}

async function openStore(dialect: Dialect): Promise<Store> {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-queue-'));
  const { database, url, schema } = await freshDatabase(dialect, dir);
  await migrateToLatest(database.db);
  await sql`create table queue_effects (job_id text not null, owner text not null)`.execute(database.db);
  const b = dialect === 'postgres' ? await openDatabase(url) : database;
  return { a: database, b, url, schema, dir };
}

async function closeStore(s: Store): Promise<void> {
  if (s.b !== s.a) await s.b.close();
  await s.a.close();
  if (s.schema) await dropSchema(s.schema);
  rmSync(s.dir, { recursive: true, force: true });
}

async function effects(s: Store): Promise<{ job_id: string; owner: string }[]> {
  return (await sql<{ job_id: string; owner: string }>`select job_id, owner from queue_effects`.execute(s.a.db)).rows;
}

/** Runs the built-in hourly cleanup job each new instance enqueues, so counts below are the test's jobs. */
async function drained<Q extends { runDue(): Promise<number> }>(...qs: Q[]): Promise<void> {
  for (const q of qs) await q.runDue();
}

async function jobRow(s: Store, id: string) {
  return s.a.db.selectFrom('job_queue').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

const effect = (owner: string) => async (trx: Trx, job: { id: string }) => {
  await sql`insert into queue_effects (job_id, owner) values (${job.id}, ${owner})`.execute(trx);
};

for (const dialect of dialects) {
  describe(`job queue [${dialect}]`, () => {
    let s: Store;
    before(async () => {
      s = await openStore(dialect);
    });
    after(async () => closeStore(s));
    beforeEach(async () => {
      await sql`delete from queue_effects`.execute(s.a.db);
      await s.a.db.deleteFrom('job_queue').execute();
    });

    it('two instances on one database run each of 300 jobs exactly once', async () => {
      const clock = manualClock(1_700_000_000_000);
      const a = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a', concurrency: 7 });
      const b = createJobQueue({ db: s.b.db, dialect, clock, owner: 'node_b', concurrency: 7 });
      await drained(a, b);
      a.register('work', effect('node_a'));
      b.register('work', effect('node_b'));
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push((await a.enqueue(s.a.db, 'work', { n: i })) as string);
      let rounds = 0;
      for (;;) {
        const n = await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
        if (n.every((x) => x === 0)) break;
        assert.ok(++rounds < 500, 'the queue drains');
      }
      const rows = await effects(s);
      const count = new Map<string, number>();
      for (const r of rows) count.set(r.job_id, (count.get(r.job_id) ?? 0) + 1);
      assert.equal(rows.length, 300, 'one effect per job');
      for (const id of ids) assert.equal(count.get(id), 1, `job ${id} ran once`);
      const owners = new Set(rows.map((r) => r.owner));
      assert.deepEqual([...owners].sort(), ['node_a', 'node_b'], 'both instances took jobs');
      const states = await s.a.db.selectFrom('job_queue').select(['state', 'attempts']).where('kind', '=', 'work').execute();
      assert.ok(
        states.every((r) => r.state === 'done' && Number(r.attempts) === 1),
        'every job done at its first attempt',
      );
    });

    it('a job whose claimant dies (lease runs out) is run by the other instance, and the late claimant cannot complete it', async () => {
      const clock = manualClock(1_700_000_000_000);
      const a = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a', leaseMs: 60_000 });
      const b = createJobQueue({ db: s.b.db, dialect, clock, owner: 'node_b', leaseMs: 60_000 });
      await drained(a, b);
      let release: () => void = () => {};
      const hung = new Promise<void>((r) => {
        release = r;
      });
      let externalStarted = false;
      a.register('work', {
        external: async () => {
          externalStarted = true;
          await hung; // the process "dies" here: no completion, no heartbeat that matters
        },
        commit: effect('node_a'),
      });
      b.register('work', effect('node_b'));
      const id = (await a.enqueue(s.a.db, 'work', { n: 1 })) as string;
      const aRun = a.runDue();
      while (!externalStarted) await new Promise((r) => setTimeout(r, 5));
      assert.equal((await jobRow(s, id)).locked_by, 'node_a');
      assert.equal(await b.runDue(), 0, 'a live lease is not taken over');
      clock.advance(60_001);
      assert.equal(await b.runDue(), 1, 'an expired lease is claimed again');
      release();
      assert.equal(await aRun, 1);
      assert.deepEqual(
        (await effects(s)).map((r) => r.owner),
        ['node_b'],
        'the effect happened once, by the instance that took over',
      );
      const row = await jobRow(s, id);
      assert.equal(row.state, 'done');
      assert.equal(row.locked_by, 'node_b');
      assert.equal(Number(row.attempts), 2, 'the dead claim counts as an attempt');
    });

    it('a stopped instance leaves its claimed-but-unfinished job to another after the lease (nothing lost)', async () => {
      const clock = manualClock(1_700_000_000_000);
      const a = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a', leaseMs: 30_000 });
      const b = createJobQueue({ db: s.b.db, dialect, clock, owner: 'node_b', leaseMs: 30_000 });
      await drained(a, b);
      a.register('work', async () => {
        throw new Error('never reached');
      });
      b.register('work', effect('node_b'));
      const id = (await a.enqueue(s.a.db, 'work', {})) as string;
      // a claims (as its poll would) and the process is gone before running it
      await s.a.db
        .updateTable('job_queue')
        .set({ state: 'running', locked_by: 'node_a', lease_until: clock.now() + 30_000, attempts: 1 })
        .where('id', '=', id)
        .execute();
      await a.stop();
      assert.equal(await b.runDue(), 0);
      clock.advance(30_001);
      assert.equal(await b.runDue(), 1);
      assert.equal((await jobRow(s, id)).state, 'done');
      assert.equal((await effects(s)).length, 1);
    });

    it('retries with exponential backoff and jitter, then fails after max_attempts; errors keep only codes', async () => {
      const clock = manualClock(1_700_000_000_000);
      const q = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a' });
      await drained(q);
      const failures: JobFailure[] = [];
      let calls = 0;
      q.register('flaky', {
        backoff: { baseMs: 1000, maxMs: 60_000 },
        commit: async (trx, job) => {
          calls++;
          await effect('node_a')(trx, job);
          // the effect above rolls back with the failure
          if (calls === 1) throw new Error('canary-secret-in-a-message-7c1e');
          throw new JobError('receiver.down', 'the receiver answered 503');
        },
        onFailure: async (_trx, _job, f) => {
          failures.push(f);
        },
      });
      const id = (await q.enqueue(s.a.db, 'flaky', {}, { maxAttempts: 3 })) as string;
      assert.equal(await q.runDue(), 1);
      let row = await jobRow(s, id);
      assert.equal(row.state, 'queued');
      assert.equal(Number(row.attempts), 1);
      assert.equal(row.last_error, 'error: Error', 'an arbitrary message is never stored');
      let delay = Number(row.run_at) - clock.now();
      assert.ok(delay >= 500 && delay <= 1000, `first retry after 0.5-1 s, got ${delay}`);
      assert.equal(await q.runDue(), 0, 'not before its time');
      clock.set(Number(row.run_at));
      assert.equal(await q.runDue(), 1);
      row = await jobRow(s, id);
      assert.equal(row.state, 'queued');
      assert.equal(row.last_error, 'receiver.down: the receiver answered 503');
      delay = Number(row.run_at) - clock.now();
      assert.ok(delay >= 1000 && delay <= 2000, `second retry after 1-2 s, got ${delay}`);
      clock.set(Number(row.run_at));
      assert.equal(await q.runDue(), 1);
      row = await jobRow(s, id);
      assert.equal(row.state, 'failed');
      assert.equal(Number(row.attempts), 3);
      clock.advance(86_400_000);
      await q.runDue();
      assert.equal(calls, 3, 'a failed job is not run again');
      assert.equal(Number((await jobRow(s, id)).attempts), 3);
      assert.deepEqual(
        failures.map((f) => [f.final, f.nextRunAt === null]),
        [
          [false, false],
          [false, false],
          [true, true],
        ],
      );
      assert.equal((await effects(s)).length, 0, 'the effects of failed attempts rolled back');
    });

    it('a database effect commits exactly once even when the attempt fails after it', async () => {
      const clock = manualClock(1_700_000_000_000);
      const q = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a' });
      await drained(q);
      let calls = 0;
      q.register('once', async (trx, job) => {
        await effect('node_a')(trx, job);
        if (++calls === 1) throw new JobError('transient', 'first attempt fails after its effect');
      });
      const id = (await q.enqueue(s.a.db, 'once', {})) as string;
      await q.runDue();
      clock.set(Number((await jobRow(s, id)).run_at));
      await q.runDue();
      assert.equal(calls, 2);
      assert.equal((await effects(s)).length, 1);
      assert.equal((await jobRow(s, id)).state, 'done');
    });

    it('backoff stays within [nominal/2, nominal] and is capped', () => {
      for (let attempt = 1; attempt <= 20; attempt++) {
        const nominal = Math.min(60_000, 1000 * 2 ** (attempt - 1));
        assert.equal(
          backoffDelay(attempt, { baseMs: 1000, maxMs: 60_000 }, () => 0),
          nominal / 2,
        );
        assert.equal(
          backoffDelay(attempt, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999),
          Math.round(nominal * 0.9999995),
        );
      }
    });

    it('a job enqueued in a transaction that rolls back does not exist; a dedupe key admits one job', async () => {
      const clock = manualClock(1_700_000_000_000);
      const q = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a' });
      await drained(q);
      q.register('work', effect('node_a'));
      await assert.rejects(
        s.a.db.transaction().execute(async (trx) => {
          await q.enqueue(trx, 'work', {});
          throw new Error('rollback');
        }),
      );
      assert.equal(await q.runDue(), 0);
      const first = await q.enqueue(s.a.db, 'work', {}, { dedupeKey: 'k1' });
      const second = await q.enqueue(s.a.db, 'work', {}, { dedupeKey: 'k1' });
      assert.ok(first);
      assert.equal(second, null);
      assert.equal(await q.runDue(), 1);
      assert.equal(await q.enqueue(s.a.db, 'work', {}, { dedupeKey: 'k1' }), null, 'also once done');
    });

    it('a recurring task on two instances runs once per period', async () => {
      const period = 60_000;
      const clock = manualClock(Math.floor(1_700_000_000_000 / period) * period + 1234);
      const a = createJobQueue({ db: s.a.db, dialect, clock, owner: 'node_a' });
      const b = createJobQueue({ db: s.b.db, dialect, clock, owner: 'node_b' });
      await drained(a, b);
      a.every('tick', period, effect('node_a'));
      b.every('tick', period, effect('node_b'));
      for (let i = 0; i < 3; i++) {
        await Promise.all([a.runDue(), b.runDue()]);
        clock.advance(10_000);
      }
      assert.equal((await effects(s)).length, 1, 'first period: once');
      clock.advance(period);
      for (let i = 0; i < 3; i++) await Promise.all([b.runDue(), a.runDue()]);
      assert.equal((await effects(s)).length, 2, 'second period: once more');
      const rows = await s.a.db.selectFrom('job_queue').select(['dedupe_key', 'state']).where('kind', '=', 'every:tick').execute();
      assert.equal(rows.length, 2);
      assert.ok(rows.every((r) => r.state === 'done'));
    });

    it('start() polls in the background and stop() waits for the running job', async () => {
      const q = createJobQueue({ db: s.a.db, dialect, clock: { now: () => Date.now() }, owner: 'node_a' });
      let finished = false;
      q.register('slow', {
        external: async () => {
          await new Promise((r) => setTimeout(r, 200));
        },
        commit: async (trx, job) => {
          await effect('node_a')(trx, job);
          finished = true;
        },
      });
      await q.enqueue(s.a.db, 'slow', {});
      q.start({ pollMs: 20 });
      while (q.activeCount() === 0) await new Promise((r) => setTimeout(r, 5));
      await q.stop();
      assert.equal(finished, true, 'stop() returned only after the job finished');
      assert.equal((await effects(s)).length, 1);
    });

    if (dialect === 'postgres') {
      it('two OS processes on one PostgreSQL, one SIGKILLed mid-transaction: every job exactly once', async () => {
        const N = 200;
        const q = createJobQueue({ db: s.a.db, dialect, clock: { now: () => Date.now() }, owner: 'test' });
        const ids: string[] = [];
        for (let i = 0; i < N; i++) ids.push((await q.enqueue(s.a.db, 'work', { n: i })) as string);
        const run = (owner: string, env: Record<string, string>) =>
          new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
            const p = spawn(process.execPath, [WORKER], {
              env: { ...process.env, QUEUE_URL: s.url, QUEUE_OWNER: owner, QUEUE_LEASE_MS: '2000', ...env },
            });
            let out = '';
            let err = '';
            p.stdout.on('data', (c) => {
              out += c;
            });
            p.stderr.on('data', (c) => {
              err += c;
            });
            p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
          });
        const pa = run('proc_a', { QUEUE_DIE_AFTER: '10' });
        await new Promise((r) => setTimeout(r, 300));
        const pb = run('proc_b', {});
        const [ra, rb] = await Promise.all([pa, pb]);
        assert.equal(ra.signal, 'SIGKILL', `process a was killed: ${ra.err}`);
        assert.equal(rb.code, 0, `process b finished: ${rb.err}`);
        const dying = JSON.parse(ra.out.trim().split('\n')[0] as string).dying as string;
        const rows = await effects(s);
        const count = new Map<string, number>();
        for (const r of rows) count.set(r.job_id, (count.get(r.job_id) ?? 0) + 1);
        for (const id of ids) assert.equal(count.get(id), 1, `job ${id} ran once`);
        assert.equal(rows.length, N);
        assert.ok(
          rows.filter((r) => r.owner === 'proc_a').length >= 6,
          'a committed jobs before dying (up to 3 others died uncommitted with it)',
        );
        const died = await jobRow(s, dying);
        assert.equal(died.state, 'done');
        assert.equal(died.locked_by, 'proc_b', 'the job a died in was finished by b');
        assert.equal(Number(died.attempts), 2);
        assert.equal(rows.find((r) => r.job_id === dying)?.owner, 'proc_b', "a's uncommitted effect rolled back");
      });
    }
  });
}
