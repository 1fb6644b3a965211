// senhasegura's `automatic_change` in the credential list follows the remote rotation state (it
// was always "0"): "1" while the credential has a rotation target with a schedule, "0" without a
// schedule or a target; both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, oauthToken } from '../../../test/senhasegura-client.ts';

for (const dialect of dialects) {
  describe(`senhasegura automatic change from the rotation state [${dialect}]`, () => {
    let h: Harness;
    let client: Awaited<ReturnType<typeof apiClient>>;
    let token: string;

    before(async () => {
      h = await startHarness(dialect, { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
      client = await apiClient(h, await adminToken(h));
      token = await oauthToken(h, client.clientId, client.clientSecret);
    });
    after(async () => h.close());

    it('automatic_change is "1" with a rotation schedule on the target, "0" without one or without a target', async () => {
      const me = client.user.token;
      const v = await call(h, 'POST', '/api/v1/vaults', { token: me, body: { name: 'auto change' } });
      assert.equal(v.status, 201, v.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: me,
        body: {
          vaultId: v.body.id,
          template: 'database-account',
          name: 'db01 app',
          fields: { host: '127.0.0.1', username: 'app', password: 'x-1' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const id = s.body.id as string;
      const num = String(await h.coffer.services.numbering.numberOf(h.database.db, 'secret', id));
      const flag = async () => {
        const r = await call(h, 'GET', '/iso/pam/credential', { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200, r.raw);
        const one = r.body.credentials.find((x: { id: string }) => x.id === num);
        assert.ok(one, r.raw);
        return one.automatic_change as string;
      };
      assert.equal(await flag(), '0');
      const set = (body: Record<string, unknown>) =>
        call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, { token: me, body: { kind: 'postgres', host: '127.0.0.1', ...body } });
      assert.equal((await set({ rotateDays: 30 })).status, 200);
      assert.equal(await flag(), '1');
      assert.equal((await set({ rotateDays: null })).status, 200);
      assert.equal(await flag(), '0', 'a target without a schedule changes nothing by itself');
      assert.equal((await set({ rotateDays: 7 })).status, 200);
      assert.equal(await flag(), '1');
      const del = await call(h, 'DELETE', `/api/v1/secrets/${id}/rotation-target`, { token: me });
      assert.equal(del.status, 204, del.raw);
      assert.equal(await flag(), '0');
    });
  });
}
