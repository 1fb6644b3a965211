// `coffer admin reset-password` on the store, through the real CLI (child processes), on both
// dialects: it needs the unseal material (the key file, or Shamir shares on stdin), sets a
// temporary password, clears the lock, ends the sessions, and audits as the system naming the
// operator — never the password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildApp } from '@coffer/server/app';
import { type Dialect, openDatabase } from '@coffer/server/db/database';
import { dialects, dropSchema, PG_URL, testConfig } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';

const { cli: run } = cliRunner();
const cheap = { COFFER_ARGON2_MEMORY_KIB: '19456', COFFER_ARGON2_PASSES: '2' };

interface Store {
  dir: string;
  url: string;
  env: Record<string, string>;
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function freshStore(dialect: Dialect): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-admin-'));
  let url = `sqlite:${path.join(dir, 'coffer.db')}`;
  const env: Record<string, string> = { ...cheap, COFFER_DATA_DIR: dir };
  let schema: string | undefined;
  if (dialect === 'postgres') {
    schema = `adm_${randomBytes(6).toString('hex')}`;
    url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    env.COFFER_DATABASE_URL = url;
  }
  cleanups.push(async () => {
    if (schema) await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, url, env };
}

/** A server on the store (not listening): unsealed with the key file, or with the given shares. */
async function withServer<T>(store: Store, shares: string[] | null, fn: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<T>) {
  const database = await openDatabase(store.url);
  try {
    const coffer = await buildApp({ config: testConfig(store.dir, store.url), database, logStream: process.stderr });
    await coffer.start();
    for (const s of shares ?? []) await coffer.services.seal.submitShare(s);
    try {
      return await fn(coffer);
    } finally {
      await coffer.app.close();
    }
  } finally {
    await database.close();
  }
}

const login = (app: Awaited<ReturnType<typeof buildApp>>, username: string, password: string) =>
  app.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

for (const dialect of dialects) {
  describe(`coffer admin reset-password [${dialect}]`, { concurrency: false }, () => {
    const cli = (args: string[], opts: { env: Record<string, string>; input?: string }) => run('/nonexistent/credentials.json', args, opts);

    it('key-file store: a temporary password, the lock cleared, sessions ended, audited as the system', async () => {
      const store = freshStore(dialect);
      const original = 'operator-password-0123';
      expectCode(await cli(['init', '--admin-username', 'root', '--admin-password', original], { env: store.env }), 0);
      // a live session, and a lock from failed logins
      const token = await withServer(store, null, async (app) => {
        const l = await login(app, 'root', original);
        assert.equal(l.statusCode, 200);
        for (let i = 0; i < 7; i++) assert.equal((await login(app, 'root', 'wrong-password-x')).statusCode, 401);
        assert.equal((await login(app, 'root', original)).statusCode, 401, 'locked');
        return JSON.parse(l.body).accessToken as string;
      });

      const r = await cli(['admin', 'reset-password', 'ROOT', '--json'], { env: store.env });
      expectCode(r, 0);
      const out = json(r);
      assert.equal(out.username, 'root');
      assert.match(out.temporaryPassword, /^[A-Za-z0-9]{24}$/);
      assert.equal(r.stderr, '');

      await withServer(store, null, async (app) => {
        const who = await app.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: { authorization: `Bearer ${token}` } });
        assert.equal(who.statusCode, 401, 'the old session ended');
        assert.equal((await login(app, 'root', original)).statusCode, 401);
        const l = await login(app, 'root', out.temporaryPassword);
        assert.equal(l.statusCode, 200, 'not locked any more');
        assert.equal(JSON.parse(l.body).mustChangePassword, true);
      });
      const database = await openDatabase(store.url);
      try {
        const rec = await database.db
          .selectFrom('audit_log')
          .selectAll()
          .where('action', '=', 'user.password_recover')
          .executeTakeFirstOrThrow();
        assert.equal(rec.actor_kind, 'system');
        assert.equal(rec.object_id, out.userId);
        const details = JSON.parse(rec.details ?? '{}');
        assert.equal(details.operatorHost, hostname());
        assert.equal(typeof details.operatorUser, 'string');
        const all = JSON.stringify(await database.db.selectFrom('audit_log').selectAll().execute());
        assert.ok(!all.includes(out.temporaryPassword), 'never the password in the audit trail');
      } finally {
        await database.close();
      }
      expectCode(await cli(['audit', 'verify'], { env: store.env }), 0);

      const human = await cli(['admin', 'reset-password', 'root'], { env: store.env });
      expectCode(human, 0);
      assert.match(human.stdout, /^Temporary password for root \(shown once; it must be changed at the next login\): [A-Za-z0-9]{24}\n/);

      const [unknown, shares, usage] = await Promise.all([
        cli(['admin', 'reset-password', 'nobody'], { env: store.env }),
        cli(['admin', 'reset-password', 'root', '--shares-stdin'], { env: store.env, input: 'x\n' }),
        cli(['admin', 'reset-password'], { env: store.env }),
      ]);
      expectCode(unknown, 1);
      assert.match(unknown.stderr, /^error: No person is called "nobody"\. \(not_found\)\n$/);
      expectCode(shares, 2);
      expectCode(usage, 2);
      // without the key file, the database alone is not enough
      renameSync(path.join(store.dir, 'coffer.key'), path.join(store.dir, 'moved.key'));
      const noKey = await cli(['admin', 'reset-password', 'root'], { env: store.env });
      expectCode(noKey, 1);
      assert.match(noKey.stderr, /^error: cannot unseal with the key file: .*coffer\.key is missing/);
    });

    it('Shamir store: needs the threshold of shares on stdin', async () => {
      const store = freshStore(dialect);
      const init = await cli(['init', '--json', '--unseal-mode', 'shamir', '--shares', '5', '--threshold', '3'], { env: store.env });
      expectCode(init, 0);
      const { shares, adminPassword } = json(init) as { shares: string[]; adminPassword: string };
      const [noFlag, two, wrong] = await Promise.all([
        cli(['admin', 'reset-password', 'admin'], { env: store.env }),
        cli(['admin', 'reset-password', 'admin', '--shares-stdin'], { env: store.env, input: `${shares[0]}\n${shares[3]}\n` }),
        cli(['admin', 'reset-password', 'admin', '--shares-stdin'], { env: store.env, input: 'not-a-share\n' }),
      ]);
      expectCode(noFlag, 2);
      assert.match(noFlag.stderr, /--shares-stdin/);
      expectCode(two, 1);
      assert.match(two.stderr, /^error: 3 different unseal shares are needed; stdin held 2\n$/);
      expectCode(wrong, 1);
      assert.match(wrong.stderr, /^error: the unseal shares do not open this store/);
      const ok = await cli(['admin', 'reset-password', 'admin', '--shares-stdin', '--json'], {
        env: store.env,
        input: `${shares[4]}\n${shares[1]}\n${shares[2]}\n`,
      });
      expectCode(ok, 0);
      const temporary = json(ok).temporaryPassword as string;
      for (const s of shares) assert.ok(!ok.stdout.includes(s) && !ok.stderr.includes(s));
      await withServer(store, shares.slice(0, 3), async (app) => {
        assert.equal((await login(app, 'admin', adminPassword)).statusCode, 401);
        const l = await login(app, 'admin', temporary);
        assert.equal(l.statusCode, 200);
        assert.equal(JSON.parse(l.body).mustChangePassword, true);
      });
    });
  });
}
