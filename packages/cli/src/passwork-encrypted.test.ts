// A Passwork client's client-side encrypted item (the master-password scheme of E2E vaults, ADR
// 0026) seen from the CLI: listed by its clear metadata, but `coffer reveal` and `coffer set` say
// that only the Passwork client can open or change its value, fetch nothing (no reveal record) and
// exit with the conflict code.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { passworkEncryptedItem } from '../../server/test/passwork.ts';
import { cliRunner } from '../test/run-cli.ts';

const { cli } = cliRunner();

for (const dialect of dialects) {
  describe(`coffer CLI and a Passwork client-encrypted item [${dialect}]`, () => {
    let h: Harness;
    let dir: string;
    let config: string;
    let admin: string;
    let itemId: string;

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-passwork-'));
      admin = await adminToken(h);
      const u = await createUser(h, admin, 'password_administrator');
      // the Passwork client: a master-password session, a private vault, one item it encrypted
      itemId = (await passworkEncryptedItem(h, u, { vaultName: 'Sealed', itemName: 'db', plain: 'the-plain-value' })).itemId;
      config = path.join(dir, 'credentials.json');
      const r = await cli(config, ['login', '--url', url, '--username', u.username, '--password-stdin'], { input: `${u.password}\n` });
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => {
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('coffer reveal and coffer set refuse it clearly, and fetch nothing', async () => {
      const reveals = async () =>
        (await call(h, 'GET', `/api/v1/audit?action=secret.reveal&object=${itemId}`, { token: admin })).body.items.length as number;
      const before = await reveals();
      const rv = await cli(config, ['reveal', 'Sealed/db']);
      assert.equal(rv.code, 6, rv.stderr);
      assert.match(rv.stderr, /encrypted by a Passwork client with its master password/);
      assert.equal(rv.stdout, '');
      const set = await cli(config, ['set', 'Sealed/db', '--field', 'payload=whatever'], { input: '' });
      assert.equal(set.code, 6, set.stderr);
      assert.match(set.stderr, /only that client can open or change its value/);
      const created = await cli(config, ['set', 'Sealed/new-one', '--template', 'web-login', '--generate', 'password']);
      assert.equal(created.code, 6, created.stderr);
      assert.equal(await reveals(), before);
    });
  });
}
