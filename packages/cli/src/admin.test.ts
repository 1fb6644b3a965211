// The account and administration commands of `coffer` (whoami, passwd, totp, users, groups, grants,
// templates, trash, export) and the installed launcher, run as child processes against a real
// server on an ephemeral port, on both dialects: an administrator, two password users (one of them
// owns a vault) and a user who changes their own password and second factor.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base32Decode, hotp, totpStep } from '../../server/src/crypto/totp.ts';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';

const { cli, stderrs } = cliRunner();

const ROOT = path.join(import.meta.dirname, '../../..');
/** The command `npm ci` installs (a link to packages/cli/bin/coffer.js). */
const BIN = path.join(ROOT, 'node_modules/.bin/coffer');
const CANARY = {
  secret: 'admin-cli-canary-Qx4!pw',
  carol: 'carol-canary-pw-7Hd#',
  reset: 'reset-canary-pw-2Kf%',
  passphrase: 'export-canary-phrase-9Lm',
};
const CLI_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8')).version as string;

/** The machine's own `node` (first on PATH outside any node_modules/.bin): Node 20 on this project's machines. */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error('no node on PATH outside node_modules');
}

/** One error line in the house format. */
const errorLine = (code: string) => new RegExp(`^error: .+ \\(${code.replace('.', '\\.')}, request req_\\S+\\)\\n$`);

for (const dialect of dialects) {
  describe(`coffer account and administration commands [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let url: string;
    let dir: string;
    type U = Awaited<ReturnType<typeof createUser>>;
    let alice: U;
    let bob: U;
    let dave: U;
    const cfg = { admin: '', alice: '', bob: '', dave: '', none: '' };
    const ids: Record<string, string> = {};
    const run = (who: keyof typeof cfg) => (args: string[], opts?: Parameters<typeof cli>[2]) => cli(cfg[who], args, opts);
    const Adm = run('admin');
    const A = run('alice');
    const B = run('bob');
    const D = run('dave');

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-admin-'));
      const admin = await adminToken(h);
      alice = await createUser(h, admin, 'password_user');
      bob = await createUser(h, admin, 'password_user');
      dave = await createUser(h, admin, 'password_user');
      const ok = async (p: string, body: unknown) => {
        const r = await call(h, 'POST', p, { token: alice.token, body });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      ids.vault = await ok('/api/v1/vaults', { name: 'Team' });
      ids.folder = await ok('/api/v1/folders', { vaultId: ids.vault, name: 'Web' });
      ids.secret = await ok('/api/v1/secrets', {
        vaultId: ids.vault,
        folderId: ids.folder,
        template: 'web-login',
        name: 'shop',
        fields: { username: 'deploy', password: CANARY.secret },
      });
      for (const k of Object.keys(cfg) as Array<keyof typeof cfg>) cfg[k] = path.join(dir, `${k}.json`);
      const logins = await Promise.all(
        (
          [
            ['admin', ADMIN.username, ADMIN.password],
            ['alice', alice.username, alice.password],
            ['bob', bob.username, bob.password],
            ['dave', dave.username, dave.password],
          ] as const
        ).map(([k, user, pw]) => cli(cfg[k], ['login', '--url', url, '--username', user, '--password-stdin'], { input: pw })),
      );
      for (const r of logins) expectCode(r, 0, 'login');
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('coffer is an installed command: --version, and relative paths mean the caller’s directory, on the machine’s Node', {
      timeout: 120_000,
    }, async () => {
      const node20 = machineNode();
      const version = execFileSync(node20, ['--version'], { encoding: 'utf8' }).trim();
      const work = mkdtempSync(path.join(tmpdir(), 'coffer-cli-cwd-'));
      try {
        writeFileSync(path.join(work, 'note.txt'), 'attached from the caller’s directory\n');
        // PATH: the machine's node first, no node_modules/.bin (what a user's shell has)
        const env = { PATH: [path.dirname(node20), '/usr/bin', '/bin'].join(path.delimiter) };
        const inWork = { bin: BIN, cwd: work, env };
        const [v, vNew, attach] = await Promise.all([
          A(['--version'], inWork),
          // and on a Node new enough to run the CLI itself
          A(['--version'], { ...inWork, env: { PATH: [path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter) } }),
          A(['attach', 'Team/Web/shop', './note.txt', '--json'], inWork),
        ]);
        expectCode(v, 0, `--version on ${version}`);
        assert.equal(v.stdout, `coffer ${CLI_VERSION}\n`);
        expectCode(vNew, 0);
        assert.equal(vNew.stdout, v.stdout);
        expectCode(attach, 0, 'attach ./note.txt');
        assert.equal(json(attach).name, 'note.txt');
        const down = await A(['download', 'Team/Web/shop', 'note.txt', '-o', './out.txt'], inWork);
        expectCode(down, 0, 'download -o ./out.txt');
        assert.equal(readFileSync(path.join(work, 'out.txt'), 'utf8'), 'attached from the caller’s directory\n');
        assert.equal(existsSync(path.join(ROOT, 'out.txt')), false, 'nothing written in the checkout');
        // npm run coffer runs in the checkout; what the user typed means the directory they typed it in
        const npm = await A(['--prefix', ROOT, 'run', '-s', 'coffer', '--', 'download', 'Team/Web/shop', 'note.txt', '-o', './npm.txt'], {
          ...inWork,
          bin: 'npm',
        });
        expectCode(npm, 0, 'npm run coffer');
        assert.equal(readFileSync(path.join(work, 'npm.txt'), 'utf8'), 'attached from the caller’s directory\n');
        assert.equal(existsSync(path.join(ROOT, 'npm.txt')), false, 'nothing written in the checkout');
        // exit codes pass through the launcher
        const usage = await A(['no-such-command'], inWork);
        expectCode(usage, 2);
        const missing = await A(['get', 'Team/Web/nothing'], inWork);
        expectCode(missing, 3);
        expectCode(await A(['detach', 'Team/Web/shop', 'note.txt'], inWork), 0);
        // a signal to the command reaches the CLI: while it waits for a server that never answers,
        // SIGTERM ends it, and the command ends by the same signal (a CLI left running would hold
        // stdout and stderr open until its 30 s timeout, and say so on stderr)
        const silent = createServer(() => {});
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        try {
          let launcher: ChildProcess | undefined;
          silent.once('connection', () => launcher?.kill('SIGTERM'));
          const port = (silent.address() as AddressInfo).port;
          const term = await A(['seal-status', '--url', `http://127.0.0.1:${port}`], { ...inWork, started: (c) => (launcher = c) });
          assert.equal(term.signal, 'SIGTERM', `ended by ${term.signal}, exit ${term.code}`);
          assert.equal(term.stderr, '');
        } finally {
          silent.close();
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });

    it('whoami; users create, ls, show and update; passwords only from stdin', async () => {
      const [me, meJson, nobody, create, createApi, argvPw, noTty, normal] = await Promise.all([
        Adm(['whoami']),
        A(['whoami', '--json']),
        cli(cfg.none, ['whoami']),
        Adm(
          [
            'users',
            'create',
            'carol',
            '--role',
            'password-user',
            '--password-stdin',
            '--first-name',
            'Carol',
            '--department',
            'Ops',
            '--json',
          ],
          {
            input: `${CANARY.carol}\n`,
          },
        ),
        Adm(['users', 'create', 'robot', '--role', 'password_user', '--api']),
        Adm(['users', 'create', 'eve', '--role', 'password_user', '--password', 'argv-is-refused-pw']),
        Adm(['users', 'create', 'eve', '--role', 'password_user'], { input: 'from-a-pipe-without-the-flag\n' }),
        A(['users', 'ls']),
      ]);
      expectCode(me, 0);
      assert.match(me.stdout, new RegExp(`^admin \\(usr_\\w+\\) on ${url}\\nrole: +administrator\\nsigned in by: +password session\\n$`));
      expectCode(meJson, 0);
      assert.deepEqual(
        { url: json(meJson).url, userId: json(meJson).userId, username: json(meJson).username, role: json(meJson).role },
        { url, userId: alice.id, username: alice.username, role: 'password_user' },
      );
      expectCode(nobody, 5);
      expectCode(create, 0);
      const carol = json(create);
      assert.equal(carol.username, 'carol');
      assert.equal(carol.role, 'password_user');
      assert.equal(carol.firstName, 'Carol');
      ids.carol = carol.id;
      await login(h, 'carol', CANARY.carol);
      expectCode(createApi, 0);
      assert.equal(createApi.stdout, 'Created API user robot (password_user).\n');
      expectCode(argvPw, 2);
      assert.match(argvPw.stderr, /^coffer: .*--password/);
      expectCode(noTty, 2);
      assert.match(noTty.stderr, /--password-stdin/);
      expectCode(normal, 4);
      assert.match(normal.stderr, errorLine('forbidden'));

      const [ls, lsJson, show, showMissing, dup, badRole, nothing] = await Promise.all([
        Adm(['users', 'ls', '--kind', 'human']),
        Adm(['users', 'ls', '--json']),
        Adm(['users', 'show', 'CAROL']),
        Adm(['users', 'show', 'nobody-at-all']),
        Adm(['users', 'create', 'Carol', '--role', 'password_user', '--password-stdin'], { input: 'another-long-password\n' }),
        Adm(['users', 'update', 'carol', '--role', 'root']),
        Adm(['users', 'update', 'carol']),
      ]);
      const update = await Adm([
        'users',
        'update',
        'carol',
        '--role',
        'password_administrator',
        '--all-passwords',
        '--location',
        'Berlin',
        '--json',
      ]);
      expectCode(ls, 0);
      const rows = ls.stdout.trimEnd().split('\n');
      assert.match(rows[0] as string, /^USERNAME +ROLE +STATUS +KIND +TOTP +SIGN-IN +NAME$/);
      assert.ok(
        rows.some((r) => /^carol +password_user +active +human +off +(never|last \d{4}-\d\d-\d\d \d\d:\d\d) +Carol$/.test(r)),
        ls.stdout,
      );
      assert.ok(!rows.some((r) => r.startsWith('robot')), '--kind human leaves API users out');
      expectCode(lsJson, 0);
      assert.ok(json(lsJson).some((u: { username: string; kind: string }) => u.username === 'robot' && u.kind === 'api'));
      expectCode(show, 0);
      assert.match(show.stdout, /^id: +usr_\w+\nusername: +carol\nkind: +human\nrole: +password_user\n/);
      assert.match(show.stdout, /\ndepartment: +Ops\n/);
      expectCode(showMissing, 3);
      expectCode(dup, 6);
      expectCode(update, 0);
      assert.equal(json(update).role, 'password_administrator');
      assert.equal(json(update).allPasswords, true);
      assert.equal(json(update).location, 'Berlin');
      expectCode(badRole, 2);
      expectCode(nothing, 2);
      for (const r of [create, createApi, ls, lsJson, show, update]) {
        assert.ok(!r.stdout.includes(CANARY.carol) && !r.stderr.includes(CANARY.carol), 'a password was printed');
      }
    });

    it('users disable, enable, unlock, reset-password and rm', async () => {
      const disabled = await Adm(['users', 'disable', 'carol']);
      expectCode(disabled, 0);
      assert.equal(disabled.stdout, 'Disabled carol.\n');
      await assert.rejects(login(h, 'carol', CANARY.carol));
      const [shown, enabled] = [await Adm(['users', 'show', 'carol', '--json']), await Adm(['users', 'enable', 'carol', '--json'])];
      assert.equal(json(shown).status, 'disabled', 'a disabled user is still found by name');
      expectCode(enabled, 0);
      assert.equal(json(enabled).status, 'active');
      // administrators see a lockout: failed logins in a row, the lock, and the unlock clearing it
      for (let i = 0; i < 6; i++) {
        const r = await call(h, 'POST', '/api/v1/auth/login', {
          body: { username: 'carol', password: 'not-her-password' },
          ip: '10.9.8.7',
        });
        assert.equal(r.status, 401);
      }
      const locked = await Adm(['users', 'show', 'carol']);
      assert.match(locked.stdout, /\nlocked: +until \d{4}-/);
      assert.match(locked.stdout, /\nfailed logins: +[67] in a row, the last at \d{4}-/);
      assert.match(locked.stdout, /\nlast login: +/);
      assert.match(
        (await Adm(['users', 'ls'])).stdout,
        /\ncarol +password_administrator \+all +active +human +off +locked until \d{4}-\d\d-\d\d \d\d:\d\d, [67] failed, last /,
      );
      const [unlock, reset] = await Promise.all([
        Adm(['users', 'unlock', 'carol', '--json']),
        Adm(['users', 'reset-password', ids.carol as string, '--password-stdin'], { input: `${CANARY.reset}\n` }),
      ]);
      expectCode(unlock, 0);
      assert.deepEqual(json(unlock), { id: ids.carol, username: 'carol', unlocked: true });
      assert.match((await Adm(['users', 'show', 'carol'])).stdout, /\nlocked: +no\nfailed logins: +0 in a row\n/);
      expectCode(reset, 0);
      assert.equal(reset.stdout, 'Set the password of carol; their sessions and keys ended.\n');
      await login(h, 'carol', CANARY.reset);
      const [noYes, byBob] = await Promise.all([Adm(['users', 'rm', 'carol']), B(['users', 'rm', 'carol', '--yes'])]);
      expectCode(noYes, 2);
      assert.match(noYes.stderr, /cannot be undone: add --yes/);
      expectCode(byBob, 4);
      const rm = await Adm(['users', 'rm', 'carol', '--yes', '--json']);
      expectCode(rm, 0);
      assert.deepEqual(json(rm), { id: ids.carol, username: 'carol', deleted: true });
      expectCode(await Adm(['users', 'show', 'carol']), 3);
      const robot = await Adm(['users', 'rm', 'robot', '--yes']);
      expectCode(robot, 0);
    });

    it('groups create, add, show, ls, remove and rm', async () => {
      const create = await Adm(['groups', 'create', 'Ops', '--description', 'operations', '--json']);
      expectCode(create, 0);
      ids.group = json(create).id;
      const add = await Adm(['groups', 'add', 'ops', alice.username, bob.id]);
      expectCode(add, 0);
      assert.equal(add.stdout, `Added ${alice.username}, ${bob.username} to Ops.\n`);
      const [show, ls, lsJson, byAlice, missing, dup] = await Promise.all([
        Adm(['groups', 'show', 'OPS']),
        Adm(['groups', 'ls']),
        Adm(['groups', 'ls', '--json']),
        A(['groups', 'ls']),
        Adm(['groups', 'show', 'no-such-group']),
        Adm(['groups', 'create', 'ops']),
      ]);
      expectCode(show, 0);
      assert.match(show.stdout, /^name: +Ops\nid: +grp_\w+\ndescription: +operations\ncreated: +\S+\nmembers: +(.+)\n$/);
      assert.deepEqual(/members: +(.+)/.exec(show.stdout)?.[1]?.split(', '), [alice.username, bob.username].sort());
      expectCode(ls, 0);
      assert.match(ls.stdout, /^NAME +MEMBERS +DESCRIPTION\nOps +2 +operations\n$/);
      assert.deepEqual(json(lsJson)[0].members.sort(), [alice.id, bob.id].sort());
      expectCode(byAlice, 4);
      expectCode(missing, 3);
      expectCode(dup, 6);
      const remove = await Adm(['groups', 'remove', 'Ops', bob.username, '--json']);
      expectCode(remove, 0);
      assert.deepEqual(json(remove).members, [alice.id]);
    });

    it('grants ls, add and rm on vaults, folders and secrets; users found by exact name, groups by id', async () => {
      const [add, addFolder, addSecret, byGroupName, byGroupId, noUser, partial, badLevel] = await Promise.all([
        A(['grants', 'add', 'Team', bob.username, '--level', 'view']),
        A(['grants', 'add', 'Team/Web', dave.username, '--level', 'reveal', '--expires', '7d', '--json']),
        A(['grants', 'add', 'Team/Web/shop', dave.id, '--level', 'edit']),
        A(['grants', 'add', 'Team', '--group', 'Ops', '--level', 'list']),
        A(['grants', 'add', 'Team', '--group', ids.group as string, '--level', 'list']),
        A(['grants', 'add', 'Team', 'nobody-at-all', '--level', 'view']),
        A(['grants', 'add', 'Team', bob.username.slice(0, -1), '--level', 'view']),
        A(['grants', 'add', 'Team', bob.username, '--level', 'owner']),
      ]);
      expectCode(add, 0);
      assert.equal(add.stdout, `Granted view on Team/ to user ${bob.username}.\n`);
      expectCode(addFolder, 0);
      const expires = Date.parse(json(addFolder).expiresAt);
      assert.ok(Math.abs(expires - (Date.now() + 7 * 86_400_000)) < 120_000, json(addFolder).expiresAt);
      expectCode(addSecret, 0);
      expectCode(byGroupName, 4, 'a password user may not list groups');
      assert.match(byGroupName.stderr, /give the group's id \(grp_…\)/);
      expectCode(byGroupId, 0);
      expectCode(noUser, 3);
      assert.equal(noUser.stderr, 'error: there is no active user named "nobody-at-all"\n');
      expectCode(partial, 3, 'no partial names');
      expectCode(badLevel, 2);

      const [ls, lsSecret, lsJson, byBob, admin] = await Promise.all([
        A(['grants', 'ls', 'Team']),
        A(['grants', 'ls', 'Team/Web/shop']),
        A(['grants', 'ls', `id:${ids.folder}`, '--json']),
        B(['grants', 'ls', 'Team']),
        Adm(['grants', 'ls', 'Team']),
      ]);
      expectCode(ls, 0);
      const lines = ls.stdout.trimEnd().split('\n');
      assert.match(lines[0] as string, /^WHO +LEVEL +EXPIRES +ID$/);
      // alice may not read the directory: ids stand for names
      assert.ok(
        lines.some((l) => new RegExp(`^user:${bob.id} +view +never +gra_\\w+$`).test(l)),
        ls.stdout,
      );
      assert.ok(
        lines.some((l) => new RegExp(`^group:${ids.group} +list +never`).test(l)),
        ls.stdout,
      );
      expectCode(lsSecret, 0);
      assert.match(lsSecret.stdout, new RegExp(`\\nuser:${dave.id} +edit +never +gra_\\w+\\n`));
      expectCode(lsJson, 0);
      assert.deepEqual(
        json(lsJson).map((g: { principalId: string; level: string }) => [g.principalId, g.level]),
        [[dave.id, 'reveal']],
      );
      expectCode(byBob, 4, 'view access does not show the grants');
      expectCode(admin, 3, 'an administrator without a grant does not see the vault');

      const [rm, rmGroup, rmMissing] = await Promise.all([
        A(['grants', 'rm', 'Team', bob.username]),
        A(['grants', 'rm', '--id', json(lsJson)[0].id, '--json']),
        A(['grants', 'rm', 'Team/Web', bob.username]),
      ]);
      expectCode(rm, 0);
      assert.equal(rm.stdout, `Revoked the view grant of user ${bob.username} on Team/.\n`);
      expectCode(rmGroup, 0);
      assert.deepEqual(json(rmGroup), { id: json(lsJson)[0].id, revoked: true });
      expectCode(rmMissing, 3);
      expectCode(await B(['ls', 'Team']), 3, 'bob lost the vault');
    });

    it('a password user shares by exact username (no directory access needed); disabled and partial names are not found', async () => {
      const share = await A(['share', 'Team/Web/shop', bob.username.toUpperCase(), '--level', 'view', '--json']);
      expectCode(share, 0);
      assert.equal(json(share).principalId, bob.id);
      const gone = await createUser(h, await adminToken(h), 'password_user');
      expectCode(await Adm(['users', 'disable', gone.username]), 0);
      const [disabled, partial, readBack] = await Promise.all([
        A(['share', 'Team/Web/shop', gone.username]),
        A(['share', 'Team/Web/shop', bob.username.slice(1)]),
        B(['get', 'Team/Web/shop', '--field', 'username']),
      ]);
      expectCode(disabled, 3);
      assert.equal(disabled.stderr, `error: there is no active user named "${gone.username}"\n`);
      expectCode(partial, 3);
      expectCode(readBack, 0);
      assert.equal(readBack.stdout, 'deploy\n');
    });

    it('templates ls and show', async () => {
      const [ls, lsJson, show, missing] = await Promise.all([
        A(['templates', 'ls']),
        A(['templates', 'ls', '--json']),
        A(['templates', 'show', 'Web login']),
        A(['templates', 'show', 'no-such-template']),
      ]);
      expectCode(ls, 0);
      assert.match(ls.stdout, /^SLUG +NAME +KIND +FIELDS\n/);
      assert.match(ls.stdout, /\nweb-login +\S.* +built-in +.*password\*/);
      expectCode(lsJson, 0);
      assert.ok(json(lsJson).some((t: { slug: string }) => t.slug === 'secure-note'));
      expectCode(show, 0);
      assert.match(show.stdout, /^.+ \(web-login, built-in, tpl_\w+\)\nFIELD +NAME +TYPE +REQUIRED +SEARCHABLE +SENSITIVE\n/);
      assert.match(show.stdout, /\npassword +\S+ +password +.*yes\n/);
      expectCode(missing, 3);
    });

    it('trash ls, restore and purge', async () => {
      const mk = async (name: string) => {
        const r = await call(h, 'POST', '/api/v1/secrets', {
          token: alice.token,
          body: { vaultId: ids.vault, folderId: ids.folder, template: 'secure-note', name, fields: { notes: 'n' } },
        });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      const [keep, drop] = [await mk('old note'), await mk('scrap')];
      expectCode(await A(['rm', 'Team/Web/old note', 'Team/Web/scrap']), 0);
      const [ls, lsJson, byBob] = await Promise.all([
        A(['trash', 'ls']),
        A(['trash', 'ls', '--vault', 'Team', '--json']),
        B(['trash', 'ls']),
      ]);
      expectCode(ls, 0);
      assert.match(ls.stdout, /^PATH +DELETED +ID\n/);
      assert.match(ls.stdout, new RegExp(`\\nTeam/Web/old note +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC +id:${keep}\\n`));
      assert.deepEqual(
        json(lsJson)
          .map((s: { id: string }) => s.id)
          .sort(),
        [keep, drop].sort(),
      );
      expectCode(byBob, 0);
      assert.equal(byBob.stdout, '', 'bob cannot restore alice’s secrets');
      const [restore, noYes, missing] = await Promise.all([
        A(['trash', 'restore', 'Team/Web/old note']),
        A(['trash', 'purge', `id:${drop}`]),
        A(['trash', 'restore', 'Team/Web/never there']),
      ]);
      expectCode(restore, 0);
      assert.equal(restore.stdout, 'Restored Team/Web/old note\n');
      expectCode(noYes, 2);
      expectCode(missing, 3);
      const purge = await A(['trash', 'purge', `id:${drop}`, '--yes', '--json']);
      expectCode(purge, 0);
      assert.deepEqual(json(purge), [{ path: 'Team/Web/scrap', id: drop, purged: true }]);
      const [after, getBack] = await Promise.all([A(['trash', 'ls', '--json']), A(['get', 'Team/Web/old note', '--json'])]);
      assert.deepEqual(json(after), []);
      expectCode(getBack, 0);
    });

    it('export writes an encrypted 0600 file that import reads back', async () => {
      const file = path.join(dir, 'team.coffer');
      const [exp, noOut, noPass] = await Promise.all([
        A(['export', 'Team/Web', '--out', file, '--json'], { input: `${CANARY.passphrase}\n` }),
        A(['export', 'Team']),
        A(['export', 'Team', '--out', path.join(dir, 'never.coffer')]),
      ]);
      expectCode(exp, 0);
      assert.deepEqual(json(exp), { path: 'Team/Web/', count: 2, output: file });
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes(CANARY.secret) && !text.includes('deploy'), 'the file is encrypted');
      expectCode(noOut, 2);
      expectCode(noPass, 2);
      assert.equal(existsSync(path.join(dir, 'never.coffer')), false);
      const again = await A(['export', 'Team/Web', '--out', file], { input: `${CANARY.passphrase}\n` });
      expectCode(again, 6, 'an existing file is not replaced');
      expectCode(await A(['vault', 'create', 'Restored']), 0);
      const imp = await A(['import', file, '--format', 'coffer-export', '--vault', 'Restored', '--json'], {
        input: `${CANARY.passphrase}\n`,
      });
      expectCode(imp, 0);
      assert.equal(json(imp).created, 2);
      const reveal = await A(['reveal', 'Restored/shop', '--field', 'password']);
      expectCode(reveal, 0);
      assert.equal(reveal.stdout, `${CANARY.secret}\n`);
    });

    it('totp enroll (the code asked after the secret is shown), disable, enroll + confirm; passwd', async () => {
      const [noPassword, wrongPassword, noFlag0] = await Promise.all([
        D(['totp', 'enroll', '--password-stdin'], { input: '' }),
        D(['totp', 'enroll', '--password-stdin'], { input: 'not-the-password-of-dave\n' }),
        D(['totp', 'enroll'], { input: `${dave.password}\n` }),
      ]);
      expectCode(noPassword, 2, 'enrolling needs the password');
      expectCode(wrongPassword, 4);
      assert.match(wrongPassword.stderr, errorLine('auth.reauth_failed'));
      assert.doesNotMatch(wrongPassword.stdout, /otpauth/, 'no seed without the password');
      expectCode(noFlag0, 2, 'no terminal and no --password-stdin');
      const enroll = await D(['totp', 'enroll', '--password-stdin'], {
        input: `${dave.password}\n`,
        respond: {
          after: /Secret, to type in by hand: ([A-Z2-7]+)\n/,
          send: (m) => `${hotp(base32Decode(m[1] as string), totpStep(Date.now()))}\n`,
        },
      });
      expectCode(enroll, 0);
      assert.match(enroll.stdout, /^Add this account to your authenticator app \(shown only now\):\n {2}otpauth:\/\/totp\/\S+\n/);
      assert.match(enroll.stdout, /\nTOTP is on: signing in now needs a code from the app\.\nRecovery codes .*\n( {2}\S+\n){10}$/);
      const mfa = await call(h, 'POST', '/api/v1/auth/login', { body: { username: dave.username, password: dave.password } });
      assert.equal(mfa.body.error.code, 'auth.mfa_required');
      expectCode(await D(['whoami']), 0, 'the enrolling session stays');

      // re-authentication: the password and a second factor (the enrolment spent this time step's
      // code, so a recovery code)
      const recovery = [...enroll.stdout.matchAll(/^ {2}(\S+)$/gm)].map((m) => m[1] as string).filter((c) => !c.startsWith('otpauth'));
      assert.equal(recovery.length, 10);
      const [noFlag, wrong, noCode] = await Promise.all([
        D(['totp', 'disable'], { input: `${dave.password}\n${recovery[0]}\n` }),
        D(['totp', 'disable', '--password-stdin'], { input: `wrong-password\n${recovery[0]}\n` }),
        D(['totp', 'disable', '--password-stdin'], { input: `${dave.password}\n` }),
      ]);
      expectCode(noFlag, 2);
      expectCode(wrong, 4);
      assert.match(wrong.stderr, errorLine('auth.reauth_failed'));
      expectCode(noCode, 2, 'no second factor given');
      const off = await D(['totp', 'disable', '--password-stdin', '--json'], { input: `${dave.password}\n${recovery[0]}\n` });
      expectCode(off, 0);
      assert.deepEqual(json(off), { enabled: false, signedOut: true });
      assert.equal(existsSync(cfg.dave), false, 'the dead session is forgotten');
      expectCode(await D(['login', '--url', url, '--username', dave.username, '--password-stdin'], { input: dave.password }), 0);

      // a script: enroll prints the secret as JSON and stops without a code; confirm finishes it
      const begun = await D(['totp', 'enroll', '--password-stdin', '--json'], { input: `${dave.password}\n` });
      expectCode(begun, 0);
      const { secret, otpauthUri } = json(begun);
      assert.match(otpauthUri, /^otpauth:\/\/totp\//);
      assert.match(begun.stderr, /coffer totp confirm/);
      const [badCode, confirmed] = [
        await D(['totp', 'confirm'], { input: '12345\n' }),
        await D(['totp', 'confirm', '--json'], { input: `${hotp(base32Decode(secret), totpStep(Date.now()))}\n` }),
      ];
      expectCode(badCode, 2);
      expectCode(confirmed, 0);
      assert.equal(json(confirmed).recoveryCodes.length, 10);
      const off2 = await D(['totp', 'disable', '--password-stdin'], { input: `${dave.password}\n${json(confirmed).recoveryCodes[0]}\n` });
      expectCode(off2, 0);
      expectCode(await D(['login', '--url', url, '--username', dave.username, '--password-stdin'], { input: dave.password }), 0);

      const newPw = `${dave.password}-changed`;
      const [short, noFlag2] = await Promise.all([
        D(['passwd', '--password-stdin'], { input: `${dave.password}\n` }),
        D(['passwd'], { input: `${dave.password}\n${newPw}\n` }),
      ]);
      expectCode(short, 2, 'the new password is missing');
      expectCode(noFlag2, 2, 'no terminal and no --password-stdin');
      const passwd = await D(['passwd', '--password-stdin'], { input: `${dave.password}\n${newPw}\n` });
      expectCode(passwd, 0);
      assert.equal(passwd.stdout, 'Password changed. Every session and API key of yours has ended: sign in again with coffer login.\n');
      expectCode(await D(['whoami']), 5);
      await login(h, dave.username, newPw);
      for (const r of [enroll, off, passwd]) assert.ok(!r.stdout.includes(dave.password) && !r.stderr.includes(newPw));
    });

    it('never wrote a password, passphrase or secret value to stderr or the server log', () => {
      const all = stderrs.join('\n');
      for (const v of [...Object.values(CANARY), alice.password, bob.password, dave.password, ADMIN.password]) {
        assert.ok(!all.includes(v), `found ${v.slice(0, 6)}… on stderr`);
        assert.ok(!h.logs().includes(v), `found ${v.slice(0, 6)}… in the server log`);
      }
    });
  });
}

describe('coffer administration usage', () => {
  it('documents the account and administration commands', async () => {
    const cfg = path.join(tmpdir(), 'coffer-cli-never-created', 'c.json');
    const groups: Record<string, string[]> = {
      totp: ['enroll', 'confirm', 'disable'],
      users: ['ls', 'show', 'create', 'update', 'disable', 'enable', 'rm', 'unlock', 'reset-password'],
      groups: ['ls', 'show', 'create', 'rm', 'add', 'remove'],
      grants: ['ls', 'add', 'rm'],
      templates: ['ls', 'show'],
      trash: ['ls', 'restore', 'purge'],
    };
    const names = ['whoami', 'passwd', 'export', ...Object.entries(groups).flatMap(([g, subs]) => subs.map((s) => `${g} ${s}`))];
    const [top, version, ...rest] = await Promise.all([
      cli(cfg, ['--help']),
      cli(cfg, ['--version']),
      ...Object.keys(groups).map((g) => cli(cfg, [g, '--help'])),
      ...names.map((n) => cli(cfg, [...n.split(' '), '--help'])),
    ]);
    expectCode(top, 0);
    expectCode(version, 0);
    assert.equal(version.stdout, `coffer ${CLI_VERSION}\n`);
    for (const n of ['whoami', 'passwd', 'export']) assert.match(top.stdout, new RegExp(`\\n  ${n} `));
    for (const [g, subs] of Object.entries(groups)) assert.match(top.stdout, new RegExp(`\\n  ${g} +${subs.join(', ')}\\n`));
    const groupHelps = rest.slice(0, Object.keys(groups).length);
    Object.entries(groups).forEach(([g, subs], i) => {
      const r = groupHelps[i] as (typeof rest)[number];
      expectCode(r, 0);
      assert.ok(r.stdout.startsWith(`Usage: coffer ${g} <command>`), r.stdout);
      for (const s of subs) assert.match(r.stdout, new RegExp(`\\n  ${s} +\\S`));
    });
    rest.slice(Object.keys(groups).length).forEach((r, i) => {
      expectCode(r, 0);
      assert.ok(r.stdout.startsWith(`Usage: coffer ${names[i]}`), r.stdout);
      assert.match(r.stdout, /--json/);
    });
    const unknown = await cli(cfg, ['users', 'frobnicate']);
    expectCode(unknown, 2);
    assert.match(unknown.stderr, /^coffer: unknown command "users frobnicate"\n\nUsage: coffer users <command>/);
    assert.equal(existsSync(cfg), false);
  });
});
