// Property: on random vault/folder trees (deep chains, broken inheritance), grants to users and
// groups (some expired), group memberships and secrets, and after every step of a random sequence
// of folder moves (also into the other vault), inheritance toggles, grant and membership changes
// and clock ticks, the access service (SQL over the tree_paths closure table) agrees with a naive
// reference model that walks parent pointers: nodeLevel, secretLevel, explain and the secrets
// selected by secretVisible at every level, for every user under several roles. The closure table
// itself is compared with the model after every step too.
//
// The database is the real store (a SQLite file or a PostgreSQL schema) of one harness per
// dialect; the tree is built by the real tree.repository functions and plain inserts, and every
// run starts by emptying the tables it uses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { NodeType, Role } from '../../db/schema.ts';
import { manualClock } from '../../lib/clock.ts';
import type { Actor } from '../auth/actor.ts';
import { createAccess, type Principals } from './access.service.ts';
import { levelName, levelRank, levels } from './levels.ts';
import { insertChild, insertRoot, relink } from './tree.repository.ts';

const RUNS = Number(process.env.COFFER_ACCESS_PROPERTY_RUNS ?? 150);
const NOW = 1_700_000_000_000;

// Fixed principals, inserted once per harness (ids in the real formats).
const USERS = [0, 1, 2].map((i) => `usr_${`accessprop${i}`.padEnd(26, '0')}`);
const GROUPS = [0, 1].map((i) => `grp_${`accessprop${i}`.padEnd(26, '0')}`);
const TEMPLATE = 'tpl_accessprop';

/** Roles an actor may have; index 0 is the common case every run has (user 0). */
const ACTOR_KINDS: ReadonlyArray<{ role: Role; allPasswords: boolean }> = [
  { role: 'password_user', allPasswords: false },
  { role: 'password_auditor', allPasswords: false },
  { role: 'administrator', allPasswords: true },
  { role: 'password_administrator', allPasswords: true },
  { role: 'administrator', allPasswords: false },
  { role: 'password_administrator', allPasswords: false },
  { role: 'password_auditor', allPasswords: true },
  { role: 'password_user', allPasswords: true },
];

interface GrantSpec {
  target: number;
  principal: number;
  level: number;
  expires: number | null;
}

type Op =
  | { kind: 'move'; folder: number; to: number }
  | { kind: 'toggle'; folder: number }
  | { kind: 'grant'; grant: GrantSpec }
  | { kind: 'revoke'; pick: number }
  | { kind: 'join'; group: number; user: number }
  | { kind: 'leave'; pick: number }
  | { kind: 'tick'; ms: number };

const expiryArb = fc.constantFrom<number | null>(null, null, null, NOW - 60_000, NOW, NOW + 1, NOW + 3_600_000);
const grantArb: fc.Arbitrary<GrantSpec> = fc.record({
  target: fc.nat(99),
  principal: fc.nat(4),
  level: fc.integer({ min: 1, max: 5 }),
  expires: expiryArb,
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('move' as const), folder: fc.nat(99), to: fc.nat(99) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('toggle' as const), folder: fc.nat(99) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('grant' as const), grant: grantArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), pick: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const), group: fc.nat(1), user: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), pick: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(1, 60_000, 3_600_000) }) },
);
const scenarioArb = fc.record({
  vaults: fc.integer({ min: 1, max: 2 }),
  users: fc.integer({ min: 2, max: 3 }),
  groups: fc.integer({ min: 1, max: 2 }),
  /** Actor kinds of users 1 and 2 (user 0 is always a plain password user). */
  kinds: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 7 }) }), {
    minLength: 2,
    maxLength: 2,
  }),
  /** parent -1 = the node created just before (grows deep chains), else an index into the nodes so far. */
  folders: fc.array(
    fc.record({
      parent: fc.oneof(fc.constant(-1), fc.nat(99)),
      inherit: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
    { maxLength: 15, size: 'max' },
  ),
  members: fc.array(fc.tuple(fc.nat(1), fc.nat(2)), { maxLength: 4 }),
  grants: fc.array(grantArb, { maxLength: 12, size: 'max' }),
  secrets: fc.array(fc.nat(99), { minLength: 1, maxLength: 5 }),
  ops: fc.array(opArb, { maxLength: 8 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

// ---- the reference model ----

interface MGrant {
  id: string;
  node: string;
  principal: string;
  level: number;
  expires: number | null;
}

interface Model {
  /** Vaults then folders, in creation order. */
  nodes: string[];
  folders: string[];
  /** null for a vault. */
  parent: Map<string, string | null>;
  /** Vaults always inherit (they have no parent). */
  inherit: Map<string, boolean>;
  secrets: Map<string, string>;
  grants: MGrant[];
  /** `${group} ${user}` */
  members: Set<string>;
}

function rootOf(m: Model, node: string): string {
  let cur = node;
  for (let p = m.parent.get(cur); p; p = m.parent.get(cur)) cur = p;
  return cur;
}

function isUnder(m: Model, node: string, top: string): boolean {
  for (let cur: string | null | undefined = node; cur; cur = m.parent.get(cur)) if (cur === top) return true;
  return false;
}

function principalsModel(m: Model, user: string): string[] {
  return [user, ...GROUPS.filter((g) => m.members.has(`${g} ${user}`))];
}

/** Highest live grant on exactly this node (or secret) to one of the principals. */
function directModel(m: Model, node: string, ps: string[], now: number): number {
  let best = 0;
  for (const g of m.grants) {
    if (g.node === node && ps.includes(g.principal) && (g.expires === null || g.expires > now)) best = Math.max(best, g.level);
  }
  return best;
}

/** Walks up the parents: the node's own grants, then its ancestors' while the node below inherits. */
function nodeModel(m: Model, node: string, ps: string[], now: number): number {
  let best = 0;
  let cur: string | null | undefined = node;
  while (cur) {
    best = Math.max(best, directModel(m, cur, ps, now));
    if (!m.inherit.get(cur)) break;
    cur = m.parent.get(cur);
  }
  return best;
}

function capModel(kind: { role: Role; allPasswords: boolean }, rank: number): number {
  if (kind.allPasswords && (kind.role === 'administrator' || kind.role === 'password_administrator')) return 5;
  if (kind.role === 'password_auditor') return Math.min(rank, 2);
  return rank;
}

function roleNoteModel(kind: { role: Role; allPasswords: boolean }, raw: number): string | null {
  if (kind.allPasswords && (kind.role === 'administrator' || kind.role === 'password_administrator')) return 'all-passwords scope';
  if (kind.role === 'password_auditor' && raw > 2) return 'Password Auditors are capped at view';
  return null;
}

/** The closure rows the model implies: (ancestor, descendant, depth, inherits) for every node. */
function closureModel(m: Model): string[] {
  const rows: string[] = [];
  for (const n of m.nodes) {
    let inh = true;
    let depth = 0;
    rows.push(`${n} ${n} 0 1`);
    for (let cur = n, p = m.parent.get(n); p; cur = p, p = m.parent.get(p)) {
      inh = inh && m.inherit.get(cur) === true;
      depth++;
      rows.push(`${p} ${n} ${depth} ${inh ? 1 : 0}`);
    }
  }
  return rows.sort();
}

function actorOf(userId: string, kind: { role: Role; allPasswords: boolean }): Actor {
  return {
    kind: 'user',
    userId,
    username: userId,
    role: kind.role,
    allPasswords: kind.allPasswords,
    authMethod: 'session',
    sessionId: null,
    apiKeyId: null,
    scopes: null,
  };
}

const count = {
  runs: 0,
  checks: 0,
  closureRows: 0,
  maxDepth: 0,
  principals: 0,
  node: 0,
  nodeGranted: 0,
  secret: 0,
  explain: 0,
  visible: 0,
};

for (const dialect of dialects) {
  describe(`access levels vs a reference model [${dialect}]`, () => {
    let h: Harness;
    let db: Db;
    const clock = manualClock(NOW);
    const access = createAccess({ clock, dialect });

    before(async () => {
      h = await startHarness(dialect);
      db = h.database.db;
      for (const id of USERS) {
        await db
          .insertInto('users')
          .values({
            id,
            username: id,
            username_canonical: id,
            kind: 'human',
            first_name: '',
            last_name: '',
            email: '',
            department: '',
            location: '',
            landline_country_code: '',
            landline: '',
            landline_ext: '',
            mobile_country_code: '',
            mobile: '',
            role: 'password_user',
            all_passwords: 0,
            status: 'active',
            password_hash: null,
            totp_secret_enc: null,
            totp_enabled: 0,
            totp_last_step: null,
            created_at: NOW,
            updated_at: NOW,
          })
          .execute();
      }
      for (const id of GROUPS)
        await db.insertInto('groups').values({ id, name: id, name_canonical: id, description: '', created_at: NOW }).execute();
      await db
        .insertInto('templates')
        .values({ id: TEMPLATE, name: 'Test', slug: 'access-prop', builtin: 0, fields: '[]', created_at: NOW, updated_at: NOW })
        .execute();
    });
    after(async () => h.close());

    async function reset(): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('grants').execute();
        await trx.deleteFrom('tree_paths').execute();
        await trx.deleteFrom('secrets').execute();
        await trx.deleteFrom('folders').execute();
        await trx.deleteFrom('vaults').execute();
        await trx.deleteFrom('group_members').where('group_id', 'in', GROUPS).execute();
      });
    }

    /** Builds the scenario's initial state in the database and returns its model. */
    async function build(s: Scenario): Promise<Model> {
      const m: Model = {
        nodes: [],
        folders: [],
        parent: new Map(),
        inherit: new Map(),
        secrets: new Map(),
        grants: [],
        members: new Set(),
      };
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < s.vaults; i++) {
          const id = `vlt_${i}`;
          await trx
            .insertInto('vaults')
            .values({ id, name: id, name_canonical: id, description: '', policy: '{}', created_by: null, created_at: NOW, updated_at: NOW })
            .execute();
          await insertRoot(trx, id);
          m.nodes.push(id);
          m.parent.set(id, null);
          m.inherit.set(id, true);
        }
        for (const [i, f] of s.folders.entries()) {
          const id = `fld_${i}`;
          const parent = f.parent < 0 ? m.nodes[m.nodes.length - 1]! : m.nodes[f.parent % m.nodes.length]!;
          await trx
            .insertInto('folders')
            .values({
              id,
              vault_id: rootOf(m, parent),
              parent_node_id: parent,
              name: id,
              name_canonical: id,
              path: `/${id}`,
              depth: 0,
              inherit_permissions: f.inherit ? 1 : 0,
              inherit_policy: 1,
              policy: '{}',
              created_by: null,
              created_at: NOW,
              updated_at: NOW,
            })
            .execute();
          await insertChild(trx, parent, id, f.inherit);
          m.nodes.push(id);
          m.folders.push(id);
          m.parent.set(id, parent);
          m.inherit.set(id, f.inherit);
        }
        for (const [i, pick] of s.secrets.entries()) {
          const id = `sec_${i}`;
          const parent = m.nodes[pick % m.nodes.length]!;
          await trx
            .insertInto('secrets')
            .values({
              id,
              vault_id: rootOf(m, parent),
              parent_node_id: parent,
              template_id: TEMPLATE,
              name: id,
              username: '',
              host: '',
              url: '',
              description: '',
              color: '',
              tags: '[]',
              clear_fields: '{}',
              search_text: '',
              expires_at: null,
              version: 1,
              created_by: null,
              created_at: NOW,
              updated_at: NOW,
              deleted_at: null,
              deleted_by: null,
            })
            .execute();
          m.secrets.set(id, parent);
        }
        for (const [g, u] of s.members) {
          const group = GROUPS[g % s.groups]!;
          const user = USERS[u % s.users]!;
          if (m.members.has(`${group} ${user}`)) continue;
          await trx.insertInto('group_members').values({ group_id: group, user_id: user }).execute();
          m.members.add(`${group} ${user}`);
        }
        for (const g of s.grants) await addGrant(trx, m, s, g);
      });
      return m;
    }

    let grantSeq = 0;
    /** Adds a grant, replacing the principal's grant on the same node if there is one. */
    async function addGrant(exec: Executor, m: Model, s: Scenario, g: GrantSpec) {
      const secrets = [...m.secrets.keys()];
      const t = g.target % (m.nodes.length + secrets.length);
      const node = t < m.nodes.length ? m.nodes[t]! : secrets[t - m.nodes.length]!;
      const nodeType: NodeType = t >= m.nodes.length ? 'secret' : m.parent.get(node) === null ? 'vault' : 'folder';
      const pi = g.principal % (s.users + s.groups);
      const principal = pi < s.users ? USERS[pi]! : GROUPS[pi - s.users]!;
      const old = m.grants.find((x) => x.node === node && x.principal === principal);
      if (old) {
        await exec.deleteFrom('grants').where('id', '=', old.id).execute();
        m.grants.splice(m.grants.indexOf(old), 1);
      }
      const id = `grt_${++grantSeq}`;
      await exec
        .insertInto('grants')
        .values({
          id,
          node_id: node,
          node_type: nodeType,
          principal_type: pi < s.users ? 'user' : 'group',
          principal_id: principal,
          level: g.level,
          is_share: nodeType === 'secret' ? 1 : 0,
          expires_at: g.expires,
          created_by: null,
          created_at: NOW,
        })
        .execute();
      m.grants.push({ id, node, principal, level: g.level, expires: g.expires });
    }

    /** Applies one mutation to the database (in a transaction, as a service would) and the model. */
    async function apply(m: Model, s: Scenario, op: Op): Promise<void> {
      await db.transaction().execute(async (trx) => {
        switch (op.kind) {
          case 'move': {
            if (m.folders.length === 0) return;
            const f = m.folders[op.folder % m.folders.length]!;
            const targets = m.nodes.filter((n) => !isUnder(m, n, f));
            const to = targets[op.to % targets.length]!;
            await relink(trx, f, to, m.inherit.get(f)!);
            m.parent.set(f, to);
            const vault = rootOf(m, to);
            const sub = m.folders.filter((n) => isUnder(m, n, f));
            await trx.updateTable('folders').set({ parent_node_id: to, updated_at: clock.now() }).where('id', '=', f).execute();
            await trx.updateTable('folders').set({ vault_id: vault }).where('id', 'in', sub).execute();
            const subSecrets = [...m.secrets].filter(([, p]) => sub.includes(p)).map(([id]) => id);
            if (subSecrets.length) await trx.updateTable('secrets').set({ vault_id: vault }).where('id', 'in', subSecrets).execute();
            return;
          }
          case 'toggle': {
            if (m.folders.length === 0) return;
            const f = m.folders[op.folder % m.folders.length]!;
            const next = !m.inherit.get(f);
            await relink(trx, f, m.parent.get(f)!, next);
            await trx
              .updateTable('folders')
              .set({ inherit_permissions: next ? 1 : 0 })
              .where('id', '=', f)
              .execute();
            m.inherit.set(f, next);
            return;
          }
          case 'grant':
            await addGrant(trx, m, s, op.grant);
            return;
          case 'revoke': {
            if (m.grants.length === 0) return;
            const g = m.grants[op.pick % m.grants.length]!;
            await trx.deleteFrom('grants').where('id', '=', g.id).execute();
            m.grants.splice(m.grants.indexOf(g), 1);
            return;
          }
          case 'join': {
            const group = GROUPS[op.group % s.groups]!;
            const user = USERS[op.user % s.users]!;
            if (m.members.has(`${group} ${user}`)) return;
            await trx.insertInto('group_members').values({ group_id: group, user_id: user }).execute();
            m.members.add(`${group} ${user}`);
            return;
          }
          case 'leave': {
            const all = [...m.members];
            if (all.length === 0) return;
            const key = all[op.pick % all.length]!;
            const [group, user] = key.split(' ') as [string, string];
            await trx.deleteFrom('group_members').where('group_id', '=', group).where('user_id', '=', user).execute();
            m.members.delete(key);
            return;
          }
          case 'tick':
            clock.advance(op.ms);
            return;
        }
      });
    }

    /** Compares everything the access service answers with the model. */
    async function check(m: Model, s: Scenario, where: string): Promise<void> {
      count.checks++;
      const paths = await db.selectFrom('tree_paths').selectAll().execute();
      const got = paths.map((r) => `${r.ancestor_id} ${r.descendant_id} ${r.depth} ${r.inherits}`).sort();
      assert.deepEqual(got, closureModel(m), `${where}: closure table`);
      count.closureRows += got.length;
      count.maxDepth = Math.max(count.maxDepth, ...paths.map((r) => r.depth));
      const now = clock.now();
      const secrets = [...m.secrets];
      for (let u = 0; u < s.users; u++) {
        const userId = USERS[u]!;
        const kind = ACTOR_KINDS[u === 0 ? 0 : s.kinds[u - 1]!]!;
        const actor = actorOf(userId, kind);
        const who = `${where}: ${userId} (${kind.role}${kind.allPasswords ? ', all passwords' : ''})`;
        const p = (await access.principalsOf(db, actor)) as Principals;
        const ps = principalsModel(m, userId);
        assert.deepEqual([...p.ids].sort(), [...ps].sort(), `${who}: principals`);
        count.principals++;
        const nodeLevels = await Promise.all(m.nodes.map((n) => access.nodeLevel(db, actor, n, p)));
        for (const [i, n] of m.nodes.entries()) {
          assert.equal(nodeLevels[i], capModel(kind, nodeModel(m, n, ps, now)), `${who}: nodeLevel of ${n}`);
          count.node++;
          if (nodeLevels[i]! > 0) count.nodeGranted++;
        }
        const want = new Map(
          secrets.map(([id, parent]) => [id, capModel(kind, Math.max(directModel(m, id, ps, now), nodeModel(m, parent, ps, now)))]),
        );
        const secretLevels = await Promise.all(
          secrets.map(([id, parent]) => access.secretLevel(db, actor, { id, parent_node_id: parent })),
        );
        for (const [i, [id]] of secrets.entries()) {
          assert.equal(secretLevels[i], want.get(id), `${who}: secretLevel of ${id}`);
          count.secret++;
        }
        // explain (3 queries each): the level it reports, on a couple of nodes and one secret
        const sample = [m.nodes[m.nodes.length - 1]!, m.nodes[Math.floor(m.nodes.length / 2)]!];
        const explained = await Promise.all([
          ...sample.map((n) => access.explain(db, actor, { nodeId: n })),
          access.explain(db, actor, { nodeId: secrets[0]![1], secretId: secrets[0]![0] }),
        ]);
        const raws = [
          ...sample.map((n) => nodeModel(m, n, ps, now)),
          Math.max(directModel(m, secrets[0]![0], ps, now), nodeModel(m, secrets[0]![1], ps, now)),
        ];
        for (const [i, e] of explained.entries()) {
          const target = i < sample.length ? sample[i]! : secrets[0]![0];
          assert.equal(e.level, levelName(capModel(kind, raws[i]!)), `${who}: explain level of ${target}`);
          assert.equal(e.roleNote, roleNoteModel(kind, raws[i]!), `${who}: explain roleNote of ${target}`);
        }
        count.explain += explained.length;
        const visible = await Promise.all(
          levels.map((l) =>
            db
              .selectFrom('secrets as s')
              .select('s.id')
              .where(access.secretVisible(actor, p, l))
              .execute(),
          ),
        );
        for (const [i, l] of levels.entries()) {
          const expected = secrets.filter(([id]) => want.get(id)! >= levelRank[l]).map(([id]) => id);
          assert.deepEqual(visible[i]!.map((r) => r.id).sort(), expected.sort(), `${who}: secrets visible at ${l}`);
          count.visible++;
        }
        // the same sets through the other two SQL forms: probed per row, and within one subtree
        const top = sample[1]!;
        const other = await Promise.all(
          levels.flatMap((l) => [
            db
              .selectFrom('secrets as s')
              .select('s.id')
              .where(access.secretVisible(actor, p, l, { correlated: true }))
              .execute(),
            db
              .selectFrom('secrets as s')
              .select('s.id')
              .where(access.secretVisible(actor, p, l, { within: top }))
              .where('s.parent_node_id', 'in', (eb) => eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', top))
              .execute(),
          ]),
        );
        for (const [i, l] of levels.entries()) {
          const expected = secrets.filter(([id]) => want.get(id)! >= levelRank[l]).map(([id]) => id);
          assert.deepEqual(other[2 * i]!.map((r) => r.id).sort(), [...expected].sort(), `${who}: secrets visible at ${l} (correlated)`);
          const inside = secrets.filter(([id, parent]) => want.get(id)! >= levelRank[l] && isUnder(m, parent, top)).map(([id]) => id);
          assert.deepEqual(other[2 * i + 1]!.map((r) => r.id).sort(), inside.sort(), `${who}: secrets visible at ${l} within ${top}`);
          count.visible += 2;
        }
      }
    }

    it('nodeLevel, secretLevel, explain and secretVisible match the model after every step', async () => {
      const started = performance.now();
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (s) => {
          count.runs++;
          clock.set(NOW);
          await reset();
          const m = await build(s);
          await check(m, s, 'initial state');
          for (const [i, op] of s.ops.entries()) {
            await apply(m, s, op);
            await check(m, s, `after op ${i} (${op.kind})`);
          }
        }),
        { numRuns: RUNS },
      );
      const ms = Math.round(performance.now() - started);
      const total = count.node + count.secret + count.visible + count.explain + count.principals;
      console.log(
        `[${dialect}] ${count.runs} runs, ${count.checks} state checks, ${total} comparisons ` +
          `(nodeLevel ${count.node} of which ${count.nodeGranted} > 0, secretLevel ${count.secret}, secretVisible sets ${count.visible}, explain ${count.explain}, ` +
          `principals ${count.principals}; closure rows ${count.closureRows}, deepest ${count.maxDepth}) in ${ms} ms`,
      );
      for (const k of Object.keys(count) as Array<keyof typeof count>) count[k] = 0;
    });
  });
}
