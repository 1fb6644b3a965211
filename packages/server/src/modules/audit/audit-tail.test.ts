// The attack the MACs exist for (issue 10, section 1): someone who can write the database rewrites
// audit records — in the tail after the newest signed checkpoint, or anywhere — and recomputes
// every plain hash and the chain head, as anyone can. GET /api/v1/audit/verify must still report
// the chain as broken and name the first rewritten record. Property-tested through the real API on
// real chains (written by the real append, checkpoints by the real checkpointNow).
//
// Before MACs, verify answered ok for every rewrite after the newest checkpoint. The attacker here
// only uses SQL and the public recordHash; it copies whatever MAC columns exist but can never
// compute a MAC. Two more moves (review H1, M1): rolling the whole chain back to "legacy" (every MAC
// stripped, the MAC start moved past the end, every checkpoint deleted, then a rewrite), and
// putting rows marked as written while sealed into audit_log, or rows into audit_sealed for the
// server to MAC at its next drain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { Db } from '../../db/database.ts';
import type { AuditLogTable } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import type { RequestContext } from '../auth/actor.ts';
import { systemActor } from '../auth/actor.ts';
import { GENESIS_HASH, recordHash } from './audit-chain.ts';
import type { AuditEvent } from './audit-log.ts';
import { SEALED_CLOCK_SKEW_MS, SEALED_REFUSED_ACTION } from './sealed-records.ts';

type Row = AuditLogTable & Record<string, unknown>;

interface Snapshot {
  n: number;
  /** The newest checkpoint (0: none): the records after it are the uncovered tail. */
  lastCp: number;
  log: Row[];
  head: Record<string, unknown>[];
  checkpoints: Record<string, unknown>[];
}

const actions = ['user.create', 'secret.reveal', 'auth.login', 'grant.create', 'vault.delete', 'sys.seal'];

function ctxOf(i: number): RequestContext {
  return {
    actor: {
      ...systemActor,
      kind: i % 3 ? 'user' : 'anonymous',
      userId: i % 3 ? `usr_${String(i).padStart(26, '0')}` : null,
      username: `u${i}`,
    },
    requestId: `req_tail_${i}`,
    sourceIp: `198.51.100.${i % 250}`,
    audited: false,
  };
}
const evOf = (i: number): AuditEvent => ({
  action: actions[i % actions.length] as string,
  objectType: 'secret',
  objectId: `sec_${String(i).padStart(26, '0')}`,
  outcome: i % 4 ? 'success' : 'denied',
  reason: i % 5 ? null : 'because',
  details: i % 2 ? { n: i } : null,
});

async function clearAudit(db: Db): Promise<void> {
  await db.deleteFrom('audit_checkpoints').execute();
  await db.deleteFrom('audit_head').execute();
  await db.deleteFrom('audit_log').execute();
}

async function buildChain(h: Harness, n: number, cps: number[]): Promise<Snapshot> {
  const db = h.database.db;
  const audit = h.coffer.services.audit;
  await clearAudit(db);
  for (let i = 1; i <= n; i++) {
    await db.transaction().execute((trx) => audit.append(trx, ctxOf(i), evOf(i)));
    if (cps.includes(i)) assert.equal((await audit.checkpointNow(db))?.seq, i);
  }
  return {
    n,
    lastCp: cps.at(-1) ?? 0,
    log: (await db.selectFrom('audit_log').selectAll().orderBy('seq').execute()) as Row[],
    head: await db.selectFrom('audit_head').selectAll().execute(),
    checkpoints: await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute(),
  };
}

async function restore(db: Db, snap: Snapshot): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('audit_checkpoints').execute();
    await trx.deleteFrom('audit_head').execute();
    await trx.deleteFrom('audit_log').execute();
    await trx.deleteFrom('audit_sealed').execute();
    await trx.insertInto('audit_log').values(snap.log).execute();
    await trx
      .insertInto('audit_head')
      .values(snap.head as never)
      .execute();
    if (snap.checkpoints.length)
      await trx
        .insertInto('audit_checkpoints')
        .values(snap.checkpoints as never)
        .execute();
  });
}

/** Rows from `from` on get a fresh prev_hash and hash; the head follows the last row (copying its MAC columns). */
async function recomputeFrom(db: Db, from: number): Promise<void> {
  const rows = (await db.selectFrom('audit_log').selectAll().orderBy('seq').execute()) as Row[];
  let prev = GENESIS_HASH;
  for (const r of rows) {
    if (Number(r.seq) >= from) {
      const { hash: _h, mac: _m, ...content } = r;
      const hash = recordHash({ ...content, prev_hash: prev } as never);
      await db.updateTable('audit_log').set({ prev_hash: prev, hash }).where('seq', '=', r.seq).execute();
      prev = hash;
    } else {
      prev = r.hash;
    }
  }
  const last = rows.at(-1) as Row;
  const head = (await db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow()) as Record<string, unknown>;
  const copy = Object.fromEntries(['mac', 'mac_term'].filter((c) => c in head).map((c) => [c, last[c]]));
  await db
    .updateTable('audit_head')
    .set({ seq: Number(last.seq), hash: prev, ...copy })
    .where('id', '=', 1)
    .execute();
}

/** Rewrites the seq of rows >= from by `by` (two steps, so the primary key never collides). */
async function shift(db: Db, from: number, by: number): Promise<void> {
  const rows = await db.selectFrom('audit_log').select('seq').where('seq', '>=', from).execute();
  for (const r of rows)
    await db
      .updateTable('audit_log')
      .set({ seq: -Number(r.seq) })
      .where('seq', '=', r.seq)
      .execute();
  for (const r of rows)
    await db
      .updateTable('audit_log')
      .set({ seq: Number(r.seq) + by })
      .where('seq', '=', -Number(r.seq))
      .execute();
}

const contentFields = ['time', 'actor_id', 'actor_name', 'source_ip', 'action', 'object_id', 'outcome', 'reason', 'details'] as const;

type Mutation =
  | { kind: 'edit'; k: number; field: (typeof contentFields)[number]; text: string }
  | { kind: 'delete'; k: number }
  | { kind: 'insert'; k: number; donor: number; copyMac: boolean }
  | { kind: 'swap'; i: number; j: number }
  | { kind: 'strip'; k: number }
  | { kind: 'downgrade'; k: number; field: (typeof contentFields)[number]; text: string }
  | { kind: 'inject'; k: number; donor: number; job: boolean };

/** Mutations of records with seq >= lo (lo = the first record after the newest checkpoint, or 1). */
function arbMutation(snap: Snapshot, lo: number): fc.Arbitrary<Mutation> {
  const n = snap.n;
  const pos = (max: number) => fc.integer({ min: lo, max });
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({
      kind: fc.constant('edit' as const),
      k: pos(n),
      field: fc.constantFrom(...contentFields),
      text: fc.string({ maxLength: 12 }),
    }),
    fc.record({ kind: fc.constant('insert' as const), k: pos(n + 1), donor: fc.integer({ min: 1, max: n }), copyMac: fc.boolean() }),
    fc.record({ kind: fc.constant('strip' as const), k: pos(n) }),
    // H1: every record made "legacy" again, then one of them rewritten
    fc.record({
      kind: fc.constant('downgrade' as const),
      k: pos(n),
      field: fc.constantFrom(...contentFields),
      text: fc.string({ maxLength: 12 }),
    }),
    // M1: a row marked as written while sealed put straight into the chain (a refusal, or a job's record)
    fc.record({ kind: fc.constant('inject' as const), k: pos(n + 1), donor: fc.integer({ min: 1, max: n }), job: fc.boolean() }),
  ];
  // deleting the last record and moving the head back is a truncation: see the test below
  if (lo <= n - 1) options.push(fc.record({ kind: fc.constant('delete' as const), k: pos(n - 1) }));
  if (lo <= n - 1) {
    options.push(
      fc
        .tuple(pos(n), pos(n))
        .filter(([a, b]) => a !== b)
        .map(([a, b]) => ({ kind: 'swap' as const, i: Math.min(a, b), j: Math.max(a, b) })),
    );
  }
  return fc.oneof(...options);
}

/** Applies the mutation the way a database writer would, recomputing every plain hash and the head. Returns the first bad seq. */
async function mutate(db: Db, snap: Snapshot, m: Mutation): Promise<number> {
  const row = (seq: number) => snap.log[seq - 1] as Row;
  switch (m.kind) {
    case 'edit': {
      const old = row(m.k)[m.field];
      const value = m.field === 'time' ? Number(old) + 1 : m.text === old ? `${m.text}!` : m.text;
      await db
        .updateTable('audit_log')
        .set({ [m.field]: value })
        .where('seq', '=', m.k)
        .execute();
      await recomputeFrom(db, m.k);
      return m.k;
    }
    case 'delete':
      await db.deleteFrom('audit_log').where('seq', '=', m.k).execute();
      await shift(db, m.k + 1, -1);
      await recomputeFrom(db, m.k);
      return m.k;
    case 'insert': {
      await shift(db, m.k, 1);
      const time = Date.now();
      const donor = row(m.donor);
      const macColumns = Object.fromEntries(
        ['mac', 'mac_term', 'sealed'].filter((c) => c in donor).map((c) => [c, m.copyMac || c === 'sealed' ? donor[c] : null]),
      );
      const forged = { ...donor, ...macColumns, seq: m.k, id: newId('aud', time), time, action: 'secret.reveal', reason: 'forged' };
      await db
        .insertInto('audit_log')
        .values({ ...forged, hash: 'x' } as never)
        .execute();
      await recomputeFrom(db, m.k);
      return m.k;
    }
    case 'swap': {
      const [ri, rj] = [row(m.i), row(m.j)];
      await db.deleteFrom('audit_log').where('seq', 'in', [m.i, m.j]).execute();
      await db
        .insertInto('audit_log')
        .values([
          { ...rj, seq: m.i },
          { ...ri, seq: m.j },
        ] as never)
        .execute();
      await recomputeFrom(db, m.i);
      return m.i;
    }
    case 'downgrade': {
      const old = row(m.k)[m.field];
      const value = m.field === 'time' ? Number(old) + 1 : m.text === old ? `${m.text}!` : m.text;
      await db
        .updateTable('audit_log')
        .set({ [m.field]: value, mac: null, mac_term: null, sealed: 0 })
        .where('seq', '=', m.k)
        .execute();
      await db.updateTable('audit_log').set({ mac: null, mac_term: null, sealed: 0 }).execute();
      await recomputeFrom(db, 1);
      await db
        .updateTable('audit_head')
        .set({ mac: null, mac_term: null, mac_from: snap.n + 1 })
        .where('id', '=', 1)
        .execute();
      await db.deleteFrom('audit_checkpoints').execute();
      return 1;
    }
    case 'inject': {
      await shift(db, m.k, 1);
      const time = Date.now();
      const donor = row(m.donor);
      const sealedShape = m.job
        ? {
            actor_kind: 'system',
            actor_id: null,
            actor_name: 'system',
            auth_method: 'system',
            action: 'admin_request.expire',
            reason: null,
          }
        : { actor_kind: 'anonymous', actor_id: null, actor_name: null, auth_method: 'none', action: 'user.list', reason: 'sys.sealed' };
      const forged = {
        ...donor,
        ...sealedShape,
        seq: m.k,
        id: newId('aud', time),
        time,
        object_type: null,
        object_id: null,
        outcome: m.job ? 'success' : 'denied',
        details: null,
        sealed: 1,
      };
      await db
        .insertInto('audit_log')
        .values({ ...forged, hash: 'x' } as never)
        .execute();
      await recomputeFrom(db, m.k);
      return m.k;
    }
    case 'strip': {
      // every MAC from k on removed: the records then look like ones written before MACs
      const cols = Object.fromEntries(['mac', 'mac_term'].filter((c) => c in row(1)).map((c) => [c, null]));
      if (Object.keys(cols).length) await db.updateTable('audit_log').set(cols).where('seq', '>=', m.k).execute();
      await recomputeFrom(db, m.k);
      return m.k;
    }
  }
}

for (const dialect of dialects) {
  const RUNS = dialect === 'sqlite' ? 200 : 100;
  describe(`audit: rewrites with recomputed hashes and head are found through the API [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let db: Db;
    let token: string;
    const snaps: Snapshot[] = [];
    const verify = async () => {
      const r = await call(h, 'GET', '/api/v1/audit/verify', { token });
      assert.equal(r.status, 200, r.raw);
      return r.body;
    };

    before(async () => {
      h = await startHarness(dialect);
      db = h.database.db;
      token = await adminToken(h);
      // tails of every length: none covered, 3 left, 1 left, 18 left
      for (const [n, cps] of [
        [8, []],
        [14, [4, 11]],
        [9, [8]],
        [30, [5, 12]],
      ] as Array<[number, number[]]>) {
        snaps.push(await buildChain(h, n, cps));
      }
    });
    after(async () => h.close());

    async function property(lo: (snap: Snapshot) => number) {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...snaps.keys()).chain((i) => arbMutation(snaps[i] as Snapshot, lo(snaps[i] as Snapshot)).map((m) => ({ i, m }))),
          async ({ i, m }) => {
            const snap = snaps[i] as Snapshot;
            await restore(db, snap);
            const expected = await mutate(db, snap, m);
            const v = await verify();
            runs++;
            const ctx = JSON.stringify({ n: snap.n, lastCp: snap.lastCp, m, firstBad: v.firstBad });
            assert.equal(v.ok, false, `not detected: ${ctx}`);
            assert.equal(v.firstBad?.seq, expected, `wrong first bad record: ${ctx}`);
          },
        ),
        { numRuns: RUNS },
      );
      assert.equal(runs, RUNS);
    }

    it('an untouched chain verifies, with its head reported', async () => {
      for (const snap of snaps) {
        await restore(db, snap);
        const v = await verify();
        assert.equal(v.ok, true, JSON.stringify(v.firstBad));
        const last = snap.log.at(-1) as Row;
        assert.deepEqual([v.lastSeq, v.lastHash, v.lastMac], [snap.n, last.hash, last.mac]);
      }
    });

    it(`finds every rewrite of the records after the newest checkpoint, at the first rewritten record (${RUNS} runs)`, async () => {
      await property((snap) => snap.lastCp + 1);
    });

    it(`finds every rewrite anywhere in the chain at the first rewritten record, not only at the next checkpoint (${RUNS} runs)`, async () => {
      await property(() => 1);
    });

    it('a cut tail after the newest checkpoint shows in the reported head, to compare with a copy kept outside', async () => {
      const snap = snaps[3] as Snapshot; // 30 records, newest checkpoint at 12
      await restore(db, snap);
      const kept = await verify();
      await db.deleteFrom('audit_log').where('seq', '>', 25).execute();
      await recomputeFrom(db, 26); // only moves the head back to record 25
      const cut = await verify();
      assert.equal(cut.ok, true, 'the cut itself leaves a valid chain (ADR 0008: truncation needs an outside copy)');
      assert.notDeepEqual([cut.lastSeq, cut.lastHash, cut.lastMac], [kept.lastSeq, kept.lastHash, kept.lastMac]);
      assert.equal(cut.lastSeq, 25);
      // cut below the newest checkpoint: found by verify itself
      await db.deleteFrom('audit_log').where('seq', '>', 10).execute();
      await recomputeFrom(db, 11);
      const below = await verify();
      assert.equal(below.ok, false);
      assert.deepEqual([below.firstBad.seq, below.firstBad.kind], [11, 'sequence_gap']);
    });

    it(`rows a database writer puts into audit_sealed never enter the chain as anything but a sealed-time refusal or unseal attempt (${RUNS / 4} runs)`, async () => {
      const refusals = new Set(['sys.sealed', 'sys.not_initialized', 'validation.failed', 'request.credentials_in_query']);
      const arbRow = fc.record({
        actor: fc.constantFrom(
          { actor_kind: 'anonymous', actor_id: null, actor_name: null, auth_method: 'none' },
          { actor_kind: 'system', actor_id: null, actor_name: 'system', auth_method: 'system' },
          { actor_kind: 'user', actor_id: 'usr_00000000000000000000000001', actor_name: 'alice', auth_method: 'session' },
        ),
        action: fc.constantFrom(
          'user.list',
          'sys.unseal',
          'sys.unseal_reset',
          'sys.init',
          'user.create',
          'secret.reveal',
          'user.password_recover',
        ),
        outcome: fc.constantFrom('success', 'denied', 'failure', 'error'),
        reason: fc.constantFrom(
          null,
          'sys.sealed',
          'sys.not_initialized',
          'validation.failed',
          'sys.unseal_failed',
          'auth.invalid_credentials',
        ),
        offset: fc.constantFrom(-86_400_000, -120_000, -1000, 0, 1000, 120_000, 3_600_000),
        details: fc.constantFrom(null, '{"sealed":true,"progress":1}', '{"x":1}', '{"mode":"keyfile","shares":null,"threshold":null}'),
        requestId: fc.constantFrom('req_abcdefgh12', 'init', 'x'),
      });
      const admin = await adminToken(h);
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...snaps.keys()), fc.array(arbRow, { minLength: 1, maxLength: 8 }), async (i, spec) => {
          await restore(db, snaps[i] as Snapshot);
          const now = Date.now();
          const rows = spec.map((r, j) => ({
            pos: j + 1,
            id: newId('aud', now),
            time: now - r.offset,
            ...r.actor,
            source_ip: '203.0.113.9',
            request_id: r.requestId,
            action: r.action,
            object_type: null,
            object_id: null,
            outcome: r.outcome,
            reason: r.reason,
            details: r.details,
          }));
          await db.insertInto('audit_sealed').values(rows).execute();
          assert.equal((await call(h, 'POST', '/api/v1/audit/checkpoints', { token: admin })).status, 200);
          const chain = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
          const byId = new Map(chain.map((r) => [r.id, r]));
          const refused = chain
            .filter((r) => r.action === SEALED_REFUSED_ACTION)
            .flatMap((r) => JSON.parse(r.details ?? '{}').ids as string[]);
          for (const r of rows) {
            const inChain = byId.get(r.id);
            const ctx = JSON.stringify({ r, refused });
            assert.ok(inChain !== undefined || refused.includes(r.id), `neither in the chain nor named as refused: ${ctx}`);
            if (!inChain) continue;
            // what got MACed is what an anonymous caller could cause while sealed, dated no later than the drain
            assert.equal(Number(inChain.sealed), 1, ctx);
            assert.equal(inChain.actor_kind, 'anonymous', ctx);
            assert.ok(r.action.startsWith('sys.unseal') || refusals.has(r.reason as string), ctx);
            assert.ok(Number(inChain.time) <= Date.now() + SEALED_CLOCK_SKEW_MS, ctx);
          }
          const v = await verify();
          runs++;
          assert.equal(v.ok, true, JSON.stringify(v.firstBad));
        }),
        { numRuns: RUNS / 4 },
      );
      assert.equal(runs, RUNS / 4);
    });
  });
}
