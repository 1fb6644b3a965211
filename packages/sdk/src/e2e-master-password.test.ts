// An item a Passwork client encrypted with its master password (the master-password scheme of E2E
// vaults, ADR 0026) through the SDK: the plain reveal hands back the client's ciphertext marked
// `e2eScheme: "master-password"`, never a plaintext; createE2e's reveal says that only the Passwork
// client opens it instead of misreading it as a secret of another kind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { adminToken, createUser, type Harness, startHarness } from '../../server/test/harness.ts';
import { passworkEncryptedItem } from '../../server/test/passwork.ts';
import { createClient } from './client.ts';
import { createE2e } from './e2e.ts';

describe('SDK and a Passwork client-encrypted item [sqlite]', () => {
  let h: Harness;
  let client: ReturnType<typeof createClient>;
  let itemId: string;
  const plain = `mp-plain-${randomBytes(6).toString('hex')}`;

  before(async () => {
    h = await startHarness('sqlite');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const admin = await adminToken(h);
    const u = await createUser(h, admin, 'password_administrator');
    client = createClient({ baseUrl: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/`, token: u.token });
    itemId = (await passworkEncryptedItem(h, u, { vaultName: 'MP', itemName: 'x', plain })).itemId;
  });
  after(async () => h?.close());

  it('reveals the ciphertext, marked; createE2e refuses it with a clear error', async () => {
    const { secret } = await client.secrets.get(itemId);
    assert.equal(secret.e2eScheme, 'master-password');
    const r = await client.secrets.reveal(itemId);
    assert.equal(r.e2eScheme, 'master-password');
    assert.ok(!JSON.stringify(r).includes(plain));
    const k = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: 'a@example.com' }],
      format: 'armored',
    });
    const e2e = createE2e(client, await openpgp.readPrivateKey({ armoredKey: k.privateKey }));
    await assert.rejects(e2e.reveal(itemId), /encrypted by a Passwork client with its master password/);
  });
});
