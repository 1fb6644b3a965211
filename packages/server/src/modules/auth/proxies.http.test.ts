import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';

for (const dialect of dialects) {
  describe(`client addresses behind a trusted proxy [${dialect}]`, () => {
    let h: Harness;
    let key: string;
    before(async () => {
      h = await startHarness(dialect, { config: { trustedProxies: ['192.0.2.10'] } });
      const admin = await adminToken(h);
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: admin,
        body: {
          name: 'behind-proxy',
          allowedCidrs: ['198.51.100.0/24'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: ADMIN.password,
        },
      });
      key = k.body.key;
    });
    after(async () => h.close());

    it('believes X-Forwarded-For only from the configured proxy', async () => {
      const viaProxy = await call(h, 'GET', '/api/v1/auth/whoami', {
        token: key,
        ip: '192.0.2.10',
        headers: { 'x-forwarded-for': '198.51.100.7' },
      });
      assert.equal(viaProxy.status, 200, 'the proxy says the client is inside the bound network');
      const spoofed = await call(h, 'GET', '/api/v1/auth/whoami', {
        token: key,
        ip: '203.0.113.5',
        headers: { 'x-forwarded-for': '198.51.100.7' },
      });
      assert.equal(spoofed.status, 401, 'anyone else claiming the address is not believed');
      const outside = await call(h, 'GET', '/api/v1/auth/whoami', {
        token: key,
        ip: '192.0.2.10',
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      assert.equal(outside.status, 401);
      const row = await h.database.db.selectFrom('audit_log').select('source_ip').orderBy('seq', 'desc').limit(3).execute();
      assert.ok(
        row.some((r) => r.source_ip === '198.51.100.7'),
        'the audit records the client address, not the proxy',
      );
    });
  });
}
