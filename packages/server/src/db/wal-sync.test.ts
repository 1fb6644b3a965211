import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Kysely, sql } from 'kysely';
import { openDatabase } from './database.ts';
import { openSqlite } from './sqlite-driver.ts';
import { createWalSync, walFlusher } from './wal-sync.ts';

/** A flush the test finishes by hand, in the order it was started. */
function heldFlushes() {
  const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let started = 0;
  return {
    flush: () =>
      new Promise<void>((resolve, reject) => {
        started += 1;
        pending.push({ resolve, reject });
      }),
    pending,
    started: () => started,
    finishOne(fail = false) {
      const p = pending.shift();
      if (!p) return false;
      if (fail) p.reject(new Error('EIO'));
      else p.resolve();
      return true;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WAL flush coordinator', () => {
  it('acknowledges a commit only after a flush that started after it, and lets commits share flushes', async () => {
    // Model: a commit gets a ticket; a flush started when `committed = c` covers tickets <= c.
    // Property: every resolved wait was covered by a finished flush that started after its commit;
    // at the end every wait resolves, with no more flushes than commits.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('commit', 'finish', 'tick'), { minLength: 1, maxLength: 60 }), async (steps) => {
        const held = heldFlushes();
        const startedAt: number[] = []; // committed count when each flush started
        let committedNow = 0;
        const sync = createWalSync(() => {
          startedAt.push(committedNow);
          return held.flush();
        });
        let finished = 0; // flushes finished, in start order
        const waits: Array<{ ticket: number; done: boolean; coveredBy: number | null }> = [];
        const commit = () => {
          const ticket = sync.committed();
          committedNow = ticket;
          const w = { ticket, done: false, coveredBy: null as number | null };
          waits.push(w);
          void sync.durable(ticket).then(() => {
            w.done = true;
            // the flushes finished so far: one of them must have started at or after this commit
            w.coveredBy = startedAt.slice(0, finished).findIndex((c) => c >= ticket);
          });
        };
        for (const s of steps) {
          if (s === 'commit') commit();
          else if (s === 'finish') {
            if (held.finishOne()) finished += 1;
          } else await tick();
          await tick();
        }
        while (held.pending.length) {
          held.finishOne();
          finished += 1;
          await tick();
          await tick();
        }
        for (const w of waits) {
          assert.ok(w.done, `ticket ${w.ticket} never acknowledged`);
          assert.ok(w.coveredBy !== null && w.coveredBy >= 0, `ticket ${w.ticket} acknowledged without a flush after it`);
        }
        assert.ok(held.started() <= waits.length, 'more flushes than commits');
        assert.equal(sync.stats().synced, waits.length);
      }),
      { numRuns: 300 },
    );
  });

  it('fails every waiter once a flush fails, and never flushes again (no retry after a failed fsync)', async () => {
    const held = heldFlushes();
    const failures: unknown[] = [];
    const sync = createWalSync(held.flush, (e) => failures.push(e));
    const a = sync.durable(sync.committed());
    await tick();
    const b = sync.durable(sync.committed()); // waits behind the flush in flight
    held.finishOne(true);
    await assert.rejects(a, { name: 'WalSyncError' });
    await assert.rejects(b, { name: 'WalSyncError' });
    const startedBefore = held.started();
    await assert.rejects(sync.durable(sync.committed()), { name: 'WalSyncError' });
    assert.equal(held.started(), startedBefore, 'a flush was tried again after a failure');
    assert.equal(failures.length, 1);
  });
});

describe('SQLite commits wait for the flush, not the connection', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-walsync-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers a write after its flush; reads run meanwhile; reads never wait for a flush', async () => {
    const held = heldFlushes();
    const { dialect, walSync } = openSqlite(path.join(dir, 'held.db'), { flush: held.flush });
    assert.ok(walSync);
    const db = new Kysely<{ t: { id: number; v: string } }>({ dialect });
    try {
      const create = sql`create table t (id integer primary key, v text not null)`.execute(db);
      await tick();
      assert.equal(held.pending.length, 1, 'DDL waits for a flush too');
      held.finishOne();
      await create;

      let written = false;
      const write = db
        .insertInto('t')
        .values({ id: 1, v: 'one' })
        .execute()
        .then(() => {
          written = true;
        });
      await tick();
      assert.equal(written, false, 'the write was acknowledged before its log reached the disk');
      // the connection is free while the flush runs: another caller reads (and sees the commit;
      // in Coffer that caller's own answer then waits for its audit record's flush, which covers it)
      const rows = await db.selectFrom('t').selectAll().execute();
      assert.deepEqual(
        rows.map((r) => ({ ...r })),
        [{ id: 1, v: 'one' }],
      );
      assert.equal(written, false);
      held.finishOne();
      await write;

      // a transaction that only reads, and plain reads, ask for no flush
      const before = held.started();
      await db.transaction().execute(async (trx) => trx.selectFrom('t').selectAll().execute());
      await db.selectFrom('t').select('v').execute();
      assert.equal(held.started(), before);

      // INSERT … RETURNING runs as a reader statement: it still waits
      let returned = false;
      const ret = db
        .insertInto('t')
        .values({ id: 2, v: 'two' })
        .returning('id')
        .execute()
        .then(() => {
          returned = true;
        });
      await tick();
      assert.equal(returned, false, 'INSERT … RETURNING was acknowledged before its flush');
      held.finishOne();
      await ret;
    } finally {
      while (held.finishOne()) {}
      await db.destroy();
    }
  });

  it('flushes for real: concurrent transactions share flushes and all are covered', async () => {
    const database = await openDatabase(`sqlite:${path.join(dir, 'real.db')}`);
    try {
      const db = database.db as unknown as Kysely<{ t: { id: number } }>;
      await sql`create table t (id integer primary key)`.execute(db);
      const walSync = database.walSync;
      assert.ok(walSync);
      const before = walSync.stats();
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => db.transaction().execute((trx) => trx.insertInto('t').values({ id: i }).execute())),
      );
      const s = walSync.stats();
      assert.equal(s.committed - before.committed, 200);
      assert.equal(s.synced, s.committed, 'a commit was acknowledged without being flushed');
      assert.ok(s.flushes - before.flushes < 200, `no sharing: ${s.flushes - before.flushes} flushes for 200 commits`);
      assert.ok(existsSync(`${database.file}-wal`));
      const n = await db
        .selectFrom('t')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(n.n), 200);
    } finally {
      await database.close();
    }
  });

  it('flushes the database file when the log is gone', async () => {
    const file = path.join(dir, 'nolog.db');
    const { flush, close } = walFlusher(file);
    try {
      await assert.rejects(flush(), /ENOENT/); // neither file exists
      const d = await openDatabase(`sqlite:${file}`);
      await sql`create table x (a)`.execute(d.db);
      await d.close(); // the last connection removes the log
      assert.equal(existsSync(`${file}-wal`), false);
      await flush();
    } finally {
      await close();
    }
  });
});
