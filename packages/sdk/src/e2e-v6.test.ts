// OpenPGP v6 keys (RFC 9580) in E2E vaults through the SDK, on both dialects: a user whose key is
// v6 (Ed25519/X25519, AEAD: version 6 session-key packets and SEIPDv2 data) and a user whose key is
// v4 (Curve25519 legacy) read and share one secret; the server checks each message against its
// reader's registered key whatever the packet versions (a v6 message for another key refused).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { createClient } from './client.ts';
import { createE2e } from './e2e.ts';

async function v6Key(email: string) {
  const k = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name: 'V6', email }],
    format: 'armored',
    config: { v6Keys: true, aeadProtect: true },
  });
  return { priv: await openpgp.readPrivateKey({ armoredKey: k.privateKey }), pub: k.publicKey };
}

async function v4Key(email: string) {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email }], format: 'armored' });
  return { priv: await openpgp.readPrivateKey({ armoredKey: k.privateKey }), pub: k.publicKey };
}

for (const dialect of dialects) {
  describe(`SDK E2E with OpenPGP v6 keys [${dialect}]`, () => {
    let h: Harness;
    const people: Array<{
      id: string;
      username: string;
      token: string;
      client: ReturnType<typeof createClient>;
      e2e: ReturnType<typeof createE2e>;
      key: { priv: openpgp.PrivateKey; pub: string };
    }> = [];

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/`;
      const admin = await adminToken(h);
      for (const make of [v6Key, v4Key]) {
        const email = `v6-${Math.random().toString(36).slice(2, 7)}@example.com`;
        const u = await createUser(h, admin, 'password_user', { email });
        const client = createClient({ baseUrl, token: u.token });
        const key = await make(email);
        const reg = await client.openpgp.register(key.pub);
        assert.equal(reg.fingerprint, key.priv.getFingerprint());
        people.push({ id: u.id, username: u.username, token: u.token, client, e2e: createE2e(client, key.priv), key });
      }
    });
    after(async () => h?.close());

    it('registers a v6 key with its 64-hex fingerprint and reads its own SEIPDv2 message', async () => {
      const [six] = people as [(typeof people)[0]];
      assert.equal(six.key.priv.keyPacket.version, 6);
      assert.match(six.key.priv.getFingerprint(), /^[0-9a-f]{64}$/);
      const vault = await six.client.vaults.create({ name: `v6-${dialect}`, encryption: 'e2e' });
      const s = await six.e2e.create(
        { vaultId: vault.id, template: 'web-login', name: 'v6 db', fields: { username: 'root' } },
        { password: 'v6-pw' },
      );
      // what the server keeps is a version 6 session key packet and a version 2 encrypted data packet
      const row = await h.database.db
        .selectFrom('secret_messages')
        .select('message')
        .where('secret_id', '=', s.id)
        .executeTakeFirstOrThrow();
      const packets = [...(await openpgp.readMessage({ armoredMessage: row.message })).packets] as unknown as Array<{ version: number }>;
      assert.deepEqual(
        packets.map((p) => p.version),
        [6, 2],
      );
      assert.deepEqual((await six.e2e.reveal(s.id)).values, { password: 'v6-pw' });
    });

    it('shares between a v6 and a v4 key both ways, and refuses a v6 message for another key', async () => {
      const [six, four] = people as [(typeof people)[0], (typeof people)[0]];
      const vault = await four.client.vaults.create({ name: `v4-${dialect}`, encryption: 'e2e' });
      const s = await four.e2e.create(
        { vaultId: vault.id, template: 'web-login', name: 'mixed', fields: { username: 'u' } },
        { password: 'mixed-pw' },
      );
      await four.e2e.share(s.id, six.username, 'reveal');
      assert.deepEqual((await six.e2e.reveal(s.id)).values, { password: 'mixed-pw' });
      const mine = await six.client.vaults.create({ name: `v6b-${dialect}`, encryption: 'e2e' });
      const t = await six.e2e.create({ vaultId: mine.id, template: 'web-login', name: 'from v6', fields: {} }, { password: 'from-six' });
      await six.e2e.share(t.id, four.username, 'reveal');
      assert.deepEqual((await four.e2e.reveal(t.id)).values, { password: 'from-six' });
      // a SEIPDv2 message encrypted to the v4 user's key, labelled as the v6 user's: refused
      const forFour = (await openpgp.encrypt({
        message: await openpgp.createMessage({ text: '{"password":"x"}' }),
        encryptionKeys: await openpgp.readKey({ armoredKey: four.key.pub }),
        signingKeys: six.key.priv,
        config: { aeadProtect: true },
      })) as string;
      const r = await call(h, 'PUT', `/api/v1/secrets/${t.id}/messages`, {
        token: six.token,
        body: { messages: [{ userId: six.id, message: forFour }] },
      });
      assert.equal(r.status, 400, r.raw);
      assert.equal(r.body.error.code, 'secret.e2e_message_invalid');
    });
  });
}
