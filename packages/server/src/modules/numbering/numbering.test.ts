// Stable integer ids for compatibility APIs: given once, kept, never reused, one number space,
// and the same number whichever of two concurrent connections asks first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { openDatabase } from '../../db/database.ts';
import { createNumbering } from './numbering.service.ts';

for (const dialect of dialects) {
  describe(`object numbers [${dialect}]`, () => {
    let h: Harness;
    const numbering = createNumbering();
    before(async () => {
      h = await startHarness(dialect);
    });
    after(async () => h?.close());

    it('gives each object one positive integer, the same on every ask, unique across kinds; idOf reads it back', async () => {
      const db = h.database.db;
      const a = await numbering.numbersOf(db, 'secret', ['sec_a', 'sec_b', 'sec_a']);
      assert.equal(a.size, 2);
      const again = await numbering.numberOf(db, 'secret', 'sec_a');
      assert.equal(again, a.get('sec_a'));
      const folder = await numbering.numberOf(db, 'folder', 'sec_a'); // same text id, another kind
      assert.ok(![...a.values()].includes(folder), 'one number space across kinds');
      assert.equal(await numbering.idOf(db, 'secret', a.get('sec_b') as number), 'sec_b');
      assert.equal(await numbering.idOf(db, 'secret', String(a.get('sec_b'))), 'sec_b', 'as the string a client sends');
      assert.equal(await numbering.idOf(db, 'folder', a.get('sec_b') as number), undefined, 'a number of another kind names nothing');
      for (const bad of ['0', '-1', '1.5', 'abc', '', '99999999999999999999', ' 1e3'])
        assert.equal(await numbering.idOf(db, 'secret', bad), undefined);
    });

    it('never reuses a number: the rows stay, the counter only grows (random sequences of asks)', async () => {
      const db = h.database.db;
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(
              fc.constantFrom('secret', 'user', 'vault') as fc.Arbitrary<'secret' | 'user' | 'vault'>,
              fc.integer({ min: 0, max: 30 }),
            ),
            { minLength: 1, maxLength: 20 },
          ),
          async (asks) => {
            for (const [kind, n] of asks) {
              const id = `obj_${n}`;
              const num = await numbering.numberOf(db, kind, id);
              const key = `${kind}/${id}`;
              if (seen.has(key)) assert.equal(num, seen.get(key));
              else {
                assert.ok(![...seen.values()].includes(num), `number ${num} given twice`);
                seen.set(key, num);
              }
            }
          },
        ),
        { numRuns: 30 },
      );
      // inside a transaction that rolls back, the numbers given go with it, and are not given again
      const before = await db.selectFrom('object_number_seq').select('last').executeTakeFirstOrThrow();
      await db
        .transaction()
        .execute(async (trx) => {
          await numbering.numberOf(trx, 'secret', 'rolled_back');
          throw new Error('roll back');
        })
        .catch(() => {});
      assert.equal(await numbering.idOf(db, 'secret', Number(before.last) + 1), undefined);
      const fresh = await numbering.numberOf(db, 'secret', 'rolled_back');
      assert.ok(fresh > Number(before.last));
      assert.ok(![...seen.values()].includes(fresh));
    });

    // PostgreSQL: two pools, as two nodes. SQLite: one server per store (the store lock), so two
    // concurrent callers share its one connection (node:sqlite is synchronous: a second connection
    // in this process would block the thread on the first one's lock).
    it('two callers asking for the same new objects at once agree on their numbers', async () => {
      const url =
        dialect === 'sqlite'
          ? `sqlite:${h.dir}/coffer.db`
          : `${process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'}?schema=${h.schema}`;
      const other = dialect === 'postgres' ? await openDatabase(url) : h.database;
      try {
        for (let round = 0; round < 10; round++) {
          const ids = Array.from({ length: 20 }, (_, i) => `race_${round}_${i}`);
          const [x, y] = await Promise.all([
            numbering.numbersOf(h.database.db, 'secret', ids),
            numbering.numbersOf(other.db, 'secret', [...ids].reverse()),
          ]);
          for (const id of ids) assert.equal(x.get(id), y.get(id), id);
          assert.equal(new Set(x.values()).size, ids.length);
        }
      } finally {
        if (other !== h.database) await other.close();
      }
    });
  });
}
