// vaults.searchNodes: vaults and folders as one tree (what Secret Server's folder search lists),
// over both dialects: by name (part or whole, any case), below a node (children or subtree), one
// node, vaults only; what the caller cannot see is left out, and a node reached only through
// something visible inside it is listed (as GET /folders/{id} shows it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`vaults.searchNodes [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const ids: Record<string, string> = {};
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1', 'native'),
      requestId: 'req_nodes_test',
      sourceIp: '127.0.0.1',
      audited: false,
    });
    const names = (items: Array<{ name: string }>) => items.map((n) => n.name);

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      const mk = async (url: string, body: Record<string, unknown>) => {
        const r = await call(h, 'POST', url, { token: admin, body });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      ids.alpha = await mk('/api/v1/vaults', { name: 'Alpha' });
      ids.beta = await mk('/api/v1/vaults', { name: 'Beta' });
      ids.servers = await mk('/api/v1/folders', { vaultId: ids.alpha, name: 'Servers' });
      ids.linux = await mk('/api/v1/folders', { vaultId: ids.alpha, parentId: ids.servers, name: 'Linux' });
      ids.windows = await mk('/api/v1/folders', { vaultId: ids.alpha, parentId: ids.servers, name: 'Windows Servers' });
      ids.db = await mk('/api/v1/folders', { vaultId: ids.beta, name: 'Databases' });
    });
    after(async () => h.close());

    it('finds vaults and folders by part of the name or the whole name, without regard to case, sorted by vault and path', async () => {
      const ctx = await ctxOf(admin);
      const { searchNodes } = h.coffer.services.vaults;
      assert.deepEqual(names((await searchNodes(ctx, { name: 'SERVERS' })).items), ['Servers', 'Windows Servers']);
      assert.deepEqual(names((await searchNodes(ctx, { name: 'servers', exact: true })).items), ['Servers']);
      assert.deepEqual(names((await searchNodes(ctx, {})).items), ['Alpha', 'Servers', 'Linux', 'Windows Servers', 'Beta', 'Databases']);
      assert.deepEqual(names((await searchNodes(ctx, { vaultsOnly: true })).items), ['Alpha', 'Beta']);
      const linux = (await searchNodes(ctx, { name: 'linux' })).items[0];
      assert.deepEqual(
        { type: linux?.type, vaultName: linux?.vaultName, parentId: linux?.parentId, path: linux?.path },
        { type: 'folder', vaultName: 'Alpha', parentId: ids.servers, path: '/Servers/Linux' },
      );
      // LIKE wildcards are text here
      assert.deepEqual(names((await searchNodes(ctx, { name: '%' })).items), []);
    });

    it('lists the children or the whole subtree of a node, or one node', async () => {
      const ctx = await ctxOf(admin);
      const { searchNodes } = h.coffer.services.vaults;
      assert.deepEqual(names((await searchNodes(ctx, { under: { nodeId: ids.alpha as string, subtree: false } })).items), ['Servers']);
      assert.deepEqual(names((await searchNodes(ctx, { under: { nodeId: ids.alpha as string, subtree: true } })).items), [
        'Servers',
        'Linux',
        'Windows Servers',
      ]);
      assert.deepEqual(names((await searchNodes(ctx, { node: ids.linux as string })).items), ['Linux']);
      assert.deepEqual(names((await searchNodes(ctx, { node: ids.beta as string })).items), ['Beta']);
      await assert.rejects(searchNodes(ctx, { node: 'fld_00000000000000000000000000' }), { code: 'not_found' });
    });

    it('leaves out what the caller cannot see; a grant deep inside shows the way down, nothing beside it', async () => {
      const u = await createUser(h, admin, 'password_user');
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: ids.linux, principalType: 'user', principalId: u.id, level: 'view' },
      });
      assert.equal(g.status, 201, g.raw);
      const ctx = await ctxOf(u.token);
      const { searchNodes } = h.coffer.services.vaults;
      assert.deepEqual(names((await searchNodes(ctx, {})).items), ['Alpha', 'Servers', 'Linux']);
      assert.deepEqual(names((await searchNodes(ctx, { name: 'servers' })).items), ['Servers']);
      await assert.rejects(searchNodes(ctx, { node: ids.beta as string }), { code: 'not_found' });
      await assert.rejects(searchNodes(ctx, { under: { nodeId: ids.beta as string, subtree: true } }), { code: 'not_found' });
      assert.deepEqual(names((await searchNodes(ctx, { under: { nodeId: ids.servers as string, subtree: false } })).items), ['Linux']);
    });
  });
}
