// Passbolt folders, moves, favourites and the resource filters over real HTTP on both dialects:
// a folder made at the root is its creator's (personal, invisible to others); resources in it list
// with `filter[has-parent]` and `contain[children_resources]`; moving a resource into a folder and
// a folder into another; an E2E vault shows as a top-level folder and a server-encrypted one does
// not; favourites mark, filter and unmark; others' folders and favourites are 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, encryptFor, passboltUser, pb } from '../../../test/passbolt.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;

for (const dialect of dialects) {
  describe(`Passbolt folders and favourites [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: PbUser;
    let bob: PbUser;

    const add = async (u: PbUser, body: Record<string, unknown>) => {
      const r = await pb(h, 'POST', '/resources.json', {
        token: u.pbToken,
        body: { secrets: [{ data: await encryptFor('pw', [u.key.pub], u.key.priv) }], ...body },
      });
      assertEnvelope(r, 200);
      return r.body.body as { id: string; folder_parent_id: string | null };
    };
    const folder = async (u: PbUser, body: Record<string, unknown>) => {
      const r = await pb(h, 'POST', '/folders.json', { token: u.pbToken, body });
      assertEnvelope(r, 200);
      return r.body.body as { id: string; name: string; folder_parent_id: string | null; personal: boolean };
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      alice = await passboltUser(h, admin);
      bob = await passboltUser(h, admin);
    });
    after(async () => h?.close());

    it('creates a personal folder at the root, nests one, lists them; others see nothing', async () => {
      const top = await folder(alice, { name: 'Work' });
      assert.equal(top.folder_parent_id, null);
      assert.equal(top.personal, true);
      const sub = await folder(alice, { name: 'DB', folder_parent_id: top.id });
      assert.equal(sub.folder_parent_id, top.id);
      const list = await pb(h, 'GET', '/folders.json?contain[permission]=1', { token: alice.pbToken });
      assertEnvelope(list, 200);
      const names = list.body.body.map((f: { name: string }) => f.name);
      assert.ok(names.includes('Work') && names.includes('DB'), list.raw);
      assert.equal(list.body.body.find((f: { name: string }) => f.name === 'Work').permission.type, 15);
      const kids = await pb(h, 'GET', `/folders.json?filter[has-parent][]=${top.id}`, { token: alice.pbToken });
      assert.deepEqual(
        kids.body.body.map((f: { name: string }) => f.name),
        ['DB'],
      );
      const v1 = await pb(h, 'GET', `/folders/${top.id}.json?api-version=v1&contain[children_folders]=1`, { token: alice.pbToken });
      assertEnvelope(v1, 200);
      assert.equal(v1.body.body.Folder.name, 'Work');
      assert.equal(v1.body.body.ChildrenFolder[0].Folder.name, 'DB');
      assert.match(v1.body.body.ChildrenFolder[0].Folder.created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      const v2 = await pb(h, 'GET', `/folders/${top.id}.json?contain[children_folders]=1`, { token: alice.pbToken });
      assert.deepEqual(
        v2.body.body.children_folders.map((f: { name: string }) => f.name),
        ['DB'],
      );
      // bob: not listed, not readable, not usable as a parent
      const bobList = await pb(h, 'GET', '/folders.json', { token: bob.pbToken });
      assert.ok(!bobList.body.body.some((f: { id: string }) => f.id === top.id));
      assertEnvelope(await pb(h, 'GET', `/folders/${top.id}.json`, { token: bob.pbToken }), 404);
      const into = await pb(h, 'POST', '/resources.json', {
        token: bob.pbToken,
        body: { name: 'x', folder_parent_id: top.id, secrets: [{ data: await encryptFor('p', [bob.key.pub], bob.key.priv) }] },
      });
      assertEnvelope(into, 400);
      assert.ok(into.body.body.folder_parent_id, into.raw);
      assertEnvelope(await pb(h, 'PUT', `/folders/${top.id}.json`, { token: bob.pbToken, body: { name: 'mine' } }), 404);
      assertEnvelope(await pb(h, 'DELETE', `/folders/${top.id}.json`, { token: bob.pbToken }), 404);
      // rename, then delete with its content
      const ren = await pb(h, 'PUT', `/folders/${sub.id}.json`, { token: alice.pbToken, body: { name: 'Databases' } });
      assertEnvelope(ren, 200);
      assert.equal(ren.body.body.name, 'Databases');
      assertEnvelope(await pb(h, 'POST', '/folders.json', { token: alice.pbToken, body: {} }), 400);
    });

    it('puts resources in folders, lists them by parent and as children, and moves them', async () => {
      const f = await folder(alice, { name: 'Infra' });
      const inF = await add(alice, { name: 'in infra', folder_parent_id: f.id });
      assert.equal(inF.folder_parent_id, f.id);
      const atRoot = await add(alice, { name: 'at root' });
      const byParent = await pb(h, 'GET', `/resources.json?filter[has-parent][]=${f.id}`, { token: alice.pbToken });
      assert.deepEqual(
        byParent.body.body.map((r: { name: string }) => r.name),
        ['in infra'],
      );
      const withKids = await pb(h, 'GET', `/folders/${f.id}.json?contain[children_resources]=1`, { token: alice.pbToken });
      assert.deepEqual(
        withKids.body.body.children_resources.map((r: { name: string }) => r.name),
        ['in infra'],
      );
      const mv = await pb(h, 'PUT', `/move/resource/${atRoot.id}.json`, { token: alice.pbToken, body: { folder_parent_id: f.id } });
      assertEnvelope(mv, 200);
      const after1 = await pb(h, 'GET', `/resources/${atRoot.id}.json`, { token: alice.pbToken });
      assert.equal(after1.body.body.folder_parent_id, f.id);
      const back = await pb(h, 'PUT', `/move/resource/${atRoot.id}.json`, { token: alice.pbToken, body: { folder_parent_id: null } });
      assertEnvelope(back, 200);
      assert.equal((await pb(h, 'GET', `/resources/${atRoot.id}.json`, { token: alice.pbToken })).body.body.folder_parent_id, null);
      // a folder into another, and back to the root
      const g = await folder(alice, { name: 'Outer' });
      assertEnvelope(await pb(h, 'PUT', `/move/folder/${f.id}.json`, { token: alice.pbToken, body: { folder_parent_id: g.id } }), 200);
      assert.equal((await pb(h, 'GET', `/folders/${f.id}.json`, { token: alice.pbToken })).body.body.folder_parent_id, g.id);
      assertEnvelope(await pb(h, 'PUT', `/move/folder/${f.id}.json`, { token: alice.pbToken, body: { folder_parent_id: null } }), 200);
      assert.equal((await pb(h, 'GET', `/folders/${f.id}.json`, { token: alice.pbToken })).body.body.folder_parent_id, null);
      // bob cannot move alice's resource, nor into alice's folder
      assertEnvelope(await pb(h, 'PUT', `/move/resource/${atRoot.id}.json`, { token: bob.pbToken, body: { folder_parent_id: null } }), 404);
      const bobs = await add(bob, { name: 'bobs' });
      const bad = await pb(h, 'PUT', `/move/resource/${bobs.id}.json`, { token: bob.pbToken, body: { folder_parent_id: f.id } });
      assertEnvelope(bad, 400);
      // delete needs cascade when not empty
      assertEnvelope(await pb(h, 'DELETE', `/folders/${f.id}.json`, { token: alice.pbToken }), 409);
      assertEnvelope(await pb(h, 'DELETE', `/folders/${f.id}.json?cascade=1`, { token: alice.pbToken }), 200);
      assertEnvelope(await pb(h, 'GET', `/resources/${inF.id}.json`, { token: alice.pbToken }), 404);
    });

    it('shows other E2E vaults as top-level folders, never server-encrypted ones', async () => {
      const e2e = await call(h, 'POST', '/api/v1/vaults', { token: alice.token, body: { name: `Team ${dialect}`, encryption: 'e2e' } });
      const plain = await call(h, 'POST', '/api/v1/vaults', { token: alice.token, body: { name: `Plain ${dialect}` } });
      assert.equal(e2e.status, 201, e2e.raw);
      const list = await pb(h, 'GET', '/folders.json', { token: alice.pbToken });
      const names = list.body.body.map((f: { name: string }) => f.name);
      assert.ok(names.includes(`Team ${dialect}`), list.raw);
      assert.ok(!names.includes(`Plain ${dialect}`));
      const team = list.body.body.find((f: { name: string }) => f.name === `Team ${dialect}`);
      assert.equal(team.folder_parent_id, null);
      const r = await add(alice, { name: 'team item', folder_parent_id: team.id });
      assert.equal(r.folder_parent_id, team.id);
      const sub = await folder(alice, { name: 'Sub', folder_parent_id: team.id });
      assert.equal(sub.folder_parent_id, team.id);
      const plainUuid = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'x',
          folder_parent_id: `00000000-0000-4000-8000-${(await h.coffer.services.numbering.numberOf(h.database.db, 'vault', plain.body.id)).toString(16).padStart(12, '0')}`,
          secrets: [{ data: 'x' }],
        },
      });
      assertEnvelope(plainUuid, 400);
    });

    it('marks, filters and unmarks favourites; another user cannot remove one', async () => {
      const r = await add(alice, { name: 'fav me' });
      const other = await add(alice, { name: 'not fav' });
      const fav = await pb(h, 'POST', `/favorites/resource/${r.id}.json`, { token: alice.pbToken });
      assertEnvelope(fav, 200);
      assert.equal(fav.body.body.foreign_key, r.id);
      assert.equal(fav.body.body.foreign_model, 'Resource');
      const only = await pb(h, 'GET', '/resources.json?filter[is-favorite]=1&contain[favorite]=1', { token: alice.pbToken });
      assert.deepEqual(
        only.body.body.map((x: { name: string }) => x.name),
        ['fav me'],
      );
      assert.equal(only.body.body[0].favorite.id, fav.body.body.id);
      const byId = await pb(h, 'GET', `/resources.json?filter[has-id][]=${other.id}&filter[has-id][]=${r.id}`, { token: alice.pbToken });
      assert.equal(byId.body.body.length, 2);
      const search = await pb(h, 'GET', '/resources.json?filter[search]=fav%20me', { token: alice.pbToken });
      assert.deepEqual(
        search.body.body.map((x: { name: string }) => x.name),
        ['fav me'],
      );
      assertEnvelope(await pb(h, 'POST', `/favorites/resource/${r.id}.json`, { token: bob.pbToken }), 404);
      assertEnvelope(await pb(h, 'DELETE', `/favorites/${fav.body.body.id}.json`, { token: bob.pbToken }), 404);
      assertEnvelope(await pb(h, 'DELETE', `/favorites/${fav.body.body.id}.json`, { token: alice.pbToken }), 200);
      assertEnvelope(await pb(h, 'DELETE', `/favorites/${fav.body.body.id}.json`, { token: alice.pbToken }), 404);
      assertEnvelope(await pb(h, 'DELETE', '/favorites/nope.json', { token: alice.pbToken }), 400);
      const none = await pb(h, 'GET', '/resources.json?filter[is-favorite]=1', { token: alice.pbToken });
      assert.equal(none.body.body.length, 0);
    });
  });
}
