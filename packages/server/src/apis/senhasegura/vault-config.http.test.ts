// COFFER_SENHASEGURA_VAULT: where credentials created through senhasegura's API land.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';

for (const dialect of dialects) {
  describe(`senhasegura: the configured vault [${dialect}]`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect, { config: { senhaseguraVault: 'Ops PAM' } });
    });
    after(async () => h?.close());

    it('creates credentials in the vault the setting names, not in "senhasegura"', async () => {
      const admin = await adminToken(h);
      const client = await apiClient(h, admin);
      const token = await oauthToken(h, client.clientId, client.clientSecret);
      const r = await form(
        h,
        'POST',
        '/iso/pam/credential',
        { hostname: 'web01', ip: '10.0.0.1', username: 'deploy', content: 'x-value-1' },
        { authorization: `Bearer ${token}` },
      );
      assert.equal(r.statusCode, 201, r.body);
      const vaults = await call(h, 'GET', '/api/v1/vaults', { token: client.user.token });
      const names = vaults.body.items.map((v: { name: string }) => v.name);
      assert.ok(names.includes('Ops PAM'), JSON.stringify(names));
      assert.ok(!names.includes('senhasegura'));
      const found = await call(h, 'GET', '/api/v1/secrets?q=deploy', { token: client.user.token });
      const vault = vaults.body.items.find((v: { name: string }) => v.name === 'Ops PAM');
      assert.ok(found.body.items.some((s: { vaultId: string }) => s.vaultId === vault.id));
    });
  });
}
