// Records that arrive while no key is in memory (sealed, or before initialisation) cannot be MACed:
// they wait in audit_sealed (durably, before the answer: fail closed) and enter the chain, MACed and
// marked, at the next append on an unsealed node. And MAC key terms follow the keyring's rotation.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { type App, buildApp } from '../../app.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import type { AuditSealedTable } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import { systemActor } from '../auth/actor.ts';
import { AUDIT_MAC_LABEL, recordHash } from './audit-chain.ts';
import { verifyAuditChain } from './audit-verify.ts';
import { SEALED_DRAIN_ACTION, SEALED_REFUSED_ACTION, sealedDigest } from './sealed-records.ts';

/** A row as a database writer would put it into audit_sealed: by default an anonymous request refused as sealed, now. */
function sealedRow(n: number, over: Partial<AuditSealedTable>): AuditSealedTable {
  const time = over.time ?? Date.now();
  return {
    pos: 100_000 + n,
    id: newId('aud', time),
    time,
    actor_id: null,
    actor_name: null,
    actor_kind: 'anonymous',
    auth_method: 'none',
    source_ip: '203.0.113.7',
    request_id: `req_forged${String(n).padStart(6, '0')}`,
    action: 'user.list',
    object_type: null,
    object_id: null,
    outcome: 'denied',
    reason: 'sys.sealed',
    details: null,
    ...over,
  };
}
const asSystem = { actor_id: null, actor_name: 'system', actor_kind: 'system', auth_method: 'system' } as const;

const macKeys = (app: Pick<App, 'services'>) => ({
  macKey: (term: number) => app.services.seal.keys?.keyring.derive(term, AUDIT_MAC_LABEL),
});

async function block(h: Harness, table: string): Promise<void> {
  const db = h.database.db;
  if (h.database.dialect === 'sqlite') {
    await sql.raw(`CREATE TRIGGER audit_block BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'audit blocked'); END;`).execute(db);
  } else {
    await sql
      .raw(`create function audit_block() returns trigger language plpgsql as $$ begin raise exception 'audit blocked'; end $$`)
      .execute(db);
    await sql.raw(`create trigger audit_block before insert on ${table} for each row execute function audit_block()`).execute(db);
  }
}

async function unblock(h: Harness, table: string): Promise<void> {
  await sql.raw(`DROP TRIGGER audit_block${h.database.dialect === 'postgres' ? ` ON ${table}` : ''}`).execute(h.database.db);
  if (h.database.dialect === 'postgres') await sql.raw('drop function audit_block()').execute(h.database.db);
}

for (const dialect of dialects) {
  describe(`audit records written while sealed [${dialect}]`, { concurrency: false }, () => {
    let h: Harness & { shares: string[] | null };
    before(async () => {
      h = await startHarness(dialect, { mode: 'shamir' });
    });
    after(async () => h.close());
    const waiting = () => h.database.db.selectFrom('audit_sealed').selectAll().orderBy('pos').execute();
    const chain = () => h.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();

    it('wait in audit_sealed, outside the chain, until unseal', async () => {
      assert.deepEqual(await chain(), [], 'nothing MACed without a key: the init records wait too');
      const denied = await call(h, 'GET', '/api/v1/users');
      assert.equal(denied.status, 503);
      const badShare = await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: 'not-a-share' } });
      assert.equal(badShare.status, 400);
      const rows = await waiting();
      assert.deepEqual(
        rows.map((r) => [r.action, r.outcome, r.reason]),
        [
          ['sys.init', 'success', null],
          ['user.create', 'success', null],
          [rows[2]?.action, 'denied', 'sys.sealed'],
          ['sys.unseal', 'failure', 'validation.failed'],
        ],
      );
      const v = await verifyAuditChain(h.database.db);
      assert.deepEqual([v.ok, v.records, v.sealedPending, v.macsChecked], [true, 0, 4, false]);
    });

    it('fail closed: a record that cannot be kept while sealed fails the request', async () => {
      await block(h, 'audit_sealed');
      try {
        const r = await call(h, 'GET', '/api/v1/users');
        assert.equal(r.status, 503);
        assert.equal(r.body.error.code, 'audit.unavailable');
      } finally {
        await unblock(h, 'audit_sealed');
      }
      assert.equal((await waiting()).length, 4);
    });

    it('never keeps an unkeyed record naming a signed-in actor (a request in flight when sealed): no record, no effect', async () => {
      const audit = h.coffer.services.audit;
      const ctx = {
        actor: { ...systemActor, kind: 'user' as const, userId: 'usr_00000000000000000000000001', username: 'alice' },
        requestId: 'req_inflight01',
        sourceIp: '192.0.2.1',
        audited: false,
      };
      const ev = { action: 'secret.reveal', outcome: 'success' as const };
      await assert.rejects(
        h.database.db.transaction().execute((trx) => audit.append(trx, ctx, ev)),
        (e: unknown) => (e as { code?: string }).code === 'sys.sealed',
      );
      await assert.rejects(audit.appendDurable(h.database.db, ctx, ev), (e: unknown) => (e as { code?: string }).code === 'sys.sealed');
      assert.equal((await waiting()).length, 4);
    });

    it('the unseal puts them in the chain, in order, MACed and marked, before its own record', async () => {
      const before = await waiting();
      const shares = h.shares as string[];
      for (const s of shares.slice(0, 3)) assert.equal((await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: s } })).status, 200);
      assert.deepEqual(await waiting(), []);
      const rows = await chain();
      // the first two shares arrived while still sealed; the third one's record is written unsealed,
      // after the drain record naming what came in from audit_sealed
      assert.equal(rows.length, before.length + 4);
      assert.deepEqual(
        rows.slice(0, before.length).map((r) => [r.id, Number(r.time), r.action, Number(r.sealed)]),
        before.map((b) => [b.id, Number(b.time), b.action, 1]),
      );
      assert.deepEqual(
        rows.slice(before.length).map((r) => [r.action, Number(r.sealed)]),
        [
          ['sys.unseal', 1],
          ['sys.unseal', 1],
          [SEALED_DRAIN_ACTION, 0],
          ['sys.unseal', 0],
        ],
      );
      const drain = rows[before.length + 2] as (typeof rows)[number];
      const digest = sealedDigest();
      for (const r of rows.slice(0, before.length + 2)) digest.add(r);
      assert.deepEqual(JSON.parse(drain.details ?? 'null'), {
        count: before.length + 2,
        digest: digest.hex(),
        lastTime: Math.max(...rows.slice(0, before.length + 2).map((r) => Number(r.time))),
      });
      assert.equal(drain.actor_kind, 'system');
      for (const r of rows) assert.match(r.mac ?? '', /^[0-9a-f]{64}$/);
      const head = await h.database.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
      assert.equal(Number(head.sealed_pending), 0);
      const v = await verifyAuditChain(h.database.db, macKeys(h.coffer));
      assert.deepEqual([v.ok, v.macFrom, v.sealedPending, v.macsChecked], [true, 1, 0, true], JSON.stringify(v.firstBad));
    });

    it('rows put into audit_sealed by a database writer while unsealed are refused, named, and never MACed as genuine (review M1)', async () => {
      const db = h.database.db;
      const now = Date.now();
      const forged = [
        // a signed-in actor, and system records of things that happen only while unsealed
        sealedRow(1, {
          actor_id: 'usr_00000000000000000000000001',
          actor_name: 'alice',
          actor_kind: 'user',
          auth_method: 'session',
          action: 'secret.reveal',
          outcome: 'success',
          reason: null,
        }),
        sealedRow(2, {
          ...asSystem,
          action: 'user.password_recover',
          object_type: 'user',
          object_id: 'usr_00000000000000000000000001',
          outcome: 'success',
          reason: null,
        }),
        sealedRow(3, { ...asSystem, action: 'admin_request.expire', outcome: 'success', reason: null }),
        sealedRow(4, { ...asSystem, action: 'integrity.failure', outcome: 'error', reason: 'integrity.failed' }),
        // anonymous, but not a refusal Coffer writes while sealed
        sealedRow(5, { action: 'auth.login', outcome: 'success', reason: null }),
        sealedRow(6, { action: 'auth.login', outcome: 'denied', reason: 'auth.invalid_credentials' }),
        // a sealed-time shape, but back-dated to before the last drain, or from the future
        sealedRow(7, { time: now - 86_400_000 }),
        sealedRow(8, { time: now + 3_600_000 }),
        // an initialisation after the chain started
        sealedRow(9, {
          ...asSystem,
          request_id: 'init',
          source_ip: null,
          action: 'sys.init',
          outcome: 'success',
          reason: null,
          details: JSON.stringify({ mode: 'keyfile', shares: null, threshold: null }),
        }),
        // details where a refusal has none
        sealedRow(10, { details: JSON.stringify({ note: 'the admin was here' }) }),
      ];
      // what an anonymous caller could have caused anyway: accepted (ADR 0008)
      const plausible = sealedRow(11, {});
      await db
        .insertInto('audit_sealed')
        .values([...forged, plausible])
        .execute();
      const admin = await adminToken(h);
      // the periodic checkpoint drains the table (pending count untouched by the writer)
      assert.equal((await call(h, 'POST', '/api/v1/audit/checkpoints', { token: admin })).status, 200);
      assert.deepEqual(await waiting(), []);
      const rows = await chain();
      const ids = new Set(rows.map((r) => r.id));
      for (const f of forged) assert.ok(!ids.has(f.id), `${f.action} (${f.id}) entered the chain`);
      const refusal = rows.filter((r) => r.action === SEALED_REFUSED_ACTION);
      assert.equal(refusal.length, 1);
      assert.deepEqual(
        [refusal[0]?.actor_kind, refusal[0]?.outcome, JSON.parse(refusal[0]?.details ?? 'null')],
        ['system', 'error', { count: forged.length, ids: forged.map((f) => f.id) }],
      );
      const taken = rows.find((r) => r.id === plausible.id);
      assert.equal(Number(taken?.sealed), 1);
      assert.equal(rows[rows.indexOf(taken as (typeof rows)[number]) + 1]?.action, SEALED_DRAIN_ACTION);
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(v.body.ok, true, JSON.stringify(v.body.firstBad));
    });

    it('a row a writer puts straight into audit_log with sealed = 1 is flagged, with the keys and without', async () => {
      const db = h.database.db;
      await db
        .transaction()
        .execute(async (trx) => {
          const last = await trx.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
          const seq = Number(last.seq) + 1;
          for (const [i, over] of [
            { ...asSystem, action: 'admin_request.expire', outcome: 'success' as const, reason: null },
            {},
          ].entries()) {
            const { pos: _p, ...content } = sealedRow(20 + i, over);
            const rec = { ...content, seq, prev_hash: last.hash, mac_term: last.mac_term, sealed: 1, via: null };
            const hash = recordHash(rec);
            await trx.deleteFrom('audit_log').where('seq', '=', seq).execute();
            await trx
              .insertInto('audit_log')
              .values({ ...rec, hash, mac: last.mac })
              .execute();
            await trx.updateTable('audit_head').set({ seq, hash, mac: last.mac }).where('id', '=', 1).execute();
            const keyed = await verifyAuditChain(trx, macKeys(h.coffer));
            assert.deepEqual([keyed.firstBad?.seq, keyed.firstBad?.kind], [seq, 'mac_mismatch']);
            // without the keys: not a sealed-time record, or one without its drain record
            const plain = await verifyAuditChain(trx);
            assert.deepEqual([plain.firstBad?.seq, plain.firstBad?.kind], [i === 0 ? seq : seq + 1, 'sealed_record']);
          }
          throw new Error('rollback');
        })
        .catch((e) => assert.equal((e as Error).message, 'rollback'));
    });

    it('after a key rotation new records use the new term; each record verifies under its own', async () => {
      const admin = await adminToken(h);
      const rot = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(rot.status, 200);
      assert.equal(rot.body.activeTerm, 2);
      await call(h, 'GET', '/api/v1/auth/whoami', { token: admin });
      const rows = await chain();
      const last = rows.at(-1);
      assert.equal(last?.mac_term, 2);
      assert.equal(rows[0]?.mac_term, 1);
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(v.body.ok, true, JSON.stringify(v.body.firstBad));
      // a record moved back to the older term (hash recomputed) is refused: terms never go backwards
      await h.database.db
        .transaction()
        .execute(async (trx) => {
          const r = last as NonNullable<typeof last>;
          const hash = recordHash({ ...r, mac_term: 1 });
          await trx.updateTable('audit_log').set({ mac_term: 1, hash }).where('seq', '=', r.seq).execute();
          await trx.updateTable('audit_head').set({ hash, mac_term: 1 }).where('id', '=', 1).execute();
          const bad = await verifyAuditChain(trx, macKeys(h.coffer));
          assert.deepEqual([bad.firstBad?.seq, bad.firstBad?.kind], [Number(r.seq), 'mac_mismatch']);
          throw new Error('rollback');
        })
        .catch((e) => assert.equal((e as Error).message, 'rollback'));
    });

    it('sealed: a record Coffer does not write while sealed (a job still running) fails closed instead of waiting unkeyed', async () => {
      const admin = await adminToken(h);
      assert.equal((await call(h, 'POST', '/api/v1/sys/seal', { token: admin })).status, 200);
      try {
        const audit = h.coffer.services.audit;
        const job = { actor: systemActor, requestId: 'job_0000000001', sourceIp: '', audited: false };
        await assert.rejects(
          h.database.db
            .transaction()
            .execute((trx) => audit.append(trx, job, { action: 'admin_request.expire', objectType: 'admin_request', outcome: 'success' })),
          (e: unknown) => (e as { code?: string }).code === 'sys.sealed',
        );
        await assert.rejects(
          audit.appendDurable(h.database.db, job, { action: 'integrity.failure', outcome: 'error', reason: 'integrity.failed' }),
          (e: unknown) => (e as { code?: string }).code === 'sys.sealed',
        );
        assert.deepEqual(await waiting(), []);
        // what Coffer does write while sealed still waits
        assert.equal((await call(h, 'GET', '/api/v1/users')).status, 503);
        assert.equal((await waiting()).length, 1);
      } finally {
        for (const s of (h.shares as string[]).slice(0, 3)) await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: s } });
      }
      assert.deepEqual(await waiting(), []);
    });

    it('rows put into audit_sealed while sealed are refused at the unseal; the genuine ones enter the chain (review M1)', async () => {
      const admin = await adminToken(h);
      assert.equal((await call(h, 'POST', '/api/v1/sys/seal', { token: admin })).status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/vaults')).status, 503);
      const forged = [
        sealedRow(30, {
          ...asSystem,
          action: 'user.password_recover',
          object_type: 'user',
          object_id: 'usr_00000000000000000000000001',
          outcome: 'success',
          reason: null,
        }),
        sealedRow(31, { action: 'secret.reveal', outcome: 'success', reason: null }),
        sealedRow(32, { time: Date.now() - 86_400_000 }),
      ];
      await h.database.db.insertInto('audit_sealed').values(forged).execute();
      await h.database.db.updateTable('audit_head').set({ sealed_pending: 4 }).where('id', '=', 1).execute();
      assert.equal((await call(h, 'GET', '/api/v1/users')).status, 503);
      const genuine = (await waiting()).filter((w) => !forged.some((f) => f.id === w.id));
      assert.equal(genuine.length, 2);
      for (const s of (h.shares as string[]).slice(1, 4)) await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: s } });
      const rows = await chain();
      const ids = new Set(rows.map((r) => r.id));
      for (const f of forged) assert.ok(!ids.has(f.id), `${f.action} entered the chain`);
      for (const g of genuine) assert.ok(ids.has(g.id), `the genuine ${g.action} is in the chain`);
      const refusal = rows.filter((r) => r.action === SEALED_REFUSED_ACTION).at(-1);
      assert.deepEqual(JSON.parse(refusal?.details ?? 'null'), { count: 3, ids: forged.map((f) => f.id) });
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token: await adminToken(h) });
      assert.equal(v.body.ok, true, JSON.stringify(v.body.firstBad));
    });

    it('sealed again: records wait, and the next unseal puts them in the chain', async () => {
      const admin = await adminToken(h);
      assert.equal((await call(h, 'POST', '/api/v1/sys/seal', { token: admin })).status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).status, 503);
      assert.equal((await waiting()).length, 1);
      for (const s of (h.shares as string[]).slice(1, 4)) await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: s } });
      assert.equal((await waiting()).length, 0);
      const v = await verifyAuditChain(h.database.db, macKeys(h.coffer));
      assert.equal(v.ok, true, JSON.stringify(v.firstBad));
      assert.ok((await chain()).some((r) => r.reason === 'sys.sealed' && Number(r.sealed) === 1));
    });
  });
}

if (dialects.includes('postgres')) {
  describe('a sealed node and an unsealed node on one PostgreSQL', () => {
    let a: Harness;
    let b: App;
    let dbB: Database;
    before(async () => {
      a = await startHarness('postgres');
      dbB = await openDatabase(a.config.databaseUrl);
      b = await buildApp({ config: a.config, database: dbB, logStream: new PassThrough().resume() });
      await b.start();
      await b.app.ready();
      b.services.seal.seal(); // node B is sealed, node A is not
    });
    after(async () => {
      await b.app.close();
      await dbB.close();
      await a.close();
    });

    it("the sealed node's records enter the one chain at the unsealed node's next append", async () => {
      const token = await adminToken(a);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 2
            ? call(a, 'GET', '/api/v1/auth/whoami', { token })
            : b.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: { authorization: `Bearer ${token}` } }),
        ),
      );
      assert.deepEqual(
        results.map((r) => ('statusCode' in r ? r.statusCode : r.status)),
        Array.from({ length: 30 }, (_, i) => (i % 2 ? 200 : 503)),
      );
      // what the periodic checkpoint does (also the next request on A would)
      await a.coffer.services.audit.checkpointNow(a.database.db);
      const waiting = await a.database.db.selectFrom('audit_sealed').selectAll().execute();
      assert.equal(waiting.length, 0);
      const sealedRows = await a.database.db.selectFrom('audit_log').selectAll().where('sealed', '=', 1).execute();
      assert.equal(sealedRows.filter((r) => r.reason === 'sys.sealed').length, 15);
      const v = await verifyAuditChain(a.database.db, macKeys(a.coffer));
      assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    });
  });
}
