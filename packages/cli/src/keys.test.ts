// `coffer keys` and the transparent E2E path of set/reveal/share, as child processes against a real
// server (both dialects): keys made and registered (private key file 0600, locked), a secret set in
// an E2E vault (the server stores only messages), revealed, shared with a second user who reveals it
// with their own key; the value never reaches the server in clear.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminToken, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner } from '../test/run-cli.ts';

const { cli } = cliRunner();
const VALUE = 'cli-e2e-canary-Qz7!value';

for (const dialect of dialects) {
  describe(`coffer keys and E2E vaults [${dialect}]`, () => {
    let h: Harness;
    let url: string;
    let dir: string;
    const people: Array<{ username: string; password: string; config: string; env: Record<string, string> }> = [];

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-keys-'));
      const admin = await adminToken(h);
      for (const name of ['a', 'b']) {
        const email = `${name}-${Math.random().toString(36).slice(2, 7)}@example.com`;
        const u = await createUser(h, admin, 'password_user', { email });
        const config = path.join(dir, name, 'credentials.json');
        const env = { COFFER_KEY_PASSPHRASE: `passphrase of ${name}` };
        const r = await cli(config, ['login', '--url', url, '--username', u.username, '--password-stdin'], { input: `${u.password}\n` });
        assert.equal(r.code, 0, r.stderr);
        const k = await cli(config, ['keys', 'init', '--email', email], { env });
        assert.equal(k.code, 0, k.stderr);
        assert.match(k.stdout, /Made your OpenPGP key [0-9a-f]{40}/);
        people.push({ username: u.username, password: u.password, config, env });
      }
    });
    after(async () => {
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps the private key locked in a 0600 file and shows the registered key', async () => {
      const a = people[0] as (typeof people)[0];
      const file = path.join(path.dirname(a.config), 'openpgp-key.asc');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /BEGIN PGP PRIVATE KEY BLOCK/);
      const show = await cli(a.config, ['keys', 'show', '--json']);
      assert.equal(show.code, 0, show.stderr);
      const j = JSON.parse(show.stdout);
      assert.equal(j.fingerprint, j.localFingerprint);
      // a second init refuses to replace the key
      assert.notEqual((await cli(a.config, ['keys', 'init', '--email', 'x@example.com'], { env: a.env })).code, 0);
      // a wrong passphrase cannot unlock it
      const wrong = await cli(a.config, ['reveal', 'nothing/here'], { env: { COFFER_KEY_PASSPHRASE: 'wrong' } });
      assert.notEqual(wrong.code, 0);
    });

    it('set, reveal and share on an E2E vault work transparently', async () => {
      const [a, b] = people as [(typeof people)[0], (typeof people)[0]];
      const v = await cli(a.config, ['vault', 'create', `cli-e2e-${dialect}`, '--e2e']);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /Created end-to-end encrypted vault/);
      const p = `cli-e2e-${dialect}/db`;
      const set = await cli(a.config, ['set', p, '--template', 'web-login', '--field', 'username=root', '--field-stdin', 'password'], {
        env: a.env,
        input: VALUE,
      });
      assert.equal(set.code, 0, set.stderr);
      const rv = await cli(a.config, ['reveal', p], { env: a.env });
      assert.equal(rv.code, 0, rv.stderr);
      assert.match(rv.stdout, new RegExp(VALUE.replace('!', '\\!')));
      const sh = await cli(a.config, ['share', p, b.username, '--level', 'reveal'], { env: a.env });
      assert.equal(sh.code, 0, sh.stderr);
      const rb = await cli(b.config, ['reveal', `id:${JSON.parse((await cli(a.config, ['get', p, '--json'])).stdout).id}`], { env: b.env });
      assert.equal(rb.code, 0, rb.stderr);
      assert.match(rb.stdout, new RegExp(VALUE.replace('!', '\\!')));
      // the server holds messages, never the value
      const rows = await h.database.db.selectFrom('secret_messages').select('message').execute();
      assert.equal(rows.length, 2);
      const values = await h.database.db.selectFrom('secret_values').selectAll().execute();
      assert.equal(values.length, 0);
      assert.ok(!h.logs().includes(VALUE));
    });
  });
}
