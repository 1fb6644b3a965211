// The real `coffer` CLI, spawned as a child process against real stores (a SQLite file and a
// PostgreSQL schema) and against a real server listening on an ephemeral port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '@coffer/server/app';
import type { Dialect } from '@coffer/server/db/database';
import { openDatabase } from '@coffer/server/db/database';
import { GENESIS_HASH, MAC_START_ACTION, recordHash } from '@coffer/server/modules/audit/audit-chain';
import { ADMIN, dialects, dropSchema, type Harness, PG_URL, startHarness, testConfig } from '../../server/test/harness.ts';

const MAIN = path.join(import.meta.dirname, 'main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `coffer ...` with only the given COFFER_* variables (plus cheap Argon2) and `input` on stdin. */
function cli(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COFFER_') && k !== 'NODE_TEST_CONTEXT'));
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...inherited, COFFER_ARGON2_MEMORY_KIB: '19456', COFFER_ARGON2_PASSES: '2', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = (r: Run) => JSON.parse(r.stdout);

/** Fails with the CLI's output when the exit status is not the expected one. */
function expectCode(r: Run, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

interface Store {
  dir: string;
  url: string;
  env: Record<string, string>;
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A fresh data directory and, for PostgreSQL, a fresh schema (dropped after the file's tests). */
function freshStore(dialect: Dialect): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-'));
  let url = `sqlite:${path.join(dir, 'coffer.db')}`;
  const env: Record<string, string> = { COFFER_DATA_DIR: dir };
  let schema: string | undefined;
  if (dialect === 'postgres') {
    schema = `cli_${randomBytes(6).toString('hex')}`;
    url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    env.COFFER_DATABASE_URL = url;
  }
  cleanups.push(async () => {
    if (schema) await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, url, env };
}

describe('coffer CLI', { concurrency: true }, () => {
  describe('coffer usage', { concurrency: false }, () => {
    it('prints the help of every command on stdout, exit 0', async () => {
      const cases: Array<[string[], string]> = [
        [['--help'], 'Usage: coffer <command>'],
        [['help'], 'Usage: coffer <command>'],
        [['help', 'init'], 'Usage: coffer init'],
        [['init', '--help'], 'Usage: coffer init'],
        [['migrate', '--help'], 'Usage: coffer migrate'],
        [['seal-status', '--help'], 'Usage: coffer seal-status'],
        [['unseal', '-h'], 'Usage: coffer unseal'],
        [['audit', '--help'], 'Usage: coffer audit'],
        [['audit', 'verify', '--help'], 'Usage: coffer audit verify'],
        [['rotate-key', '--help'], 'Usage: coffer rotate-key'],
      ];
      const runs = await Promise.all(cases.map(([args]) => cli(args)));
      runs.forEach((r, i) => {
        const [args, expected] = cases[i] as [string[], string];
        expectCode(r, 0);
        assert.ok(r.stdout.startsWith(expected), `${args.join(' ')}: ${r.stdout}`);
        assert.equal(r.stderr, '');
      });
      for (const name of ['init', 'migrate', 'seal-status', 'unseal', 'audit verify', 'rotate-key']) {
        assert.match(runs[0]?.stdout ?? '', new RegExp(`\\n  ${name} `));
      }
    });

    it('answers a bad command line with the usage on stderr, exit 2', async () => {
      const cases: string[][] = [
        [],
        ['frobnicate'],
        ['--frobnicate'],
        ['init', '--frobnicate'],
        ['init', 'extra'],
        ['init', '--unseal-mode', 'magic'],
        ['init', '--shares', '3'],
        ['init', '--unseal-mode', 'shamir', '--shares', '3', '--threshold', '4'],
        ['init', '--unseal-mode', 'shamir', '--shares', 'many'],
        ['audit'],
        ['audit', 'erase'],
        ['unseal', 'a-share', 'another'],
        ['unseal', 'a-share', '--reset'],
        ['unseal', '--reset'],
        ['unseal', 'a-share', '--nonce', 'abc'],
        ['seal-status', '--url', 'not a url'],
        ['rotate-key', '--url', 'http://127.0.0.1:1'],
      ];
      const runs = await Promise.all(cases.map((args) => cli(args)));
      runs.forEach((r, i) => {
        const args = (cases[i] as string[]).join(' ');
        expectCode(r, 2);
        assert.equal(r.stdout, '', args);
        assert.match(r.stderr, /^coffer: .+\n\nUsage: coffer/, args);
      });
    });

    it('reports errors in one line, exit 1', async () => {
      const closedPort = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const { port } = s.address() as AddressInfo;
          s.close(() => resolve(port));
        });
      });
      const dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const [unreachable, noDb, badPassword, commonPassword, badKey] = await Promise.all([
        cli(['seal-status', '--url', `http://127.0.0.1:${closedPort}`]),
        cli(['audit', 'verify'], { env: { COFFER_DATA_DIR: dir } }),
        cli(['init', '--json'], { env: { COFFER_DATA_DIR: dir, COFFER_ADMIN_PASSWORD: 'too-short' } }),
        cli(['init', '--json', '--admin-password', '123456789987654321'], { env: { COFFER_DATA_DIR: dir } }),
        cli(['audit', 'verify', '--public-key', path.join(dir, 'missing.pem')], { env: { COFFER_DATA_DIR: dir } }),
      ]);
      expectCode(unreachable, 1);
      assert.match(
        unreachable.stderr,
        new RegExp(`^error: cannot reach Coffer at http://127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED.*\\n$`),
      );
      expectCode(noDb, 1);
      assert.match(noDb.stderr, /^error: there is no database at sqlite:.*\n$/);
      expectCode(badPassword, 1);
      assert.match(
        badPassword.stderr,
        /^error: the administrator password does not meet the rules: length: at least 15 characters for an account without a second factor \(8 with TOTP\)[^\n]*\n$/,
      );
      assert.ok(!badPassword.stderr.includes('too-short'), 'the password is not echoed');
      expectCode(commonPassword, 1);
      assert.equal(
        commonPassword.stderr,
        'error: the administrator password does not meet the rules: common: this password is on a list of breached or common passwords\n',
      );
      expectCode(badKey, 1);
      assert.match(badKey.stderr, /^error: cannot read the public key file .*missing\.pem: .*\n$/);
      for (const r of [unreachable, noDb, badPassword, commonPassword, badKey]) assert.equal(r.stdout, '');
      assert.equal(existsSync(path.join(dir, 'coffer.db')), false, 'audit verify must not create a database');
    });
  });

  for (const dialect of dialects) {
    describe(`coffer on the database [${dialect}]`, { concurrency: false }, () => {
      let store: Store;
      const password = 'cli-admin-password-0c1e';

      before(() => {
        store = freshStore(dialect);
      });

      it('init --json creates the administrator and a 0600 key file; a second init fails', async () => {
        const r = await cli(['init', '--json', '--admin-username', 'root', '--admin-password', password], { env: store.env });
        expectCode(r, 0);
        assert.equal(r.stderr, '');
        const keyFile = path.join(store.dir, 'coffer.key');
        assert.deepEqual(json(r), {
          adminUsername: 'root',
          adminPassword: null,
          generatedPassword: false,
          unsealMode: 'keyfile',
          keyFile,
          shares: null,
          threshold: null,
        });
        assert.ok(!r.stdout.includes(password));
        assert.equal(statSync(keyFile).mode & 0o777, 0o600);

        const again = await cli(['init', '--admin-password', password], { env: store.env });
        expectCode(again, 1);
        assert.equal(again.stdout, '');
        assert.match(again.stderr, /^error: .*already initialised.*\n$/);

        // a server on that store unseals from the key file and lets the administrator in
        const database = await openDatabase(store.url);
        try {
          const coffer = await buildApp({ config: testConfig(store.dir, store.url), database, logStream: process.stderr });
          await coffer.start();
          const login = await coffer.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'root', password } });
          assert.equal(login.statusCode, 200, login.body);
          await coffer.app.close();
        } finally {
          await database.close();
        }
      });

      it('audit verify passes on a fresh install and names the tampered record', async () => {
        const ok = await cli(['audit', 'verify'], { env: store.env });
        expectCode(ok, 0);
        assert.match(
          ok.stdout,
          /^Audit chain OK: \d+ records, 0 signed checkpoints, MACs on every record checked\.\nHead: record \d+, hash [0-9a-f]{64}, MAC [0-9a-f]{64} \(compare with a copy kept outside Coffer\)\.\n$/,
        );
        // without the key file the MACs cannot be checked: said so, and never exit 0
        const noKey = await cli(['audit', 'verify'], { env: { ...store.env, COFFER_KEY_FILE: path.join(store.dir, 'elsewhere.key') } });
        expectCode(noKey, 9);
        assert.match(noKey.stdout, /^Audit chain OK as far as checked: \d+ records, 0 signed checkpoints, hashes and checkpoints only\.\n/);
        assert.match(noKey.stdout, /\nMACs not checked: no unseal material: the key file .*elsewhere\.key is missing/);
        const noKeyJson = await cli(['audit', 'verify', '--json'], {
          env: { ...store.env, COFFER_KEY_FILE: path.join(store.dir, 'elsewhere.key') },
        });
        expectCode(noKeyJson, 9);
        assert.equal(json(noKeyJson).macsChecked, false);
        assert.equal(json(noKeyJson).ok, true);

        const database = await openDatabase(store.url);
        try {
          const key = await database.db
            .selectFrom('system_keys')
            .select('public_value')
            .where('name', '=', 'audit-signing')
            .executeTakeFirstOrThrow();
          const pem = path.join(store.dir, 'audit.pem');
          writeFileSync(pem, key.public_value ?? '');
          const okJson = await cli(['audit', 'verify', '--public-key', pem, '--json'], { env: store.env });
          expectCode(okJson, 0);
          assert.equal(json(okJson).ok, true);
          assert.equal(json(okJson).macsChecked, true);
          assert.ok(json(okJson).records >= 2);

          // someone who can write the database rewrites the last record, its hash and the head
          const last = await database.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
          const { hash: _h, mac: _m, ...content } = { ...last, outcome: 'denied' as const };
          const hash = recordHash(content);
          await database.db.updateTable('audit_log').set({ outcome: 'denied', hash }).where('seq', '=', last.seq).execute();
          await database.db.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
          const keyless = await cli(['audit', 'verify', '--json'], {
            env: { ...store.env, COFFER_KEY_FILE: path.join(store.dir, 'elsewhere.key') },
          });
          expectCode(keyless, 9);
          assert.equal(json(keyless).ok, true, 'without the MACs a rewrite after the newest checkpoint passes');
          const tail = await cli(['audit', 'verify'], { env: store.env });
          expectCode(tail, 3);
          assert.match(tail.stdout, new RegExp(`^Audit chain FAILED at record ${last.seq}: .*\\(mac_mismatch\\)`));
          await database.db.updateTable('audit_log').set({ action: 'sys.tampered' }).where('seq', '=', 1).execute();
        } finally {
          await database.close();
        }

        const bad = await cli(['audit', 'verify'], { env: store.env });
        expectCode(bad, 3);
        assert.match(bad.stdout, /^Audit chain FAILED at record 1: record 1 was altered \(hash_mismatch\)/);
        const badJson = await cli(['audit', 'verify', '--json'], { env: store.env });
        expectCode(badJson, 3);
        assert.equal(json(badJson).ok, false);
        assert.deepEqual(json(badJson).firstBad, { seq: 1, kind: 'hash_mismatch', message: 'record 1 was altered' });
      });

      it('audit verify finds the MAC era rolled back to legacy on a store a server ran (review H1), also after a restart', async () => {
        const fresh = freshStore(dialect);
        expectCode(await cli(['init', '--json', '--admin-username', 'root', '--admin-password', password], { env: fresh.env }), 0);
        const database = await openDatabase(fresh.url);
        const start = async () => {
          const coffer = await buildApp({ config: testConfig(fresh.dir, fresh.url), database, logStream: new PassThrough().resume() });
          await coffer.start();
          await coffer.services.jobs.stop();
          return coffer;
        };
        try {
          const coffer = await start();
          const login = await coffer.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'root', password } });
          assert.equal(login.statusCode, 200, login.body);
          assert.ok(await coffer.services.audit.checkpointNow(database.db));
          await coffer.app.close();
          expectCode(await cli(['audit', 'verify'], { env: fresh.env }), 0);

          // in SQL only: every record made legacy (MACs stripped, the MAC start moved past the end,
          // the checkpoints deleted), the login record rewritten, every plain hash and the head recomputed
          await database.db.transaction().execute(async (trx) => {
            await trx.updateTable('audit_log').set({ mac: null, mac_term: null, sealed: 0 }).execute();
            await trx.updateTable('audit_log').set({ outcome: 'denied' }).where('action', '=', 'auth.login').execute();
            let prev = GENESIS_HASH;
            const rows = await trx.selectFrom('audit_log').selectAll().orderBy('seq').execute();
            for (const r of rows) {
              const hash = recordHash({ ...r, prev_hash: prev });
              await trx.updateTable('audit_log').set({ prev_hash: prev, hash }).where('seq', '=', r.seq).execute();
              prev = hash;
            }
            const last = Number(rows.at(-1)?.seq);
            await trx
              .updateTable('audit_head')
              .set({ seq: last, hash: prev, mac: null, mac_term: null, mac_from: last + 1 })
              .execute();
            await trx.deleteFrom('audit_checkpoints').execute();
          });
          const found = async () => {
            const r = await cli(['audit', 'verify', '--json'], { env: fresh.env });
            expectCode(r, 3);
            assert.deepEqual([json(r).firstBad?.seq, json(r).firstBad?.kind, json(r).macFrom], [1, 'mac_missing', 1]);
          };
          await found();
          // a server started on it pins nothing new and writes no marker over the forgery
          await (await start()).app.close();
          const markers = await database.db.selectFrom('audit_log').select('seq').where('action', '=', MAC_START_ACTION).execute();
          assert.deepEqual(markers, []);
          await found();
          const text = await cli(['audit', 'verify'], { env: fresh.env });
          expectCode(text, 3);
          assert.match(text.stdout, /^Audit chain FAILED at record 1: record 1 has no MAC \(mac_missing\)/);
        } finally {
          await database.close();
        }
      });

      it('migrate applies the migrations once and is idempotent', async () => {
        const fresh = freshStore(dialect);
        const first = await cli(['migrate', '--json'], { env: fresh.env });
        expectCode(first, 0);
        assert.ok(json(first).applied.length > 0, first.stdout);
        const second = await cli(['migrate', '--json'], { env: fresh.env });
        expectCode(second, 0);
        assert.deepEqual(json(second), { applied: [] });
        // the initialised store was migrated by init
        const human = await cli(['migrate'], { env: store.env });
        expectCode(human, 0);
        assert.match(human.stdout, /is up to date: no migration to apply/);
      });

      it('init --unseal-mode shamir prints the shares once and no key file', async () => {
        const fresh = freshStore(dialect);
        const r = await cli(['init', '--json', '--unseal-mode', 'shamir', '--shares', '5', '--threshold', '3'], { env: fresh.env });
        expectCode(r, 0);
        const body = json(r);
        assert.equal(body.unsealMode, 'shamir');
        assert.equal(body.threshold, 3);
        assert.equal(body.keyFile, null);
        assert.equal(body.shares.length, 5);
        assert.equal(new Set(body.shares).size, 5);
        assert.equal(body.generatedPassword, true);
        assert.equal(typeof body.adminPassword, 'string');
        assert.ok(body.adminPassword.length >= 12);
        assert.equal(existsSync(path.join(fresh.dir, 'coffer.key')), false);
        assert.equal(r.stderr, '');
      });
    });

    describe(`coffer against a sealed server [${dialect}]`, { concurrency: false }, () => {
      let h: Harness & { shares: string[] | null };
      let url: string;
      let shares: string[];

      before(async () => {
        h = await startHarness(dialect, { mode: 'shamir' });
        shares = h.shares ?? [];
        await h.app.listen({ port: 0, host: '127.0.0.1' });
        url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      });
      after(async () => h.close());

      it('seal-status shows the sealed server', async () => {
        const r = await cli(['seal-status', '--url', url]);
        expectCode(r, 0);
        assert.equal(r.stdout, 'Sealed: yes  Progress: 0/3  Mode: shamir\n');
        const j = await cli(['seal-status', '--json'], { env: { COFFER_URL: url } });
        expectCode(j, 0);
        assert.deepEqual(json(j), { initialized: true, sealed: true, mode: 'shamir', threshold: 3, shares: 5, progress: 0 });
      });

      it('unseal refuses a bad share with the server error', async () => {
        const r = await cli(['unseal', '--url', url], { input: 'not-a-share\n' });
        expectCode(r, 1);
        assert.match(r.stderr, /^error: That is not a valid unseal share\. \(validation\.failed, request req_\S+\)\n$/);
        const empty = await cli(['unseal', '--url', url], { input: '' });
        expectCode(empty, 1);
        assert.match(empty.stderr, /^error: no unseal share given/);
      });

      it('unseal takes the shares from stdin one at a time; --reset --nonce discards the progress', async () => {
        const [s1, s2, s3] = shares as [string, string, string];
        let r = await cli(['unseal', '--url', url], { input: `${s1}\n` });
        expectCode(r, 0);
        const m =
          /^Share accepted\.\nSealed: yes {2}Progress: 1\/3 {2}Mode: shamir\nUnseal nonce: ([0-9a-f]{32})\n\(only it resets this progress: coffer unseal --reset --nonce \1\)\n$/.exec(
            r.stdout,
          );
        assert.ok(m, r.stdout);
        const nonce = m[1] as string;

        r = await cli(['unseal', '--reset', '--nonce', '0'.repeat(32), '--url', url]);
        expectCode(r, 1);
        assert.match(
          r.stderr,
          /^error: Only whoever entered the first share can reset the unseal progress.*\(sys\.unseal_nonce_invalid, request req_\S+\)\n$/,
        );
        r = await cli(['unseal', '--reset', '--nonce', nonce, '--url', url]);
        expectCode(r, 0);
        assert.equal(r.stdout, 'Unseal progress reset.\nSealed: yes  Progress: 0/3  Mode: shamir\n');

        r = await cli(['unseal'], { input: `${s1}\n`, env: { COFFER_URL: url } });
        expectCode(r, 0);
        assert.match(r.stdout, /Progress: 1\/3/);
        r = await cli(['unseal', '--url', url, '--json'], { input: s2 });
        expectCode(r, 0);
        assert.equal(json(r).progress, 2);
        assert.equal(json(r).nonce, undefined, 'the nonce comes with the first share only');
        assert.equal(json(r).sealed, true);
        r = await cli(['unseal', '--url', url], { input: `${s3}\r\n` });
        expectCode(r, 0);
        assert.equal(r.stdout, 'Share accepted: Coffer is unsealed.\nSealed: no  Mode: shamir\n');

        assert.equal((await cli(['seal-status', '--url', url])).stdout, 'Sealed: no  Mode: shamir\n');
        for (const s of shares) assert.ok(!h.logs().includes(s), 'a share reached the server log');
      });

      it('rotate-key rotates and waits for the re-encryption', async () => {
        const res = await fetch(`${url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
        });
        assert.equal(res.status, 200);
        const token = ((await res.json()) as { accessToken: string }).accessToken;

        const noToken = await cli(['rotate-key', '--url', url]);
        expectCode(noToken, 2);
        const forged = await cli(['rotate-key', '--url', url, '--token', `cfs_${'A'.repeat(43)}`]);
        expectCode(forged, 1);
        assert.match(forged.stderr, /^error: .+ \(auth\.invalid_token, request req_\S+\)\n$/);

        const j = await cli(['rotate-key', '--url', url, '--json'], { env: { COFFER_TOKEN: token } });
        expectCode(j, 0);
        const status = json(j);
        assert.equal(status.activeTerm, 2);
        assert.deepEqual(status.terms, [1, 2]);
        assert.equal(status.reencryption.status, 'done');
        assert.equal(status.reencryption.targetTerm, 2);
        assert.equal(status.reencryption.percent, 100);

        const human = await cli(['rotate-key', '--url', url, '--token', token]);
        expectCode(human, 0);
        assert.match(human.stdout, /^Key rotated: term 3 is active for new writes \(terms 1, 2, 3\)\.\n/);
        assert.match(human.stdout, /Re-encryption done: 100% \(\d+ values? moved to term 3\)\.\n$/);

        const noWait = await cli(['rotate-key', '--url', url, '--no-wait', '--json'], { env: { COFFER_TOKEN: token } });
        expectCode(noWait, 0);
        assert.equal(json(noWait).activeTerm, 4);

        // a value altered in the database: the re-encryption leaves it and goes on; the command says so (exit 1)
        const post = async (p: string, body: unknown) => {
          const r = await fetch(`${url}${p}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(body),
          });
          assert.equal(r.status, 201);
          return ((await r.json()) as { id: string }).id;
        };
        const vaultId = await post('/api/v1/vaults', { name: 'Rotated' });
        const secretId = await post('/api/v1/secrets', { vaultId, template: 'web-login', name: 'w', fields: { password: 'pw' } });
        const row = await h.database.db
          .selectFrom('secret_values')
          .select('value_enc')
          .where('secret_id', '=', secretId)
          .executeTakeFirstOrThrow();
        const [, term, body] = row.value_enc.split('.') as [string, string, string];
        const bytes = Buffer.from(body, 'base64url');
        bytes[20] = (bytes[20] as number) ^ 1;
        await h.database.db
          .updateTable('secret_values')
          .set({ value_enc: `c1.${term}.${bytes.toString('base64url')}` })
          .where('secret_id', '=', secretId)
          .execute();
        const damaged = await cli(['rotate-key', '--url', url, '--json'], { env: { COFFER_TOKEN: token } });
        expectCode(damaged, 1);
        // not reported as done: a damaged value stayed behind on the old term
        assert.equal(json(damaged).reencryption.status, 'incomplete');
        assert.ok(json(damaged).reencryption.percent < 100);
        assert.equal(json(damaged).reencryption.failed, 1);
        assert.match(damaged.stderr, /^error: 1 stored value failed the integrity check and stayed on the old term .*integrity\.failure/);
        const incomplete = await cli(['rotate-key', '--url', url], { env: { COFFER_TOKEN: token } });
        expectCode(incomplete, 1);
        assert.match(incomplete.stdout, /\nRe-encryption INCOMPLETE: \d+(\.\d)?% \(\d+ values? moved to term \d+, 1 failed of \d+\)\.\n$/);
        assert.ok(!h.logs().includes(token), 'the token reached the server log');
      });

      it('audit verify on a Shamir store checks the MACs (of every key term) only with --shares-stdin', async () => {
        const env: Record<string, string> = {
          COFFER_DATA_DIR: h.dir,
          ...(dialect === 'postgres' ? { COFFER_DATABASE_URL: h.config.databaseUrl } : {}),
        };
        const terms = await h.database.db.selectFrom('audit_log').select('mac_term').distinct().execute();
        assert.ok(terms.length >= 3, `records under several key terms: ${JSON.stringify(terms)}`);
        const plain = await cli(['audit', 'verify'], { env });
        expectCode(plain, 9);
        assert.match(
          plain.stdout,
          /\nMACs not checked: no unseal material: this store unseals with Shamir shares \(pass --shares-stdin\)\.\n/,
        );
        const [s1, s2, s3] = shares as [string, string, string];
        const two = await cli(['audit', 'verify', '--shares-stdin'], { env, input: `${s1}\n${s2}\n` });
        expectCode(two, 1);
        assert.equal(two.stderr, 'error: 2 share(s) given, 3 needed\n');
        const keyed = await cli(['audit', 'verify', '--shares-stdin', '--json'], { env, input: `${s3}\n\n${s1}\r\n${s2}\n` });
        expectCode(keyed, 0);
        assert.equal(json(keyed).macsChecked, true);
        assert.equal(json(keyed).macFrom, 1);
        const wrong = await cli(['audit', 'verify', '--shares-stdin'], { env, input: `${s1}\n${s2}\n${s2.slice(0, -2)}ab\n` });
        expectCode(wrong, 1);
        for (const r of [plain, two, keyed, wrong]) {
          for (const s of shares) assert.ok(!`${r.stdout}${r.stderr}`.includes(s.slice(s.indexOf('-') + 1)), 'no share in the output');
        }
      });
    });
  }
});
