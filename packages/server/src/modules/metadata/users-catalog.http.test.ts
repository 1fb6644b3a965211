// Metadata on users and the catalog of fields in use (what Secret Server's metadata calls need),
// on both dialects: an administrator (users.write) writes a user's metadata, the user and users.read
// read it, anyone else reads it like a missing node; the catalog lists (section, name, type) only
// from nodes the caller may view.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`metadata on users, and the field catalog [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1', 'native'),
      requestId: 'req_meta_test',
      sourceIp: '127.0.0.1',
      audited: false,
    });
    const put = (token: string, body: Record<string, unknown>) => call(h, 'PUT', '/api/v1/metadata', { token, body });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('users: written by users.write, read by the user and users.read; anyone else reads a missing node', async () => {
      const u = await createUser(h, admin, 'password_user');
      const auditor = await createUser(h, admin, 'password_auditor');
      const other = await createUser(h, admin, 'password_user');
      const w = await put(admin, { nodeId: u.id, section: 'HR', name: 'Cost centre', type: 'string', value: 'CC-1' });
      assert.equal(w.status, 200, w.raw);
      const own = await call(h, 'GET', `/api/v1/metadata?nodeId=${u.id}`, { token: u.token });
      assert.deepEqual(
        own.body.items.map((m: { value: string }) => m.value),
        ['CC-1'],
      );
      assert.equal((await call(h, 'GET', `/api/v1/metadata?nodeId=${u.id}`, { token: auditor.token })).status, 200);
      const hidden = await call(h, 'GET', `/api/v1/metadata?nodeId=${u.id}`, { token: other.token });
      const missing = await call(h, 'GET', '/api/v1/metadata?nodeId=usr_00000000000000000000000000', { token: other.token });
      assert.equal(hidden.status, 404);
      assert.deepEqual([hidden.status, hidden.body.error.code], [missing.status, missing.body.error.code]);
      const self = await put(u.token, { nodeId: u.id, section: 'HR', name: 'Cost centre', type: 'string', value: 'mine' });
      assert.equal(self.status, 403, 'a user does not change their own metadata');
      assert.equal((await put(auditor.token, { nodeId: u.id, section: 'HR', name: 'X', type: 'string', value: 'x' })).status, 403);
    });

    it('the catalog lists the fields in use on what the caller may view, once each', async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Cat' } });
      const f = await call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: v.body.id, name: 'F' } });
      await put(admin, { nodeId: v.body.id, section: 'Net', name: 'Tier', type: 'string', value: 'gold' });
      await put(admin, { nodeId: f.body.id, section: 'Net', name: 'Tier', type: 'string', value: 'silver' });
      await put(admin, { nodeId: f.body.id, section: 'Net', name: 'Port', type: 'number', value: 22 });
      const all = await h.coffer.services.metadata.catalog(await ctxOf(admin));
      const key = (x: { section: string; name: string; type: string }) => `${x.section}/${x.name}/${x.type}`;
      assert.deepEqual(
        all.items.map(key).filter((k) => k.startsWith('Net/')),
        ['Net/Port/number', 'Net/Tier/string'],
      );
      const u = await createUser(h, admin, 'password_user');
      assert.deepEqual((await h.coffer.services.metadata.catalog(await ctxOf(u.token))).items.map(key), []);
      await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: v.body.id, principalType: 'user', principalId: u.id, level: 'view' },
      });
      assert.deepEqual((await h.coffer.services.metadata.catalog(await ctxOf(u.token))).items.map(key), [
        'Net/Port/number',
        'Net/Tier/string',
      ]);
    });
  });
}
