// Tamper evidence of the audit chain, property-tested on real chains in both stores.
//
// Chains are written by the real append (audit.append inside a transaction) and signed by the
// real checkpointNow. Each property run restores one chain into the audit tables inside a
// transaction, applies ONE mutation the way someone with write access to the database would,
// runs verifyAuditChain (with the MAC keys, as the API does) on the mutated state and rolls the
// transaction back (so runs never see each other's changes). Every mutation must be detected, at
// the record the ADR names. The tail after the newest checkpoint: audit-mac.test.ts.
import assert from 'node:assert/strict';
import { sign as edSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import type { Db, Trx } from '../../db/database.ts';
import type { AuditCheckpointTable, AuditHeadTable, AuditLogTable } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import type { Actor, RequestContext } from '../auth/actor.ts';
import { AUDIT_MAC_LABEL, type AuditRecord, checkpointMessage, GENESIS_HASH, recordHash } from './audit-chain.ts';
import type { AuditEvent } from './audit-log.ts';
import { type VerifyOptions, verifyAuditChain } from './audit-verify.ts';

/** The audit MAC keys of the harness's keyring, as the API's verify uses them. */
export function macKeys(h: Harness): Required<Pick<VerifyOptions, 'macKey'>> {
  return {
    macKey: (term) => {
      const keyring = h.coffer.services.seal.keys?.keyring;
      if (!keyring) throw new Error('sealed');
      return keyring.derive(term, AUDIT_MAC_LABEL);
    },
  };
}

/** Property runs per mutation kind (5 kinds, both dialects). */
const RUNS = 200;
const MIN_N = 5;
const MAX_N = 40;

type Exec = Db | Trx;

interface Snapshot {
  n: number;
  log: AuditLogTable[];
  head: AuditHeadTable[];
  checkpoints: AuditCheckpointTable[];
  /** Seqs covered by a signed checkpoint, ascending (always includes n). */
  cps: number[];
}

/** Text without NUL (PostgreSQL text refuses it), any other Unicode. */
const text = (max: number) => fc.string({ unit: 'grapheme', maxLength: max }).map((s) => s.replace(/\0/g, ''));

const arbContext: fc.Arbitrary<RequestContext> = fc
  .record({
    kind: fc.constantFrom('user', 'anonymous', 'system') as fc.Arbitrary<Actor['kind']>,
    userId: fc.option(fc.stringMatching(/^usr_[0-9a-z]{26}$/), { nil: null }),
    username: fc.option(text(24), { nil: null }),
    authMethod: fc.constantFrom('session', 'apikey', 'none', 'system') as fc.Arbitrary<Actor['authMethod']>,
    sourceIp: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('')),
    requestId: fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9._:-]{8,64}$/)),
  })
  .map((c) => ({
    actor: {
      kind: c.kind,
      userId: c.userId,
      username: c.username,
      role: null,
      allPasswords: false,
      authMethod: c.authMethod,
      sessionId: null,
      apiKeyId: null,
      scopes: null,
    },
    requestId: c.requestId,
    sourceIp: c.sourceIp,
    audited: false,
  }));

const arbEvent: fc.Arbitrary<AuditEvent> = fc.record({
  action: fc.constantFrom('user.create', 'user.update', 'auth.login', 'audit.read', 'group.create', 'apikey.revoke', 'sys.unseal'),
  objectType: fc.option(fc.constantFrom('user', 'group', 'session', 'api_key', 'audit'), { nil: null }),
  objectId: fc.option(fc.stringMatching(/^[a-z]{3}_[0-9a-z]{26}$/), { nil: null }),
  outcome: fc.constantFrom('success', 'denied', 'failure', 'error') as fc.Arbitrary<AuditEvent['outcome']>,
  reason: fc.option(text(40), { nil: null }),
  details: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), {
    nil: null,
  }) as fc.Arbitrary<Record<string, unknown> | null>,
});

async function clearAudit(db: Exec): Promise<void> {
  await db.deleteFrom('audit_checkpoints').execute();
  await db.deleteFrom('audit_head').execute();
  await db.deleteFrom('audit_log').execute();
}

async function readState(db: Exec) {
  return {
    log: await db.selectFrom('audit_log').selectAll().orderBy('seq').execute(),
    head: await db.selectFrom('audit_head').selectAll().execute(),
    checkpoints: await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute(),
  };
}

/** Writes a chain of n records through the real append and signs checkpoints with the real checkpointNow. */
async function buildChain(h: Harness, n: number): Promise<Snapshot> {
  const db = h.database.db;
  const audit = h.coffer.services.audit;
  await clearAudit(db);
  const ctxs = fc.sample(arbContext, { numRuns: n, seed: 1000 + n });
  const events = fc.sample(arbEvent, { numRuns: n, seed: 2000 + n });
  const extra = fc.sample(fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: Math.floor(n / 6) }), {
    numRuns: 1,
    seed: 3000 + n,
  })[0] as number[];
  const cps = [...new Set([...extra, n])].sort((a, b) => a - b);
  let i = 1;
  for (const cp of cps) {
    // the records up to the next checkpoint in one transaction (several appends, one commit)
    await db.transaction().execute(async (trx) => {
      for (; i <= cp; i++) assert.equal(await audit.append(trx, ctxs[i - 1] as RequestContext, events[i - 1] as AuditEvent), i);
    });
    assert.equal((await audit.checkpointNow(db))?.seq, cp, 'checkpointNow signs the head');
  }
  const v = await verifyAuditChain(db, macKeys(h));
  assert.equal(v.ok, true, `fresh chain verifies: ${JSON.stringify(v.firstBad)}`);
  assert.equal(v.lastSeq, n);
  assert.equal(v.checkpoints, cps.length);
  return { n, cps, ...(await readState(db)) };
}

const ROLLBACK = Symbol('rollback');

/** Restores the snapshot, runs fn on it inside a transaction, then rolls everything back. */
async function onChain<T>(db: Db, snap: Snapshot, fn: (trx: Trx) => Promise<T>): Promise<T> {
  let out: T | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      await clearAudit(trx);
      await trx.insertInto('audit_log').values(snap.log).execute();
      await trx.insertInto('audit_head').values(snap.head).execute();
      await trx.insertInto('audit_checkpoints').values(snap.checkpoints).execute();
      out = await fn(trx);
      throw ROLLBACK;
    });
  } catch (e) {
    if (e !== ROLLBACK) throw e;
  }
  return out as T;
}

/** Moves records with seq >= from by `by` (two steps, so the primary key never collides). */
async function shiftSeqs(trx: Trx, from: number, by: number): Promise<void> {
  const rows = await trx.selectFrom('audit_log').select('seq').where('seq', '>=', from).execute();
  for (const r of rows)
    await trx
      .updateTable('audit_log')
      .set({ seq: -Number(r.seq) })
      .where('seq', '=', Number(r.seq))
      .execute();
  for (const r of rows)
    await trx
      .updateTable('audit_log')
      .set({ seq: Number(r.seq) + by })
      .where('seq', '=', -Number(r.seq))
      .execute();
}

/** Recomputes hash and prev_hash of every record from `from` on (the attacker's rewrite of the tail), and the head. */
async function recomputeTail(trx: Trx, from: number): Promise<Map<number, string>> {
  const rows = await trx.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  const newHashes = new Map<number, string>();
  let prev = GENESIS_HASH;
  for (const r of rows) {
    const seq = Number(r.seq);
    if (seq >= from) {
      const { hash: _old, ...rest } = r;
      const rec: AuditRecord = { ...rest, prev_hash: prev };
      const hash = recordHash(rec);
      await trx.updateTable('audit_log').set({ prev_hash: prev, hash }).where('seq', '=', seq).execute();
      newHashes.set(seq, hash);
      prev = hash;
    } else {
      prev = r.hash;
    }
  }
  const last = rows.at(-1);
  // the MACs cannot be recomputed without the keyring: the attacker keeps them (and copies the last into the head)
  if (last)
    await trx
      .updateTable('audit_head')
      .set({ seq: Number(last.seq), hash: prev, mac: last.mac, mac_term: last.mac_term })
      .where('id', '=', 1)
      .execute();
  return newHashes;
}

const nullable = new Set([
  'actor_id',
  'actor_name',
  'auth_method',
  'source_ip',
  'request_id',
  'object_type',
  'object_id',
  'reason',
  'details',
]);
const editableFields = [
  'id',
  'time',
  'actor_id',
  'actor_name',
  'actor_kind',
  'auth_method',
  'source_ip',
  'request_id',
  'action',
  'object_type',
  'object_id',
  'outcome',
  'reason',
  'details',
  'prev_hash',
  'hash',
  'mac',
  'mac_term',
  'sealed',
] as const;
type Field = (typeof editableFields)[number];
const contentFields = editableFields.filter((f) => f !== 'hash' && f !== 'prev_hash' && f !== 'mac');

interface EditSpec {
  field: Field;
  text: string;
  nullify: boolean;
  delta: number;
  pos: number;
}
const arbEdit = (fields: readonly Field[]): fc.Arbitrary<EditSpec> =>
  fc.record({
    field: fc.constantFrom(...fields),
    text: text(30),
    nullify: fc.boolean(),
    delta: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).filter((d) => d !== 0),
    pos: fc.nat(),
  });

/** A different value for the field (never equal to the old one, so the canonical form changes). */
function editedValue(row: AuditLogTable, e: EditSpec): string | number | null {
  const old = row[e.field];
  if (e.field === 'time' || e.field === 'mac_term') return Number(old) + e.delta;
  if (e.field === 'sealed') return 1 - Number(old);
  if (e.field === 'mac' && e.nullify) return null;
  if (e.field === 'hash' || e.field === 'prev_hash' || e.field === 'mac') {
    const s = String(old);
    const i = e.pos % s.length;
    const c = s[i] === '0' ? '1' : '0';
    return s.slice(0, i) + c + s.slice(i + 1);
  }
  if (e.field === 'id') return `${String(old)}x`;
  if (nullable.has(e.field) && e.nullify && old !== null) return null;
  return e.text === old ? `${e.text}!` : e.text;
}

const randomHex = () => randomBytes(32).toString('hex');

/** A record with a correct own hash; without the keyring its MAC can only be missing or copied from another record. */
function forgedRecord(ctx: RequestContext, ev: AuditEvent, seq: number, prevHash: string, copyMacOf?: AuditLogTable): AuditLogTable {
  const time = Date.now();
  const rec: AuditRecord = {
    seq,
    id: newId('aud', time),
    time,
    actor_id: ctx.actor.userId,
    actor_name: ctx.actor.username,
    actor_kind: ctx.actor.kind,
    auth_method: ctx.actor.authMethod,
    source_ip: ctx.sourceIp || null,
    request_id: ctx.requestId || null,
    action: ev.action,
    object_type: ev.objectType ?? null,
    object_id: ev.objectId ?? null,
    outcome: ev.outcome,
    reason: ev.reason ?? null,
    details: ev.details ? JSON.stringify(ev.details) : null,
    prev_hash: prevHash,
    mac_term: copyMacOf ? copyMacOf.mac_term : null,
    sealed: 0,
    via: 'native',
  };
  return { ...rec, hash: recordHash(rec), mac: copyMacOf ? copyMacOf.mac : null };
}

const firstCheckpointAtOrAfter = (snap: Snapshot, k: number) => snap.cps.find((c) => c >= k) as number;

for (const dialect of dialects) {
  describe(`audit chain tamper evidence [${dialect}]`, () => {
    let h: Harness;
    let db: Db;
    const chains = new Map<number, Snapshot>();
    const chain = async (n: number) => {
      let s = chains.get(n);
      if (!s) {
        s = await buildChain(h, n);
        chains.set(n, s);
      }
      return s;
    };

    /** Runs the property: a chain of arbitrary length, one mutation, the expected first bad seq. */
    async function detects<M>(
      arbMutation: (n: number) => fc.Arbitrary<M>,
      mutate: (trx: Trx, snap: Snapshot, m: M) => Promise<number>,
      /** Where a verifier without the MAC keys (public key only) finds it, when that is checked too. */
      withoutKeys?: (snap: Snapshot, m: M) => number | undefined,
    ) {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: MIN_N, max: MAX_N }).chain((n) => arbMutation(n).map((m) => ({ n, m }))),
          async ({ n, m }) => {
            const snap = await chain(n);
            const r = await onChain(db, snap, async (trx) => {
              const expected = await mutate(trx, snap, m);
              return { expected, v: await verifyAuditChain(trx, macKeys(h)), plain: withoutKeys ? await verifyAuditChain(trx) : null };
            });
            runs++;
            assert.equal(r.v.ok, false, `not detected: ${JSON.stringify({ n, cps: snap.cps, m })}`);
            assert.equal(
              r.v.firstBad?.seq,
              r.expected,
              `wrong first bad record: ${JSON.stringify({ n, cps: snap.cps, m, bad: r.v.firstBad })}`,
            );
            const plainExpected = withoutKeys?.(snap, m);
            if (plainExpected !== undefined && r.plain) {
              assert.equal(r.plain.macsChecked, false);
              assert.equal(r.plain.firstBad?.seq, plainExpected, `without keys: ${JSON.stringify({ n, m, bad: r.plain.firstBad })}`);
            }
          },
        ),
        { numRuns: RUNS },
      );
      return runs;
    }

    before(async () => {
      h = await startHarness(dialect);
      db = h.database.db;
    });
    after(async () => h.close());

    it('GET /api/v1/audit/verify reports the first bad record after a hand edit of a real chain', async () => {
      const admin = await adminToken(h);
      const u = await createUser(h, admin, 'password_user');
      await call(h, 'GET', '/api/v1/users', { token: u.token }); // denied
      await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: 'ops' } });
      await login(h, ADMIN.username, ADMIN.password);
      assert.equal((await call(h, 'POST', '/api/v1/audit/checkpoints', { token: admin })).status, 200);
      const good = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(good.status, 200);
      assert.equal(good.body.ok, true, JSON.stringify(good.body));
      assert.equal(good.body.firstBad, null);
      assert.ok(good.body.records >= 8);

      const target = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.create')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      await db.updateTable('audit_log').set({ outcome: 'denied' }).where('seq', '=', target.seq).execute();
      const bad = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(bad.status, 200);
      assert.equal(bad.body.ok, false);
      assert.equal(bad.body.firstBad.seq, Number(target.seq));
      assert.equal(bad.body.firstBad.kind, 'hash_mismatch');
      assert.equal(bad.body.macsChecked, true);
      // and a later record's broken link is still reported at the first bad one
      await db
        .updateTable('audit_log')
        .set({ prev_hash: randomHex() })
        .where('seq', '=', Number(target.seq) + 2)
        .execute();
      const still = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(still.body.firstBad.seq, Number(target.seq));
      await db.updateTable('audit_log').set({ outcome: target.outcome }).where('seq', '=', target.seq).execute();
      const next = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(next.body.firstBad.seq, Number(target.seq) + 2);
      assert.equal(next.body.firstBad.kind, 'broken_link');
    });

    it(`detects every edit of one field of one record, without a recomputed hash (${RUNS} runs)`, async () => {
      const runs = await detects(
        (n) => fc.record({ k: fc.integer({ min: 1, max: n }), edit: arbEdit(editableFields) }),
        async (trx, snap, m) => {
          const row = snap.log[m.k - 1] as AuditLogTable;
          await trx
            .updateTable('audit_log')
            .set({ [m.edit.field]: editedValue(row, m.edit) })
            .where('seq', '=', m.k)
            .execute();
          return m.k;
        },
      );
      assert.equal(runs, RUNS);
    });

    it(`detects every deletion of a record, at the deleted seq, also when the gap is closed or the head moved (${RUNS} runs)`, async () => {
      await detects(
        (n) => fc.record({ k: fc.integer({ min: 1, max: n }), variant: fc.constantFrom('plain', 'moveHead', 'renumber') }),
        async (trx, _snap, m) => {
          await trx.deleteFrom('audit_log').where('seq', '=', m.k).execute();
          if (m.variant === 'renumber') await shiftSeqs(trx, m.k + 1, -1);
          if (m.variant !== 'plain') {
            // the attacker also makes the head point at the (new) last record
            const last = await trx.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
            await trx
              .updateTable('audit_head')
              .set({ seq: Number(last?.seq ?? 0), hash: last?.hash ?? GENESIS_HASH })
              .where('id', '=', 1)
              .execute();
          }
          return m.k;
        },
      );
    });

    it(`detects every inserted forged record with a correct own hash (wrong link, right link, copied MAC, or a seq gap) at its own seq (${RUNS} runs)`, async () => {
      await detects(
        (n) =>
          fc.record({
            k: fc.integer({ min: 1, max: n + 1 }),
            variant: fc.constantFrom('wrongLink', 'rightLink', 'copiedMac', 'gap'),
            gap: fc.integer({ min: 1, max: 1000 }),
            macOf: fc.nat(),
            ctx: arbContext,
            ev: arbEvent,
          }),
        async (trx, snap, m) => {
          if (m.variant === 'gap') {
            // shifted seq: a record beyond the end, linked to the real last record
            const last = snap.log[snap.n - 1] as AuditLogTable;
            await trx
              .insertInto('audit_log')
              .values(forgedRecord(m.ctx, m.ev, snap.n + 1 + m.gap, last.hash))
              .execute();
            return snap.n + 1;
          }
          const correctPrev = m.k === 1 ? GENESIS_HASH : (snap.log[m.k - 2] as AuditLogTable).hash;
          let prev = correctPrev;
          if (m.variant === 'wrongLink') while (prev === correctPrev) prev = randomHex();
          await shiftSeqs(trx, m.k, 1);
          const donor = m.variant === 'copiedMac' ? (snap.log[m.macOf % snap.n] as AuditLogTable) : undefined;
          await trx
            .insertInto('audit_log')
            .values(forgedRecord(m.ctx, m.ev, m.k, prev, donor))
            .execute();
          // A correctly linked forgery has a correct plain hash too; its missing or copied MAC
          // gives it away at its own position (before MACs: only at the next checkpoint).
          return m.k;
        },
      );
    });

    it(`detects every swap of two records (reordering) at the earlier one (${RUNS} runs)`, async () => {
      await detects(
        (n) =>
          fc
            .tuple(fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: n }))
            .filter(([a, b]) => a !== b)
            .map(([a, b]) => ({ i: Math.min(a, b), j: Math.max(a, b) })),
        async (trx, snap, m) => {
          const ri = snap.log[m.i - 1] as AuditLogTable;
          const rj = snap.log[m.j - 1] as AuditLogTable;
          await trx.deleteFrom('audit_log').where('seq', 'in', [m.i, m.j]).execute();
          await trx
            .insertInto('audit_log')
            .values([
              { ...rj, seq: m.i },
              { ...ri, seq: m.j },
            ])
            .execute();
          return m.i;
        },
      );
    });

    it(`detects a rewrite with recomputed hashes of every following record at the rewritten record (its MAC) (${RUNS} runs)`, async () => {
      await detects(
        (n) =>
          fc.record({
            k: fc.integer({ min: 1, max: n }),
            mode: fc.constantFrom('edit', 'delete'),
            edit: arbEdit(contentFields),
            forgeCheckpoints: fc.boolean(),
          }),
        async (trx, snap, m) => {
          if (m.mode === 'edit') {
            const row = snap.log[m.k - 1] as AuditLogTable;
            await trx
              .updateTable('audit_log')
              .set({ [m.edit.field]: editedValue(row, m.edit) })
              .where('seq', '=', m.k)
              .execute();
          } else {
            await trx.deleteFrom('audit_log').where('seq', '=', m.k).execute();
            await shiftSeqs(trx, m.k + 1, -1);
          }
          const hashes = await recomputeTail(trx, m.k);
          if (m.forgeCheckpoints) {
            // without the signing key the attacker can only copy the new hashes into the checkpoints
            for (const [seq, hash] of hashes) {
              await trx.updateTable('audit_checkpoints').set({ hash }).where('seq', '=', seq).execute();
            }
          }
          return m.k;
        },
        // without the keyring (or before MACs) it is found only at the first checkpoint covering it
        // (a changed key term or sealed flag may show earlier: terms never go backwards, and a
        // record marked sealed cannot name a signed-in actor)
        (snap, m) =>
          m.mode === 'edit' && (m.edit.field === 'mac_term' || m.edit.field === 'sealed') ? undefined : firstCheckpointAtOrAfter(snap, m.k),
      );
    });

    it('refuses a forged record with a duplicate seq (primary key)', async () => {
      const snap = await chain(10);
      await assert.rejects(
        onChain(db, snap, async (trx) => {
          const [ctx] = fc.sample(arbContext, { numRuns: 1, seed: 7 }) as [RequestContext];
          const [ev] = fc.sample(arbEvent, { numRuns: 1, seed: 7 }) as [AuditEvent];
          await trx
            .insertInto('audit_log')
            .values(forgedRecord(ctx, ev, 5, (snap.log[3] as AuditLogTable).hash))
            .execute();
        }),
      );
    });

    it('detects a rewrite re-signed with the attacker key when verified with the exported public key, or with the MAC keys', async () => {
      const snap = await chain(20);
      const exportedKey = (
        await db.selectFrom('system_keys').select('public_value').where('name', '=', 'audit-signing').executeTakeFirstOrThrow()
      ).public_value as string;
      const r = await onChain(db, snap, async (trx) => {
        await trx.updateTable('audit_log').set({ action: 'user.read' }).where('seq', '=', 3).execute();
        const hashes = await recomputeTail(trx, 3);
        const evil = generateKeyPairSync('ed25519');
        for (const cp of snap.checkpoints) {
          const hash = hashes.get(Number(cp.seq)) ?? cp.hash;
          const message = checkpointMessage(Number(cp.seq), hash, Number(cp.time), { mac: cp.mac, macFrom: Number(cp.mac_from) });
          const signature = edSign(null, message, evil.privateKey).toString('base64');
          await trx.updateTable('audit_checkpoints').set({ hash, signature }).where('seq', '=', cp.seq).execute();
        }
        await trx
          .updateTable('system_keys')
          .set({ public_value: evil.publicKey.export({ format: 'pem', type: 'spki' }).toString() })
          .where('name', '=', 'audit-signing')
          .execute();
        return {
          stored: await verifyAuditChain(trx),
          exported: await verifyAuditChain(trx, { publicKeyPem: exportedKey }),
          keyed: await verifyAuditChain(trx, macKeys(h)),
        };
      });
      assert.equal(r.stored.ok, true, 'with the replaced stored key and no MAC keys the forgery passes (why the key must be exported)');
      assert.equal(r.keyed.ok, false, 'the MACs give it away without any exported key');
      assert.deepEqual([r.keyed.firstBad?.seq, r.keyed.firstBad?.kind], [3, 'mac_mismatch']);
      assert.equal(r.exported.ok, false);
      assert.equal(r.exported.firstBad?.kind, 'bad_checkpoint');
      assert.equal(r.exported.firstBad?.seq, snap.cps[0]);
    });

    it('detects truncation of records a checkpoint covers', async () => {
      const snap = await chain(30);
      const cut = snap.cps.at(-1) as number; // = 30
      const r = await onChain(db, snap, async (trx) => {
        await trx
          .deleteFrom('audit_log')
          .where('seq', '>', cut - 4)
          .execute();
        const last = snap.log[cut - 5] as AuditLogTable;
        await trx
          .updateTable('audit_head')
          .set({ seq: Number(last.seq), hash: last.hash })
          .where('id', '=', 1)
          .execute();
        return verifyAuditChain(trx);
      });
      assert.equal(r.ok, false);
      assert.equal(r.firstBad?.seq, cut - 3);
    });

    it('LIMITATION: truncating records after the last checkpoint is NOT detected by verify alone; the exported checkpoint list detects it', async () => {
      const snap = await chain(25); // checkpoint at 25
      const audit = h.coffer.services.audit;
      await clearAudit(db);
      await db.insertInto('audit_log').values(snap.log).execute();
      await db.insertInto('audit_head').values(snap.head).execute();
      await db.insertInto('audit_checkpoints').values(snap.checkpoints).execute();
      const ctxs = fc.sample(arbContext, { numRuns: 10, seed: 11 });
      const evs = fc.sample(arbEvent, { numRuns: 10, seed: 11 });
      const append = (i: number) => db.transaction().execute((trx) => audit.append(trx, ctxs[i] as RequestContext, evs[i] as AuditEvent));
      for (let i = 0; i < 7; i++) await append(i); // 26..32
      assert.equal((await audit.checkpointNow(db))?.seq, 32);
      for (let i = 7; i < 10; i++) await append(i); // 33..35, not yet covered
      const before = await verifyAuditChain(db, macKeys(h));
      assert.equal(before.ok, true);
      assert.equal(before.lastSeq, 35);
      // what an operator exported for safekeeping (GET /api/v1/audit/checkpoints)
      const exported = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
      const lastExported = exported.at(-1) as AuditCheckpointTable;
      assert.equal(Number(lastExported.seq), 32);
      const moveHead = async (seq: number) => {
        const r = await db.selectFrom('audit_log').select(['hash', 'mac', 'mac_term']).where('seq', '=', seq).executeTakeFirstOrThrow();
        await db.updateTable('audit_head').set({ seq, hash: r.hash, mac: r.mac, mac_term: r.mac_term }).where('id', '=', 1).execute();
      };

      // 1) cut off 33..35 (after the last checkpoint) and move the head back: verify cannot tell
      await db.deleteFrom('audit_log').where('seq', '>', 32).execute();
      await moveHead(32);
      const tail = await verifyAuditChain(db, macKeys(h));
      assert.equal(tail.ok, true, 'documented limitation: a cut tail after the last checkpoint goes unnoticed');
      assert.equal(tail.lastSeq, 32);

      // 2) also cut 26..32 and delete the checkpoint at 32: verify alone still says ok ...
      await db.deleteFrom('audit_log').where('seq', '>', 25).execute();
      await db.deleteFrom('audit_checkpoints').where('seq', '>', 25).execute();
      await moveHead(25);
      const cut = await verifyAuditChain(db, macKeys(h));
      assert.equal(cut.ok, true, 'documented limitation: verify without the exported list');
      assert.equal(cut.lastCheckpointSeq, 25);
      // ... but against the exported checkpoint list the loss is evident
      assert.ok(cut.lastSeq < Number(lastExported.seq), 'the chain ends before the last exported checkpoint');
      for (const cp of exported.filter((c) => Number(c.seq) <= cut.lastSeq)) {
        const row = await db.selectFrom('audit_log').select('hash').where('seq', '=', cp.seq).executeTakeFirstOrThrow();
        assert.equal(row.hash, cp.hash, 'the checkpoints the chain still reaches match the exported ones');
      }

      // 3) with the exported checkpoint put back, verify itself names the first missing record
      await db.insertInto('audit_checkpoints').values(lastExported).execute();
      const withCp = await verifyAuditChain(db, macKeys(h));
      assert.equal(withCp.ok, false);
      assert.equal(withCp.firstBad?.seq, 26);
      assert.equal(withCp.firstBad?.kind, 'sequence_gap');
    });
  });
}
