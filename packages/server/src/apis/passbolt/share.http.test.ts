// Passbolt's permissions and sharing over E2E secrets, on both dialects, with real keys: the
// permissions of a resource, the simulation (who gains and loses access), the search for people to
// share with, a share that gives a new reader their message (they decrypt it; a third user gets
// 404), refused without it (naming the user), by a non-owner, or leaving no owner; inherited
// permissions are changed where they are made; removing a reader marks the secret for rotation;
// audited via 'passbolt'; bad input answers a 4xx envelope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, decryptWith, e2eResource, encryptFor, passboltUser, pb } from '../../../test/passbolt.ts';
import { createPassboltIds, type PassboltIds } from './ids.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;
interface Perm {
  id: string;
  aro: string;
  aro_foreign_key: string;
  aco_foreign_key: string;
  type: number;
}

for (const dialect of dialects) {
  describe(`Passbolt share [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: PbUser;
    let bob: PbUser;
    let carol: PbUser;
    let ids: PassboltIds;
    const text = JSON.stringify({ password: 'pb-share-canary-81d2' });
    const reveal = (u: PbUser, secretId: string) => call(h, 'POST', `/api/v1/secrets/${secretId}/reveal`, { token: u.token, body: {} });
    const perms = async (u: PbUser, resource: string): Promise<Perm[]> => {
      const r = await pb(h, 'GET', `/permissions/resource/${resource}.json`, { token: u.pbToken });
      assertEnvelope(r, 200);
      return r.body.body;
    };
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      alice = await passboltUser(h, admin);
      bob = await passboltUser(h, admin);
      carol = await passboltUser(h, admin);
      ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
    });
    after(async () => h?.close());

    it('shares with a new reader who decrypts their message; exactly the readers read it', async () => {
      const r = await e2eResource(h, alice, text);
      const bobId = await ids.uuidOf('user', bob.id);
      const before0 = await perms(alice, r.resource);
      assert.deepEqual(
        before0.map((p) => [p.aro, p.aro_foreign_key, p.type]),
        [['User', await ids.uuidOf('user', alice.id), 15]],
      );
      assert.equal(before0[0]?.aco_foreign_key, r.resource);
      const add = { permissions: [{ is_new: true, aro: 'User', aro_foreign_key: bobId, aco: 'Resource', type: 1 }] };
      const sim = await pb(h, 'POST', `/share/simulate/resource/${r.resource}.json`, { token: alice.pbToken, body: add });
      assertEnvelope(sim, 200);
      assert.deepEqual(sim.body.body.changes, { added: [{ User: { id: bobId } }], removed: [] });
      // a Password User finds bob by exact name, with his key to encrypt for
      const aros = await pb(h, 'GET', `/share/search-aros.json?filter[search]=${bob.username}`, { token: alice.pbToken });
      assertEnvelope(aros, 200);
      assert.equal(aros.body.body.length, 1);
      assert.equal(aros.body.body[0].id, bobId);
      assert.equal(aros.body.body[0].gpgkey.fingerprint, bob.key.fingerprint);
      const partial = await pb(h, 'GET', `/share/search-aros.json?filter[search]=${bob.username.slice(0, 5)}`, { token: alice.pbToken });
      assert.deepEqual(partial.body.body, []);
      // no message for bob: refused, naming him
      const noMsg = await pb(h, 'PUT', `/share/resource/${r.resource}.json`, { token: alice.pbToken, body: add });
      assertEnvelope(noMsg, 400);
      assert.match(JSON.stringify(noMsg.body.body.secrets), new RegExp(bobId));
      assert.equal((await reveal(bob, r.secretId)).status, 404);
      const data = await encryptFor(text, [bob.key.pub], alice.key.priv);
      const ok = await pb(h, 'PUT', `/share/resource/${r.resource}.json`, {
        token: alice.pbToken,
        body: { ...add, secrets: [{ user_id: bobId, data }] },
      });
      assertEnvelope(ok, 200);
      assert.equal(ok.body.header.message, 'The resource has been shared successfully.');
      const rb = await reveal(bob, r.secretId);
      assert.equal(rb.status, 200, rb.raw);
      assert.equal(await decryptWith(rb.body.e2e.message, bob.key.priv, alice.key.pub), text);
      assert.equal((await reveal(carol, r.secretId)).status, 404);
      const after1 = await perms(alice, r.resource);
      assert.deepEqual(after1.map((p) => p.type).sort(), [1, 15]);
      // bob sees his own permission only
      const bobsOwn = await perms(bob, r.resource);
      assert.deepEqual(
        bobsOwn.map((p) => [p.aro_foreign_key, p.type]),
        [[bobId, 1]],
      );
      // and the resource's contain[permission] is that same permission, by the same id (a client
      // may take it from either place for a later share)
      for (const [u, list] of [
        [bob, bobsOwn],
        [alice, after1],
      ] as const) {
        const res = await pb(h, 'GET', `/resources/${r.resource}.json?contain[permission]=1`, { token: u.pbToken });
        assertEnvelope(res, 200);
        const p = res.body.body.permission;
        const listed = list.find((x) => x.id === p.id);
        assert.ok(listed, `${p.id} is in the permission list`);
        assert.deepEqual([p.aro, p.aro_foreign_key, p.type], [listed.aro, listed.aro_foreign_key, listed.type]);
      }
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'via', 'details'])
        .where('action', '=', 'secret.share')
        .where('object_id', '=', r.secretId)
        .execute();
      assert.deepEqual(
        audit.map((a) => [a.outcome, a.via]),
        [
          ['failure', 'passbolt'],
          ['success', 'passbolt'],
        ],
      );
      assert.doesNotMatch(JSON.stringify(audit), /pb-share-canary|PGP MESSAGE/);
      // carol cannot see the permissions of a resource she cannot see
      assertEnvelope(await pb(h, 'GET', `/permissions/resource/${r.resource}.json`, { token: carol.pbToken }), 404);
    });

    it('refuses a share by a non-owner: 403 for a reader, 404 for whoever cannot see it', async () => {
      const r = await e2eResource(h, alice, text);
      const bobId = await ids.uuidOf('user', bob.id);
      const carolId = await ids.uuidOf('user', carol.id);
      await pb(h, 'PUT', `/share/resource/${r.resource}.json`, {
        token: alice.pbToken,
        body: {
          permissions: [{ is_new: true, aro: 'User', aro_foreign_key: bobId, type: 7 }],
          secrets: [{ user_id: bobId, data: await encryptFor(text, [bob.key.pub], alice.key.priv) }],
        },
      });
      const give = (token: string) =>
        pb(h, 'PUT', `/share/resource/${r.resource}.json`, {
          token,
          body: { permissions: [{ is_new: true, aro: 'User', aro_foreign_key: carolId, type: 1 }] },
        });
      assertEnvelope(await give(bob.pbToken), 403);
      assertEnvelope(await give(carol.pbToken), 404);
      assertEnvelope(
        await pb(h, 'POST', `/share/simulate/resource/${r.resource}.json`, { token: bob.pbToken, body: { permissions: [] } }),
        403,
      );
      assert.equal((await reveal(carol, r.secretId)).status, 404);
    });

    it('updates and removes permissions; keeps an owner; inherited ones change where they are made', async () => {
      const r = await e2eResource(h, alice, text);
      const [bobId, carolId] = [await ids.uuidOf('user', bob.id), await ids.uuidOf('user', carol.id)];
      const share = (u: PbUser, body: unknown) => pb(h, 'PUT', `/share/resource/${r.resource}.json`, { token: u.pbToken, body });
      assertEnvelope(
        await share(alice, {
          permissions: [
            { is_new: true, aro: 'User', aro_foreign_key: bobId, type: 15 },
            { is_new: true, aro: 'User', aro_foreign_key: carolId, type: 1 },
          ],
          secrets: [
            { user_id: bobId, data: await encryptFor(text, [bob.key.pub], alice.key.priv) },
            { user_id: carolId, data: await encryptFor(text, [carol.key.pub], alice.key.priv) },
          ],
        }),
        200,
      );
      assert.equal((await reveal(carol, r.secretId)).status, 200);
      const list = await perms(alice, r.resource);
      const of = (uuid: string) => list.find((p) => p.aro_foreign_key === uuid) as Perm;
      // alice's permission comes from the vault: bob (owner of the secret) cannot change it here
      const inherited = await share(bob, { permissions: [{ id: of(await ids.uuidOf('user', alice.id)).id, delete: true }] });
      assertEnvelope(inherited, 400);
      assert.match(JSON.stringify(inherited.body.body), /inherited/);
      // simulate carol's removal, then remove her: she loses access, the secret needs a new value
      const sim = await pb(h, 'POST', `/share/simulate/resource/${r.resource}.json`, {
        token: bob.pbToken,
        body: { permissions: [{ id: of(carolId).id, delete: true }] },
      });
      assert.deepEqual(sim.body.body.changes, { added: [], removed: [{ User: { id: carolId } }] });
      assertEnvelope(await share(bob, { permissions: [{ id: of(carolId).id, delete: true }] }), 200);
      assert.equal((await reveal(carol, r.secretId)).status, 404);
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${r.secretId}`, { token: alice.token })).body.rotationRequired, true);
      // alice leaves the vault: bob is the last owner, and stays one
      const grants = await call(h, 'GET', `/api/v1/grants?nodeId=${r.vaultId}`, { token: alice.token });
      assert.equal(grants.status, 200, grants.raw);
      for (const g of grants.body.items)
        assert.equal((await call(h, 'DELETE', `/api/v1/grants/${g.id}`, { token: alice.token })).status, 204);
      const last = await share(bob, { permissions: [{ id: of(bobId).id, delete: true }] });
      assertEnvelope(last, 400);
      assert.match(JSON.stringify(last.body.body), /at least one owner/);
      assertEnvelope(await share(bob, { permissions: [{ id: of(bobId).id, type: 7 }] }), 400);
      assert.deepEqual(
        (await perms(bob, r.resource)).map((p) => [p.aro_foreign_key, p.type]),
        [[bobId, 15]],
      );
    });

    it('answers bad input with a 4xx envelope, never a 5xx', async () => {
      const r = await e2eResource(h, alice, text);
      const bobId = await ids.uuidOf('user', bob.id);
      const bad = async (body: unknown, status = 400) =>
        assertEnvelope(await pb(h, 'PUT', `/share/resource/${r.resource}.json`, { token: alice.pbToken, body }), status);
      await bad({ permissions: 'all' });
      await bad({ permissions: [{ is_new: true, aro: 'User', aro_foreign_key: bobId, type: 3 }] });
      await bad({ permissions: [{ is_new: true, aro: 'Robot', aro_foreign_key: bobId, type: 1 }] });
      await bad({ permissions: [{ is_new: true, aro: 'User', aro_foreign_key: 'nope', type: 1 }] });
      await bad({ permissions: [{ is_new: true, aro: 'User', aro_foreign_key: '00000000-0000-4000-8000-0000000fffff', type: 1 }] });
      await bad({ permissions: [{ id: '00000000-0000-4000-8000-0000000fffff', delete: true }] });
      await bad({ permissions: [], secrets: [{ user_id: bobId, data: 'not a message' }] });
      await bad({
        permissions: [{ is_new: true, aro: 'User', aro_foreign_key: bobId, type: 1 }],
        secrets: [{ user_id: bobId, data: 'x' }],
      });
      await bad([1, 2]);
      assertEnvelope(await pb(h, 'PUT', '/share/resource/nope.json', { token: alice.pbToken, body: {} }), 400);
      assertEnvelope(
        await pb(h, 'PUT', '/share/resource/00000000-0000-4000-8000-0000000fffff.json', { token: alice.pbToken, body: {} }),
        404,
      );
      assertEnvelope(await pb(h, 'GET', '/permissions/resource/nope.json', { token: alice.pbToken }), 400);
      assert.equal((await reveal(bob, r.secretId)).status, 404);
    });
  });
}
