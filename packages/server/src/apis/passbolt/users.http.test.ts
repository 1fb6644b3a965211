// Passbolt's user directory on both dialects: the user object (profile, gpgkey from the registered
// key, role) in v2 and v1, the index filters, the native visibility (a Password User sees only
// themself), the keys and the roles; bad input answers a 4xx envelope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, passboltUser, pb, pbKey, pbLogin } from '../../../test/passbolt.ts';
import { createPassboltIds } from './ids.ts';
import { ROLES } from './present-user.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;
const V2_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;
const V1_DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

for (const dialect of dialects) {
  describe(`Passbolt users [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let root: PbUser;
    let alice: PbUser;
    let bob: PbUser;
    let uuid: (id: string) => Promise<string>;
    before(async () => {
      h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      admin = await adminToken(h);
      root = await passboltUser(h, admin, 'administrator');
      alice = await passboltUser(h, admin, 'password_administrator');
      bob = await passboltUser(h, admin, 'password_user');
      const ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
      uuid = (id) => ids.uuidOf('user', id);
    });
    after(async () => h?.close());

    it('answers /users/me.json with profile, gpgkey from the registered key and role', async () => {
      const r = await pb(h, 'GET', '/users/me.json', { token: bob.pbToken });
      assertEnvelope(r, 200);
      const u = r.body.body;
      assert.equal(u.id, await uuid(bob.id));
      assert.equal(u.username, bob.email);
      assert.equal(u.active, true);
      assert.equal(u.deleted, false);
      assert.equal(u.disabled, null);
      assert.match(u.created, V2_DATE);
      assert.equal(u.profile.user_id, u.id);
      assert.equal(typeof u.profile.first_name, 'string');
      assert.equal(u.gpgkey.user_id, u.id);
      assert.equal(u.gpgkey.fingerprint, bob.key.fingerprint);
      assert.equal(u.gpgkey.key_id, bob.key.fingerprint.slice(-8));
      assert.match(u.gpgkey.uid, new RegExp(`<${bob.email}>`));
      assert.match(u.gpgkey.armored_key, /BEGIN PGP PUBLIC KEY BLOCK/);
      assert.equal(u.role.name, 'user');
      assert.equal(u.role_id, u.role.id);
      const a = await pb(h, 'GET', '/users/me.json', { token: root.pbToken });
      assert.equal(a.body.body.role.name, 'admin');
      // v1 wraps by model, dates without the T
      const v1 = await pb(h, 'GET', '/users/me.json?api-version=v1', { token: bob.pbToken });
      assertEnvelope(v1, 200);
      assert.equal(v1.body.body.User.id, u.id);
      assert.match(v1.body.body.User.created, V1_DATE);
      assert.equal(v1.body.body.Gpgkey.fingerprint, bob.key.fingerprint);
      assert.equal(v1.body.body.Profile.user_id, u.id);
    });

    it('lists the directory to whoever may read it, with the filters', async () => {
      const all = await pb(h, 'GET', '/users.json', { token: alice.pbToken });
      assertEnvelope(all, 200);
      const names = all.body.body.map((u: { username: string }) => u.username);
      for (const u of [root, alice, bob]) assert.ok(names.includes(u.email), names.join());
      assert.ok(all.body.body.every((u: { gpgkey?: unknown; role?: unknown }) => 'gpgkey' in u && !('role' in u)));
      const search = await pb(h, 'GET', `/users.json?filter[search]=${bob.email.slice(0, 6)}&contain[role]=1`, { token: alice.pbToken });
      assert.deepEqual(
        search.body.body.map((u: { username: string }) => u.username),
        [bob.email],
      );
      assert.equal(search.body.body[0].role.name, 'user');
      const admins = await pb(h, 'GET', '/users.json?filter[is-admin]=1', { token: alice.pbToken });
      assert.ok(admins.body.body.some((u: { username: string }) => u.username === root.email));
      assert.ok(!admins.body.body.some((u: { username: string }) => u.username === bob.email));
      const noKey = await pb(h, 'GET', '/users.json?contain[gpgkey]=0', { token: alice.pbToken });
      assert.ok(noKey.body.body.every((u: object) => !('gpgkey' in u)));
    });

    it('shows a Password User themself only, as natively, and refuses others', async () => {
      const r = await pb(h, 'GET', '/users.json', { token: bob.pbToken });
      assertEnvelope(r, 200);
      assert.deepEqual(
        r.body.body.map((u: { id: string }) => u.id),
        [await uuid(bob.id)],
      );
      const other = await pb(h, 'GET', `/users/${await uuid(alice.id)}.json`, { token: bob.pbToken });
      assertEnvelope(other, 403);
      const keys = await pb(h, 'GET', '/gpgkeys.json', { token: bob.pbToken });
      assertEnvelope(keys, 200);
      assert.deepEqual(
        keys.body.body.map((k: { fingerprint: string }) => k.fingerprint),
        [bob.key.fingerprint],
      );
    });

    it('answers a user, a key and the roles by id; bad ids answer 4xx envelopes', async () => {
      const r = await pb(h, 'GET', `/users/${await uuid(bob.id)}.json`, { token: alice.pbToken });
      assertEnvelope(r, 200);
      assert.equal(r.body.body.username, bob.email);
      const key = await pb(h, 'GET', `/gpgkeys/${r.body.body.gpgkey.id}.json`, { token: alice.pbToken });
      assertEnvelope(key, 200);
      assert.equal(key.body.body.fingerprint, bob.key.fingerprint);
      assertEnvelope(await pb(h, 'GET', '/users/not-a-uuid.json', { token: alice.pbToken }), 400);
      assertEnvelope(await pb(h, 'GET', '/users/00000000-0000-4000-8000-0000000fffff.json', { token: alice.pbToken }), 404);
      assertEnvelope(await pb(h, 'GET', '/gpgkeys/00000000-0000-4000-8000-0000000fffff.json', { token: alice.pbToken }), 404);
      assertEnvelope(await pb(h, 'GET', '/users.json?filter[has-groups][]=nope', { token: alice.pbToken }), 400);
      assertEnvelope(await pb(h, 'GET', '/gpgkeys.json?filter[modified-after]=yesterday', { token: alice.pbToken }), 400);
      const later = await pb(h, 'GET', `/gpgkeys.json?filter[modified-after]=${Math.floor(Date.now() / 1000) + 3600}`, {
        token: alice.pbToken,
      });
      assert.deepEqual(later.body.body, []);
      const roles = await pb(h, 'GET', '/roles.json', { token: bob.pbToken });
      assertEnvelope(roles, 200);
      assert.deepEqual(roles.body.body.map((x: { name: string }) => x.name).sort(), ['admin', 'user']);
      const anon = await pb(h, 'GET', '/users.json');
      assertEnvelope(anon, 403);
    });
    const invite = async (token: string, email: string, role: string = ROLES.user.id) =>
      pb(h, 'POST', '/users.json', { token, body: { username: email, profile: { first_name: 'Ann', last_name: 'Lee' }, role_id: role } });
    const complete = (uuid: string, token: string, armored_key: string) =>
      pb(h, 'POST', `/setup/complete/${uuid}.json`, {
        body: { authenticationtoken: { token }, gpgkey: { armored_key }, user: { locale: 'en-UK' } },
      });

    it('invites a user who completes the setup with their key, once, and then signs in by key', async () => {
      const email = `ann${Math.random().toString(36).slice(2, 8)}@example.com`;
      const r = await invite(root.pbToken, email);
      assertEnvelope(r, 200);
      assert.equal(r.body.header.message, 'The user was successfully added. This user now need to complete the setup.');
      const u = r.body.body;
      assert.equal(u.username, email);
      assert.equal(u.profile.first_name, 'Ann');
      assert.equal(u.role.name, 'user');
      assert.equal(u.gpgkey, null);
      assert.match(u.setup.token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(u.setup.url, `/setup/install/${u.id}/${u.setup.token}`);
      // the link's holder sees whom they set up
      const install = await pb(h, 'GET', `/setup/install/${u.id}/${u.setup.token}.json`);
      assertEnvelope(install, 200);
      assert.equal(install.body.body.user.username, email);
      assert.equal(install.body.body.user.profile.last_name, 'Lee');
      assertEnvelope(await pb(h, 'GET', `/setup/install/${u.id}/00000000-0000-4000-8000-000000000000.json`), 400);
      const key = await pbKey(email);
      // a key for another address, a wrong token, bad input: refused, nothing registered
      assertEnvelope(await complete(u.id, u.setup.token, (await pbKey('someone@else.example')).pub), 400);
      const wrong = await complete(u.id, '00000000-0000-4000-8000-000000000000', key.pub);
      assertEnvelope(wrong, 400);
      assert.ok(wrong.body.body.authenticationtoken);
      assertEnvelope(await complete(u.id, u.setup.token, key.armoredPrivate), 400);
      assertEnvelope(await pb(h, 'POST', `/setup/complete/${u.id}.json`, { body: { authenticationtoken: 'x' } }), 400);
      assertEnvelope(await complete('nope', u.setup.token, key.pub), 400);
      const done = await complete(u.id, u.setup.token, key.pub);
      assertEnvelope(done, 200);
      // replayed: refused, the key stays
      assertEnvelope(await complete(u.id, u.setup.token, (await pbKey(email)).pub), 400);
      assertEnvelope(await pb(h, 'GET', `/setup/install/${u.id}/${u.setup.token}.json`), 400);
      const ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
      const id = (await ids.idOf('user', u.id)) as string;
      const token = await pbLogin(h, { id, key });
      const me = await pb(h, 'GET', '/users/me.json', { token });
      assertEnvelope(me, 200);
      assert.equal(me.body.body.gpgkey.fingerprint, key.fingerprint);
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'via'])
        .where('action', '=', 'user.setup_complete')
        .where('object_id', '=', id)
        .execute();
      assert.equal(audit.filter((a) => a.outcome === 'success').length, 1);
      assert.ok(audit.length >= 5 && audit.every((a) => a.via === 'passbolt'));
      assert.doesNotMatch(
        JSON.stringify(await h.database.db.selectFrom('audit_log').select('details').execute()),
        new RegExp(u.setup.token),
      );
      // nor in the logs (the install link's path is redacted, the bodies too)
      assert.doesNotMatch(h.logs(), new RegExp(u.setup.token));
      assert.match(h.logs(), /setup\/install\/[0-9a-f-]+\/\[redacted\]/);
    });

    it('refuses an expired setup token, and user creation by a non-administrator', async () => {
      const email = `old${Math.random().toString(36).slice(2, 8)}@example.com`;
      const r = await invite(root.pbToken, email);
      assertEnvelope(r, 200);
      const ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
      const id = (await ids.idOf('user', r.body.body.id)) as string;
      await h.database.db
        .updateTable('users')
        .set({ created_at: Date.now() - 8 * 86_400_000 })
        .where('id', '=', id)
        .execute();
      assertEnvelope(await complete(r.body.body.id, r.body.body.setup.token, (await pbKey(email)).pub), 400);
      for (const u of [alice, bob]) assertEnvelope(await invite(u.pbToken, `x${Math.random().toString(36).slice(2, 8)}@example.com`), 403);
      assertEnvelope(await invite(root.pbToken, 'not-an-address'), 400);
      assertEnvelope(await invite(root.pbToken, `r${Math.random().toString(36).slice(2, 8)}@example.com`, 'nope'), 400);
      assertEnvelope(await invite(root.pbToken, email), 409);
      assertEnvelope(await pb(h, 'POST', '/users.json', { token: root.pbToken, body: '[1]' }), 400);
    });

    it('updates names and role by an administrator and deletes a user', async () => {
      const carol = await passboltUser(h, admin);
      const id = await uuid(carol.id);
      const up = await pb(h, 'PUT', `/users/${id}.json`, {
        token: root.pbToken,
        body: { profile: { first_name: 'Carol', last_name: 'King' }, role_id: ROLES.user.id },
      });
      assertEnvelope(up, 200);
      assert.equal(up.body.header.message, 'The user has been updated successfully.');
      assert.equal(up.body.body.profile.last_name, 'King');
      assert.equal(up.body.body.role.name, 'user');
      // making an administrator needs a second administrator's approval (dual control): filed
      const promote = await pb(h, 'PUT', `/users/${id}.json`, { token: root.pbToken, body: { role_id: ROLES.admin.id } });
      assertEnvelope(promote, 202);
      assert.match(promote.body.header.message, /admin request adm_/);
      const still = await pb(h, 'GET', `/users/${id}.json`, { token: root.pbToken });
      assert.equal(still.body.body.role.name, 'user');
      assertEnvelope(await pb(h, 'PUT', `/users/${id}.json`, { token: bob.pbToken, body: { profile: { first_name: 'X' } } }), 403);
      assertEnvelope(await pb(h, 'PUT', `/users/${id}.json`, { token: root.pbToken, body: { profile: { first_name: 'a\nb' } } }), 400);
      assertEnvelope(await pb(h, 'DELETE', `/users/${id}.json`, { token: alice.pbToken }), 403);
      const del = await pb(h, 'DELETE', `/users/${id}.json`, { token: root.pbToken });
      assertEnvelope(del, 200);
      assert.equal(del.body.header.message, 'The user has been deleted successfully.');
      assertEnvelope(await pb(h, 'GET', `/users/${id}.json`, { token: root.pbToken }), 404);
      assertEnvelope(await pb(h, 'DELETE', '/users/nope.json', { token: root.pbToken }), 400);
    });
  });
}
