// secrets.revealCard (reveal-card.ts): the secret it presents is the one GET /api/v1/secrets/{id}
// presents (its folder's path comes from the policy chain it reads anyway), at the vault top, in a
// nested folder, after a rename and after a move.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`secrets.revealCard presents the secret [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1'),
      requestId: 'req_reveal_card',
      sourceIp: '127.0.0.1',
      audited: false,
    });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('the same secret (path included) as the native read, wherever it lives', async () => {
      const ok = async (p: Promise<{ status: number; body: { id: string }; raw: string }>, status = 201) => {
        const r = await p;
        assert.equal(r.status, status, r.raw);
        return r.body;
      };
      const vault = await ok(call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'card-paths' } }));
      const a = await ok(call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: vault.id, name: 'A' } }));
      const b = await ok(call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: vault.id, parentId: a.id, name: 'B' } }));
      const c = await ok(call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: vault.id, name: 'C' } }));
      const secret = (folderId?: string) =>
        ok(
          call(h, 'POST', '/api/v1/secrets', {
            token: admin,
            body: {
              vaultId: vault.id,
              ...(folderId ? { folderId } : {}),
              template: 'host-credential',
              name: `s-${folderId ?? 'top'}`,
              fields: { username: 'u', host: 'h', password: 'pw' },
            },
          }),
        );
      const top = await secret();
      const nested = await secret(b.id);
      const same = async (id: string, path: string) => {
        const native = await call(h, 'GET', `/api/v1/secrets/${id}`, { token: admin });
        assert.equal(native.status, 200, native.raw);
        const card = await h.coffer.services.secrets.revealCard(await ctxOf(admin), id, {});
        assert.equal(card.secret.path, path);
        assert.deepEqual(JSON.parse(JSON.stringify(card.secret)), native.body);
        assert.equal(card.values.password, 'pw');
      };
      await same(top.id, '/');
      await same(nested.id, '/A/B');
      await ok(call(h, 'PATCH', `/api/v1/folders/${a.id}`, { token: admin, body: { name: 'A2' } }), 200);
      await same(nested.id, '/A2/B');
      await ok(call(h, 'PATCH', `/api/v1/folders/${b.id}`, { token: admin, body: { parentId: c.id } }), 200);
      await same(nested.id, '/C/B');
    });
  });
}
