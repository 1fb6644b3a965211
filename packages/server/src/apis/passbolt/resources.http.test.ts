// Passbolt resources, secrets and resource types over real HTTP on both dialects, with real
// OpenPGP keys: create as Passbolt's clients do (encrypted for oneself, signed), list and read back,
// decrypt; update with new secrets; delete then 404; another user sees nothing of it (404 alike for
// unknown and forbidden); v1 and v2 shapes; bad input answers a 4xx envelope, never a 5xx; the
// audit names via passbolt.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, decryptWith, encryptFor, passboltUser, pb, pbKey, pbLogin } from '../../../test/passbolt.ts';
import { numberOfUuid } from './ids.ts';
import { RESOURCE_TYPES } from './resource-types.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;
const STRING_TYPE = RESOURCE_TYPES[0]?.id as string;
const DESC_TYPE = RESOURCE_TYPES[1]?.id as string;

for (const dialect of dialects) {
  describe(`Passbolt resources [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: PbUser;
    let bob: PbUser;

    const add = async (u: PbUser, body: Record<string, unknown>, plaintext = 'pw-1') =>
      pb(h, 'POST', '/resources.json', {
        token: u.pbToken,
        body: { secrets: [{ data: await encryptFor(plaintext, [u.key.pub], u.key.priv) }], ...body },
      });

    before(async () => {
      h = await startHarness(dialect, { config: { passboltVault: 'PB Items' } });
      admin = await adminToken(h);
      alice = await passboltUser(h, admin);
      bob = await passboltUser(h, admin);
    });
    after(async () => h?.close());

    it('lists the four resource types with a JSON-string definition, one by id, and 404s an unknown one', async () => {
      const r = await pb(h, 'GET', '/resource-types.json', { token: alice.pbToken });
      assertEnvelope(r, 200);
      assert.deepEqual(
        r.body.body.map((t: { slug: string }) => t.slug),
        ['password-string', 'password-and-description', 'totp', 'password-description-totp'],
      );
      for (const t of r.body.body) {
        const def = JSON.parse(t.definition);
        assert.ok(def.resource && def.secret, t.slug);
        assert.match(t.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      }
      const one = await pb(h, 'GET', `/resource-types/${DESC_TYPE}.json?api-version=v1`, { token: alice.pbToken });
      assertEnvelope(one, 200);
      assert.equal(one.body.body.ResourceType.slug, 'password-and-description');
      assert.match(one.body.body.ResourceType.created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assertEnvelope(await pb(h, 'GET', '/resource-types/00000000-0000-4000-8000-0000000fffff.json', { token: alice.pbToken }), 404);
      assertEnvelope(await pb(h, 'GET', '/resource-types/nope.json', { token: alice.pbToken }), 400);
      assertEnvelope(await pb(h, 'GET', '/resource-types.json'), 403);
    });

    it('creates a personal resource, lists and reads it, and hands out the secret to decrypt', async () => {
      const r = await add(alice, {
        name: 'apache',
        username: 'www-data',
        uri: 'https://apache.org',
        description: 'web',
        resource_type_id: STRING_TYPE,
      });
      assertEnvelope(r, 200);
      assert.equal(r.body.header.message, 'The resource has been added successfully.');
      const res = r.body.body;
      assert.match(res.id, /^[0-9a-f-]{36}$/);
      assert.equal(res.name, 'apache');
      assert.equal(res.username, 'www-data');
      assert.equal(res.uri, 'https://apache.org');
      assert.equal(res.description, 'web');
      assert.equal(res.resource_type_id, STRING_TYPE);
      assert.equal(res.folder_parent_id, null);
      assert.equal(res.personal, true);
      assert.equal(res.deleted, false);
      assert.equal(res.permission.type, 15);
      assert.match(res.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      const aliceUuid = res.created_by;
      assert.equal(res.modified_by, aliceUuid);
      assert.equal(res.creator.username, alice.username);

      const list = await pb(h, 'GET', '/resources.json?contain[secret]=1&contain[permission]=1&contain[creator]=1', {
        token: alice.pbToken,
      });
      assertEnvelope(list, 200);
      const mine = list.body.body.find((x: { id: string }) => x.id === res.id);
      assert.ok(mine, list.raw);
      assert.equal(mine.secrets.length, 1);
      assert.equal(await decryptWith(mine.secrets[0].data, alice.key.priv, alice.key.pub), 'pw-1');
      assert.equal(mine.secrets[0].user_id, aliceUuid);
      assert.equal(mine.secrets[0].resource_id, res.id);

      const one = await pb(h, 'GET', `/resources/${res.id}.json`, { token: alice.pbToken });
      assertEnvelope(one, 200);
      assert.equal(one.body.body.name, 'apache');
      const sec = await pb(h, 'GET', `/secrets/resource/${res.id}.json`, { token: alice.pbToken });
      assertEnvelope(sec, 200);
      assert.equal(await decryptWith(sec.body.body.data, alice.key.priv, alice.key.pub), 'pw-1');
      assert.equal(sec.body.body.resource_id, res.id);
      assert.match(sec.body.body.id, /^[0-9a-f-]{36}$/);

      // the vault was made on first need, end-to-end encrypted, personal items, no grant on it
      const v = await h.database.db.selectFrom('vaults').selectAll().where('name', '=', 'PB Items').executeTakeFirstOrThrow();
      assert.equal(v.encryption, 'e2e');
      assert.equal(v.items_owned_by_creator, 1);
      const grants = await h.database.db.selectFrom('grants').select('id').where('node_id', '=', v.id).execute();
      assert.equal(grants.length, 0);
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'via'])
        .where('action', 'in', ['secret.create', 'secret.reveal'])
        .where('actor_id', '=', alice.id)
        .execute();
      assert.ok(audit.some((a) => a.action === 'secret.create' && a.via === 'passbolt'));
      assert.ok(audit.some((a) => a.action === 'secret.reveal' && a.via === 'passbolt'));
    });

    it('answers v1 with model-wrapped objects and v1 dates, and takes a v1 body', async () => {
      const data = await encryptFor('v1-pw', [alice.key.pub], alice.key.priv);
      const r = await pb(h, 'POST', '/resources.json?api-version=v1', {
        token: alice.pbToken,
        body: { Resource: { name: 'v1 item', uri: 'bower.io' }, Secret: [{ data }] },
      });
      assertEnvelope(r, 200);
      assert.equal(r.body.body.Resource.name, 'v1 item');
      assert.match(r.body.body.Resource.created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.equal(r.body.body.Permission.type, 15);
      const list = await pb(h, 'GET', '/resources.json?api-version=v1&contain[secret]=1', { token: alice.pbToken });
      const item = list.body.body.find((x: { Resource: { id: string } }) => x.Resource.id === r.body.body.Resource.id);
      assert.equal(await decryptWith(item.Secret[0].data, alice.key.priv, alice.key.pub), 'v1-pw');
      const sec = await pb(h, 'GET', `/secrets/resource/${r.body.body.Resource.id}.json?api-version=v1`, { token: alice.pbToken });
      assert.equal(await decryptWith(sec.body.body.Secret.data, alice.key.priv, alice.key.pub), 'v1-pw');
    });

    it('updates metadata and the secret, then deletes; the resource is gone (404)', async () => {
      const r = await add(alice, { name: 'to change' });
      const id = r.body.body.id;
      const meta = await pb(h, 'PUT', `/resources/${id}.json`, { token: alice.pbToken, body: { name: 'changed', username: 'root' } });
      assertEnvelope(meta, 200);
      assert.equal(meta.body.header.message, 'The resource has been updated successfully.');
      assert.equal(meta.body.body.name, 'changed');
      assert.equal(meta.body.body.username, 'root');
      const data = await encryptFor('{"password":"new","description":"d"}', [alice.key.pub], alice.key.priv);
      const me = meta.body.body.created_by;
      const val = await pb(h, 'PUT', `/resources/${id}.json`, {
        token: alice.pbToken,
        body: { name: 'changed', resource_type_id: DESC_TYPE, secrets: [{ user_id: me, data }] },
      });
      assertEnvelope(val, 200);
      assert.equal(val.body.body.resource_type_id, DESC_TYPE);
      const sec = await pb(h, 'GET', `/secrets/resource/${id}.json`, { token: alice.pbToken });
      assert.equal(await decryptWith(sec.body.body.data, alice.key.priv, alice.key.pub), '{"password":"new","description":"d"}');
      const del = await pb(h, 'DELETE', `/resources/${id}.json`, { token: alice.pbToken });
      assertEnvelope(del, 200);
      assert.equal(del.body.header.message, 'The resource has been deleted successfully.');
      assertEnvelope(await pb(h, 'GET', `/resources/${id}.json`, { token: alice.pbToken }), 404);
      assertEnvelope(await pb(h, 'GET', `/secrets/resource/${id}.json`, { token: alice.pbToken }), 404);
    });

    it('shows nothing of a personal resource to another user: 404 as for an unknown one', async () => {
      const r = await add(alice, { name: 'alice only' });
      const id = r.body.body.id;
      const list = await pb(h, 'GET', '/resources.json', { token: bob.pbToken });
      assertEnvelope(list, 200);
      assert.ok(!list.body.body.some((x: { id: string }) => x.id === id));
      const unknown = '00000000-0000-4000-8000-00000fffffff';
      for (const path of [`/resources/${id}.json`, `/secrets/resource/${id}.json`, `/resources/${unknown}.json`]) {
        const a = await pb(h, 'GET', path, { token: bob.pbToken });
        assertEnvelope(a, 404);
      }
      const upd = await pb(h, 'PUT', `/resources/${id}.json`, { token: bob.pbToken, body: { name: 'mine now' } });
      assertEnvelope(upd, 404);
      const del = await pb(h, 'DELETE', `/resources/${id}.json`, { token: bob.pbToken });
      assertEnvelope(del, 404);
      const still = await pb(h, 'GET', `/resources/${id}.json`, { token: alice.pbToken });
      assert.equal(still.body.body.name, 'alice only');
    });

    it('writes a resource for every reader of a shared place, and filters by a group that may read it', async () => {
      const g = await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: `readers-${dialect}` } });
      assert.equal(g.status, 201, g.raw);
      assert.equal((await call(h, 'PUT', `/api/v1/groups/${g.body.id}/members/${bob.id}`, { token: admin })).status < 300, true);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: alice.token, body: { name: `Shared ${dialect}`, encryption: 'e2e' } });
      const grant = await call(h, 'POST', '/api/v1/grants', {
        token: alice.token,
        body: { nodeId: v.body.id, principalType: 'group', principalId: g.body.id, level: 'reveal' },
      });
      assert.equal(grant.status, 201, grant.raw);
      const folders = await pb(h, 'GET', '/folders.json', { token: alice.pbToken });
      const shared = folders.body.body.find((f: { name: string }) => f.name === `Shared ${dialect}`);
      const bobUuid = await h.coffer.services.numbering.numberOf(h.database.db, 'user', bob.id);
      const bobId = `00000000-0000-4000-8000-${bobUuid.toString(16).padStart(12, '0')}`;
      // only the writer's message: bob, a reader through the group, is named as missing
      const mine = await encryptFor('team-pw', [alice.key.pub], alice.key.priv);
      const short = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'team', folder_parent_id: shared.id, secrets: [{ data: mine }] },
      });
      assertEnvelope(short, 400);
      assert.match(JSON.stringify(short.body.body.secrets), new RegExp(bobId));
      const both = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'team',
          folder_parent_id: shared.id,
          secrets: [{ data: mine }, { user_id: bobId, data: await encryptFor('team-pw', [bob.key.pub], alice.key.priv) }],
        },
      });
      assertEnvelope(both, 200);
      assert.equal(both.body.body.personal, false);
      assert.equal(both.body.body.folder_parent_id, shared.id);
      const groupUuid = `00000000-0000-4000-8000-${(await h.coffer.services.numbering.numberOf(h.database.db, 'group', g.body.id)).toString(16).padStart(12, '0')}`;
      const byGroup = await pb(h, 'GET', `/resources.json?filter[is-shared-with-group]=${groupUuid}`, { token: alice.pbToken });
      assert.deepEqual(
        byGroup.body.body.map((x: { name: string }) => x.name),
        ['team'],
      );
      const bobSees = await pb(h, 'GET', '/resources.json?contain[secret]=1', { token: bob.pbToken });
      const item = bobSees.body.body.find((x: { id: string }) => x.id === both.body.body.id);
      assert.equal(item.permission, undefined);
      assert.equal(await decryptWith(item.secrets[0].data, bob.key.priv, alice.key.pub), 'team-pw');
    });

    it("lists none of another's personal resources to an all-passwords administrator (no reader, no resource)", async () => {
      const r = (await add(alice, { name: 'not for the admin' })).body.body;
      const email = `allpw${Math.random().toString(36).slice(2, 7)}@example.com`;
      const boss = await createUser(h, admin, 'administrator', { email, allPasswords: true });
      const key = await pbKey(email);
      assert.equal((await call(h, 'PUT', '/api/v1/me/openpgp-key', { token: boss.token, body: { armoredKey: key.pub } })).status, 200);
      const token = await pbLogin(h, { id: boss.id, key });
      // natively the scope shows the metadata; the Passbolt API lists what one can decrypt
      const native = await call(
        h,
        'GET',
        `/api/v1/secrets/${(await h.coffer.services.numbering.idOf(h.database.db, 'secret', numberOfUuid(r.id) as number)) as string}`,
        { token: boss.token },
      );
      assert.equal(native.status, 200, native.raw);
      assert.ok(['reveal', 'edit', 'manage'].includes(native.body.myLevel), native.raw);
      const list = await pb(h, 'GET', '/resources.json', { token });
      assert.ok(!list.body.body.some((x: { id: string }) => x.id === r.id));
      assertEnvelope(await pb(h, 'GET', `/resources/${r.id}.json`, { token }), 404);
      assertEnvelope(await pb(h, 'GET', `/secrets/resource/${r.id}.json`, { token }), 404);
    });

    it('refuses bad input with a 4xx validation envelope, never a 5xx', async () => {
      const noName = await pb(h, 'POST', '/resources.json', { token: alice.pbToken, body: { secrets: [{ data: 'x' }] } });
      assertEnvelope(noName, 400);
      assert.equal(noName.body.body.name._required, 'A name is required.');
      assert.equal(noName.body.header.message, 'Could not validate resource data.');
      const noSecret = await pb(h, 'POST', '/resources.json', { token: alice.pbToken, body: { name: 'x' } });
      assertEnvelope(noSecret, 400);
      assert.equal(noSecret.body.body.secrets._required, 'A secret is required.');
      const garbage = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'x', secrets: [{ data: '-----BEGIN PGP MESSAGE-----\n\ngarbage\n-----END PGP MESSAGE-----' }] },
      });
      assertEnvelope(garbage, 400);
      assert.ok(garbage.body.body.secrets.isValidOpenPGPMessage, garbage.raw);
      const forBob = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'x', secrets: [{ data: await encryptFor('p', [bob.key.pub], alice.key.priv) }] },
      });
      assertEnvelope(forBob, 400);
      assert.ok(forBob.body.body.secrets.isValidOpenPGPMessage, forBob.raw);
      const bobUuid = (
        await pb(h, 'POST', '/resources.json', {
          token: bob.pbToken,
          body: { name: 'b', secrets: [{ data: await encryptFor('p', [bob.key.pub], bob.key.priv) }] },
        })
      ).body.body.created_by;
      const toOther = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'x', secrets: [{ user_id: bobUuid, data: await encryptFor('p', [bob.key.pub], alice.key.priv) }] },
      });
      assertEnvelope(toOther, 400);
      assert.match(JSON.stringify(toOther.body.body.secrets), new RegExp(bobUuid));
      assert.doesNotMatch(toOther.raw, /usr_/);
      const twice = await encryptFor('p', [alice.key.pub], alice.key.priv);
      const dup = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'x', secrets: [{ data: twice }, { data: twice }] },
      });
      assertEnvelope(dup, 400);
      assert.ok(dup.body.body.secrets, dup.raw);
      const cases: unknown[] = [
        { name: 42, secrets: 'nope' },
        { name: ['a'], secrets: [{ data: 'x' }] },
        { name: 'x'.repeat(256), secrets: [{ data: 'x' }] },
        { name: 'x', uri: 'u'.repeat(1025), secrets: [{ data: 'x' }] },
        { name: 'x', resource_type_id: 'not-a-uuid', secrets: [{ data: 'x' }] },
        { name: 'x', resource_type_id: '00000000-0000-4000-8000-000000000001', secrets: [{ data: 'x' }] },
        { name: 'x', folder_parent_id: 'zzz', secrets: [{ data: 'x' }] },
        { name: 'x', folder_parent_id: '00000000-0000-4000-8000-0000000fffff', secrets: [{ data: 'x' }] },
        { name: 'x', secrets: [{ user_id: 'bad', data: '-----BEGIN PGP MESSAGE-----' }] },
        { name: 'x', secrets: [42] },
        { Resource: 'x' },
        [1, 2],
      ];
      for (const body of cases) {
        const r = await pb(h, 'POST', '/resources.json', { token: alice.pbToken, body });
        assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(body).slice(0, 80)} -> ${r.status} ${r.raw.slice(0, 300)}`);
        assert.equal(r.body.header.status, 'error');
      }
      for (const path of ['/resources/not-a-uuid.json', '/secrets/resource/not-a-uuid.json']) {
        const r = await pb(h, 'GET', path, { token: alice.pbToken });
        assertEnvelope(r, 400);
      }
      const badPut = await pb(h, 'PUT', `/resources/${bobUuid}.json`, { token: alice.pbToken, body: { name: 'x' } });
      assert.ok(badPut.status === 400 || badPut.status === 404, badPut.raw);
      const natives = await call(h, 'GET', '/api/v1/secrets', { token: alice.token });
      assert.equal(natives.status, 200);
    });
  });
}
