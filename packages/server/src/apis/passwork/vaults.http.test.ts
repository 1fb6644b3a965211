// Vaults and folders through the Passwork API, as the Go client and terraform provider expect them
// (201 with vaultCreated / vaultUpdated / folderCreated; "Vault <id> deleted"; folderDeleted), the
// JS connector's addVault (GET /vaults/domain first), tags and colours, folder search.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertError, b64, passworkUser, pw } from '../../../test/passwork.ts';

for (const dialect of dialects) {
  describe(`Passwork vaults and folders [${dialect}]`, () => {
    let h: Harness;
    let u: Awaited<ReturnType<typeof passworkUser>>;
    let other: Awaited<ReturnType<typeof passworkUser>>;
    const suffix = randomBytes(3).toString('hex');

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      u = await passworkUser(h, admin);
      other = await passworkUser(h, admin);
    });
    after(async () => h?.close());

    it('adds, renames, reads and deletes a vault as the Go client does', async () => {
      const name = `provider-test-vault-${suffix}`;
      const add = await pw(h, 'POST', '/vaults', {
        token: u.pwToken,
        body: { name, isPrivate: true, passwordHash: 'test123', salt: 'test123', mpCrypted: 'test123' },
      });
      assert.equal(add.status, 201, add.raw);
      assert.equal(add.body.code, 'vaultCreated');
      const id = add.body.data;
      assert.match(id, /^vlt_/);
      const edit = await pw(h, 'PUT', `/vaults/${id}`, { token: u.pwToken, body: { name: `${name}-renamed` } });
      assert.equal(edit.status, 201, edit.raw);
      assert.deepEqual(edit.body, { status: 'success', code: 'vaultUpdated', data: id });
      const get = await pw(h, 'GET', `/vaults/${id}`, { token: u.pwToken });
      assert.equal(get.status, 200);
      assert.equal(get.body.data.id, id);
      assert.equal(get.body.data.name, `${name}-renamed`);
      assert.equal(get.body.data.vaultPasswordCrypted, '', 'clear mode: no key material');
      const list = await pw(h, 'GET', '/vaults/list', { token: u.pwToken });
      assert.ok(list.body.data.some((v: { id: string }) => v.id === id));
      // another user does not see it, and cannot tell it exists
      assertError(await pw(h, 'GET', `/vaults/${id}`, { token: other.pwToken }), 404, 'vaultNull');
      assert.ok(!(await pw(h, 'GET', '/vaults/list', { token: other.pwToken })).body.data.some((v: { id: string }) => v.id === id));
      assertError(await pw(h, 'DELETE', `/vaults/${id}`, { token: other.pwToken }), 404, 'vaultNull');
      const del = await pw(h, 'DELETE', `/vaults/${id}`, { token: u.pwToken });
      assert.equal(del.status, 200, del.raw);
      assert.equal(del.body.data, `Vault ${id} deleted`);
      assertError(await pw(h, 'GET', `/vaults/${id}`, { token: u.pwToken }), 404, 'vaultNull');
    });

    it('adds a vault the JS connector way (domain first, then the clear-mode constants)', async () => {
      const domain = await pw(h, 'GET', '/vaults/domain', { token: u.pwToken });
      assert.equal(domain.status, 200, domain.raw);
      const add = await pw(h, 'POST', '/vaults', {
        token: u.pwToken,
        body: {
          name: `js-${suffix}`,
          salt: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
          mpCrypted: 'YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE',
          passwordHash: 'ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb',
          domainId: domain.body.data.domainId,
        },
      });
      assert.equal(add.status, 201, add.raw);
      assertError(await pw(h, 'POST', '/vaults', { token: u.pwToken, body: { name: `js-${suffix}` } }), 409, 'conflict');
      assertError(await pw(h, 'POST', '/vaults', { token: u.pwToken, body: { name: '' } }), 400, 'validationError');
      assertError(await pw(h, 'POST', '/vaults', { token: u.pwToken, body: { name: 'bad\u202ename' } }), 400, 'validationError');
    });

    it('adds folders (201, folderCreated, parentId empty at the top), lists, renames, moves, searches, deletes', async () => {
      const vaultId = (await pw(h, 'POST', '/vaults', { token: u.pwToken, body: { name: `folders-${suffix}` } })).body.data;
      const add = await pw(h, 'POST', '/folders', { token: u.pwToken, body: { name: 'provider-test-folder', vaultId } });
      assert.equal(add.status, 201, add.raw);
      assert.equal(add.body.code, 'folderCreated');
      const f = add.body.data;
      assert.equal(f.name, 'provider-test-folder');
      assert.equal(f.vaultId, vaultId);
      assert.equal(f.parentId, null);
      assert.equal(f.foldersAmount, 0);
      const child = (await pw(h, 'POST', '/folders', { token: u.pwToken, body: { name: 'child', vaultId, parentId: f.id } })).body.data;
      assert.equal(child.parentId, f.id);
      assert.deepEqual(
        child.path.map((p: { type: string; name: string }) => [p.type, p.name]),
        [
          ['vault', `folders-${suffix}`],
          ['folder', 'provider-test-folder'],
          ['folder', 'child'],
        ],
      );
      for (const name of ['b-folder', 'A-folder']) await pw(h, 'POST', '/folders', { token: u.pwToken, body: { name, vaultId } });
      const roots = await pw(h, 'GET', `/vaults/${vaultId}/folders`, { token: u.pwToken });
      assert.deepEqual(
        roots.body.data.map((x: { name: string }) => x.name),
        ['A-folder', 'b-folder', 'provider-test-folder'],
      );
      const get = await pw(h, 'GET', `/folders/${f.id}`, { token: u.pwToken });
      assert.equal(get.body.data.foldersAmount, 1);
      await pw(h, 'POST', '/passwords', {
        token: u.pwToken,
        body: { vaultId, folderId: f.id, name: 'in-folder', cryptedPassword: b64('x') },
      });
      assert.equal((await pw(h, 'GET', `/folders/${f.id}`, { token: u.pwToken })).body.data.passwordsAmount, 1);
      const children = await pw(h, 'GET', `/folders/${f.id}/children`, { token: u.pwToken });
      assert.deepEqual(
        children.body.data.map((x: { id: string }) => x.id),
        [child.id],
      );
      const renamed = await pw(h, 'PUT', `/folders/${child.id}`, { token: u.pwToken, body: { name: 'child-renamed', parentId: f.id } });
      assert.equal(renamed.status, 200, renamed.raw);
      assert.equal(renamed.body.data.name, 'child-renamed');
      const moved = await pw(h, 'PUT', `/folders/${child.id}`, { token: u.pwToken, body: { name: 'child-renamed', parentId: null } });
      assert.equal(moved.body.data.parentId, null);
      const found = await pw(h, 'POST', '/folders/search', { token: u.pwToken, body: { query: 'renamed' } });
      assert.deepEqual(
        found.body.data.map((x: { id: string }) => x.id),
        [child.id],
      );
      assert.deepEqual((await pw(h, 'POST', '/folders/search', { token: other.pwToken, body: { query: 'renamed' } })).body.data, []);
      const del = await pw(h, 'DELETE', `/folders/${f.id}`, { token: u.pwToken });
      assert.deepEqual(del.body, { status: 'success', data: 'folderDeleted' });
      assertError(await pw(h, 'GET', `/folders/${f.id}`, { token: u.pwToken }), 404, 'folderNull');
      assertError(await pw(h, 'POST', '/folders', { token: u.pwToken, body: { name: 'x' } }), 400, 'validationError');
    });

    it('lists tags and colours in use (all vaults, or one)', async () => {
      const vaultId = (await pw(h, 'POST', '/vaults', { token: u.pwToken, body: { name: `tags-${suffix}` } })).body.data;
      await pw(h, 'POST', '/passwords', {
        token: u.pwToken,
        body: { vaultId, name: 't1', cryptedPassword: b64('x'), tags: ['web', 'prod'], color: 5 },
      });
      await pw(h, 'POST', '/passwords', {
        token: u.pwToken,
        body: { vaultId, name: 't2', cryptedPassword: b64('x'), tags: ['db'], color: 1 },
      });
      const tags = await pw(h, 'GET', `/vaults/${vaultId}/tags`, { token: u.pwToken });
      assert.deepEqual(tags.body.data, ['db', 'prod', 'web']);
      const colors = await pw(h, 'GET', `/vaults/${vaultId}/colors`, { token: u.pwToken });
      assert.deepEqual(colors.body.data, [1, 5]);
      const all = await pw(h, 'GET', '/vaults/tags', { token: u.pwToken });
      assert.ok(['db', 'prod', 'web'].every((t) => all.body.data.includes(t)));
      assert.deepEqual((await pw(h, 'GET', '/vaults/tags', { token: other.pwToken })).body.data, [], "another user's tags are not shown");
      assertError(await pw(h, 'GET', `/vaults/${vaultId}/tags`, { token: other.pwToken }), 404, 'vaultNull');
    });

    it('a vault with passwords is not deleted (Coffer keeps secrets until purged)', async () => {
      const vaultId = (await pw(h, 'POST', '/vaults', { token: u.pwToken, body: { name: `full-${suffix}` } })).body.data;
      await pw(h, 'POST', '/passwords', { token: u.pwToken, body: { vaultId, name: 'keep', cryptedPassword: b64('x') } });
      assertError(await pw(h, 'DELETE', `/vaults/${vaultId}`, { token: u.pwToken }), 409, 'conflict');
      const native = await call(h, 'GET', `/api/v1/vaults/${vaultId}`, { token: u.token });
      assert.equal(native.status, 200);
    });
  });
}
