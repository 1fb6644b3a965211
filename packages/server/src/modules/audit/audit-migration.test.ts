// A store built before MACs (schema 0007, records written as the old code wrote them: plain hash
// chain, v1 checkpoints) migrates: the legacy chain is verified, then continued with MACs from a
// marked record, and that boundary cannot be moved or hidden by someone who can write the database.
import assert from 'node:assert/strict';
import { sign as edSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { ADMIN, adminToken, call, dialects, dropSchema, freshDatabase, type Harness, testConfig } from '../../../test/harness.ts';
import { runCli } from '../../../test/server-process.ts';
import { type App, buildApp } from '../../app.ts';
import type { Config } from '../../config/config.ts';
import { type Database, type Dialect, migrateToLatest, type Trx } from '../../db/database.ts';
import { migrations } from '../../db/migrations/index.ts';
import { AUDIT_MAC_LABEL, checkpointMessage, GENESIS_HASH, MAC_START_ACTION, recordHash } from './audit-chain.ts';
import { verifyAuditChain } from './audit-verify.ts';

const LEGACY = 12;
/** Server logs are not looked at here. */
const quiet = () => new PassThrough().resume();
const LEGACY_CPS = [5, 10];

interface Legacy {
  app: App;
  database: Database;
  config: Config;
  close(): Promise<void>;
}

/** A store at schema 0007 with LEGACY records written the old way, then migrated and started. */
async function legacyStore(dialect: Dialect, opts: { breakRecord?: number; start?: boolean } = {}): Promise<Legacy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-legacy-'));
  const { database, url, schema } = await freshDatabase(dialect, dir);
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const to0007 = await migrator.migrateTo('0007-attachment-history');
  if (to0007.error) throw to0007.error;
  const config = testConfig(dir, url);
  // the keyring, system keys and first administrator, as an install of the old code had them
  const old = await buildApp({ config, database, logStream: quiet() });
  const { seal, hasher } = old.services;
  const hash = await hasher.hash(ADMIN.password);
  // (no MAC start pinned with the keys: the signing key's sealed value in its form before the pin)
  await seal.initialize({ mode: 'keyfile', auditMacFrom: async () => null }, async (trx) => {
    // the users row as schema 0007 had it (today's service writes columns of later migrations)
    const now = Date.now();
    const empty = { first_name: '', last_name: '', email: '', department: '', location: '' };
    const phones = { landline_country_code: '', landline: '', landline_ext: '', mobile_country_code: '', mobile: '' };
    await (trx as unknown as import('kysely').Kysely<Record<string, Record<string, unknown>>>)
      .insertInto('users')
      .values({
        id: 'usr_legacyadmin',
        username: ADMIN.username,
        username_canonical: ADMIN.username,
        kind: 'human',
        ...empty,
        ...phones,
        role: 'administrator',
        all_passwords: 0,
        status: 'active',
        password_hash: hash,
        totp_secret_enc: null,
        totp_enabled: 0,
        totp_last_step: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  const signer = seal.keys?.auditSigner;
  if (!signer) throw new Error('not unsealed');
  // the old append: v1 canonical form, plain hash chain, head (seq, hash); v1 checkpoints
  const db = database.db as unknown as import('kysely').Kysely<Record<string, Record<string, unknown>>>;
  let prev = GENESIS_HASH;
  const t0 = Date.now() - 60_000;
  for (let seq = 1; seq <= LEGACY; seq++) {
    const rec = {
      seq,
      id: `aud_legacy${String(seq).padStart(20, '0')}`,
      time: t0 + seq,
      actor_id: null,
      actor_name: 'system',
      actor_kind: 'system',
      auth_method: 'system',
      source_ip: null,
      request_id: `req_legacy_${seq}`,
      action: seq === 1 ? 'sys.init' : 'user.read',
      object_type: 'user',
      object_id: null,
      outcome: 'success' as const,
      reason: null,
      details: null,
      prev_hash: prev,
    };
    const h = recordHash({ ...rec, mac_term: null, sealed: 0, via: null });
    await db
      .insertInto('audit_log')
      .values({ ...rec, hash: h })
      .execute();
    if (LEGACY_CPS.includes(seq)) {
      const time = t0 + seq;
      const signature = edSign(null, checkpointMessage(seq, h, time), signer.privateKey).toString('base64');
      await db.insertInto('audit_checkpoints').values({ seq, hash: h, time, signature, key_id: signer.keyId }).execute();
    }
    prev = h;
  }
  await db.insertInto('audit_head').values({ id: 1, seq: LEGACY, hash: prev }).execute();
  if (opts.breakRecord) {
    await db.updateTable('audit_log').set({ action: 'user.delete' }).where('seq', '=', opts.breakRecord).execute();
  }
  await old.app.close();
  seal.seal();

  // the upgrade: migrate (sealed, no keys), then start the new code (key-file unseal)
  const applied = await migrateToLatest(database.db);
  assert.equal(applied[0], '0008-audit-mac');
  const app = await buildApp({ config, database, logStream: quiet() });
  if (opts.start !== false) {
    await app.start();
    await app.services.jobs.stop();
  }
  await app.app.ready();
  return {
    app,
    database,
    config,
    async close() {
      await app.app.close();
      await database.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const macKeys = (app: App) => ({
  macKey: (term: number) => app.services.seal.keys?.keyring.derive(term, AUDIT_MAC_LABEL),
});

/** Verifies as GET /audit/verify does: with the MAC keys and the MAC start the keys pin. */
async function asServer(app: App, exec: Trx | Database['db']) {
  const pin = await app.services.seal.readAuditPin(exec);
  return verifyAuditChain(exec, { ...macKeys(app), macStart: { pinned: pin.macFrom, required: true, problem: pin.problem } });
}

const ROLLBACK = Symbol('rollback');
/** Runs the tampering and the verification in a transaction that is rolled back. */
async function tampered(s: Legacy, fn: (trx: Trx) => Promise<void>) {
  let out: Awaited<ReturnType<typeof verifyAuditChain>> | undefined;
  try {
    await s.database.db.transaction().execute(async (trx) => {
      await fn(trx);
      out = await asServer(s.app, trx);
      throw ROLLBACK;
    });
  } catch (e) {
    if (e !== ROLLBACK) throw e;
  }
  return out as Awaited<ReturnType<typeof verifyAuditChain>>;
}

/** The attacker's tools: strip MACs from `from` on, renumber, recompute every plain hash and the head. */
async function stripAndRecompute(trx: Trx, from: number, opts: { deleteSeq?: number; macFrom?: 'head' } = {}) {
  if (opts.deleteSeq) {
    await trx.deleteFrom('audit_log').where('seq', '=', opts.deleteSeq).execute();
    const rows = await trx.selectFrom('audit_log').select('seq').where('seq', '>', opts.deleteSeq).orderBy('seq').execute();
    for (const r of rows)
      await trx
        .updateTable('audit_log')
        .set({ seq: Number(r.seq) - 1 })
        .where('seq', '=', r.seq)
        .execute();
  }
  await trx.updateTable('audit_log').set({ mac: null, mac_term: null, sealed: 0 }).where('seq', '>=', from).execute();
  const rows = await trx.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  let prev = GENESIS_HASH;
  for (const r of rows) {
    if (Number(r.seq) >= from) {
      const hash = recordHash({ ...r, prev_hash: prev });
      await trx.updateTable('audit_log').set({ prev_hash: prev, hash }).where('seq', '=', r.seq).execute();
      prev = hash;
    } else prev = r.hash;
  }
  const last = rows.at(-1);
  await trx
    .updateTable('audit_head')
    .set({
      seq: Number(last?.seq),
      hash: prev,
      mac: null,
      mac_term: null,
      ...(opts.macFrom === 'head' ? { mac_from: Number(last?.seq) + 1 } : {}),
    })
    .where('id', '=', 1)
    .execute();
}

for (const dialect of dialects) {
  describe(`audit: a store from before MACs migrates [${dialect}]`, { concurrency: false }, () => {
    let s: Legacy;
    let h: Pick<Harness, 'app'>;
    let token: string;
    before(async () => {
      s = await legacyStore(dialect);
      h = { app: s.app.app };
      token = await adminToken(h);
    });
    after(async () => s.close());

    it('verifies the legacy chain, then continues with MACs from a marked record', async () => {
      const db = s.database.db;
      const head = await db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
      assert.equal(Number(head.mac_from), LEGACY + 1);
      const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      for (const r of rows.slice(0, LEGACY)) assert.deepEqual([r.mac, r.mac_term], [null, null], `legacy record ${r.seq}`);
      const marker = rows[LEGACY];
      assert.equal(marker?.action, MAC_START_ACTION, 'written at start, right after unseal');
      assert.deepEqual(JSON.parse(marker?.details ?? 'null'), {
        legacyRecords: LEGACY,
        legacyVerified: true,
        legacyFirstBad: null,
        legacyCheckpoint: 10,
      });
      for (const r of rows.slice(LEGACY)) assert.match(r.mac ?? '', /^[0-9a-f]{64}$/);
      await call(h, 'GET', '/api/v1/auth/whoami', { token });
      assert.equal((await call(h, 'POST', '/api/v1/audit/checkpoints', { token })).status, 200);
      await call(h, 'GET', '/api/v1/users', { token });
      await call(h, 'GET', '/api/v1/auth/whoami', { token });
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token });
      assert.equal(v.status, 200);
      assert.equal(v.body.ok, true, JSON.stringify(v.body.firstBad));
      assert.equal(v.body.macFrom, LEGACY + 1);
      assert.equal(v.body.macsChecked, true);
      assert.equal(v.body.macStart, 'pinned');
      assert.equal(v.body.checkpoints, 3, 'two legacy (v1) checkpoints, one v2');
      // pinned under the keys at the start, in the transaction of the marker
      assert.deepEqual(await s.app.services.seal.readAuditPin(db), { macFrom: LEGACY + 1, problem: null });
    });

    it('a restart does not start the MACs again', async () => {
      const again = await buildApp({ config: s.config, database: s.database, logStream: quiet() });
      await again.start();
      await again.services.jobs.stop();
      await again.app.close();
      const markers = await s.database.db.selectFrom('audit_log').select('seq').where('action', '=', MAC_START_ACTION).execute();
      assert.deepEqual(
        markers.map((m) => Number(m.seq)),
        [LEGACY + 1],
      );
    });

    it('stripping the MACs of the tail is found at the first stripped record', async () => {
      const last = await lastSeq(s);
      const r = await tampered(s, (trx) => stripAndRecompute(trx, last - 1));
      assert.deepEqual([r.ok, r.firstBad?.seq, r.firstBad?.kind], [false, last - 1, 'mac_missing']);
      const all = await tampered(s, (trx) => stripAndRecompute(trx, LEGACY + 1));
      assert.deepEqual([all.firstBad?.seq, all.firstBad?.kind], [LEGACY + 1, 'mac_missing']);
    });

    it('deleting the marker and stripping the MACs after it does not make the tail look legacy', async () => {
      // the MAC start stays where the migration put it: the record there must be the marker
      const r = await tampered(s, (trx) => stripAndRecompute(trx, LEGACY + 1, { deleteSeq: LEGACY + 1 }));
      assert.deepEqual([r.ok, r.firstBad?.seq, r.firstBad?.kind], [false, LEGACY + 1, 'mac_missing']);
      // moving the MAC start past the end as well: the keys still pin the real start
      const moved = await tampered(s, (trx) => stripAndRecompute(trx, LEGACY + 1, { deleteSeq: LEGACY + 1, macFrom: 'head' }));
      assert.deepEqual([moved.ok, moved.firstBad?.seq, moved.firstBad?.kind], [false, LEGACY + 1, 'mac_missing']);
      // ...and every checkpoint signed since the MAC start deleted too (once the LIMITATION of ADR
      // 0008, which verify answered ok): the pin under the keys still names the real start
      const rolledBack = await tampered(s, async (trx) => {
        await stripAndRecompute(trx, LEGACY + 1, { deleteSeq: LEGACY + 1, macFrom: 'head' });
        await trx.deleteFrom('audit_checkpoints').where('mac_from', 'is not', null).execute();
      });
      assert.deepEqual([rolledBack.ok, rolledBack.firstBad?.seq, rolledBack.firstBad?.kind], [false, LEGACY + 1, 'mac_missing']);
    });

    it('moving the MAC start either way is found', async () => {
      const down = await tampered(s, async (trx) => {
        await trx.updateTable('audit_head').set({ mac_from: 1 }).where('id', '=', 1).execute();
      });
      assert.deepEqual([down.firstBad?.seq, down.firstBad?.kind], [1, 'mac_start']);
      const up = await tampered(s, async (trx) => {
        await trx
          .updateTable('audit_head')
          .set({ mac_from: LEGACY + 2 })
          .where('id', '=', 1)
          .execute();
      });
      assert.deepEqual([up.firstBad?.seq, up.firstBad?.kind], [LEGACY + 1, 'mac_start']);
    });

    it('legacy records after the last legacy checkpoint are protected by the marker from now on', async () => {
      const rewriteLegacy = (seq: number) => async (trx: Trx) => {
        await trx.updateTable('audit_log').set({ action: 'user.delete' }).where('seq', '=', seq).execute();
        const rows = await trx.selectFrom('audit_log').selectAll().orderBy('seq').execute();
        let prev = GENESIS_HASH;
        for (const r of rows) {
          const hash = Number(r.seq) >= seq ? recordHash({ ...r, prev_hash: prev }) : r.hash;
          if (Number(r.seq) >= seq) await trx.updateTable('audit_log').set({ prev_hash: prev, hash }).where('seq', '=', r.seq).execute();
          prev = hash;
        }
        await trx.updateTable('audit_head').set({ hash: prev }).where('id', '=', 1).execute();
      };
      const afterCp = await tampered(s, rewriteLegacy(11));
      assert.deepEqual([afterCp.firstBad?.seq, afterCp.firstBad?.kind], [LEGACY + 1, 'mac_mismatch'], 'the marker pins the legacy head');
      const beforeCp = await tampered(s, rewriteLegacy(3));
      assert.deepEqual([beforeCp.firstBad?.seq, beforeCp.firstBad?.kind], [5, 'checkpoint_mismatch']);
    });

    it('a forged marker (its details rewritten) is found', async () => {
      const r = await tampered(s, async (trx) => {
        const m = await trx
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '=', LEGACY + 1)
          .executeTakeFirstOrThrow();
        const details = JSON.stringify({ ...JSON.parse(m.details ?? '{}'), legacyVerified: false });
        const hash = recordHash({ ...m, details });
        await trx
          .updateTable('audit_log')
          .set({ details, hash })
          .where('seq', '=', LEGACY + 1)
          .execute();
        await trx
          .updateTable('audit_log')
          .set({ prev_hash: hash })
          .where('seq', '=', LEGACY + 2)
          .execute();
      });
      assert.deepEqual([r.firstBad?.seq, r.firstBad?.kind], [LEGACY + 1, 'mac_mismatch']);
    });
  });

  describe(`audit: the MAC era cannot be rolled back to legacy (review H1) [${dialect}]`, { concurrency: false }, () => {
    let s: Legacy;
    before(async () => {
      s = await legacyStore(dialect);
    });
    after(async () => s.close());

    it('MACs stripped, the marker and every v2 checkpoint deleted, the MAC start moved past the end, a record rewritten: the API, a restarted server and the CLI find it', async () => {
      const h = { app: s.app.app };
      const token = await adminToken(h);
      await call(h, 'GET', '/api/v1/users', { token });
      assert.equal((await call(h, 'POST', '/api/v1/audit/checkpoints', { token })).status, 200);
      await call(h, 'GET', '/api/v1/auth/whoami', { token });
      const before = await call(h, 'GET', '/api/v1/audit/verify', { token });
      assert.equal(before.body.ok, true, JSON.stringify(before.body.firstBad));
      // the attack, in SQL only: every record looks legacy again, with plain hashes recomputed
      await s.database.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('audit_log')
          .set({ action: 'user.read', reason: 'forged' })
          .where('seq', '=', LEGACY + 3)
          .execute();
        await stripAndRecompute(trx, LEGACY + 1, { deleteSeq: LEGACY + 1, macFrom: 'head' });
        await trx.deleteFrom('audit_checkpoints').where('mac_from', 'is not', null).execute();
      });
      const last = await lastSeq(s);

      // a server that starts on it does not start the MAC era again over the forgery
      const again = await restart(s);
      try {
        const markers = await s.database.db.selectFrom('audit_log').select('seq').where('action', '=', MAC_START_ACTION).execute();
        assert.deepEqual(markers, [], 'no new marker over the stripped records');
        const h2 = { app: again.app };
        const v = await call(h2, 'GET', '/api/v1/audit/verify', { token: await adminToken(h2) });
        assert.equal(v.status, 200, v.raw);
        assert.deepEqual([v.body.ok, v.body.firstBad?.seq, v.body.firstBad?.kind], [false, LEGACY + 1, 'mac_missing']);
        assert.equal(v.body.macFrom, LEGACY + 1, 'the MAC start the keys pin, not the head');
      } finally {
        await again.app.close();
      }
      // the server that ran before the attack too
      const mine = await call(h, 'GET', '/api/v1/audit/verify', { token });
      assert.deepEqual([mine.body.ok, mine.body.firstBad?.seq], [false, LEGACY + 1]);

      const cli = await cliVerify(s);
      assert.equal(cli.code, 3, cli.stdout + cli.stderr);
      assert.deepEqual(
        [cli.json.ok, cli.json.firstBad?.seq, cli.json.firstBad?.kind, cli.json.macStart],
        [false, LEGACY + 1, 'mac_missing', 'pinned'],
      );
      assert.ok(last > LEGACY + 1);
    });

    it('the pin is part of the keys: without its row the store does not unseal, and the CLI reports tampering (exit 3)', async () => {
      const row = await s.database.db.selectFrom('system_keys').selectAll().where('name', '=', 'audit-signing').executeTakeFirstOrThrow();
      await s.database.db.deleteFrom('system_keys').where('name', '=', 'audit-signing').execute();
      try {
        const h = { app: s.app.app };
        const v = await call(h, 'GET', '/api/v1/audit/verify', { token: await adminToken(h) });
        // (the public key of the checkpoints went with the row: the first of them is named)
        assert.equal(v.body.ok, false);
        await assert.rejects(restart(s), (e: unknown) => (e as { code?: string }).code === 'integrity.failed');
        const cli = await cliVerify(s, false);
        assert.equal(cli.code, 3, cli.stdout + cli.stderr);
        assert.match(cli.stdout, /^Audit chain FAILED at record \d+: the store's sealed system key audit-signing is missing or altered/);
      } finally {
        await s.database.db.insertInto('system_keys').values(row).execute();
      }
    });
  });

  describe(`audit: a store migrated from before MACs that no server started on since [${dialect}]`, { concurrency: false }, () => {
    let s: Legacy;
    before(async () => {
      s = await legacyStore(dialect, { start: false });
    });
    after(async () => s.close());

    it('the CLI says the MAC era has not started (exit 9, never 0), and OK once a server started on it', async () => {
      const text = await cliVerify(s, false);
      assert.equal(text.code, 9, text.stdout + text.stderr);
      assert.match(
        text.stdout,
        /^Audit chain OK as far as checked: 12 records, 2 signed checkpoints, all legacy .*the MAC era has not started/,
      );
      const json = await cliVerify(s);
      assert.equal(json.code, 9);
      assert.deepEqual([json.json.ok, json.json.macStart, json.json.macFrom], [true, 'not_started', LEGACY + 1]);

      // the residual case (ADR 0008): a database writer can make a started store look like this one
      // only by putting back the signing key's sealed value from before its first start; the
      // running server still remembers the pin and names it
      const unpinned = await s.database.db
        .selectFrom('system_keys')
        .selectAll()
        .where('name', '=', 'audit-signing')
        .executeTakeFirstOrThrow();
      await s.app.start();
      await s.app.services.jobs.stop();
      const started = await cliVerify(s);
      assert.equal(started.code, 0, started.stdout + started.stderr);
      assert.deepEqual([started.json.ok, started.json.macStart], [true, 'pinned']);
      await s.database.db.updateTable('system_keys').set({ value_enc: unpinned.value_enc }).where('name', '=', 'audit-signing').execute();
      const h = { app: s.app.app };
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token: await adminToken(h) });
      assert.deepEqual([v.body.ok, v.body.firstBad?.kind], [false, 'mac_start']);
      assert.match(v.body.firstBad?.message, /removed/);
      const cli = await cliVerify(s);
      assert.equal(cli.code, 3, 'MACed records, but the keys pin no MAC start');
      assert.equal(cli.json.firstBad?.kind, 'mac_start');
    });
  });

  describe(`audit: a legacy chain that was already broken migrates, and stays reported [${dialect}]`, () => {
    let s: Legacy;
    before(async () => {
      s = await legacyStore(dialect, { breakRecord: 7 });
    });
    after(async () => s.close());

    it('the marker records the failed check; verify names the legacy record', async () => {
      const marker = await s.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', MAC_START_ACTION)
        .executeTakeFirstOrThrow();
      assert.equal(Number(marker.seq), LEGACY + 1);
      assert.deepEqual(JSON.parse(marker.details ?? 'null'), {
        legacyRecords: LEGACY,
        legacyVerified: false,
        legacyFirstBad: { seq: 7, kind: 'hash_mismatch' },
        legacyCheckpoint: 10,
      });
      const v = await verifyAuditChain(s.database.db, macKeys(s.app));
      assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.kind], [false, 7, 'hash_mismatch']);
    });
  });
}

/** `coffer audit verify [--json]` on the store, as an operator runs it (the key file unlocks the MACs). */
async function cliVerify(s: Legacy, json = true) {
  const env: Record<string, string> = { COFFER_DATA_DIR: s.config.dataDir };
  if (!s.config.databaseUrl.startsWith('sqlite:')) env.COFFER_DATABASE_URL = s.config.databaseUrl;
  const r = await runCli(['audit', 'verify', ...(json ? ['--json'] : [])], env);
  return { ...r, json: json && r.stdout ? JSON.parse(r.stdout) : null };
}

/** A second server process on the store (as after a restart): built, started, ready. */
async function restart(s: Legacy): Promise<App> {
  const again = await buildApp({ config: s.config, database: s.database, logStream: quiet() });
  await again.start();
  await again.services.jobs.stop();
  await again.app.ready();
  return again;
}

async function lastSeq(s: Legacy): Promise<number> {
  const h = await s.database.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow();
  return Number(h.seq);
}
