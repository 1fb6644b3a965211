// The natural-key lock: callers of one (purpose, key) run one at a time, in one process and (on
// PostgreSQL) across two connections pools as two nodes have; other keys do not wait; a failure
// releases the key. Both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects, type Harness, PG_URL, startHarness } from '../../../test/harness.ts';
import { openDatabase } from '../../db/database.ts';
import { advisoryKey, createNaturalKeys, type NaturalKeys } from './natural-keys.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `n` callers of `key` through `locks` (one per caller, round robin); answers the most inside at once. */
async function overlap(locks: NaturalKeys[], key: string, n: number): Promise<number> {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      (locks[i % locks.length] as NaturalKeys).serialize('test', key, async () => {
        most = Math.max(most, ++inside);
        await sleep(15);
        inside--;
      }),
    ),
  );
  return most;
}

for (const dialect of dialects) {
  describe(`lookup: natural-key lock [${dialect}]`, () => {
    let h: Harness;
    let keys: NaturalKeys;
    before(async () => {
      h = await startHarness(dialect);
      keys = createNaturalKeys({ db: h.database.db, dialect });
    });
    after(async () => h.close());

    it('one caller of a key at a time; another key does not wait', async () => {
      assert.equal(await overlap([keys], 'k1', 6), 1);
      let inside = 0;
      let most = 0;
      await Promise.all(
        ['a', 'b', 'c'].map((k) =>
          keys.serialize('test', k, async () => {
            most = Math.max(most, ++inside);
            await sleep(40);
            inside--;
          }),
        ),
      );
      // all three inside at once: no key waited for another (no wall-clock bound: flaky under load)
      assert.equal(most, 3, 'different keys run together');
    });

    it('a failure answers the caller and releases the key', async () => {
      await assert.rejects(
        keys.serialize('test', 'k2', async () => {
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await keys.serialize('test', 'k2', async () => 'next'), 'next');
    });

    if (dialect === 'postgres') {
      it('two pools on one database (two nodes) serialise too', async () => {
        // advisory locks belong to the database, whatever the schema: a second pool on it is a second node
        const other = await openDatabase(PG_URL);
        try {
          const second = createNaturalKeys({ db: other.db, dialect: 'postgres' });
          assert.equal(await overlap([keys, second], 'k3', 8), 1);
        } finally {
          await other.close();
        }
      });
    }
  });
}

describe('lookup: natural-key advisory lock key', () => {
  it('is a signed 64-bit integer, stable, and differs by purpose and key', () => {
    const k = advisoryKey('senhasegura.device', 'web-01');
    assert.match(k, /^-?\d{1,19}$/);
    assert.equal(advisoryKey('senhasegura.device', 'web-01'), k);
    assert.notEqual(advisoryKey('senhasegura.info', 'web-01'), k);
    assert.notEqual(advisoryKey('senhasegura.device', 'web-02'), k);
  });
});
