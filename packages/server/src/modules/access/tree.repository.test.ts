// The closure table invariant, checked directly on both stores: after inserts, moves (also into
// another vault) and inheritance toggles, every node's tree_paths rows are exactly its ancestors
// (itself included) with the right distance, and inherits = 1 exactly when no node from it up to
// the ancestor (the ancestor excluded) breaks inheritance. The tree functions touch only
// tree_paths (and grants on delete), so these tests write nothing else.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { Db } from '../../db/database.ts';
import { ancestors, deleteNodes, insertChild, insertRoot, relink, subtree } from './tree.repository.ts';

const RUNS = 100;

/** The reference: parent pointers (null for a vault) and inherit flags. */
interface Tree {
  parent: Map<string, string | null>;
  inherit: Map<string, boolean>;
}

function newTree(): Tree {
  return { parent: new Map(), inherit: new Map() };
}

/** `ancestor depth inherits` rows of a node, nearest first, as the invariant says they must be. */
function expectedAncestors(t: Tree, node: string): string[] {
  const rows = [`${node} 0 1`];
  let inh = true;
  let depth = 0;
  for (let cur = node, p = t.parent.get(node); p; cur = p, p = t.parent.get(p)) {
    inh = inh && t.inherit.get(cur) === true;
    rows.push(`${p} ${++depth} ${inh ? 1 : 0}`);
  }
  return rows;
}

function isUnder(t: Tree, node: string, top: string): boolean {
  for (let cur: string | null | undefined = node; cur; cur = t.parent.get(cur)) if (cur === top) return true;
  return false;
}

async function assertInvariant(db: Db, t: Tree, where: string): Promise<number> {
  let rows = 0;
  for (const node of t.parent.keys()) {
    const got = (await ancestors(db, node)).map((r) => `${r.ancestor_id} ${r.depth} ${r.inherits}`);
    assert.deepEqual(got, expectedAncestors(t, node), `${where}: ancestors of ${node}`);
    const below = (await subtree(db, node)).map((r) => r.descendant_id).sort();
    const want = [...t.parent.keys()].filter((n) => isUnder(t, n, node)).sort();
    assert.deepEqual(below, want, `${where}: subtree of ${node}`);
    rows += got.length;
  }
  const total = await db
    .selectFrom('tree_paths')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(Number(total.n), rows, `${where}: no rows for unknown nodes`);
  return rows;
}

for (const dialect of dialects) {
  describe(`tree_paths closure invariant [${dialect}]`, () => {
    let h: Harness;
    let db: Db;
    before(async () => {
      h = await startHarness(dialect);
      db = h.database.db;
    });
    after(async () => h.close());
    beforeEach(async () => {
      await db.deleteFrom('tree_paths').execute();
      await db.deleteFrom('grants').execute();
    });

    it('holds through inserts, a broken chain, moves across vaults, inherit toggles and deletes', async () => {
      const t = newTree();
      const root = async (id: string) => {
        await insertRoot(db, id);
        t.parent.set(id, null);
        t.inherit.set(id, true);
      };
      const child = async (parent: string, id: string, inherit: boolean) => {
        await insertChild(db, parent, id, inherit);
        t.parent.set(id, parent);
        t.inherit.set(id, inherit);
      };
      // V / A / B(broken) / C / D      W / E
      await root('V');
      await root('W');
      await child('V', 'A', true);
      await child('A', 'B', false);
      await child('B', 'C', true);
      await child('C', 'D', true);
      await child('W', 'E', true);
      await assertInvariant(db, t, 'built');
      // spelled out once: D inherits from C and B, not from A or V (B breaks)
      assert.deepEqual(
        (await ancestors(db, 'D')).map((r) => [r.ancestor_id, r.depth, r.inherits]),
        [
          ['D', 0, 1],
          ['C', 1, 1],
          ['B', 2, 1],
          ['A', 3, 0],
          ['V', 4, 0],
        ],
      );

      // move the broken subtree B into the other vault, under E
      await relink(db, 'B', 'E', false);
      t.parent.set('B', 'E');
      await assertInvariant(db, t, 'B moved under W/E');

      // B inherits again: C and D now reach E and W
      await relink(db, 'B', 'E', true);
      t.inherit.set('B', true);
      await assertInvariant(db, t, 'B inherits');
      assert.deepEqual(
        (await ancestors(db, 'D')).map((r) => [r.ancestor_id, r.depth, r.inherits]),
        [
          ['D', 0, 1],
          ['C', 1, 1],
          ['B', 2, 1],
          ['E', 3, 1],
          ['W', 4, 1],
        ],
      );

      // C breaks: D still inherits from C, nothing above it
      await relink(db, 'C', 'B', false);
      t.inherit.set('C', false);
      await assertInvariant(db, t, 'C breaks');

      // move C (with D) back to the vault root of V, keeping its flag
      await relink(db, 'C', 'V', false);
      t.parent.set('C', 'V');
      await assertInvariant(db, t, 'C moved to V');

      // a move to the same parent is a no-op
      await relink(db, 'A', 'V', true);
      await assertInvariant(db, t, 'A moved in place');

      // deleting a subtree removes its rows and grants, nothing else
      await db
        .insertInto('grants')
        .values(
          ['C', 'D', 'A'].map((n, i) => ({
            id: `grt_${i}`,
            node_id: n,
            node_type: 'folder' as const,
            principal_type: 'user' as const,
            principal_id: 'usr_x',
            level: 2,
            is_share: 0,
            expires_at: null,
            created_by: null,
            created_at: 0,
          })),
        )
        .execute();
      await deleteNodes(db, ['C', 'D']);
      t.parent.delete('C');
      t.parent.delete('D');
      await assertInvariant(db, t, 'C and D deleted');
      const left = await db.selectFrom('grants').select('node_id').execute();
      assert.deepEqual(
        left.map((g) => g.node_id),
        ['A'],
      );
    });

    it('holds after every step of random inserts, moves and toggles', async () => {
      type Step =
        | { kind: 'add'; parent: number; inherit: boolean }
        | { kind: 'move'; node: number; to: number }
        | { kind: 'toggle'; node: number };
      const stepArb: fc.Arbitrary<Step> = fc.oneof(
        fc.record({ kind: fc.constant('add' as const), parent: fc.oneof(fc.constant(-1), fc.nat(99)), inherit: fc.boolean() }),
        fc.record({ kind: fc.constant('move' as const), node: fc.nat(99), to: fc.nat(99) }),
        fc.record({ kind: fc.constant('toggle' as const), node: fc.nat(99) }),
      );
      let checked = 0;
      let rows = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 2 }),
          fc.array(stepArb, { minLength: 1, maxLength: 20, size: 'max' }),
          async (vaults, steps) => {
            await db.deleteFrom('tree_paths').execute();
            const t = newTree();
            const nodes: string[] = [];
            const folders: string[] = [];
            for (let i = 0; i < vaults; i++) {
              await insertRoot(db, `v${i}`);
              t.parent.set(`v${i}`, null);
              t.inherit.set(`v${i}`, true);
              nodes.push(`v${i}`);
            }
            for (const [i, s] of steps.entries()) {
              if (s.kind === 'add') {
                const parent = s.parent < 0 ? nodes[nodes.length - 1]! : nodes[s.parent % nodes.length]!;
                const id = `f${i}`;
                await insertChild(db, parent, id, s.inherit);
                t.parent.set(id, parent);
                t.inherit.set(id, s.inherit);
                nodes.push(id);
                folders.push(id);
              } else if (folders.length > 0) {
                const f = folders[s.node % folders.length]!;
                if (s.kind === 'move') {
                  const targets = nodes.filter((n) => !isUnder(t, n, f));
                  const to = targets[s.to % targets.length]!;
                  await relink(db, f, to, t.inherit.get(f)!);
                  t.parent.set(f, to);
                } else {
                  const next = !t.inherit.get(f);
                  await relink(db, f, t.parent.get(f)!, next);
                  t.inherit.set(f, next);
                }
              }
              rows += await assertInvariant(db, t, `after step ${i} (${s.kind})`);
              checked++;
            }
          },
        ),
        { numRuns: RUNS },
      );
      console.log(`[${dialect}] closure invariant: ${RUNS} runs, ${checked} tree states, ${rows} node ancestor rows compared`);
    });
  });
}
