// The client commands of `coffer` (login … import), run as child processes against a real server
// listening on an ephemeral port, with the credentials file in a temporary directory.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base32Decode, hotp, totpStep } from '../../server/src/crypto/totp.ts';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';
import { countingFetch } from './client.ts';
import { cliPath, escapeName, splitPath } from './paths.ts';
import { progressLine, startProgress } from './progress.ts';

const { cli, stderrs } = cliRunner();

/** One error line in the house format. */
const errorLine = (code: string) => new RegExp(`^error: .+ \\(${code.replace('.', '\\.')}, request req_\\S+\\)\\n$`);

const CANARY = {
  web: 'web-canary-pw-9Zq!',
  db: 'db-canary-pw-7Kx#',
  argv: 'argv-canary-3Lp',
  csv: 'csv-canary-pw-5Tn',
  stdinNote: 'note-canary-line1\nnote-canary-line2',
};

describe('coffer client helpers', () => {
  it('splits and escapes CLI paths', () => {
    assert.deepEqual(splitPath('/Infra//Servers/web/'), ['Infra', 'Servers', 'web']);
    assert.deepEqual(splitPath('A\\/B/x\\\\y'), ['A/B', 'x\\y']);
    assert.throws(() => splitPath('a\\b'), /write a slash/);
    assert.equal(escapeName('a/b\\c'), 'a\\/b\\\\c');
    assert.equal(cliPath('A/B', '/Servers/Linux', 'web/1'), 'A\\/B/Servers/Linux/web\\/1');
    assert.equal(cliPath('Infra', '/', 'web'), 'Infra/web');
    for (const name of ['plain', 'a/b', 'c\\d', 'e\\/f']) assert.deepEqual(splitPath(`${escapeName(name)}/x`), [name, 'x']);
  });

  it('draws progress only on a terminal, and erases it', async () => {
    assert.equal(progressLine(0, 'Uploading', 512, 1024), '⠋ Uploading [############------------] 50% 512/1024');
    assert.match(progressLine(1, 'Uploading', 3 * 1024 * 1024, 6 * 1024 * 1024, true), /50% 3\.0 MiB\/6\.0 MiB$/);
    assert.equal(progressLine(2, 'Importing'), '⠹ Importing');
    const writes: string[] = [];
    const pipe = startProgress({ stream: { isTTY: false, write: (s) => writes.push(s) > 0 } });
    pipe.update('x', 1, 2);
    pipe.stop();
    assert.equal(writes.length, 0, 'nothing drawn on a pipe');
    const tty = startProgress({ stream: { isTTY: true, columns: 80, write: (s) => writes.push(s) > 0 }, intervalMs: 5 });
    tty.update('Uploading', 1, 4);
    await new Promise((r) => setTimeout(r, 30));
    tty.update('Importing');
    await new Promise((r) => setTimeout(r, 30));
    tty.stop();
    tty.stop();
    const CLEAR = '\r\x1b[2K';
    assert.ok(writes[0]?.startsWith(CLEAR), 'each frame starts by erasing the line');
    assert.match(writes[0]?.slice(CLEAR.length) ?? '', /^. Uploading \[######-+\] 25% 1\/4$/);
    assert.ok(writes.some((w) => /Importing$/.test(w)));
    assert.equal(writes.at(-1), CLEAR);
    assert.equal(writes.filter((w) => w === CLEAR).length, 1);
  });

  it('streams a string body in chunks and reports every byte, once per send', async () => {
    const reports: Array<[number, number]> = [];
    let received = '';
    const inner = async (_url: string, init: RequestInit) => {
      received = await new Response(init.body as ReadableStream).text();
      assert.equal((init.headers as Record<string, string>)['content-length'], String(Buffer.byteLength(received)));
      return new Response('{}');
    };
    const body = 'é'.repeat(300 * 1024);
    const f = countingFetch(inner, (sent, total) => reports.push([sent, total]));
    await f('http://x/api/v1/import', { method: 'POST', body });
    assert.equal(received, body);
    const total = Buffer.byteLength(body);
    assert.deepEqual(reports[0], [0, total]);
    assert.deepEqual(reports.at(-1), [total, total]);
    assert.ok(reports.length >= 4, 'several chunks');
    // a second send (a retry after a refresh) streams the same bytes again
    await f('http://x/api/v1/import', { method: 'POST', body });
    assert.equal(received, body);
  });
});

for (const dialect of dialects) {
  describe(`coffer client commands [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let url: string;
    let dir: string;
    let alice: Awaited<ReturnType<typeof createUser>>;
    let bob: Awaited<ReturnType<typeof createUser>>;
    /** alice's credentials file, in a directory that does not exist yet. */
    let cfgA: string;
    let cfgB: string;
    const ids: Record<string, string> = {};
    const A = (args: string[], opts?: { input?: string }) => cli(cfgA, args, opts);
    const B = (args: string[], opts?: { input?: string }) => cli(cfgB, args, opts);

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-client-'));
      cfgA = path.join(dir, 'alice', 'coffer', 'credentials.json');
      cfgB = path.join(dir, 'bob.json');
      const admin = await adminToken(h);
      alice = await createUser(h, admin, 'password_administrator');
      bob = await createUser(h, admin, 'password_user');
      const mk = async (p: string, body: unknown) => {
        const r = await call(h, 'POST', p, { token: alice.token, body });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      ids.infra = await mk('/api/v1/vaults', { name: 'Infra' });
      ids.prod = await mk('/api/v1/vaults', { name: 'Prod', policy: { requireReason: true, passwordPolicy: { length: 40 } } });
      ids.servers = await mk('/api/v1/folders', { vaultId: ids.infra, name: 'Servers' });
      ids.linux = await mk('/api/v1/folders', { vaultId: ids.infra, parentId: ids.servers, name: 'Linux' });
      ids.imported = await mk('/api/v1/folders', { vaultId: ids.infra, name: 'Imported' });
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('needs a login: exit 5 without one; login refuses argv passwords and bad ones', async () => {
      const [noLogin, noTty, argvPw, wrong] = await Promise.all([
        A(['ls']),
        A(['login', '--url', url, '--username', alice.username], { input: `${alice.password}\n` }),
        A(['login', '--url', url, '--username', alice.username, '--password', alice.password]),
        A(['login', '--url', url, '--username', alice.username, '--password-stdin'], { input: 'not-the-password\n' }),
      ]);
      expectCode(noLogin, 5);
      assert.equal(noLogin.stderr, 'error: not signed in: run coffer login first\n');
      expectCode(noTty, 2);
      assert.match(noTty.stderr, /--password-stdin/);
      expectCode(argvPw, 2);
      assert.match(argvPw.stderr, /^coffer: .*--password/);
      expectCode(wrong, 5);
      assert.match(wrong.stderr, errorLine('auth.invalid_credentials'));
      assert.equal(existsSync(cfgA), false, 'no credentials file after failed logins');
    });

    it('login stores the session in a 0600 file (directory 0700) and prints no token', async () => {
      const r = await A(['login', '--url', url, '--username', alice.username, '--password-stdin', '--json'], {
        input: `${alice.password}\n`,
      });
      expectCode(r, 0);
      assert.deepEqual(json(r), { url, username: alice.username, userId: alice.id, role: 'password_administrator', credentialsFile: cfgA });
      assert.equal(statSync(cfgA).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(cfgA)).mode & 0o777, 0o700);
      const stored = JSON.parse(readFileSync(cfgA, 'utf8'));
      assert.equal(stored.url, url);
      assert.match(stored.accessToken, /^cfs_/);
      assert.equal(typeof stored.refreshToken, 'string');
      for (const secret of [stored.accessToken, stored.refreshToken, alice.password]) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'a credential was printed');
      }
      // a program signs in with an API key (read from stdin), exchanged for a session
      const created = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: alice.token,
        body: {
          name: 'cli test',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: alice.password,
        },
      });
      assert.equal(created.status, 201, created.raw);
      const key = created.body.key as string;
      const cfgK = path.join(dir, 'key.json');
      const viaKey = await cli(cfgK, ['login', '--url', url, '--api-key-stdin', '--json'], { input: `${key}\n` });
      expectCode(viaKey, 0);
      assert.equal(json(viaKey).username, alice.username);
      assert.ok(!readFileSync(cfgK, 'utf8').includes(key), 'the key itself is not stored');
      assert.ok(!viaKey.stdout.includes(key) && !viaKey.stderr.includes(key));
      assert.equal(statSync(cfgK).mode & 0o777, 0o600);
      expectCode(await cli(cfgK, ['ls']), 0);
      const badKey = await cli(cfgK, ['login', '--url', url, '--api-key-stdin'], { input: `cfk_${'x'.repeat(40)}\n` });
      expectCode(badKey, 5);

      // an account with TOTP: without --totp the server asks for it (exit 5), with a fresh code it signs in
      const carol = await createUser(h, await adminToken(h), 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: carol.token, body: { currentPassword: carol.password } });
      const seed = base32Decode(begin.body.secret);
      const step = totpStep(Date.now());
      const confirmed = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: carol.token, body: { code: hotp(seed, step) } });
      assert.equal(confirmed.status, 200, confirmed.raw);
      const cfgT = path.join(dir, 'totp.json');
      const loginT = (extra: string[]) =>
        cli(cfgT, ['login', '--url', url, '--username', carol.username, '--password-stdin', ...extra], { input: carol.password });
      const noCode = await loginT([]);
      expectCode(noCode, 5);
      assert.match(noCode.stderr, errorLine('auth.mfa_required'));
      expectCode(await loginT(['--totp', 'abc']), 2);
      expectCode(await loginT(['--totp', hotp(seed, step + 1)]), 0);
      expectCode(await cli(cfgT, ['ls']), 0);

      const human = await B(['login', '--url', url, '--username', bob.username, '--password-stdin'], { input: bob.password });
      expectCode(human, 0);
      assert.equal(human.stdout, `Signed in to ${url} as ${bob.username}. Session stored in ${cfgB}.\n`);
      assert.equal(statSync(cfgB).mode & 0o777, 0o600);
    });

    it('set creates and updates secrets; sensitive values come from stdin or the generator', async () => {
      const web = await A(
        [
          'set',
          'Infra/Servers/web',
          '--template',
          'web-login',
          '--field',
          'url=https://web.example.com',
          '--field',
          'username=root',
        ].concat(['--field-stdin', 'password', '--tag', 'prod']),
        { input: `${CANARY.web}\n` },
      );
      expectCode(web, 0);
      assert.equal(web.stdout, 'Created Infra/Servers/web (version 1).\n');
      assert.equal(web.stderr, '');

      const note = await A(['set', 'Infra/Servers/Linux/note', '--template', 'secure-note', '--field-stdin', 'notes', '--json'], {
        input: `${CANARY.stdinNote}\n`,
      });
      expectCode(note, 0);
      assert.deepEqual(json(note).sensitiveFields, ['notes']);
      ids.note = json(note).id;

      // a sensitive value on the command line works, with a warning that names the field only
      const argv = await A(
        ['set', 'Infra/Servers/Linux/box', '--template', 'unix-account', '--field', 'host=box1'].concat([
          '--field',
          'username=admin',
          '--field',
          `password=${CANARY.argv}`,
        ]),
      );
      expectCode(argv, 0);
      assert.match(argv.stderr, /^warning: the value of "password" was on the command line .*--field-stdin password\n$/);

      const update = await A(['set', 'Infra/Servers/web', '--field', 'username=deploy', '--description', 'front end', '--json']);
      expectCode(update, 0);
      assert.equal(json(update).version, 2);
      assert.equal(json(update).fields.username, 'deploy');
      assert.deepEqual(json(update).sensitiveFields, ['password'], 'the password kept its value');

      const db = await A(
        ['set', 'Prod/db', '--template', 'database-account', '--field', 'host=db1', '--field', 'username=app'].concat([
          '--field-stdin',
          'password',
        ]),
        { input: CANARY.db },
      );
      expectCode(db, 0);

      const usage = await Promise.all([
        A(['set', 'Infra/new-one', '--field', 'username=x']),
        A(['set', 'Infra/Servers/web']),
        A(['set', 'Infra/Servers/web', '--field', 'Bad=x']),
        A(['set', 'Infra/Servers/web', '--field', 'password=a', '--generate', 'password']),
        A(['set', 'Infra']),
      ]);
      for (const u of usage) {
        expectCode(u, 2);
        assert.match(u.stderr, /^coffer: .+\n\nUsage: coffer set/);
      }
      const wrongTemplate = await A(['set', 'Infra/Servers/web', '--template', 'api-key', '--field', 'url=x']);
      expectCode(wrongTemplate, 6);
      const noFolder = await A(['set', 'Infra/Nowhere/x', '--template', 'secure-note', '--field-stdin', 'notes'], { input: 'x' });
      expectCode(noFolder, 3);
      assert.match(noFolder.stderr, /^error: Infra\/Nowhere\/x: No such folder\. \(not_found, request req_\S+\)\n$/);
    });

    it('get shows metadata without values; --field prints one value; reveal follows the reason policy', async () => {
      const meta = await A(['get', 'Infra/Servers/web']);
      expectCode(meta, 0);
      assert.match(meta.stdout, /^Path: +Infra\/Servers\/web\n/m);
      assert.match(meta.stdout, /^ {2}username: +deploy$/m);
      assert.match(meta.stdout, /^ {2}password: +\(hidden: coffer reveal\)$/m);
      assert.ok(!meta.stdout.includes(CANARY.web));
      const metaJson = await A(['get', 'infra/servers/WEB', '--json']);
      expectCode(metaJson, 0);
      assert.equal(json(metaJson).name, 'web');
      assert.equal(json(metaJson).description, 'front end');
      assert.ok(!metaJson.stdout.includes(CANARY.web));
      ids.web = json(metaJson).id;

      const [user, pw, byId, fieldJson] = await Promise.all([
        A(['get', 'Infra/Servers/web', '--field', 'username']),
        A(['get', 'Infra/Servers/web', '--field', 'password']),
        A(['get', `id:${ids.web}`, '--field', 'password']),
        A(['get', 'Infra/Servers/web', '--field', 'password', '--json']),
      ]);
      assert.equal(user.stdout, 'deploy\n');
      assert.equal(pw.stdout, `${CANARY.web}\n`);
      assert.equal(byId.stdout, `${CANARY.web}\n`);
      assert.deepEqual(json(fieldJson), { field: 'password', value: CANARY.web });

      const note = await A(['reveal', 'Infra/Servers/Linux/note', '--field', 'notes']);
      assert.equal(note.stdout, `${CANARY.stdinNote}\n`);
      const all = await A(['reveal', 'Infra/Servers/web', '--json']);
      expectCode(all, 0);
      assert.deepEqual(json(all).values, { password: CANARY.web });

      // Prod requires a reason
      const [noReason, getNoReason, withReason, getWithReason] = await Promise.all([
        A(['reveal', 'Prod/db']),
        A(['get', 'Prod/db', '--field', 'password']),
        A(['reveal', 'Prod/db', '--reason', 'INC-4711', '--field', 'password']),
        A(['get', 'Prod/db', '--field', 'password', '--reason', 'INC-4712']),
      ]);
      expectCode(noReason, 1);
      assert.match(
        noReason.stderr,
        /^error: A reason is required to reveal this secret\. \/reason: required by policy \(validation\.failed, request req_\S+\)\n$/,
      );
      expectCode(getNoReason, 1);
      assert.equal(noReason.stdout + getNoReason.stdout, '');
      expectCode(withReason, 0);
      assert.equal(withReason.stdout, `${CANARY.db}\n`);
      expectCode(getWithReason, 0);
      assert.equal(getWithReason.stdout, `${CANARY.db}\n`);
      const audit = await call(h, 'GET', '/api/v1/audit?action=secret.reveal&limit=50', { token: await adminToken(h) });
      const reasons = (audit.body.items as Array<{ reason: string | null }>).map((x) => x.reason);
      assert.ok(reasons.includes('INC-4711') && reasons.includes('INC-4712'), JSON.stringify(reasons));

      const missing = await A(['get', 'Infra/Servers/nope']);
      expectCode(missing, 3);
      assert.match(missing.stderr, /^error: Infra\/Servers\/nope: No such secret\. \(not_found, request req_\S+\)\n$/);
      const noField = await A(['get', 'Infra/Servers/web', '--field', 'nope']);
      expectCode(noField, 3);
    });

    it('ls lists vaults, folders and secrets; -R the whole tree', async () => {
      const [top, infra, servers, one, tree, missing] = await Promise.all([
        A(['ls']),
        A(['ls', 'Infra']),
        A(['ls', 'Infra/Servers']),
        A(['ls', 'Infra/Servers/web']),
        A(['ls', '-R', 'Infra', '--json']),
        A(['ls', 'Infra/Nope']),
      ]);
      assert.equal(top.stdout, 'Infra/\nProd/\n');
      assert.equal(infra.stdout, 'Imported/\nServers/\n');
      assert.equal(servers.stdout, 'Linux/\nweb\n');
      assert.equal(one.stdout, 'web\n');
      expectCode(tree, 0);
      assert.deepEqual(
        json(tree).map((e: { type: string; path: string }) => `${e.type} ${e.path}`),
        [
          'folder Infra/Imported',
          'folder Infra/Servers',
          'folder Infra/Servers/Linux',
          'secret Infra/Servers/Linux/box',
          'secret Infra/Servers/Linux/note',
          'secret Infra/Servers/web',
        ],
      );
      expectCode(missing, 3);
      assert.match(missing.stderr, /^error: Infra\/Nope: No such folder\. \(not_found, request req_\S+\)\n$/);
      const recursiveHuman = await A(['ls', '-R']);
      assert.match(recursiveHuman.stdout, /^Infra\/\nInfra\/Imported\/\nInfra\/Servers\/\n/);
      assert.match(recursiveHuman.stdout, /\nInfra\/Servers\/web\nProd\/\nProd\/db\n$/);
    });

    it('vault create and vault ls; mkdir creates a folder, -p its missing parents', async () => {
      const bobBefore = await B(['vault', 'ls']);
      expectCode(bobBefore, 0);
      assert.equal(bobBefore.stdout, '', 'bob sees no vault yet');
      const made = await A(['vault', 'create', 'Ops', '--description', 'operations', '--json']);
      expectCode(made, 0);
      assert.equal(json(made).name, 'Ops');
      assert.equal(json(made).description, 'operations');
      assert.equal(json(made).myLevel, 'manage');
      ids.ops = json(made).id;
      const slashed = await A(['vault', 'create', 'Lab/2']);
      expectCode(slashed, 0);
      assert.equal(slashed.stdout, 'Created vault Lab\\/2/.\n', 'the name is taken as typed and shown as a path');
      const dup = await A(['vault', 'create', 'ops']);
      expectCode(dup, 6);
      assert.match(dup.stderr, errorLine('conflict'));
      const usage = await Promise.all([
        A(['vault', 'create', '  ']),
        A(['vault', 'create']),
        A(['vault', 'create', 'a', 'b']),
        A(['vault', 'nope']),
        A(['vault']),
        A(['vault', 'ls', 'extra']),
      ]);
      for (const u of usage) {
        expectCode(u, 2);
        assert.match(u.stderr, /^coffer: .+\n\nUsage: coffer vault/);
      }
      const list = await A(['vault', 'ls', '--json']);
      expectCode(list, 0);
      assert.deepEqual(
        json(list).map((v: { name: string; myLevel: string }) => `${v.name} ${v.myLevel}`),
        ['Infra manage', 'Lab/2 manage', 'Ops manage', 'Prod manage'],
      );
      const human = await A(['vault', 'ls']);
      assert.match(human.stdout, /^Ops\/ +manage +operations$/m);
      assert.match(human.stdout, /^Lab\\\/2\/ +manage$/m);
      assert.equal(human.stdout.split('\n')[0]?.split(/ +/)[0], 'Infra/');

      const one = await A(['mkdir', '/Ops/A']);
      expectCode(one, 0);
      assert.equal(one.stdout, 'Created Ops/A/\n');
      const again = await A(['mkdir', 'Ops/a']);
      expectCode(again, 6, 'the folder exists (names match without regard to case)');
      const noParent = await A(['mkdir', 'Ops/X/Y']);
      expectCode(noParent, 3);
      assert.match(noParent.stderr, /^error: Ops\/X: No such folder\. \(not_found, request req_\S+\)\n$/);
      const deep = await A(['mkdir', '-p', 'Ops/A/B/C', '--json']);
      expectCode(deep, 0);
      assert.deepEqual(json(deep).created, ['Ops/A/B', 'Ops/A/B/C']);
      assert.equal(json(deep).path, 'Ops/A/B/C');
      assert.equal(json(deep).vaultId, ids.ops);
      assert.match(json(deep).id, /^fld_/);
      const exists = await A(['mkdir', 'Ops/A/B/C', '--parents']);
      expectCode(exists, 0);
      assert.equal(exists.stdout, 'Ops/A/B/C/ exists already.\n');
      const partly = await A(['mkdir', '-p', 'Ops/A/D/E']);
      assert.equal(partly.stdout, 'Created Ops/A/D/\nCreated Ops/A/D/E/\n');
      for (const u of await Promise.all([A(['mkdir', 'Ops']), A(['mkdir', '-p', 'Ops']), A(['mkdir', 'Ops/a\\/b']), A(['mkdir'])])) {
        expectCode(u, 2);
        assert.match(u.stderr, /\n\nUsage: coffer mkdir/);
      }
      const [noVault, noVaultP, bobHidden] = await Promise.all([
        A(['mkdir', 'Nope/A']),
        A(['mkdir', '-p', 'Nope/A/B']),
        B(['mkdir', '-p', 'Ops/A/Z']),
      ]);
      expectCode(noVault, 3);
      expectCode(noVaultP, 3);
      expectCode(bobHidden, 3, 'a vault bob cannot see reads as missing');
      const grant = await call(h, 'POST', '/api/v1/grants', {
        token: alice.token,
        body: { nodeId: ids.ops, principalType: 'user', principalId: bob.id, level: 'view' },
      });
      assert.equal(grant.status, 201, grant.raw);
      const bobView = await B(['mkdir', 'Ops/A/Z']);
      expectCode(bobView, 4, 'view is not edit');
      assert.match(bobView.stderr, errorLine('forbidden'));
      assert.equal((await B(['vault', 'ls'])).stdout, 'Ops/  view    operations\n');
      const folders = await call(h, 'GET', `/api/v1/folders?vaultId=${ids.ops}`, { token: alice.token });
      assert.deepEqual(
        folders.body.items.map((f: { path: string }) => f.path),
        ['/A'],
      );
    });

    it('ls shows only what is directly in a vault or folder (the server filters); -R everything', async () => {
      for (const p of ['Ops/root-note', 'Ops/A/top-note', 'Ops/A/B/C/deep-note']) {
        expectCode(await A(['set', p, '--template', 'secure-note', '--field-stdin', 'notes'], { input: 'n' }), 0, p);
      }
      const [top, a, b, tree] = await Promise.all([
        A(['ls', 'Ops']),
        A(['ls', 'Ops/A']),
        A(['ls', 'Ops/A/B', '--json']),
        A(['ls', '-R', 'Ops', '--json']),
      ]);
      assert.equal(top.stdout, 'A/\nroot-note\n');
      assert.equal(a.stdout, 'B/\nD/\ntop-note\n');
      assert.deepEqual(
        json(b).map((e: { type: string; path: string }) => `${e.type} ${e.path}`),
        ['folder Ops/A/B/C'],
      );
      assert.deepEqual(
        json(tree).map((e: { type: string; path: string }) => `${e.type} ${e.path}`),
        [
          'folder Ops/A',
          'folder Ops/A/B',
          'folder Ops/A/B/C',
          'secret Ops/A/B/C/deep-note',
          'folder Ops/A/D',
          'folder Ops/A/D/E',
          'secret Ops/A/top-note',
          'secret Ops/root-note',
        ],
      );
    });

    it('mv moves one or several secrets; rm sends them to the trash', async () => {
      const one = await A(['mv', 'Infra/Servers/web', 'Infra/Servers/Linux']);
      expectCode(one, 0);
      assert.equal(one.stdout, 'Moved Infra/Servers/web to Infra/Servers/Linux/.\n');
      expectCode(await A(['get', 'Infra/Servers/web']), 3);
      expectCode(await A(['get', 'Infra/Servers/Linux/web']), 0);

      const many = await A(['mv', 'Infra/Servers/Linux/web', 'Infra/Servers/Linux/box', 'Infra/Servers', '--json']);
      expectCode(many, 0);
      assert.deepEqual(
        json(many).map((x: { path: string; ok: boolean }) => [x.path, x.ok]),
        [
          ['Infra/Servers/Linux/web', true],
          ['Infra/Servers/Linux/box', true],
        ],
      );
      assert.equal((await A(['ls', 'Infra/Servers'])).stdout, 'Linux/\nbox\nweb\n');
      const badDest = await A(['mv', 'Infra/Servers/web', 'Infra/Nowhere']);
      expectCode(badDest, 3);
      const missing = await A(['mv', 'Infra/Servers/web', 'Infra/Servers/ghost', 'Infra']);
      expectCode(missing, 3);
      assert.equal(missing.stdout, '', 'nothing moved when a path is missing');

      const t1 = await A(['set', 'Infra/tmp1', '--template', 'secure-note', '--field-stdin', 'notes'], { input: 'x' });
      const t2 = await A(['set', 'Infra/tmp2', '--template', 'secure-note', '--field-stdin', 'notes'], { input: 'y' });
      expectCode(t1, 0);
      expectCode(t2, 0);
      const rmOne = await A(['rm', 'Infra/tmp1']);
      expectCode(rmOne, 0);
      assert.equal(rmOne.stdout, 'Moved Infra/tmp1 to the trash.\n');
      const rmMany = await A(['rm', 'Infra/tmp2', 'Infra/Servers/Linux/note']);
      expectCode(rmMany, 0);
      assert.equal(rmMany.stdout, 'Moved to the trash: Infra/tmp2\nMoved to the trash: Infra/Servers/Linux/note\n');
      expectCode(await A(['get', 'Infra/tmp1']), 3);
      const trash = await call(h, 'GET', '/api/v1/trash', { token: alice.token });
      assert.deepEqual(trash.body.items.map((s: { name: string }) => s.name).sort(), ['note', 'tmp1', 'tmp2']);
      expectCode(await A(['rm', 'Infra/tmp1']), 3);
    });

    it('search finds by text, tag, template and vault', async () => {
      const [text, tag, tpl, vault, none, badVault] = await Promise.all([
        A(['search', 'web', '--json']),
        A(['search', '--tag', 'prod']),
        A(['search', '--template', 'database-account', '--json']),
        A(['search', '--vault', 'Prod']),
        A(['search', 'zzz-nothing']),
        A(['search', 'x', '--vault', 'Nope']),
      ]);
      expectCode(text, 0);
      assert.deepEqual(
        json(text).map((s: { cliPath: string }) => s.cliPath),
        ['Infra/Servers/web'],
      );
      assert.match(tag.stdout, /^Infra\/Servers\/web +web-login +deploy/);
      assert.deepEqual(
        json(tpl).map((s: { cliPath: string }) => s.cliPath),
        ['Prod/db'],
      );
      assert.match(vault.stdout, /^Prod\/db +database-account +app@db1\n$/);
      expectCode(none, 0);
      assert.equal(none.stdout, '');
      expectCode(badVault, 3);
    });

    it('share by username or by id; the share holder gets only its level', async () => {
      const viaName = await A(['share', 'Infra/Servers/web', bob.username, '--level', 'view', '--json']);
      expectCode(viaName, 0);
      assert.equal(json(viaName).principalId, bob.id);
      assert.equal(json(viaName).level, 'view');
      const viaId = await A(['share', 'Infra/Servers/box', bob.id]);
      expectCode(viaId, 0);
      assert.equal(viaId.stdout, `Shared Infra/Servers/box with ${bob.id} (reveal).\n`);
      const badLevel = await A(['share', 'Infra/Servers/web', bob.username, '--level', 'owner']);
      expectCode(badLevel, 2);
      const noUser = await A(['share', 'Infra/Servers/web', 'nobody-here']);
      expectCode(noUser, 3);

      const [bobGet, bobReveal, bobReveal2, bobEdit, bobShare, bobHidden] = await Promise.all([
        B(['get', `id:${ids.web}`, '--field', 'username']),
        B(['reveal', `id:${ids.web}`]),
        B(['reveal', 'Infra/Servers/box', '--field', 'password']),
        B(['set', `id:${ids.web}`, '--field', 'username=bob']),
        B(['share', `id:${ids.web}`, alice.username]),
        B(['get', 'Prod/db']),
      ]);
      expectCode(bobGet, 0);
      assert.equal(bobGet.stdout, 'deploy\n');
      expectCode(bobReveal, 4);
      assert.match(bobReveal.stderr, errorLine('forbidden'));
      expectCode(bobReveal2, 0);
      assert.equal(bobReveal2.stdout, `${CANARY.argv}\n`);
      expectCode(bobEdit, 4);
      expectCode(bobShare, 4);
      assert.match(bobShare.stderr, errorLine('forbidden'), 'bob finds alice by name, but may not share what he does not manage');
      expectCode(bobHidden, 3, 'a secret bob cannot see reads as missing');
    });

    it('history lists versions with field names only', async () => {
      const gen = await A(['set', 'Infra/Servers/web', '--generate', 'password']);
      expectCode(gen, 0);
      const r = await A(['history', 'Infra/Servers/web', '--json']);
      expectCode(r, 0);
      const versions = json(r) as Array<{
        version: number;
        action: string;
        changedFields: string[];
        changedBy: string;
        byUsername: string;
      }>;
      assert.deepEqual(
        versions.map((v) => v.version),
        [5, 4, 3, 2, 1],
      );
      assert.deepEqual(
        versions.map((v) => v.action),
        ['update', 'move', 'move', 'update', 'create'],
      );
      assert.deepEqual(versions[0]?.changedFields, ['password']);
      assert.equal(versions[4]?.changedBy, alice.id);
      assert.deepEqual(new Set(versions.map((v) => v.byUsername)), new Set([alice.username]), 'user names, not ids');
      assert.ok(!r.stdout.includes(CANARY.web));
      const human = await A(['history', 'Infra/Servers/web']);
      assert.match(human.stdout, new RegExp(`^History of Infra/Servers/web:\\n {2}v5 +\\S+ +update +by ${alice.username} +password\\n`));
      assert.ok(!human.stdout.includes(alice.id), 'no user ids in the human output');
      const pw = await A(['reveal', 'Infra/Servers/web', '--field', 'password']);
      assert.notEqual(pw.stdout, `${CANARY.web}\n`, 'the generated password replaced the old one');
      assert.equal(pw.stdout.trim().length, 24);
    });

    it('restore brings an old version back as a new one', async () => {
      expectCode(await A(['restore', 'Infra/Servers/web']), 2, '--version is required');
      const r = await A(['restore', 'Infra/Servers/web', '--version', '4', '--json']);
      expectCode(r, 0);
      const now = json(r) as { version: number; restoredVersion: number };
      assert.equal(now.restoredVersion, 4);
      assert.equal(now.version, 6);
      assert.ok(!r.stdout.includes(CANARY.web), 'metadata only');
      const pw = await A(['reveal', 'Infra/Servers/web', '--field', 'password']);
      assert.equal(pw.stdout, `${CANARY.web}\n`, 'the value of version 4 is back');
      const h = json(await A(['history', 'Infra/Servers/web', '--json'])) as Array<{ version: number; action: string }>;
      assert.deepEqual(h[0], { ...h[0], version: 6, action: 'restore:4' });
      const human = await A(['restore', 'Infra/Servers/web', '--version', '5']);
      expectCode(human, 0);
      assert.equal(human.stdout, 'Restored Infra/Servers/web to version 5 (now version 7).\n');
      expectCode(await A(['restore', 'Infra/Servers/web', '--version', '99']), 3, 'no such version');
    });

    it('attach, files, download and detach a file; a restore brings a detached file back', async () => {
      const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) & 0xff));
      const src = path.join(dir, 'key.bin');
      writeFileSync(src, content);
      const at = await A(['attach', 'Infra/Servers/web', src, '--type', 'application/x-pem-file', '--json']);
      expectCode(at, 0);
      assert.deepEqual(
        { ...json(at), id: 'x', secretId: 'x', createdBy: 'x', createdAt: 'x' },
        {
          id: 'x',
          secretId: 'x',
          name: 'key.bin',
          contentType: 'application/x-pem-file',
          size: content.length,
          createdBy: 'x',
          createdAt: 'x',
        },
      );
      expectCode(await A(['attach', 'Infra/Servers/web', src]), 6, 'a second file of the same name');
      const withFile = (json(await A(['get', 'Infra/Servers/web', '--json'])) as { version: number }).version;
      const listed = await A(['files', 'Infra/Servers/web']);
      expectCode(listed, 0);
      assert.match(listed.stdout, /^key\.bin +68\.4 KiB {2}application\/x-pem-file {2}\d{4}-/);

      const dest = path.join(dir, 'out', 'key.bin');
      expectCode(await A(['download', 'Infra/Servers/web', 'key.bin', '-o', dest]), 1, 'a missing directory');
      const dest2 = path.join(dir, 'key-copy.bin');
      const dl = await A(['download', 'Infra/Servers/web', 'key.bin', '-o', dest2, '--json']);
      expectCode(dl, 0);
      assert.equal(json(dl).size, content.length);
      assert.ok(readFileSync(dest2).equals(content), 'the same bytes');
      assert.equal(statSync(dest2).mode & 0o777, 0o600, 'readable by the user only');
      expectCode(await A(['download', 'Infra/Servers/web', 'key.bin', '-o', dest2]), 6, 'no silent overwrite');
      expectCode(await A(['download', 'Infra/Servers/web', 'key.bin', '-o', dest2, '--force']), 0);
      expectCode(await A(['download', 'Infra/Servers/web', 'nope.bin', '-o', path.join(dir, 'n')]), 3);
      assert.ok(!existsSync(path.join(dir, 'n')));

      const text = path.join(dir, 'note.txt');
      writeFileSync(text, 'plain text file\n');
      expectCode(await A(['attach', 'Infra/Servers/web', text, '--name', 'readme.txt']), 0);
      const cat = await A(['download', 'Infra/Servers/web', 'readme.txt', '-o', '-']);
      expectCode(cat, 0);
      assert.equal(cat.stdout, 'plain text file\n');

      const det = await A(['detach', 'Infra/Servers/web', 'key.bin', '--json']);
      expectCode(det, 0);
      assert.equal(json(det).removed, true);
      assert.deepEqual(
        (json(await A(['files', 'Infra/Servers/web', '--json'])) as Array<{ name: string }>).map((f) => f.name),
        ['readme.txt'],
      );
      expectCode(await A(['restore', 'Infra/Servers/web', '--version', String(withFile)]), 0);
      assert.deepEqual(
        (json(await A(['files', 'Infra/Servers/web', '--json'])) as Array<{ name: string }>).map((f) => f.name),
        ['key.bin'],
        'the version had key.bin and not yet readme.txt',
      );
      rmSync(dest2);
      expectCode(await A(['download', 'Infra/Servers/web', 'key.bin', '-o', dest2]), 0);
      assert.ok(readFileSync(dest2).equals(content), 'the file came back whole');
    });

    it('gen generates passwords under the folder policy', async () => {
      const [plain, prod, prodJson] = await Promise.all([
        A(['gen', '--length', '32', '--no-symbols', '--count', '3']),
        A(['gen', '--path', 'Prod']),
        A(['gen', '--path', 'Prod', '--no-symbols', '--json']),
      ]);
      expectCode(plain, 0);
      const lines = plain.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 3);
      for (const l of lines) assert.match(l, /^[A-Za-z0-9]{32}$/);
      assert.equal(prod.stdout.trimEnd().length, 40);
      assert.equal(json(prodJson).policy.length, 40);
      assert.equal(json(prodJson).policy.symbols, false);
      const gen = await A(['set', 'Prod/api', '--template', 'api-key', '--generate', 'secret']);
      expectCode(gen, 0);
      const v = await A(['reveal', 'Prod/api', '--reason', 'check', '--field', 'secret']);
      assert.equal(v.stdout.trimEnd().length, 40);
      const bad = await Promise.all([A(['gen', '--length', '4']), A(['gen', '--count', 'x']), A(['gen', 'extra'])]);
      for (const b of bad) expectCode(b, 2);
    });

    it('import: --dry-run reports and creates nothing, then imports for real', async () => {
      const file = path.join(dir, 'import.csv');
      writeFileSync(
        file,
        [
          'name,username,password,url,notes,folder',
          `Mail,alice,${CANARY.csv},https://mail.example.com,,Personal/Email`,
          'Bank,bob,b-pw,https://bank.example.com,,Finance',
          'Wiki,carol,w-pw,https://wiki.example.com,,',
        ].join('\n'),
      );
      const dry = await A(['import', file, '--format', 'csv', '--vault', 'Infra', '--folder', 'Imported', '--dry-run', '--json']);
      expectCode(dry, 0);
      const report = json(dry);
      assert.equal(report.dryRun, true);
      assert.equal(report.created, 3);
      assert.equal(report.folders, 3);
      assert.equal((await A(['ls', 'Infra/Imported'])).stdout, '', 'a dry run creates nothing');

      const real = await A(['import', file, '--format', 'csv', '--vault', 'Infra', '--folder', 'Imported']);
      expectCode(real, 0);
      assert.equal(real.stderr, '', 'no progress drawn when stderr is not a terminal');
      assert.match(real.stdout, /^Created 3 secrets and 3 folders in Infra\/Imported\/\.\n/);
      assert.match(real.stdout, /\n {2}\+ Infra\/Imported\/Personal\/Email\/Mail {2}\(web-login\)\n/);
      assert.ok(!real.stdout.includes(CANARY.csv) && !dry.stdout.includes(CANARY.csv));
      assert.equal((await A(['ls', 'Infra/Imported'])).stdout, 'Finance/\nPersonal/\nWiki\n');
      const mail = await A(['get', 'Infra/Imported/Personal/Email/Mail', '--field', 'password']);
      assert.equal(mail.stdout, `${CANARY.csv}\n`);

      const bad = await Promise.all([
        A(['import', file, '--vault', 'Infra']),
        A(['import', file, '--format', 'xls', '--vault', 'Infra']),
        A(['import', file, '--format', 'csv']),
      ]);
      for (const b of bad) expectCode(b, 2);
      const noFile = await A(['import', path.join(dir, 'missing.csv'), '--format', 'csv', '--vault', 'Infra']);
      expectCode(noFile, 1);
      assert.match(noFile.stderr, /^error: cannot read .*missing\.csv: /);
      const noVault = await A(['import', file, '--format', 'csv', '--vault', 'Nope']);
      expectCode(noVault, 3);
    });

    it('import: the same file twice changes nothing; --on-conflict update writes new versions', async () => {
      const file = path.join(dir, 'twice.csv');
      writeFileSync(file, ['name,username,password,folder', 'Twice A,u1,pw-a-1,', 'Twice B,u2,pw-b-1,Sub'].join('\n'));
      const args = ['import', file, '--format', 'csv', '--vault', 'Infra', '--folder', 'Imported'];
      expectCode(await A(args), 0);
      const again = await A([...args, '--dry-run']);
      expectCode(again, 0);
      assert.match(again.stdout, /^Dry run: would create 0 secrets and 0 folders in Infra\/Imported\/; 2 entries skipped\.\n/);
      assert.match(again.stdout, /--on-conflict update or duplicate/);
      const second = json(await A([...args, '--json']));
      assert.deepEqual([second.created, second.updated, second.skipped.length, second.clashes.length], [0, 0, 2, 2]);
      writeFileSync(file, ['name,username,password,folder', 'twice a,u1,pw-a-2,'].join('\n'));
      const up = await A([...args, '--on-conflict', 'update']);
      expectCode(up, 0);
      assert.match(
        up.stdout,
        /^Created 0 secrets, updated 1 and 0 folders in Infra\/Imported\/\.\n {2}~ Infra\/Imported\/twice a {2}\(web-login\)\n/,
      );
      assert.equal((await A(['get', 'Infra/Imported/Twice A', '--field', 'password'])).stdout, 'pw-a-2\n');
      expectCode(await A([...args, '--on-conflict', 'merge']), 2);
    });

    it('two secrets of one name are a conflict (exit 6) until named by id', async () => {
      for (const value of ['one', 'two']) {
        const r = await call(h, 'POST', '/api/v1/secrets', {
          token: alice.token,
          body: { vaultId: ids.infra, template: 'secure-note', name: 'twin', fields: { notes: value } },
        });
        assert.equal(r.status, 201, r.raw);
      }
      const r = await A(['get', 'Infra/twin']);
      expectCode(r, 6);
      assert.match(r.stderr, /^error: Infra\/twin: .*match.* \(conflict, request req_\S+\)\n$/);
    });

    it('refreshes an expired session, once across concurrent processes, and writes the tokens back', async () => {
      const before = JSON.parse(readFileSync(cfgA, 'utf8'));
      // an access token the server does not know: the client must refresh
      writeFileSync(cfgA, JSON.stringify({ ...before, accessToken: `cfs_${'A'.repeat(43)}` }), { mode: 0o600 });
      const runs = await Promise.all([A(['ls']), A(['ls', 'Infra']), A(['search', 'web']), A(['gen'])]);
      for (const r of runs) expectCode(r, 0);
      const afterRefresh = JSON.parse(readFileSync(cfgA, 'utf8'));
      assert.notEqual(afterRefresh.refreshToken, before.refreshToken);
      assert.notEqual(afterRefresh.accessToken, `cfs_${'A'.repeat(43)}`);
      assert.equal(statSync(cfgA).mode & 0o777, 0o600);
      assert.equal(existsSync(`${cfgA}.lock`), false);
      // one refresh only: a second use of a refresh token would have revoked the session family
      expectCode(await A(['ls']), 0);
      const whoami = await call(h, 'GET', '/api/v1/auth/whoami', { token: afterRefresh.accessToken });
      assert.equal(whoami.status, 200);
    });

    it('logout ends the session and deletes the tokens; afterwards exit 5', async () => {
      const stored = JSON.parse(readFileSync(cfgA, 'utf8'));
      const r = await A(['logout', '--json']);
      expectCode(r, 0);
      assert.deepEqual(json(r), { signedOut: true, serverSessionEnded: true });
      assert.equal(existsSync(cfgA), false);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: stored.accessToken })).status, 401);
      const again = await A(['logout']);
      expectCode(again, 0);
      assert.equal(again.stdout, 'Not signed in.\n');
      expectCode(await A(['get', 'Infra/Servers/web']), 5);

      // a session the server ended (here: by bob's logout elsewhere) answers exit 5 with a hint
      const bobStored = JSON.parse(readFileSync(cfgB, 'utf8'));
      assert.equal((await call(h, 'POST', '/api/v1/auth/logout', { token: bobStored.accessToken })).status < 300, true);
      const dead = await B(['ls']);
      expectCode(dead, 5);
      assert.match(dead.stderr, /Sign in again with coffer login\. \(auth\.\S+, request req_\S+\)\n$/);
    });

    it('never wrote a secret value or a credential to stderr or the server log', () => {
      const all = stderrs.join('\n');
      for (const v of [...Object.values(CANARY), CANARY.stdinNote.split('\n')[0] as string, alice.password, bob.password]) {
        assert.ok(!all.includes(v), `found ${v.slice(0, 6)}… on stderr`);
        assert.ok(!h.logs().includes(v), `found ${v.slice(0, 6)}… in the server log`);
      }
    });
  });
}

describe('coffer client usage', () => {
  it('documents the exit codes and every client command', async () => {
    const cfg = path.join(tmpdir(), 'coffer-cli-never-created', 'c.json');
    const r = await cli(cfg, ['--help']);
    expectCode(r, 0);
    assert.match(r.stdout, /3 not found .*\n4 permission denied, 5 not signed in or the session is invalid, 6 conflict/);
    const names = [
      'login',
      'logout',
      'ls',
      'get',
      'reveal',
      'set',
      'mv',
      'rm',
      'search',
      'share',
      'history',
      'restore',
      'gen',
      'import',
    ].concat(['vault create', 'vault ls', 'mkdir']);
    const helps = await Promise.all(names.map((n) => cli(cfg, [...n.split(' '), '--help'])));
    helps.forEach((hr, i) => {
      expectCode(hr, 0);
      assert.ok(hr.stdout.startsWith(`Usage: coffer ${names[i]}`), hr.stdout);
      assert.match(r.stdout, new RegExp(`\\n  ${names[i]} `));
    });
    const vault = await cli(cfg, ['vault', '--help']);
    expectCode(vault, 0);
    assert.match(vault.stdout, /^Usage: coffer vault <command>/);
    assert.match(vault.stdout, /\n {2}create +Create a vault\n {2}ls +/);
    assert.equal(existsSync(cfg), false);
  });
});
