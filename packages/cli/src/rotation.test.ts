// coffer target / verify / rotate / heartbeat against a real server and the real MariaDB
// (127.0.0.1:3306): a throwaway database user whose password the vault rotates remotely.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { nativePasswordHash } from '../../server/src/modules/rotation/connectors/mysql.ts';
import { ADMIN, adminToken, call, createUser, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';

const { cli } = cliRunner();

async function myAdmin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const stored = async (user: string) => {
  const [rows] = await myAdmin((c) => c.query('select authentication_string as s from mysql.user where user = ?', [user]));
  return (rows as { s: string }[])[0]?.s;
};

describe('coffer target, verify, rotate, heartbeat (remote rotation)', { concurrency: false }, () => {
  let h: Harness;
  let dir: string;
  let cfg: string;
  let token: string;
  let secretId: string;
  let url: string;
  let admin: string;
  const dbUser = `coffer_cli_${randomBytes(4).toString('hex')}`;
  const first = `Pw-${randomBytes(12).toString('base64url')}`;
  const SECRET = 'Infra/orders db';
  const run = (args: string[]) => cli(cfg, args);

  before(async () => {
    await myAdmin((c) => c.query('create user ?@? identified by password ?', [dbUser, '%', nativePasswordHash(first)]));
    h = await startHarness('sqlite', { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-rotation-'));
    admin = await adminToken(h);
    const owner = await createUser(h, admin, 'password_administrator');
    token = owner.token;
    const v = await call(h, 'POST', '/api/v1/vaults', { token, body: { name: 'Infra' } });
    const s = await call(h, 'POST', '/api/v1/secrets', {
      token,
      body: {
        vaultId: v.body.id,
        template: 'database-account',
        name: 'orders db',
        fields: { host: '127.0.0.1', username: dbUser, password: first },
      },
    });
    assert.equal(s.status, 201, s.raw);
    secretId = s.body.id;
    cfg = path.join(dir, 'owner.json');
    expectCode(
      await cli(cfg, ['login', '--url', url, '--username', owner.username, '--password-stdin'], { input: owner.password }),
      0,
      'login',
    );
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
    await myAdmin((c) => c.query('drop user if exists ?@?', [dbUser, '%']));
  });

  it('target sets the target; bad usage exits 2', async () => {
    expectCode(await run(['target', SECRET, '--kind', 'oracle', '--host', '127.0.0.1']), 2, 'unknown kind');
    const r = await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--heartbeat', '60']);
    expectCode(r, 0, 'target');
    assert.match(r.stdout, /Target: mysql 127\.0\.0\.1:3306 \(the account changes its own\)/);
    assert.match(r.stdout, /Heartbeat: every 60 min/);
  });

  it('verify logs in without changing anything; rotate changes it on MariaDB; heartbeat shows the journal', async () => {
    const v = await run(['verify', SECRET]);
    expectCode(v, 0, 'verify');
    assert.match(v.stdout, /ok: the stored password logs in/);
    assert.equal(await stored(dbUser), nativePasswordHash(first), 'a dry run changes nothing');

    const rot = await run(['rotate', SECRET, '--json']);
    expectCode(rot, 0, 'rotate');
    assert.equal(json(rot).connector, 'mysql');
    const now = await call(h, 'POST', `/api/v1/secrets/${secretId}/reveal`, { token, body: {} });
    const pw = now.body.values.password as string;
    assert.notEqual(pw, first);
    assert.equal(await stored(dbUser), nativePasswordHash(pw), 'MariaDB has the vault’s new password');
    assert.ok(!rot.stdout.includes(pw) && !rot.stderr.includes(pw), 'the new password is not printed');

    const hb = await run(['heartbeat', SECRET]);
    expectCode(hb, 0, 'heartbeat');
    assert.match(hb.stdout, /Last heartbeat: .* ok/);
    assert.match(hb.stdout, /done\s+manual\s+\d+/);
  });

  it('a password changed behind the vault’s back: verify exits 1 and heartbeat shows OUT OF SYNC', async () => {
    await myAdmin((c) => c.query('alter user ?@? identified by password ?', [dbUser, '%', nativePasswordHash('changed-elsewhere-1')]));
    const v = await run(['verify', SECRET]);
    expectCode(v, 1, 'verify');
    assert.match(v.stdout, /FAILED/);
    const hb = await run(['heartbeat', SECRET, '--json']);
    expectCode(hb, 1, 'heartbeat');
    assert.equal(json(hb).target.outOfSync, true);
    const list = await run(['heartbeat', '--out-of-sync']);
    expectCode(list, 1, 'heartbeat list');
    assert.match(list.stdout, /orders db\s+mysql 127\.0\.0\.1:3306\s+.*OUT OF SYNC/);
    expectCode(await run(['target', SECRET, '--remove']), 0, 'remove');
    expectCode(await run(['heartbeat', SECRET]), 3, 'no target: not found');
  });

  it('rotation abandon: usage, administrators only, re-authenticated; closes a stuck rotation unverified when the target is silent', async () => {
    // a rotation left open: the target (port 9, nothing listens) never answers
    const set = await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--port', '9']);
    expectCode(set, 0, 'target');
    expectCode(await run(['rotate', SECRET]), 1, 'rotate against a silent target');
    expectCode(await run(['rotation', 'abandon', SECRET, '--reason', 'x']), 2, 'no --keep');
    expectCode(await run(['rotation', 'abandon', SECRET, '--keep', 'current']), 2, 'no --reason');
    const owner = await cli(cfg, ['rotation', 'abandon', SECRET, '--keep', 'current', '--reason', 'stuck'], { input: 'whatever\n' });
    expectCode(owner, 4, 'not an administrator');

    const adminCfg = path.join(dir, 'admin.json');
    expectCode(
      await cli(adminCfg, ['login', '--url', url, '--username', ADMIN.username, '--password-stdin'], { input: ADMIN.password }),
      0,
      'admin login',
    );
    // the admin reaches the secret through a grant
    const g = await call(h, 'GET', `/api/v1/secrets/${secretId}`, { token });
    const grant = await call(h, 'POST', '/api/v1/grants', {
      token,
      body: {
        nodeId: g.body.vaultId,
        principalType: 'user',
        principalId: (await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).body.userId,
        level: 'edit',
      },
    });
    assert.equal(grant.status, 201, grant.raw);
    const path2 = `id:${secretId}`;
    const abandon = (input: string) =>
      cli(adminCfg, ['rotation', 'abandon', path2, '--keep', 'current', '--reason', 'host retired', '--json'], { input });
    expectCode(await abandon('wrong-password\n'), 4, 'wrong re-authentication');
    // nobody drives it now: the lease the failed rotation left (its retry time) has run out
    await h.database.db.updateTable('rotation_journal').set({ lease_until: 0 }).where('secret_id', '=', secretId).execute();
    const r = await abandon(`${ADMIN.password}\n`);
    expectCode(r, 0, 'abandon');
    const out = json(r);
    assert.equal(out.state, 'rolled_back');
    assert.equal(out.verified, null);
    assert.equal(out.outOfSync, true);
    expectCode(await abandon(`${ADMIN.password}\n`), 6, 'nothing open any more: conflict');
  });

  it('target lists dependencies (NAME:KIND[:HOST[:NOTE]]), their review flag and the hold; heartbeat shows them', async () => {
    expectCode(await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--dependency', 'nope']), 2, 'bad dependency');
    expectCode(
      await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--dependencies-reviewed', 'maybe']),
      2,
      'bad yes/no',
    );
    const r = await run([
      'target',
      SECRET,
      '--kind',
      'mysql',
      '--host',
      '127.0.0.1',
      '--dependency',
      'orders-api:service:app01:restart: then check /health',
      '--dependency',
      'nightly-etl:script',
      '--dependencies-reviewed',
      'no',
      '--hold-unreviewed',
      'yes',
      '--json',
    ]);
    expectCode(r, 0, 'target with dependencies');
    const t = json(r);
    assert.deepEqual(t.dependencies, [
      { name: 'orders-api', kind: 'service', host: 'app01', note: 'restart: then check /health' },
      { name: 'nightly-etl', kind: 'script' },
    ]);
    assert.equal(t.dependenciesReviewed, false);
    assert.equal(t.holdUnreviewed, true);
    const hb = await run(['heartbeat', SECRET]);
    assert.match(hb.stdout, /Dependencies \(NOT REVIEWED\); scheduled rotation held until reviewed:/);
    assert.match(hb.stdout, /orders-api \(service on app01\) — restart: then check \/health/);
    const kept = await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--dependencies-reviewed', 'yes', '--json']);
    expectCode(kept, 0, 'reviewed');
    assert.equal(json(kept).dependencies.length, 2, 'the list is kept without --dependency');
    expectCode(await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--tls', 'bogus']), 2, 'bad --tls');
    const mysqlTls = await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--tls', 'require']);
    assert.notEqual(mysqlTls.code, 0, 'TLS options are for postgres targets');
    assert.match(mysqlTls.stderr, /postgres target only/);
    const emptied = await run(['target', SECRET, '--kind', 'mysql', '--host', '127.0.0.1', '--no-dependencies', '--json']);
    assert.deepEqual(json(emptied).dependencies, []);
  });
});
