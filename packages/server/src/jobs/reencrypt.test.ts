import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../test/harness.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../crypto/totp.ts';
import { manualClock } from '../lib/clock.ts';
import { pendingBinding } from '../modules/rotation/journal.ts';
import { createReencryptJob, encryptedColumns } from './reencrypt.ts';

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;
const listed = () => encryptedColumns.map((c) => `${c.table}.${c.column}`).sort();

/** `table.column` of every column named `*_enc` in the row types of db/schema.ts and the files it extends (schema-*.ts). */
function encColumnsInSchemaSource(): string[] {
  const dir = new URL('../db/', import.meta.url);
  const text = readdirSync(dir)
    .filter((f) => /^schema(-[\w-]+)?\.ts$/.test(f))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))
    .join('\n');
  const tableOf = new Map<string, string>();
  // the tables of DB itself and of the `…Tables` interfaces it extends (e.g. RotationTables)
  // (the formatter may break `extends` onto lines of its own)
  for (const t of text.matchAll(/export interface (?:DB|\w+Tables)(?:\s+extends [^{]*)?\s*\{([^}]*)\}/g)) {
    for (const m of (t[1] as string).matchAll(/(\w+): (\w+);/g)) tableOf.set(m[2] as string, m[1] as string);
  }
  const out: string[] = [];
  for (const m of text.matchAll(/export interface (\w+) \{([^}]*)\}/g)) {
    const table = tableOf.get(m[1] as string);
    if (!table) continue;
    for (const f of (m[2] as string).matchAll(/^\s*(\w+_enc)\??:/gm)) out.push(`${table}.${f[1]}`);
  }
  return out.sort();
}

/** `table.column` of every column named `*_enc` in the live database catalog. */
async function encColumnsInCatalog(h: Harness): Promise<string[]> {
  const db = h.database.db;
  const rows =
    h.database.dialect === 'sqlite'
      ? (
          await sql<{ t: string; c: string }>`
            select m.name as t, p.name as c from sqlite_master m join pragma_table_info(m.name) p
            where m.type = 'table'`.execute(db)
        ).rows
      : (
          await sql<{ t: string; c: string }>`
            select table_name as t, column_name as c from information_schema.columns
            where table_schema = current_schema()`.execute(db)
        ).rows;
  return rows
    .filter((r) => r.c.endsWith('_enc'))
    .map((r) => `${r.t}.${r.c}`)
    .sort();
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, last: () => unknown, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(last())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of dialects) {
  describe(`online key rotation and re-encryption [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);
    /** Users with TOTP on, and the seeds they hold. */
    const mfaUsers: Array<{ id: string; username: string; password: string; secret: Buffer }> = [];
    /** Plaintexts of the seeded encrypted values, to check they survive every re-encryption. */
    const plain = new Map<string, Buffer>();
    let seedSeq = 0;

    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
      for (let i = 0; i < 3; i++) {
        const u = await createUser(h, admin, 'password_user');
        const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
        const secret = base32Decode(begin.body.secret);
        const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', {
          token: u.token,
          body: { code: hotp(secret, totpStep(clock.now())) },
        });
        assert.equal(confirm.status, 200, confirm.raw);
        mfaUsers.push({ id: u.id, username: u.username, password: u.password, secret });
      }
    });
    after(async () => h?.close());

    const binding = (id: string) => ({ type: 'user', id, field: 'totp_secret' });

    /** Inserts disabled users holding encrypted seeds under the active term, so the job has batches to walk. */
    async function seedEncrypted(n: number): Promise<void> {
      const now = clock.now();
      const rows = Array.from({ length: n }, () => {
        const id = `usr_seed${String(++seedSeq).padStart(7, '0')}`;
        const secret = randomBytes(20);
        plain.set(id, secret);
        return {
          id,
          username: id,
          username_canonical: id,
          kind: 'human' as const,
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
          role: 'password_user' as const,
          all_passwords: 0,
          status: 'disabled' as const,
          password_hash: null,
          totp_secret_enc: h.coffer.services.seal.requireKeys().keyring.encrypt(binding(id), secret),
          totp_enabled: 0,
          totp_last_step: null,
          created_at: now,
          updated_at: now,
        };
      });
      for (let i = 0; i < rows.length; i += 100)
        await h.database.db
          .insertInto('users')
          .values(rows.slice(i, i + 100))
          .execute();
    }

    /** An open remote rotation's pending password (modules/rotation), encrypted under the active term. */
    const pendingPlain = new Map<string, string>();
    async function seedOpenRotation(): Promise<void> {
      const id = `rot_seed${String(++seedSeq).padStart(7, '0')}`;
      const value = `Pw-${randomBytes(12).toString('base64url')}`;
      pendingPlain.set(id, value);
      const now = clock.now();
      await h.database.db
        .insertInto('rotation_journal')
        .values({
          id,
          secret_id: `sec_${id}`,
          kind: 'postgres',
          field: 'password',
          state: 'pending',
          active: 1,
          pending_enc: h.coffer.services.seal.requireKeys().keyring.encrypt(pendingBinding(id), Buffer.from(value)),
          base_version: 1,
          new_version: null,
          trigger: 'manual',
          actor_id: null,
          reason: null,
          // held by a live process for the whole test: the reconciler leaves it alone
          lease_owner: 'reencrypt-test',
          lease_until: now + 7 * 24 * 3600_000,
          attempts: 0,
          last_error: null,
          cleanup: null,
          created_at: now,
          updated_at: now,
          settled_at: null,
        })
        .execute();
    }

    /** Every value of every encrypted column. */
    async function allEncrypted(): Promise<Array<{ table: string; key: string; value: string }>> {
      const out: Array<{ table: string; key: string; value: string }> = [];
      for (const c of await encColumnsInCatalog(h)) {
        const [table, column] = c.split('.') as [string, string];
        const rows = await sql<{ v: string | null }>`select ${sql.ref(column)} as v from ${sql.table(table)}`.execute(h.database.db);
        for (const r of rows.rows) if (r.v !== null) out.push({ table, key: c, value: r.v });
      }
      return out;
    }

    async function assertAllOnTerm(term: number) {
      const values = await allEncrypted();
      assert.ok(values.length > 3, 'there are encrypted values');
      const off = values.filter((v) => !v.value.startsWith(`c1.${term}.`));
      assert.deepEqual(
        off.map((v) => `${v.key}=${v.value.slice(0, 8)}`),
        [],
        `every encrypted value is on term ${term}`,
      );
      const keyring = h.coffer.services.seal.requireKeys().keyring;
      const rows = await h.database.db.selectFrom('users').select(['id', 'totp_secret_enc']).where('id', 'like', 'usr_seed%').execute();
      for (const r of rows) {
        assert.deepEqual(keyring.decrypt(binding(r.id), r.totp_secret_enc as string), plain.get(r.id), 'the plaintext is unchanged');
      }
      const open = await h.database.db
        .selectFrom('rotation_journal')
        .select(['id', 'pending_enc'])
        .where('id', 'like', 'rot_seed%')
        .execute();
      assert.equal(open.length, pendingPlain.size, 'the open rotations are still there');
      for (const r of open) {
        const value = keyring.decrypt(pendingBinding(r.id), r.pending_enc as string).toString();
        assert.equal(value, pendingPlain.get(r.id), 'an open rotation keeps its pending password');
      }
    }

    async function keyringWhenDone(term: number) {
      let seen: unknown;
      return waitFor(
        `re-encryption to term ${term}`,
        async () => {
          const r = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
          assert.equal(r.status, 200, r.raw);
          seen = r.body;
          return r.body.reencryption.status === 'done' && r.body.reencryption.targetTerm === term ? r.body : undefined;
        },
        () => seen,
      );
    }

    async function totpLoginAll() {
      clock.advance(PERIOD_MS);
      for (const u of mfaUsers) {
        await login(h, u.username, u.password, { totpCode: hotp(u.secret, totpStep(clock.now())) });
      }
    }

    it('lists every *_enc column of the schema in encryptedColumns', async () => {
      const catalog = await encColumnsInCatalog(h);
      const source = encColumnsInSchemaSource();
      assert.ok(catalog.length >= 2, `found ${catalog.join(', ')}`);
      assert.deepEqual(source, catalog, 'schema.ts and the migrated database agree');
      assert.deepEqual(listed(), catalog, 'the re-encryption job walks every encrypted column');
    });

    it('rotates the key online: no request fails, the job finishes, every value moves to term 2', async () => {
      await seedEncrypted(650);
      await seedOpenRotation();
      admin = await adminToken(h);
      const readers = await Promise.all(Array.from({ length: 3 }, () => createUser(h, admin, 'password_user')));
      let sent = 0;
      const failures: string[] = [];
      let rotation: Awaited<ReturnType<typeof call>> | undefined;
      for (let batch = 0; batch < 10; batch++) {
        clock.advance(PERIOD_MS); // a fresh TOTP step per batch: every MFA user can log in once
        const reqs: Array<Promise<Awaited<ReturnType<typeof call>>>> = [];
        for (const u of mfaUsers) {
          const totpCode = hotp(u.secret, totpStep(clock.now()));
          reqs.push(call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password, totpCode } }));
        }
        for (let i = 0; i < 17; i++) {
          const r = readers[i % readers.length] as (typeof readers)[number];
          if (i % 6 === 0)
            reqs.push(call(h, 'POST', '/api/v1/me/totp', { token: r.token, body: { currentPassword: r.password } })); // a write under the active term
          else if (i % 2) reqs.push(call(h, 'GET', '/api/v1/auth/whoami', { token: r.token }));
          else reqs.push(call(h, 'GET', `/api/v1/users/${r.id}`, { token: r.token }));
        }
        if (batch === 2) {
          const rot = call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
          const all = await Promise.all([...reqs, rot]);
          rotation = all.pop();
          sent += all.length;
          for (const r of all) if (r.status !== 200) failures.push(`${r.status} ${r.raw}`);
          continue;
        }
        const all = await Promise.all(reqs);
        sent += all.length;
        for (const r of all) if (r.status !== 200) failures.push(`${r.status} ${r.raw}`);
      }
      assert.equal(sent, 200);
      assert.deepEqual(failures, [], 'no request failed during the rotation');
      assert.equal(rotation?.status, 200, rotation?.raw);
      assert.equal(rotation?.body.activeTerm, 2);
      assert.deepEqual(rotation?.body.terms, [1, 2]);

      const done = await keyringWhenDone(2);
      assert.equal(done.activeTerm, 2);
      assert.deepEqual(done.terms, [1, 2]);
      assert.equal(done.reencryption.percent, 100);
      assert.equal(done.reencryption.processed, done.reencryption.total);
      assert.ok(done.reencryption.total >= 650);
      await assertAllOnTerm(2);
      // the MAC start pinned in the audit signing key's sealed value moved with it, intact
      assert.deepEqual(await h.coffer.services.seal.readAuditPin(), { macFrom: 1, problem: null });
      const verify = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.deepEqual([verify.body.ok, verify.body.macStart], [true, 'pinned'], JSON.stringify(verify.body.firstBad));
      await totpLoginAll();
      // a seed written during the rotation is readable: the enrolment can be confirmed
      const r0 = readers[0] as (typeof readers)[number];
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: r0.token, body: { currentPassword: r0.password } });
      assert.ok(
        (
          await h.database.db.selectFrom('users').select('totp_secret_enc').where('id', '=', r0.id).executeTakeFirstOrThrow()
        ).totp_secret_enc?.startsWith('c1.2.'),
      );
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', {
        token: r0.token,
        body: { code: hotp(base32Decode(begin.body.secret), totpStep(clock.now())) },
      });
      assert.equal(confirm.status, 200, confirm.raw);
      mfaUsers.push({ id: r0.id, username: r0.username, password: r0.password, secret: base32Decode(begin.body.secret) });
    });

    it('a second rotation makes term 3 and moves everything to it', async () => {
      admin = await adminToken(h);
      const r = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.activeTerm, 3);
      const done = await keyringWhenDone(3);
      assert.deepEqual(done.terms, [1, 2, 3]);
      assert.equal(done.reencryption.percent, 100);
      await assertAllOnTerm(3);
      await totpLoginAll();
    });

    it('resumes an interrupted run from its stored progress, on another node after the lease runs out', async () => {
      admin = await adminToken(h);
      const keyring = h.coffer.services.seal.requireKeys().keyring;
      // a row whose update the database refuses (a trigger) sorts last and stops the run mid-way (a
      // value that fails its integrity check would not: it is reported and skipped, see below)
      await seedEncrypted(1);
      const poisonId = 'usr_zzzzzzzzzzzzzzzzzzzzzzzzzz';
      await h.database.db
        .insertInto('users')
        .values({
          ...(await h.database.db
            .selectFrom('users')
            .selectAll()
            .where('id', '=', `usr_seed${String(seedSeq).padStart(7, '0')}`)
            .executeTakeFirstOrThrow()),
          id: poisonId,
          username: poisonId,
          username_canonical: poisonId,
          totp_secret_enc: keyring.encrypt(binding(poisonId), randomBytes(20)),
        })
        .execute();
      if (dialect === 'sqlite') {
        await sql
          .raw(
            `create trigger poison before update of totp_secret_enc on users when old.id = '${poisonId}' begin select raise(abort, 'poisoned'); end`,
          )
          .execute(h.database.db);
      } else {
        await sql
          .raw(`create function poison() returns trigger language plpgsql as $$ begin raise exception 'poisoned'; end $$`)
          .execute(h.database.db);
        await sql
          .raw(
            `create trigger poison before update of totp_secret_enc on users for each row when (old.id = '${poisonId}') execute function poison()`,
          )
          .execute(h.database.db);
      }
      const r = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.activeTerm, 4);
      await h.coffer.services.reencrypt.kick(() => {}); // waits for the background run, which fails on the poison
      const job = await h.database.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
      const state = JSON.parse(job.state);
      assert.notEqual(job.status, 'done');
      assert.equal(state.targetTerm, 4);
      assert.ok(state.processed >= 200 && state.lastKey !== '', `progress was stored: ${job.state}`);
      const moved = (await allEncrypted()).filter((v) => v.value.startsWith('c1.4.')).length;
      assert.equal(moved, state.processed, 'exactly the committed batches moved');
      const mid = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
      assert.ok(mid.body.reencryption.percent < 100);
      await totpLoginAll(); // old and new terms both readable mid-way

      await h.database.db.deleteFrom('users').where('id', '=', poisonId).execute();
      await sql.raw(dialect === 'sqlite' ? 'drop trigger poison' : 'drop trigger poison on users').execute(h.database.db);
      if (dialect === 'postgres') await sql.raw('drop function poison()').execute(h.database.db);
      const nodeB = createReencryptJob({
        db: h.database.db,
        clock,
        seal: h.coffer.services.seal,
        owner: 'node_b',
        integrity: async () => assert.fail('no integrity failure expected'),
      });
      await nodeB.runOnce();
      assert.equal((await h.database.db.selectFrom('jobs').select('state').executeTakeFirstOrThrow()).state, job.state, 'the lease holds');
      clock.advance(60_001);
      await nodeB.runOnce();
      const finished = await h.database.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
      const fs = JSON.parse(finished.state);
      assert.equal(finished.status, 'done');
      assert.equal(finished.lease_owner, 'node_b');
      assert.equal(fs.processed, state.total - 1, 'continued from the stored progress (the poison row is gone)');
      const done = await keyringWhenDone(4);
      assert.equal(done.reencryption.percent, 100);
      await assertAllOnTerm(4);
      await totpLoginAll();
    });

    it('two rotations back to back still leave every value on the newest term', async () => {
      await seedEncrypted(600);
      admin = await adminToken(h);
      const r1 = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      const r2 = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(r1.status, 200, r1.raw);
      assert.equal(r2.status, 200, r2.raw);
      assert.equal(r2.body.activeTerm, 6);
      await h.coffer.services.reencrypt.kick(() => {});
      const done = await keyringWhenDone(6);
      assert.deepEqual(done.terms, [1, 2, 3, 4, 5, 6]);
      await assertAllOnTerm(6);
      await totpLoginAll();
    });

    it('a value rewritten under the new term after the count is not counted as work: a finished run reports processed = total', async () => {
      admin = await adminToken(h);
      const seeds = await h.database.db
        .selectFrom('users')
        .select(['id', 'totp_secret_enc'])
        .where('id', 'like', 'usr_seed%')
        .orderBy('id')
        .limit(2)
        .execute();
      const [a, b] = seeds as [(typeof seeds)[number], (typeof seeds)[number]];
      assert.ok(a.totp_secret_enc?.startsWith('c1.6.') && b.totp_secret_enc?.startsWith('c1.6.'));
      const r = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(r.body.activeTerm, 7, r.raw);
      await h.coffer.services.reencrypt.kick(() => {});
      await keyringWhenDone(7);
      // two values back on the old term (still readable: the keyring keeps every term)
      for (const s of [a, b])
        await h.database.db.updateTable('users').set({ totp_secret_enc: s.totp_secret_enc }).where('id', '=', s.id).execute();
      const nodeC = createReencryptJob({
        db: h.database.db,
        clock,
        seal: h.coffer.services.seal,
        owner: 'node_c',
        integrity: async () => assert.fail('no integrity failure expected'),
      });
      await nodeC.enqueue(7);
      assert.equal((await nodeC.status()).total, 2);
      // a write under the active term lands between the count and the run (as a TOTP enrolment would)
      const keyring = h.coffer.services.seal.requireKeys().keyring;
      await h.database.db
        .updateTable('users')
        .set({ totp_secret_enc: keyring.encrypt(binding(a.id), plain.get(a.id) as Buffer) })
        .where('id', '=', a.id)
        .execute();
      await nodeC.runOnce();
      const st = await nodeC.status();
      assert.deepEqual([st.status, st.processed, st.total, st.percent], ['done', 1, 1, 100]);
      await assertAllOnTerm(7);
    });
  });
}

for (const dialect of dialects) {
  describe(`re-encryption when an integrity failure cannot be audited [${dialect}]`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect);
    });
    after(async () => h?.close());

    /** Refuses audit records of integrity failures only (everything else is still recorded). */
    async function blockIntegrityRecords(on: boolean) {
      const db = h.database.db;
      if (dialect === 'sqlite') {
        await sql
          .raw(
            on
              ? `create trigger block_integrity before insert on audit_log when new.action = 'integrity.failure' begin select raise(abort, 'audit blocked'); end`
              : 'drop trigger block_integrity',
          )
          .execute(db);
      } else if (on) {
        await sql
          .raw(
            `create function block_integrity() returns trigger language plpgsql as $$ begin if new.action = 'integrity.failure' then raise exception 'audit blocked'; end if; return new; end $$`,
          )
          .execute(db);
        await sql
          .raw('create trigger block_integrity before insert on audit_log for each row execute function block_integrity()')
          .execute(db);
      } else {
        await sql.raw('drop trigger block_integrity on audit_log').execute(db);
        await sql.raw('drop function block_integrity()').execute(db);
      }
    }

    it('stops rather than skipping a damaged value unaudited, and ends incomplete (not 100 %, not done) once it can record it', async () => {
      const admin = await adminToken(h);
      const keyring = h.coffer.services.seal.requireKeys().keyring;
      const id = 'usr_damaged000000000000000001';
      const good = keyring.encrypt({ type: 'user', id, field: 'totp_secret' }, randomBytes(20));
      const [, term, body] = good.split('.') as [string, string, string];
      const bytes = Buffer.from(body, 'base64url');
      bytes[16] = (bytes[16] as number) ^ 1;
      const damaged = `c1.${term}.${bytes.toString('base64url')}`;
      const row = await h.database.db.selectFrom('users').selectAll().where('role', '=', 'administrator').executeTakeFirstOrThrow();
      await h.database.db
        .insertInto('users')
        .values({ ...row, id, username: id, username_canonical: id, status: 'disabled', totp_secret_enc: damaged })
        .execute();
      const integrityRecords = () =>
        h.database.db
          .selectFrom('audit_log')
          .select('object_id')
          .where('action', '=', 'integrity.failure')
          .where('object_id', '=', id)
          .execute();

      await blockIntegrityRecords(true);
      try {
        const rot = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
        assert.equal(rot.status, 200, rot.raw);
        await h.coffer.services.reencrypt.kick(() => {}); // the run the rotation started
        const job = await h.database.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
        assert.equal(job.status, 'running', `not done while a failure went unaudited: ${job.state}`);
        assert.equal(JSON.parse(job.state).failed, undefined);
        assert.deepEqual(await integrityRecords(), []);
        assert.match(h.logs(), /could not be audited/);
        const mid = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
        assert.notEqual(mid.body.reencryption.status, 'done');
        assert.ok(mid.body.reencryption.percent < 100);
      } finally {
        await blockIntegrityRecords(false);
      }

      await h.coffer.services.reencrypt.kick((e) => assert.fail(`the job must not fail now: ${String(e)}`));
      assert.equal((await integrityRecords()).length, 1);
      const k = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
      assert.equal(k.status, 200, k.raw);
      assert.deepEqual([k.body.reencryption.status, k.body.reencryption.failed], ['incomplete', 1]);
      assert.ok(k.body.reencryption.percent < 100, `percent ${k.body.reencryption.percent}`);
      assert.equal(k.body.reencryption.processed, k.body.reencryption.total - 1);
      const left = await h.database.db.selectFrom('users').select('totp_secret_enc').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(left.totp_secret_enc, damaged, 'left as it is');
      // an incomplete run is not picked up again by itself (its damaged value would only fail again)
      await h.coffer.services.reencrypt.runOnce();
      assert.equal((await integrityRecords()).length, 1);
      await h.database.db.deleteFrom('users').where('id', '=', id).execute();
    });
  });
}
