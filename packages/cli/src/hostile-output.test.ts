// The real `coffer` command against a store holding text written before names and reasons were
// checked (put into the database directly): escape sequences, C1 controls, bidi overrides and line
// breaks in names, descriptions, tags, reasons and file names. Nothing the CLI prints holds one of
// them raw — lists, tables, the metadata view, JSON, error messages — and a secret value asked for
// on purpose goes into a pipe byte for byte, onto a terminal escaped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json, type Run } from '../test/run-cli.ts';

const { cli } = cliRunner();
const MAIN = path.join(import.meta.dirname, 'main.ts');

/** Sets the window title, clears the screen, colours (as C1 CSI), reverses the line, fakes a line. */
const HOSTILE = 'x\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eexe.txt\nFAKE LINE';
const VALUE = 'pw\u001b[31mred\u009b\u202e!';
/** Raw characters a terminal acts on (newline and tab are checked separately, where lines matter). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function assertClean(r: Run, what: string): void {
  assert.ok(!RAW.test(r.stdout), `${what}: raw control character on stdout: ${JSON.stringify(r.stdout)}`);
  assert.ok(!RAW.test(r.stderr), `${what}: raw control character on stderr: ${JSON.stringify(r.stderr)}`);
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    assert.ok(!line.startsWith('FAKE LINE'), `${what}: a stored line break made a line of its own`);
  }
}

/** Runs `coffer` with stdout and stderr on a pseudo-terminal (util-linux `script`). */
function onTerminal(config: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, MAIN, ...args].map(quote).join(' ');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COFFER_') && k !== 'NODE_TEST_CONTEXT'));
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { ...env, COFFER_CLI_CONFIG: config, TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

for (const dialect of dialects) {
  describe(`coffer prints no raw control characters from the server [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let dir: string;
    let cfg: string;
    let owner: Awaited<ReturnType<typeof createUser>>;
    const ids: Record<string, string> = {};
    const A = (args: string[]) => cli(cfg, args);

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-hostile-'));
      cfg = path.join(dir, 'owner.json');
      const admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      const requester = await createUser(h, admin, 'password_user');
      const ok = async (token: string, p: string, body: unknown) => {
        const r = await call(h, 'POST', p, { token, body });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      ids.vault = await ok(owner.token, '/api/v1/vaults', { name: 'Hostile' });
      ids.folder = await ok(owner.token, '/api/v1/folders', {
        vaultId: ids.vault,
        name: 'Ops',
        policy: { approval: { required: true, approvers: [{ type: 'user', id: owner.id }], ownersToo: false } },
      });
      ids.secret = await ok(owner.token, '/api/v1/secrets', {
        vaultId: ids.vault,
        template: 'web-login',
        name: 'web',
        fields: { password: VALUE },
      });
      ids.gated = await ok(owner.token, '/api/v1/secrets', {
        vaultId: ids.vault,
        folderId: ids.folder,
        template: 'web-login',
        name: 'gated',
        fields: { password: 'p' },
      });
      await ok(owner.token, '/api/v1/grants', { nodeId: ids.vault, principalType: 'user', principalId: requester.id, level: 'reveal' });
      ids.request = await ok(requester.token, '/api/v1/access-requests', { secretId: ids.gated, reason: 'clean', durationMinutes: 30 });
      const up = await h.app.inject({
        method: 'POST',
        url: `/api/v1/secrets/${ids.secret}/attachments?name=notes.txt`,
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(`file\u001b[2J\u009b\u202e`),
      });
      assert.equal(up.statusCode, 201, up.body);
      ids.attachment = up.json().id;

      // written before the rule existed: straight into the database (lookups keep their clean keys)
      const db = h.database.db;
      await db
        .updateTable('vaults')
        .set({ name: `Hostile${HOSTILE}`, description: HOSTILE })
        .where('id', '=', ids.vault)
        .execute();
      await db
        .updateTable('folders')
        .set({ name: `Ops${HOSTILE}`, path: `/Ops${HOSTILE}` })
        .where('id', '=', ids.folder)
        .execute();
      for (const id of [ids.secret, ids.gated]) {
        await db
          .updateTable('secrets')
          .set({ name: `web${HOSTILE}`, description: HOSTILE, tags: JSON.stringify([HOSTILE]) })
          .where('id', '=', id as string)
          .execute();
      }
      await db
        .updateTable('attachments')
        .set({ name: `notes${HOSTILE}` })
        .where('id', '=', ids.attachment as string)
        .execute();
      await db.updateTable('access_requests').set({ reason: HOSTILE }).where('id', '=', ids.request).execute();

      const login = await cli(cfg, ['login', '--url', url, '--username', owner.username, '--password-stdin'], { input: owner.password });
      expectCode(login, 0);
    });
    after(async () => {
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists, the metadata view, tables and error messages show stored control characters escaped', async () => {
      const runs: Array<[string, Run]> = [
        ['vault ls', await A(['vault', 'ls'])],
        ['ls', await A(['ls', 'Hostile'])],
        ['ls -R', await A(['ls', '-R', 'Hostile'])],
        ['search', await A(['search', 'web'])],
        ['get', await A(['get', `id:${ids.secret}`])],
        ['history', await A(['history', `id:${ids.secret}`])],
        ['files', await A(['files', `id:${ids.secret}`])],
        ['requests', await A(['requests', '--pending'])],
      ];
      for (const [what, r] of runs) {
        expectCode(r, 0, what);
        assertClean(r, what);
      }
      const text = runs.map(([, r]) => r.stdout).join('\n');
      assert.ok(text.includes('\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202eexe.txt'), 'shown, escaped');
      assert.match(runs[4]?.[1].stdout ?? '', /Description: +x\\u001b/);
      assert.match(runs[7]?.[1].stdout ?? '', /x\\u001b]0;pwned.*\\u000aFAKE LINE/, 'the reason, one line in its table cell');
      // an error whose message names what the server holds: the file names it has
      const missing = await A(['download', `id:${ids.secret}`, 'nope.txt', '-o', path.join(dir, 'nope')]);
      expectCode(missing, 3);
      assertClean(missing, 'download error');
      assert.match(missing.stderr, /it has: notesx\\u001b\]0;pwned/);
    });

    it('JSON output escapes what JSON.stringify leaves raw (DEL, C1, bidi) and parses to the stored text', async () => {
      for (const args of [
        ['get', `id:${ids.secret}`, '--json'],
        ['vault', 'ls', '--json'],
        ['ls', '-R', 'Hostile', '--json'],
        ['requests', '--pending', '--json'],
      ]) {
        const r = await A(args);
        expectCode(r, 0, args.join(' '));
        assertClean(r, args.join(' '));
        assert.ok(r.stdout.includes('\\u009b') && r.stdout.includes('\\u202e'), 'escaped in the JSON text');
      }
      const secret = json(await A(['get', `id:${ids.secret}`, '--json']));
      assert.equal(secret.name, `web${HOSTILE}`);
      assert.deepEqual(secret.tags, [HOSTILE]);
      const revealed = await A(['reveal', `id:${ids.secret}`, '--json']);
      assertClean(revealed, 'reveal --json');
      assert.equal(json(revealed).values.password, VALUE);
    });

    it('a value asked for on purpose: exact bytes into a pipe, escaped on a terminal with a note', async () => {
      const piped = await A(['reveal', `id:${ids.secret}`, '--field', 'password']);
      expectCode(piped, 0);
      assert.equal(piped.stdout, `${VALUE}\n`, 'byte for byte into the pipe');
      assert.equal(piped.stderr, '');
      const got = await A(['get', `id:${ids.secret}`, '--field', 'password']);
      assert.equal(got.stdout, `${VALUE}\n`);
      const file = await A(['download', `id:${ids.secret}`, `notes${HOSTILE}`, '-o', '-']);
      expectCode(file, 0);
      assert.equal(file.stdout, 'file\u001b[2J\u009b\u202e', 'file bytes exactly');

      for (const args of [
        ['reveal', `id:${ids.secret}`, '--field', 'password'],
        ['get', `id:${ids.secret}`, '--field', 'password'],
        ['reveal', `id:${ids.secret}`],
        ['get', `id:${ids.secret}`],
      ]) {
        const t = await onTerminal(cfg, args);
        assert.equal(t.code, 0, `${args.join(' ')}: ${t.output}`);
        assert.ok(!RAW.test(t.output.replace(/\r\n/g, '\n')), `${args.join(' ')} on a terminal: ${JSON.stringify(t.output)}`);
      }
      const t = await onTerminal(cfg, ['reveal', `id:${ids.secret}`, '--field', 'password']);
      assert.match(t.output, /pw\\u001b\[31mred\\u009b\\u202e!/);
      assert.match(t.output, /note: the value holds control characters/);
    });
  });
}
