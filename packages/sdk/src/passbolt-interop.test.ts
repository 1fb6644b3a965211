// The SDK and Passbolt's clients on the same E2E secrets (ADR 0025 "Resources"), both dialects: a
// secret the SDK made in an E2E vault is listed (its vault as a top-level folder) and decrypted by a
// Passbolt client; resources a Passbolt client wrote (password-string: the bare password;
// password-and-description: JSON with `description`) are read by the SDK as `{password, notes}`;
// a resource the SDK shares keeps its plaintext format for the new reader.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RESOURCE_TYPES } from '../../server/src/apis/passbolt/resource-types.ts';
import { adminToken, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { assertEnvelope, decryptWith, encryptFor, passboltUser, pb } from '../../server/test/passbolt.ts';
import { createClient } from './client.ts';
import { createE2e, fieldsOfPlaintext, unlockKey } from './e2e.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;

for (const dialect of dialects) {
  describe(`SDK and Passbolt clients on the same secrets [${dialect}]`, () => {
    let h: Harness;
    let alice: PbUser;
    let bob: PbUser;
    let sdkOf: (u: PbUser) => Promise<{ client: ReturnType<typeof createClient>; e2e: ReturnType<typeof createE2e> }>;

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/`;
      const admin = await adminToken(h);
      alice = await passboltUser(h, admin);
      bob = await passboltUser(h, admin);
      sdkOf = async (u) => {
        const client = createClient({ baseUrl, token: u.token });
        const { privateKey } = await unlockKey(u.key.armoredPrivate, '');
        return { client, e2e: createE2e(client, privateKey) };
      };
    });
    after(async () => h?.close());

    it('reads what the other side wrote', async () => {
      const a = await sdkOf(alice);
      // the SDK writes in an E2E vault of its own: Passbolt shows the vault as a top-level folder
      const vault = await a.client.vaults.create({ name: `team-${dialect}`, encryption: 'e2e' });
      const native = await a.e2e.create(
        { vaultId: vault.id, template: 'web-login', name: 'db', fields: { username: 'root' } },
        { password: 'n-pw', notes: 'n-notes' },
      );
      const list = await pb(h, 'GET', '/resources.json?contain[secret]=1', { token: alice.pbToken });
      assertEnvelope(list, 200);
      const r = list.body.body.find((x: { name: string }) => x.name === 'db');
      assert.ok(r, list.raw);
      assert.equal(r.username, 'root');
      assert.equal(r.resource_type_id, RESOURCE_TYPES[1]?.id);
      assert.match(r.folder_parent_id, /^[0-9a-f-]{36}$/);
      assert.equal(JSON.parse(await decryptWith(r.secrets[0].data, alice.key.priv, alice.key.pub)).password, 'n-pw');

      // Passbolt writes a bare password and a JSON with a description: the SDK reads both as fields
      const bare = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'bare',
          resource_type_id: RESOURCE_TYPES[0]?.id,
          secrets: [{ data: await encryptFor('raw-pw', [alice.key.pub], alice.key.priv) }],
        },
      });
      assertEnvelope(bare, 200);
      const json = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'described',
          resource_type_id: RESOURCE_TYPES[1]?.id,
          secrets: [{ data: await encryptFor('{"password":"d-pw","description":"d-notes"}', [alice.key.pub], alice.key.priv) }],
        },
      });
      assertEnvelope(json, 200);
      const found = await a.client.secrets.search({ q: 'bare' });
      const bareId = found.items.find((s) => s.name === 'bare')?.id as string;
      assert.equal(found.items.find((s) => s.name === 'bare')?.valueFormat, 'password-string');
      assert.deepEqual((await a.e2e.reveal(bareId)).values, { password: 'raw-pw' });
      const descId = (await a.client.secrets.search({ q: 'described' })).items.find((s) => s.name === 'described')?.id as string;
      assert.deepEqual((await a.e2e.reveal(descId)).values, { password: 'd-pw', notes: 'd-notes' });

      // the SDK shares the bare-password resource: bob's message is the bare password too
      await a.e2e.share(bareId, bob.username, 'reveal');
      const bobSees = await pb(h, 'GET', `/secrets/resource/${bare.body.body.id}.json`, { token: bob.pbToken });
      assertEnvelope(bobSees, 200);
      assert.equal(await decryptWith(bobSees.body.body.data, bob.key.priv, alice.key.pub), 'raw-pw');
      // an SDK update writes the JSON of the fields: the resource reads as password-and-description
      await a.e2e.update(native.id, {}, { password: 'n-pw-2' });
      const again = await pb(h, 'GET', `/resources/${r.id}.json`, { token: alice.pbToken });
      assert.equal(again.body.body.resource_type_id, RESOURCE_TYPES[1]?.id);
    });

    it('reads a plaintext that is no JSON object as the password, and `description` as notes', () => {
      assert.deepEqual(fieldsOfPlaintext('just-a-password'), { password: 'just-a-password' });
      assert.deepEqual(fieldsOfPlaintext('"quoted"'), { password: '"quoted"' });
      assert.deepEqual(fieldsOfPlaintext('[1]'), { password: '[1]' });
      assert.deepEqual(fieldsOfPlaintext('{"password":"p","description":"d"}'), { password: 'p', notes: 'd' });
      assert.deepEqual(fieldsOfPlaintext('{"password":"p","notes":"n"}'), { password: 'p', notes: 'n' });
      assert.deepEqual(fieldsOfPlaintext('{"totp":{"secret_key":"K","digits":6}}'), { totp: '{"secret_key":"K","digits":6}' });
    });
  });
}
