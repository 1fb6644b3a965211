// The CLI and a Passbolt client on one end-to-end encrypted secret, both ways, on both dialects: a
// value set with `coffer set` in an E2E vault is listed and read by a Passbolt client (GPGAuth
// sign-in with the key `coffer keys init` made, its own message decrypted), and a password a
// Passbolt client created (password-string: a bare value, encrypted and signed on its side) is
// read by `coffer reveal`. The server never holds either value in clear.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { adminToken, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { decryptWith, encryptFor, type PbKey, pb, pbGpgLogin, pbServerKey } from '../../server/test/passbolt.ts';
import { cliRunner } from '../test/run-cli.ts';

const { cli } = cliRunner();
const FROM_CLI = 'from-the-cli-Vq3#canary';
const FROM_PASSBOLT = 'from-passbolt-Rk8%canary';

for (const dialect of dialects) {
  describe(`coffer CLI <-> a Passbolt client [${dialect}]`, () => {
    let h: Harness;
    let dir: string;
    let config: string;
    const env = { COFFER_KEY_PASSPHRASE: 'the passphrase of the key' };
    let key: PbKey;
    let cookie: string;
    let csrf: string;

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-passbolt-'));
      const admin = await adminToken(h);
      const email = `interop-${Math.random().toString(36).slice(2, 7)}@example.com`;
      const u = await createUser(h, admin, 'password_administrator', { email });
      config = path.join(dir, 'credentials.json');
      const r = await cli(config, ['login', '--url', url, '--username', u.username, '--password-stdin'], { input: `${u.password}\n` });
      assert.equal(r.code, 0, r.stderr);
      const k = await cli(config, ['keys', 'init', '--email', email], { env });
      assert.equal(k.code, 0, k.stderr);
      // the Passbolt client holds the same key pair: the private key the CLI made, unlocked
      const locked = await openpgp.readPrivateKey({ armoredKey: readFileSync(path.join(dir, 'openpgp-key.asc'), 'utf8') });
      const priv = await openpgp.decryptKey({ privateKey: locked, passphrase: env.COFFER_KEY_PASSPHRASE });
      key = { priv, armoredPrivate: priv.armor(), pub: priv.toPublic().armor(), fingerprint: priv.getFingerprint().toUpperCase() };
      const login = await pbGpgLogin(h, key);
      cookie = login.cookie;
      csrf = login.csrf;
    });
    after(async () => {
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a value set with the CLI is read by the Passbolt client', async () => {
      const v = await cli(config, ['vault', 'create', `interop-${dialect}`, '--e2e']);
      assert.equal(v.code, 0, v.stderr);
      const set = await cli(
        config,
        ['set', `interop-${dialect}/db`, '--template', 'web-login', '--field', 'username=root', '--field-stdin', 'password'],
        { env, input: FROM_CLI },
      );
      assert.equal(set.code, 0, set.stderr);
      const list = await pb(h, 'GET', '/resources.json', { headers: { cookie } });
      assert.equal(list.status, 200, list.raw);
      const res = list.body.body.find((x: { name: string }) => x.name === 'db');
      assert.ok(res, list.raw);
      assert.equal(res.username, 'root');
      const sec = await pb(h, 'GET', `/secrets/resource/${res.id}.json`, { headers: { cookie } });
      assert.equal(sec.status, 200, sec.raw);
      // what a Passbolt client does: decrypt its own message, check the writer's signature, read
      // the password of a password-and-description value
      const plain = await decryptWith(sec.body.body.data, key.priv, key.pub);
      assert.equal(JSON.parse(plain).password, FROM_CLI);
      const types = await pb(h, 'GET', '/resource-types.json', { headers: { cookie } });
      const type = types.body.body.find((t: { id: string }) => t.id === res.resource_type_id);
      assert.equal(type?.slug, 'password-and-description');
    });

    it('a password a Passbolt client created is read by coffer reveal', async () => {
      const data = await encryptFor(FROM_PASSBOLT, [key.pub], key.priv);
      const r = await pb(h, 'POST', '/resources.json', {
        headers: { cookie, 'x-csrf-token': csrf },
        body: { name: 'made-in-passbolt', username: 'svc', uri: 'https://svc.example', secrets: [{ data }] },
      });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.header.message, 'The resource has been added successfully.');
      const id = await h.coffer.services.numbering.idOf(h.database.db, 'secret', Number.parseInt(r.body.body.id.slice(-12), 16));
      assert.ok(id);
      const rv = await cli(config, ['reveal', `id:${id}`], { env });
      assert.equal(rv.code, 0, rv.stderr);
      assert.match(rv.stdout, new RegExp(FROM_PASSBOLT.replace('%', '\\%')));
      // the server keeps messages only: neither value in the store's tables nor the logs
      for (const v of [FROM_CLI, FROM_PASSBOLT]) {
        assert.ok(!h.logs().includes(v));
        const values = await h.database.db.selectFrom('secret_values').selectAll().execute();
        assert.ok(!JSON.stringify(values).includes(v));
      }
      // and the server's own key answers as Passbolt's clients pin it
      assert.match((await pbServerKey(h)).fingerprint, /^[0-9A-F]{40}$/);
    });
  });
}
