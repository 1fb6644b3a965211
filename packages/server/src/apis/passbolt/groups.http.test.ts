// Passbolt's groups on both dialects: index (filters, contains) and view to whoever may read groups
// (none for a Password User), add / update / delete by an administrator, bad input 4xx; an E2E
// resource shared with a group (a message for each member), a member added with their message
// (they decrypt it), one added without (no message until re-encryption), one removed (404).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import {
  assertEnvelope,
  decryptWith,
  e2eResource,
  encryptFor,
  type PbKey,
  passboltUser,
  pb,
  pbKey,
  pbLogin,
} from '../../../test/passbolt.ts';
import { createPassboltIds, type PassboltIds } from './ids.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;

for (const dialect of dialects) {
  describe(`Passbolt groups [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    // the one administrator (dual control stays off), with a key and a Passbolt session
    let root: { id: string; token: string; key: PbKey; pbToken: string };
    let alice: PbUser;
    let bob: PbUser;
    let carol: PbUser;
    let dave: PbUser;
    let ids: PassboltIds;
    const text = JSON.stringify({ password: 'pb-group-canary-5c1e' });
    const u = (x: { id: string }) => ids.uuidOf('user', x.id);
    const reveal = (x: PbUser, secretId: string) => call(h, 'POST', `/api/v1/secrets/${secretId}/reveal`, { token: x.token, body: {} });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
      const me = {
        body: await h.database.db.selectFrom('users').select('id').where('username', '=', ADMIN.username).executeTakeFirstOrThrow(),
      };
      const email = `root${Math.random().toString(36).slice(2, 8)}@example.com`;
      const patch = await call(h, 'PATCH', `/api/v1/users/${me.body.id}`, {
        token: admin,
        body: { email, currentPassword: ADMIN.password },
      });
      assert.equal(patch.status, 200, patch.raw);
      const key = await pbKey(email);
      assert.equal((await call(h, 'PUT', '/api/v1/me/openpgp-key', { token: admin, body: { armoredKey: key.pub } })).status, 200);
      root = { id: me.body.id, token: admin, key, pbToken: await pbLogin(h, { id: me.body.id, key }) };
      alice = await passboltUser(h, admin, 'password_administrator');
      bob = await passboltUser(h, admin);
      carol = await passboltUser(h, admin);
      dave = await passboltUser(h, admin);
    });
    after(async () => h?.close());

    it('adds, lists, shows, renames and deletes groups; readers of groups only', async () => {
      const name = `ops-${dialect}`;
      const add = await pb(h, 'POST', '/groups.json?contain[groups_users]=1', {
        token: root.pbToken,
        body: { name, groups_users: [{ user_id: await u(bob), is_admin: true }] },
      });
      assertEnvelope(add, 200);
      assert.equal(add.body.header.message, 'The group has been added successfully.');
      const g = add.body.body;
      assert.equal(g.name, name);
      assert.deepEqual(
        g.groups_users.map((m: { user_id: string }) => m.user_id),
        [await u(bob)],
      );
      const listed = await pb(
        h,
        'GET',
        `/groups.json?filter[has-users][]=${await u(bob)}&contain[groups_users.user]=1&contain[groups_users]=1`,
        {
          token: alice.pbToken,
        },
      );
      assertEnvelope(listed, 200);
      assert.deepEqual(
        listed.body.body.map((x: { id: string }) => x.id),
        [g.id],
      );
      assert.equal(listed.body.body[0].groups_users[0].user.username, bob.email);
      const none = await pb(h, 'GET', `/groups.json?filter[has-users][]=${await u(carol)}`, { token: alice.pbToken });
      assert.deepEqual(none.body.body, []);
      assert.deepEqual((await pb(h, 'GET', `/groups.json?filter[has-managers][]=${await u(bob)}`, { token: alice.pbToken })).body.body, []);
      // a Password User reads no groups, as natively
      assert.deepEqual((await pb(h, 'GET', '/groups.json', { token: bob.pbToken })).body.body, []);
      assertEnvelope(await pb(h, 'GET', `/groups/${g.id}.json`, { token: bob.pbToken }), 403);
      const v1 = await pb(h, 'GET', `/groups/${g.id}.json?api-version=v1&contain[my_group_user]=1`, { token: alice.pbToken });
      assertEnvelope(v1, 200);
      assert.equal(v1.body.body.Group.name, name);
      assert.match(v1.body.body.Group.created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      // writes: administrators only; bad input 4xx
      assertEnvelope(await pb(h, 'POST', '/groups.json', { token: alice.pbToken, body: { name: 'x' } }), 403);
      assertEnvelope(await pb(h, 'POST', '/groups.json', { token: root.pbToken, body: { name } }), 409);
      assertEnvelope(await pb(h, 'POST', '/groups.json', { token: root.pbToken, body: { name: '' } }), 400);
      assertEnvelope(
        await pb(h, 'POST', '/groups.json', { token: root.pbToken, body: { name: 'y', groups_users: [{ user_id: 'nope' }] } }),
        400,
      );
      assertEnvelope(await pb(h, 'POST', '/groups.json', { token: root.pbToken, body: { name: 'y', groups_users: 'all' } }), 400);
      const ren = await pb(h, 'PUT', `/groups/${g.id}.json`, { token: root.pbToken, body: { name: `${name}-2` } });
      assertEnvelope(ren, 200);
      assert.equal(ren.body.header.message, 'The group has been updated successfully.');
      assert.equal(ren.body.body.name, `${name}-2`);
      const del = await pb(h, 'DELETE', `/groups/${g.id}.json`, { token: root.pbToken });
      assertEnvelope(del, 200);
      assert.equal(del.body.header.message, 'The group was deleted successfully.');
      assertEnvelope(await pb(h, 'GET', `/groups/${g.id}.json`, { token: alice.pbToken }), 404);
      assertEnvelope(await pb(h, 'GET', '/groups/nope.json', { token: alice.pbToken }), 400);
    });

    it('shares a resource with a group; members added with their message read it', async () => {
      const r = await e2eResource(h, root, text);
      const add = await pb(h, 'POST', '/groups.json', {
        token: root.pbToken,
        body: { name: `readers-${dialect}`, groups_users: [{ user_id: await u(bob) }] },
      });
      const gid = add.body.body.id as string;
      const share = (secrets: unknown[]) =>
        pb(h, 'PUT', `/share/resource/${r.resource}.json`, {
          token: root.pbToken,
          body: { permissions: [{ is_new: true, aro: 'Group', aro_foreign_key: gid, type: 1 }], secrets },
        });
      const sim = await pb(h, 'POST', `/share/simulate/resource/${r.resource}.json`, {
        token: root.pbToken,
        body: { permissions: [{ is_new: true, aro: 'Group', aro_foreign_key: gid, type: 1 }] },
      });
      assert.deepEqual(sim.body.body.changes.added, [{ User: { id: await u(bob) } }]);
      const refused = await share([]);
      assertEnvelope(refused, 400);
      assert.match(JSON.stringify(refused.body.body), new RegExp(await u(bob)));
      assertEnvelope(await share([{ user_id: await u(bob), data: await encryptFor(text, [bob.key.pub], root.key.priv) }]), 200);
      const rb = await reveal(bob, r.secretId);
      assert.equal(await decryptWith(rb.body.e2e.message, bob.key.priv, root.key.pub), text);
      // the users who can read it: the owner and the group's member
      const access = await pb(h, 'GET', `/users.json?filter[has-access][]=${r.resource}`, { token: root.pbToken });
      assertEnvelope(access, 200);
      assert.deepEqual(access.body.body.map((x: { id: string }) => x.id).sort(), [await u(root), await u(bob)].sort());
      const perms = await pb(h, 'GET', `/permissions/resource/${r.resource}.json?contain[group]=1`, { token: root.pbToken });
      const gp = perms.body.body.find((p: { aro: string }) => p.aro === 'Group');
      assert.equal(gp.aro_foreign_key, gid);
      assert.equal(gp.group.name, `readers-${dialect}`);
      // v1 wraps each model, the contained ones too
      const v1 = await pb(h, 'GET', `/permissions/resource/${r.resource}.json?api-version=v1&contain[group]=1&contain[user]=1`, {
        token: root.pbToken,
      });
      assertEnvelope(v1, 200);
      const gv1 = v1.body.body.find((p: { Permission: { aro: string } }) => p.Permission.aro === 'Group');
      assert.equal(gv1.Group.Group.name, `readers-${dialect}`);
      const uv1 = v1.body.body.find((p: { Permission: { aro: string } }) => p.Permission.aro === 'User');
      assert.equal(uv1.User.User.id, await u(root));
      const gl = await pb(
        h,
        'GET',
        `/groups/${gid}.json?api-version=v1&contain[groups_users]=1&contain[groups_users.user]=1&contain[my_group_user]=1`,
        {
          token: root.pbToken,
        },
      );
      assertEnvelope(gl, 200);
      assert.equal(gl.body.body.GroupUser[0].user.User.id, await u(bob));
      assert.equal(gl.body.body.MyGroupUser, null);
      // carol joins with her message and reads it; dave joins without one: no message yet
      const upd = await pb(h, 'PUT', `/groups/${gid}.json?contain[groups_users]=1`, {
        token: root.pbToken,
        body: {
          groups_users: [{ user_id: await u(carol) }],
          secrets: [{ resource_id: r.resource, user_id: await u(carol), data: await encryptFor(text, [carol.key.pub], root.key.priv) }],
        },
      });
      assertEnvelope(upd, 200);
      const rc = await reveal(carol, r.secretId);
      assert.equal(rc.status, 200, rc.raw);
      assert.equal(await decryptWith(rc.body.e2e.message, carol.key.priv, root.key.pub), text);
      assert.equal((await reveal(dave, r.secretId)).status, 404);
      const wrong = await pb(h, 'PUT', `/groups/${gid}.json`, {
        token: root.pbToken,
        body: {
          secrets: [{ resource_id: r.resource, user_id: await u(dave), data: await encryptFor(text, [dave.key.pub], root.key.priv) }],
        },
      });
      assertEnvelope(wrong, 400);
      assertEnvelope(
        await pb(h, 'PUT', `/groups/${gid}.json`, { token: root.pbToken, body: { groups_users: [{ user_id: await u(dave) }] } }),
        200,
      );
      const rd = await reveal(dave, r.secretId);
      assert.equal(rd.body.error.code, 'secret.e2e_no_message', rd.raw);
      // bob leaves: he reads no more, and the secret needs a new value
      const members = upd.body.body.groups_users as { id: string; user_id: string }[];
      const bobUuid = await u(bob);
      const mine = members.find((m) => m.user_id === bobUuid) as { id: string };
      assertEnvelope(
        await pb(h, 'PUT', `/groups/${gid}.json`, { token: root.pbToken, body: { groups_users: [{ id: mine.id, delete: true }] } }),
        200,
      );
      assert.equal((await reveal(bob, r.secretId)).status, 404);
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${r.secretId}`, { token: admin })).body.rotationRequired, true);
    });
  });
}
