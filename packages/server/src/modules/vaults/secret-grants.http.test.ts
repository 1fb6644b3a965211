// The secret-grants use cases (secret-grants.ts) on both dialects, called as the compatibility
// adapters call them: the grants that apply to a secret (all to a manager, one's own otherwise), a
// batch applied all or nothing (one invalid change and none is written), messages refused on a
// secret that is not end-to-end encrypted, an expired grant of the same principal replaced, the
// simulation writing nothing, an owner always kept.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

type U = Awaited<ReturnType<typeof createUser>>;

for (const dialect of dialects) {
  describe(`secret grants [${dialect}]`, () => {
    let h: Harness;
    let alice: U;
    let bob: U;
    let carol: U;
    const ctx = (u: U): RequestContext => ({
      actor: {
        kind: 'user',
        userId: u.id,
        username: u.username,
        role: 'password_user',
        allPasswords: false,
        authMethod: 'session',
        sessionId: null,
        apiKeyId: null,
        scopes: null,
      },
      requestId: `req_${randomUUID()}`,
      sourceIp: '127.0.0.1',
      audited: false,
    });
    const secret = async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: alice.token, body: { name: `sg-${randomUUID().slice(0, 8)}` } });
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: alice.token,
        body: { vaultId: v.body.id, template: 'web-login', name: 'sg', fields: { username: 'u', password: 'sg-canary-1e0c' } },
      });
      assert.equal(s.status, 201, s.raw);
      return s.body.id as string;
    };
    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      alice = await createUser(h, admin, 'password_user');
      bob = await createUser(h, admin, 'password_user');
      carol = await createUser(h, admin, 'password_user');
    });
    after(async () => h?.close());

    it('applies a batch all or nothing and lists what applies', async () => {
      const vaults = h.coffer.services.vaults;
      const id = await secret();
      const sim = await vaults.simulateSecretGrants(ctx(alice), id, [
        { principalType: 'user', principalId: bob.id, level: 'reveal' },
        { principalType: 'user', principalId: carol.id, level: 'view' },
      ]);
      assert.deepEqual(sim, { added: [bob.id], removed: [] });
      assert.equal((await vaults.secretPermissions(ctx(alice), id)).length, 1); // nothing written
      // one invalid change: none written
      await assert.rejects(
        vaults.applySecretGrants(
          ctx(alice),
          id,
          [
            { principalType: 'user', principalId: bob.id, level: 'reveal' },
            { grantId: 'gra_00000000000000000000000000', delete: true },
          ],
          [],
        ),
        (e: { code?: string }) => e.code === 'validation.failed',
      );
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: bob.token, body: {} })).status, 404);
      // messages on a secret whose vault is not end-to-end encrypted: refused
      await assert.rejects(
        vaults.applySecretGrants(
          ctx(alice),
          id,
          [{ principalType: 'user', principalId: bob.id, level: 'reveal' }],
          [{ userId: bob.id, message: 'x' }],
        ),
        (e: { code?: string }) => e.code === 'validation.failed',
      );
      const done = await vaults.applySecretGrants(
        ctx(alice),
        id,
        [
          { principalType: 'user', principalId: bob.id, level: 'reveal' },
          { principalType: 'user', principalId: carol.id, level: 'edit' },
        ],
        [],
      );
      assert.deepEqual(done.added.sort(), [bob.id, carol.id].sort());
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: bob.token, body: {} })).status, 200);
      const all = await vaults.secretPermissions(ctx(alice), id);
      assert.equal(all.length, 3);
      const own = await vaults.secretPermissions(ctx(bob), id);
      assert.deepEqual(
        own.map((g) => g.principal_id),
        [bob.id],
      );
      // bob (reveal) may not change them
      await assert.rejects(
        vaults.applySecretGrants(ctx(bob), id, [{ principalType: 'user', principalId: carol.id, level: 'manage' }], []),
        (e: { code?: string }) => e.code === 'forbidden',
      );
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome'])
        .where('action', '=', 'secret.share')
        .where('object_id', '=', id)
        .execute();
      assert.deepEqual(audit.map((a) => a.outcome).sort(), ['denied', 'failure', 'failure', 'success'].sort());
    });

    it('replaces an expired grant of the same principal, and keeps an owner', async () => {
      const vaults = h.coffer.services.vaults;
      const id = await secret();
      await vaults.applySecretGrants(ctx(alice), id, [{ principalType: 'user', principalId: bob.id, level: 'manage' }], []);
      await h.database.db
        .updateTable('grants')
        .set({ expires_at: Date.now() - 1000 })
        .where('node_id', '=', id)
        .execute();
      await vaults.applySecretGrants(ctx(alice), id, [{ principalType: 'user', principalId: bob.id, level: 'manage' }], []);
      const mine = (await vaults.secretPermissions(ctx(alice), id)).find((g) => g.node_id === id);
      assert.equal(mine?.expires_at, null);
      // alice leaves the vault: bob's is the one owner left
      const grants = await call(
        h,
        'GET',
        `/api/v1/grants?nodeId=${(await h.database.db.selectFrom('secrets').select('vault_id').where('id', '=', id).executeTakeFirstOrThrow()).vault_id}`,
        {
          token: alice.token,
        },
      );
      for (const g of grants.body.items) await call(h, 'DELETE', `/api/v1/grants/${g.id}`, { token: alice.token });
      await assert.rejects(
        vaults.applySecretGrants(ctx(bob), id, [{ grantId: mine?.id as string, level: 'edit' }], []),
        (e: { message?: string }) => /at least one owner/.test(String(e.message)),
      );
    });
  });
}
