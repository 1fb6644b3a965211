// GET /api/v1/folders/:id/ancestors (and the same under /ui): the folders above a folder, top
// down, each with the child folders the caller can see, in one request — what a client needs to show where a folder is (the web UI's tree expands
// that path on a deep URL). The same visibility as GET /folders/:id, audited as folder.read. Both
// dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { ui, uiLogin } from '../../../test/web.ts';

for (const dialect of dialects) {
  describe(`folder ancestors (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    const ids: Record<string, string> = {};

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      const post = async (url: string, body: Record<string, unknown>) => {
        const r = await call(h, 'POST', url, { token: admin, body });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      ids.vault = await post('/api/v1/vaults', { name: 'Tree' });
      ids.a = await post('/api/v1/folders', { vaultId: ids.vault, name: 'A' });
      ids.b = await post('/api/v1/folders', { vaultId: ids.vault, parentId: ids.a, name: 'B' });
      ids.c = await post('/api/v1/folders', { vaultId: ids.vault, parentId: ids.b, name: 'C' });
      ids.d = await post('/api/v1/folders', { vaultId: ids.vault, parentId: ids.b, name: 'D' });
      ids.other = await post('/api/v1/folders', { vaultId: ids.vault, name: 'Other' });
    });
    after(async () => h.close());

    const ancestors = (id: string, token = admin) => call(h, 'GET', `/api/v1/folders/${id}/ancestors`, { token });

    it('answers the folders above, top down; none for a folder at the top', async () => {
      const c = await ancestors(ids.c!);
      assert.equal(c.status, 200, c.raw);
      assert.deepEqual(
        c.body.items.map((f: { id: string; name: string; children: { id: string }[] }) => [f.id, f.name, f.children.map((x) => x.id)]),
        [
          [ids.a, 'A', [ids.b]],
          [ids.b, 'B', [ids.c, ids.d]],
        ],
      );
      // each child as GET /folders?parentId= lists it
      const listed = await call(h, 'GET', `/api/v1/folders?vaultId=${ids.vault}&parentId=${ids.b}`, { token: admin });
      assert.deepEqual(c.body.items[1].children, listed.body.items);
      assert.deepEqual((await ancestors(ids.a!)).body, { items: [] });
      // it follows a move
      const moved = await call(h, 'PATCH', `/api/v1/folders/${ids.b}`, { token: admin, body: { parentId: ids.other } });
      assert.equal(moved.status, 200, moved.raw);
      assert.deepEqual(
        (await ancestors(ids.c!)).body.items.map((f: { name: string }) => f.name),
        ['Other', 'B'],
      );
      await call(h, 'PATCH', `/api/v1/folders/${ids.b}`, { token: admin, body: { parentId: ids.a } });
    });

    it('shows what GET /folders/:id shows: a grant on the folder is enough, no access answers not_found like a missing id', async () => {
      const u = await createUser(h, admin, 'password_user');
      const none = await ancestors(ids.c!, u.token);
      assert.equal(none.status, 404, none.raw);
      assert.equal(none.body.error.code, 'not_found');
      const missing = await ancestors('fld_00000000000000000000000000', u.token);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body.error.code, none.body.error.code);
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: ids.c, principalType: 'user', principalId: u.id, level: 'view' },
      });
      assert.equal(g.status, 201, g.raw);
      assert.equal((await call(h, 'GET', `/api/v1/folders/${ids.c}`, { token: u.token })).status, 200);
      const seen = await ancestors(ids.c!, u.token);
      assert.equal(seen.status, 200, seen.raw);
      // the path, and beside it only what the user may see: C, not its sibling D
      assert.deepEqual(
        seen.body.items.map((f: { name: string; children: { name: string }[] }) => [f.name, f.children.map((x) => x.name)]),
        [
          ['A', ['B']],
          ['B', ['C']],
        ],
      );
      // the folder beside it stays hidden
      assert.equal((await ancestors(ids.other!, u.token)).status, 404);
    });

    it('is on the web surface too, audited as folder.read via web', async () => {
      const s = await uiLogin(h, 'admin', (await import('../../../test/harness.ts')).ADMIN.password);
      const r = await ui(h, 'GET', `/ui/api/v1/folders/${ids.c}/ancestors`, { session: s });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.items.length, 2);
      const audit = await call(h, 'GET', '/api/v1/audit?action=folder.read&via=web&limit=50', { token: admin });
      assert.ok(
        audit.body.items.some((x: { objectId: string; outcome: string }) => x.objectId === ids.c && x.outcome === 'success'),
        'audited',
      );
    });
  });
}
