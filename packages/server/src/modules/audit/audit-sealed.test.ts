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
import { anonymousActor, systemActor } from '../auth/actor.ts';
import { AUDIT_MAC_LABEL, recordHash } from './audit-chain.ts';
import { verifyAuditChain } from './audit-verify.ts';

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
      // the first two shares arrived while still sealed; the third one's record is written unsealed
      assert.equal(rows.length, before.length + 3);
      assert.deepEqual(
        rows.slice(0, before.length).map((r) => [r.id, Number(r.time), r.action, Number(r.sealed)]),
        before.map((b) => [b.id, Number(b.time), b.action, 1]),
      );
      assert.deepEqual(
        rows.slice(before.length).map((r) => [r.action, Number(r.sealed)]),
        [
          ['sys.unseal', 1],
          ['sys.unseal', 1],
          ['sys.unseal', 0],
        ],
      );
      for (const r of rows) assert.match(r.mac ?? '', /^[0-9a-f]{64}$/);
      const head = await h.database.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
      assert.equal(Number(head.sealed_pending), 0);
      const v = await verifyAuditChain(h.database.db, macKeys(h.coffer));
      assert.deepEqual([v.ok, v.macFrom, v.sealedPending, v.macsChecked], [true, 1, 0, true], JSON.stringify(v.firstBad));
    });

    it('a record put into audit_sealed by hand naming a signed-in actor is flagged once in the chain', async () => {
      const db = h.database.db;
      await db
        .transaction()
        .execute(async (trx) => {
          await trx
            .insertInto('audit_sealed')
            .values({
              pos: 1000,
              id: 'aud_forgedsealed000000000001',
              time: Date.now(),
              actor_id: 'usr_00000000000000000000000001',
              actor_name: 'alice',
              actor_kind: 'user',
              auth_method: 'session',
              source_ip: null,
              request_id: null,
              action: 'secret.reveal',
              object_type: 'secret',
              object_id: null,
              outcome: 'success',
              reason: null,
              details: null,
            })
            .execute();
          await trx.updateTable('audit_head').set({ sealed_pending: 1 }).where('id', '=', 1).execute();
          // the next append takes it in, MACed: the MAC is fine, the record is still impossible
          const anon = { actor: anonymousActor, requestId: 'req_next0001', sourceIp: '192.0.2.9', audited: false };
          await h.coffer.services.audit.append(trx, anon, { action: 'auth.login', outcome: 'denied' });
          const taken = await trx
            .selectFrom('audit_log')
            .selectAll()
            .where('id', '=', 'aud_forgedsealed000000000001')
            .executeTakeFirstOrThrow();
          assert.equal(Number(taken.sealed), 1);
          const v = await verifyAuditChain(trx, macKeys(h.coffer));
          assert.deepEqual([v.firstBad?.seq, v.firstBad?.kind], [Number(taken.seq), 'sealed_record']);
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
