// Secret Server folders and templates (seed 003, python-tss-sdk), over real HTTP on both
// dialects: a Coffer vault is a top folder; get (getAllChildren), by path, search, lookup, create,
// update, delete with the seed's shapes; templates with stable ids, their fields, a generated
// password as a JSON string.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { num, ss, ssTree, ssUser } from '../../../test/secretserver.ts';
import { BUILTIN_TEMPLATE_IDS } from './template-ids.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed answers
type Json = any;

const FOLDER_KEYS = [
  'id',
  'folderName',
  'folderPath',
  'parentFolderId',
  'folderTypeId',
  'secretPolicyId',
  'inheritSecretPolicy',
  'inheritPermissions',
  'childFolders',
  'secretTemplates',
];

function assertError(r: { status: number; body: Json; raw: string }) {
  assert.equal(r.status, 400, r.raw);
  assert.equal(typeof r.body.errorCode, 'string');
  assert.equal(typeof r.body.message, 'string');
}

for (const dialect of dialects) {
  describe(`Secret Server folders and templates [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let u: Awaited<ReturnType<typeof ssUser>>;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      u = await ssUser(h, admin);
    });
    after(async () => h.close());

    it('create: parentFolderId -1 makes a vault (a top folder), a parent id a folder in it; the seed shape comes back', async () => {
      const top = await ss(h, 'POST', '/folders', u.ss, { folderName: 'Flex_API_Testing', folderTypeId: 1, parentFolderId: -1 });
      assert.equal(top.status, 200, top.raw);
      assert.deepEqual(Object.keys(top.body).sort(), [...FOLDER_KEYS].sort());
      assert.equal(top.body.folderPath, '\\Flex_API_Testing');
      assert.equal(top.body.parentFolderId, -1);
      const vaults = await call(h, 'GET', '/api/v1/vaults', { token: u.token });
      assert.ok(
        vaults.body.items.some((v: Json) => v.name === 'Flex_API_Testing'),
        'a vault natively',
      );
      const group = await ss(h, 'POST', '/folders', u.ss, { folderName: 'Daisy Group', folderTypeId: 1, parentFolderId: top.body.id });
      assert.equal(group.status, 200, group.raw);
      assert.equal(group.body.folderPath, '\\Flex_API_Testing\\Daisy Group');
      assert.equal(group.body.parentFolderId, top.body.id);
      assert.equal(group.body.inheritPermissions, true);
      assert.equal(group.body.inheritSecretPolicy, true);
      const test = await ss(h, 'POST', '/folders', u.ss, { FolderName: 'Test Folder', FolderTypeId: 1, ParentFolderId: group.body.id });
      assert.equal(test.body.folderPath, '\\Flex_API_Testing\\Daisy Group\\Test Folder');
      for (const bad of [
        { folderName: '', parentFolderId: -1 },
        { folderName: 'a/b', parentFolderId: top.body.id },
        { folderName: 'x', parentFolderId: 999999 },
        { folderName: 'Daisy Group', parentFolderId: top.body.id },
        { folderName: ['x'], parentFolderId: -1 },
        { folderName: 'y', parentFolderId: 'abc' },
      ]) {
        assertError(await ss(h, 'POST', '/folders', u.ss, bad));
      }
    });

    it('get: by id, by path (\\ or /), getAllChildren nests the subtree; the lookup and search forms python-tss-sdk uses', async () => {
      const ref = await call(h, 'GET', '/api/v1/lookup/folder?vault=Flex_API_Testing&path=/', { token: u.token });
      const topNum = await num(h, 'vault', ref.body.vaultId);
      const one = await ss(h, 'GET', `/folders/${topNum}`, u.ss);
      assert.equal(one.status, 200, one.raw);
      assert.equal(one.body.childFolders, null);
      const tree = await ss(h, 'GET', `/folders/${topNum}?getAllChildren=true`, u.ss);
      assert.equal(tree.body.childFolders.length, 1);
      assert.equal(tree.body.childFolders[0].folderName, 'Daisy Group');
      assert.equal(tree.body.childFolders[0].childFolders[0].folderName, 'Test Folder');
      const byPath = await ss(
        h,
        'GET',
        `/folders/0?folderPath=${encodeURIComponent('\\Flex_API_Testing\\Daisy Group')}&getAllChildren=true`,
        u.ss,
      );
      assert.equal(byPath.status, 200, byPath.raw);
      assert.equal(byPath.body.folderName, 'Daisy Group');
      const slash = await ss(h, 'GET', `/folders/0?folderPath=${encodeURIComponent('/flex_api_testing/daisy group/test folder')}`, u.ss);
      assert.equal(slash.body.folderName, 'Test Folder');
      assertError(await ss(h, 'GET', `/folders/0?folderPath=${encodeURIComponent('\\Flex_API_Testing\\Nope')}`, u.ss));
      // search by name (folders and vaults alike), sorted by name
      const search = await ss(h, 'GET', '/folders?filter.searchText=Daisy', u.ss);
      assert.equal(search.status, 200, search.raw);
      assert.deepEqual(
        search.body.records.map((f: Json) => f.folderName),
        ['Daisy Group'],
      );
      assert.ok(!('childFolders' in search.body.records[0]));
      const byName = await ss(h, 'GET', '/folders?filter.folderName=test%20folder', u.ss);
      assert.deepEqual(
        byName.body.records.map((f: Json) => f.folderPath),
        ['\\Flex_API_Testing\\Daisy Group\\Test Folder'],
      );
      const roots = await ss(h, 'GET', '/folders?filter.onlyIncludeRootFolders=true', u.ss);
      assert.ok(roots.body.records.every((f: Json) => f.parentFolderId === -1));
      // python-tss-sdk's child ids: lookup with take=1 for the total, then all of them
      const q = `filter.parentFolderId=${topNum}&filter.limitToDirectDescendents=True`;
      const count = await ss(h, 'GET', `/folders/lookup?${q}&take=1`, u.ss);
      assert.equal(count.body.total, 1);
      const children = await ss(h, 'GET', `/folders/lookup?${q}&take=${count.body.total}`, u.ss);
      assert.deepEqual(children.body.records, [{ id: tree.body.childFolders[0].id, value: 'Daisy Group' }]);
      const deep = await ss(h, 'GET', `/folders/lookup?filter.parentFolderId=${topNum}`, u.ss);
      assert.equal(deep.body.total, 2);
    });

    it('update: rename (the seed sends the whole folder back), move, inheritance; delete answers {id, objectType}', async () => {
      const found = await ss(h, 'GET', '/folders?filter.searchText=Test Folder', u.ss);
      const folder = found.body.records[0];
      const renamed = await ss(h, 'PUT', `/folders/${folder.id}`, u.ss, { ...folder, folderName: 'Updated Test Folder' });
      assert.equal(renamed.status, 200, renamed.raw);
      assert.equal(renamed.body.folderPath, '\\Flex_API_Testing\\Daisy Group\\Updated Test Folder');
      const top = (await ss(h, 'GET', '/folders?filter.onlyIncludeRootFolders=true&filter.searchText=Flex', u.ss)).body.records[0];
      const moved = await ss(h, 'PUT', `/folders/${folder.id}`, u.ss, { folderName: 'Updated Test Folder', parentFolderId: top.id });
      assert.equal(moved.status, 200, moved.raw);
      assert.equal(moved.body.folderPath, '\\Flex_API_Testing\\Updated Test Folder');
      assert.equal(moved.body.parentFolderId, top.id);
      const broken = await ss(h, 'PUT', `/folders/${folder.id}`, u.ss, { inheritPermissions: false });
      assert.equal(broken.status, 200, broken.raw);
      assert.equal(broken.body.inheritPermissions, false);
      assertError(await ss(h, 'PUT', `/folders/${folder.id}`, u.ss, { parentFolderId: -1 }));
      const vaultRename = await ss(h, 'PUT', `/folders/${top.id}`, u.ss, { ...top, folderName: 'Flex Renamed' });
      assert.equal(vaultRename.body.folderPath, '\\Flex Renamed');
      const del = await ss(h, 'DELETE', `/folders/${folder.id}`, u.ss);
      assert.equal(del.status, 200, del.raw);
      assert.deepEqual(del.body, { id: folder.id, objectType: 'Folder', responseCodes: [] });
      assertError(await ss(h, 'GET', `/folders/${folder.id}`, u.ss));
      // a folder with secrets is not deleted by this API (Coffer's recursive delete is native only)
      const t = await ssTree(h, admin, u.id);
      await ss(h, 'POST', '/secrets', u.ss, {
        name: 's',
        folderId: t.folderNum,
        secretTemplateId: BUILTIN_TEMPLATE_IDS['secure-note'],
        items: [{ slug: 'notes', itemValue: 'n' }],
      });
      assertError(await ss(h, 'DELETE', `/folders/${t.folderNum}`, u.ss));
    });

    it("folders the caller may not see are absent from search and answer like unknown ids; another user's vault too", async () => {
      const other = await ssUser(h, admin, 'password_user');
      const hiddenTop = (await ss(h, 'GET', '/folders?filter.onlyIncludeRootFolders=true&filter.searchText=Flex', u.ss)).body.records[0];
      assert.equal((await ss(h, 'GET', '/folders?filter.searchText=Flex', other.ss)).body.total, 0);
      const hidden = await ss(h, 'GET', `/folders/${hiddenTop.id}`, other.ss);
      const unknown = await ss(h, 'GET', '/folders/424242', other.ss);
      assertError(hidden);
      assert.deepEqual(hidden.body, unknown.body);
      assert.deepEqual((await ss(h, 'DELETE', `/folders/${hiddenTop.id}`, other.ss)).body, unknown.body);
      assert.deepEqual((await ss(h, 'POST', '/folders', other.ss, { folderName: 'x', parentFolderId: hiddenTop.id })).body, unknown.body);
    });

    it('templates: stable ids for the built-ins, fields with the product names, search; unknown ids answer 400', async () => {
      const list = await ss(h, 'GET', '/secret-templates', u.ss);
      assert.equal(list.status, 200, list.raw);
      const ids = Object.fromEntries(list.body.records.map((r: Json) => [r.name, r.id]));
      assert.equal(ids['Unix account (SSH)'], 9002);
      assert.equal(ids['Web login'], 9001);
      const unix = await ss(h, 'GET', '/secret-templates/9002', u.ss);
      assert.equal(unix.status, 200, unix.raw);
      assert.equal(unix.body.id, 9002);
      assert.equal(unix.body.name, 'Unix account (SSH)');
      const bySlug = Object.fromEntries(unix.body.fields.map((f: Json) => [f.fieldSlugName, f]));
      assert.deepEqual(
        {
          id: bySlug.password.secretTemplateFieldId,
          displayName: bySlug.password.displayName,
          isPassword: bySlug.password.isPassword,
          isFile: bySlug.password.isFile,
          isNotes: bySlug.password.isNotes,
          isRequired: bySlug.password.isRequired,
        },
        { id: 900204, displayName: 'Password', isPassword: true, isFile: false, isNotes: false, isRequired: false },
      );
      assert.equal(bySlug['private-key'].isFile, true);
      assert.equal(bySlug.notes.isNotes, true);
      assert.equal(bySlug.host.isRequired, true);
      const found = await ss(h, 'GET', '/secret-templates?filter.searchText=unix', u.ss);
      assert.deepEqual(
        found.body.records.map((r: Json) => r.id),
        [9002],
      );
      assertError(await ss(h, 'GET', '/secret-templates/6007', u.ss));
      assertError(await ss(h, 'GET', '/secret-templates/abc', u.ss));
      // a custom template gets a number above the built-ins', with its fields
      const custom = await call(h, 'POST', '/api/v1/templates', {
        token: admin,
        body: {
          name: 'Router',
          slug: 'router',
          fields: [
            { name: 'Address', slug: 'address', type: 'text', required: true },
            { name: 'Enable secret', slug: 'enable-secret', type: 'password' },
          ],
        },
      });
      assert.equal(custom.status, 201, custom.raw);
      const again = await ss(h, 'GET', '/secret-templates?filter.searchText=router', u.ss);
      const routerId = again.body.records[0].id as number;
      assert.ok(routerId > 1_000_000);
      const router = await ss(h, 'GET', `/secret-templates/${routerId}`, u.ss);
      assert.deepEqual(
        router.body.fields.map((f: Json) => f.fieldSlugName),
        ['address', 'enable-secret'],
      );
      assert.equal(
        (await ss(h, 'GET', `/secret-templates/${routerId}`, u.ss)).body.fields[1].secretTemplateFieldId,
        router.body.fields[1].secretTemplateFieldId,
      );
    });

    it('generate-password/{fieldId}: a JSON string without " or \\ (tss-sdk-go strips the quotes); an unknown field is 400', async () => {
      for (let i = 0; i < 25; i++) {
        const r = await h.app.inject({
          method: 'POST',
          url: '/SecretServer/api/v1/secret-templates/generate-password/900204',
          headers: { authorization: `Bearer ${u.ss}` },
        });
        assert.equal(r.statusCode, 200, r.body);
        assert.match(r.headers['content-type'] as string, /application\/json/);
        const pw = JSON.parse(r.body) as string;
        assert.equal(typeof pw, 'string');
        assert.ok(pw.length >= 16);
        assert.ok(!/["\\]/.test(pw), pw);
        assert.equal(r.body.slice(1, -1), pw, 'stripping the quotes gives the password');
      }
      assertError(await ss(h, 'POST', '/secret-templates/generate-password/123', u.ss));
    });
  });
}
