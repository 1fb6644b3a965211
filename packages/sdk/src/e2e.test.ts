// The SDK's E2E layer against a real server on an ephemeral port, on both dialects: keys made and
// registered, a value encrypted for every reader on create and update, decrypted and checked against
// the writer's key on reveal, re-encrypted for a new reader on share and for a reader added through a
// vault grant; a message signed by someone else than its writer is refused (signature spoofing).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { adminToken, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { createClient } from './client.ts';
import { createE2e, decryptMessage, E2eError, generateKeyPair, unlockKey } from './e2e.ts';

for (const dialect of dialects) {
  describe(`SDK E2E [${dialect}]`, () => {
    let h: Harness;
    let baseUrl: string;
    const people: Array<{
      id: string;
      username: string;
      client: ReturnType<typeof createClient>;
      e2e: ReturnType<typeof createE2e>;
      priv: openpgp.PrivateKey;
    }> = [];

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/`;
      const admin = await adminToken(h);
      for (let i = 0; i < 3; i++) {
        const email = `sdk-e2e-${i}-${Math.random().toString(36).slice(2, 7)}@example.com`;
        const u = await createUser(h, admin, 'password_user', { email });
        const client = createClient({ baseUrl, token: u.token });
        const pair = await generateKeyPair({ email, passphrase: 'a passphrase for the key' });
        const { privateKey, armoredPublic } = await unlockKey(pair.armoredPrivate, 'a passphrase for the key');
        await client.openpgp.register(armoredPublic);
        people.push({ id: u.id, username: u.username, client, e2e: createE2e(client, privateKey), priv: privateKey });
      }
    });
    after(async () => h?.close());

    it('create, reveal, update, share, re-encrypt after a vault grant', async () => {
      const [a, b, c] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
      const server = await a.client.openpgp.serverKey();
      assert.match(server.fingerprint, /^[0-9a-f]{40}$/);
      const vault = await a.client.vaults.create({ name: `sdk-e2e-${dialect}`, encryption: 'e2e' });
      const s = await a.e2e.create(
        { vaultId: vault.id, template: 'web-login', name: 'db', fields: { username: 'root' } },
        { password: 'pw-1' },
      );
      assert.equal(s.e2e, true);
      assert.deepEqual((await a.e2e.reveal(s.id)).values, { password: 'pw-1' });
      await a.e2e.update(s.id, { name: 'db2' }, { password: 'pw-2' });
      assert.deepEqual((await a.e2e.reveal(s.id)).values, { password: 'pw-2' });
      await a.e2e.share(s.id, b.username, 'reveal');
      assert.deepEqual((await b.e2e.reveal(s.id)).values, { password: 'pw-2' });
      // carol reaches the secret through a vault grant: no message for her until someone re-encrypts
      await a.client.grants.create({ nodeId: vault.id, principalType: 'user', principalId: c.id, level: 'reveal' });
      await assert.rejects(c.e2e.reveal(s.id), (e: { code?: string }) => e.code === 'secret.e2e_no_message');
      const readers = await a.e2e.reencrypt(s.id);
      assert.ok(readers.items.every((r) => r.hasMessage));
      assert.deepEqual((await c.e2e.reveal(s.id)).values, { password: 'pw-2' });
    });

    it("refuses a message whose signature is not the writer's", async () => {
      const [a, b] = people as [(typeof people)[0], (typeof people)[0]];
      const aPub = a.priv.toPublic().armor();
      // b encrypts for a and signs with b's key, but claims a wrote it
      const spoofed = (await openpgp.encrypt({
        message: await openpgp.createMessage({ text: JSON.stringify({ password: 'spoofed' }) }),
        encryptionKeys: await openpgp.readKey({ armoredKey: aPub }),
        signingKeys: b.priv,
      })) as string;
      await assert.rejects(decryptMessage(spoofed, a.priv, aPub), E2eError);
      // and an unsigned one
      const unsigned = (await openpgp.encrypt({
        message: await openpgp.createMessage({ text: '{}' }),
        encryptionKeys: await openpgp.readKey({ armoredKey: aPub }),
      })) as string;
      await assert.rejects(decryptMessage(unsigned, a.priv, aPub), E2eError);
      // the genuine one passes
      const genuine = (await openpgp.encrypt({
        message: await openpgp.createMessage({ text: JSON.stringify({ password: 'x' }) }),
        encryptionKeys: await openpgp.readKey({ armoredKey: aPub }),
        signingKeys: b.priv,
      })) as string;
      assert.deepEqual(await decryptMessage(genuine, a.priv, b.priv.toPublic().armor()), { password: 'x' });
    });
  });
}
