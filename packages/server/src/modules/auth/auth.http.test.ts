import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';

for (const dialect of dialects) {
  describe(`auth over HTTP [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('logs in with any spelling of the username and answers whoami', async () => {
      const t = await login(h, ' ADMIN ', ADMIN.password);
      const r = await call(h, 'GET', '/api/v1/auth/whoami', { token: t.accessToken });
      assert.equal(r.status, 200);
      assert.equal(r.body.username, 'admin');
      assert.equal(r.body.role, 'administrator');
      assert.equal(r.body.authMethod, 'session');
    });

    it('answers unknown user and wrong password identically', async () => {
      const a = await call(h, 'POST', '/api/v1/auth/login', {
        body: { username: 'nobody-here', password: 'whatever-password' },
        ip: '10.9.0.1',
      });
      const b = await call(h, 'POST', '/api/v1/auth/login', {
        body: { username: ADMIN.username, password: 'wrong-password!' },
        ip: '10.9.0.2',
      });
      assert.equal(a.status, 401);
      assert.equal(b.status, 401);
      assert.equal(a.body.error.code, 'auth.invalid_credentials');
      assert.deepEqual({ ...a.body.error, requestId: '' }, { ...b.body.error, requestId: '' });
    });

    it('refuses requests without a token and with a forged one', async () => {
      assert.equal((await call(h, 'GET', '/api/v1/users')).status, 401);
      const r = await call(h, 'GET', '/api/v1/users', { token: `cfs_${'A'.repeat(43)}` });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'auth.invalid_token');
    });

    it('kills every session of a user on password change', async () => {
      const u = await createUser(h, admin, 'password_user');
      const second = await login(h, u.username, u.password);
      const r = await call(h, 'POST', '/api/v1/me/password', {
        token: u.token,
        body: { currentPassword: u.password, newPassword: 'a-brand-new-password' },
      });
      assert.equal(r.status, 200);
      for (const t of [u.token, second.accessToken]) {
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: t })).status, 401);
      }
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: second.refreshToken } })).status, 401);
      await login(h, u.username, 'a-brand-new-password');
    });

    it('makes refresh tokens single-use and revokes the family on reuse', async () => {
      const u = await createUser(h, admin, 'password_user');
      const r1 = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: u.refreshToken } });
      assert.equal(r1.status, 200);
      const newAccess = r1.body.accessToken as string;
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: newAccess })).status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 401, 'old access token ends');
      const reuse = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: u.refreshToken } });
      assert.equal(reuse.status, 401);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: newAccess })).status, 401, 'family revoked on reuse');
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } })).status, 401);
    });

    it('ends sessions and keys on role change and disable', async () => {
      const u = await createUser(h, admin, 'password_user');
      const key = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: {
          name: 'k',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: u.password,
        },
      });
      assert.equal(key.status, 201);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: key.body.key })).status, 200);
      const p = await call(h, 'PATCH', `/api/v1/users/${u.id}`, { token: admin, body: { role: 'password_auditor' } });
      assert.equal(p.status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 401);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: key.body.key })).status, 401);
      const again = await login(h, u.username, u.password);
      assert.equal((await call(h, 'POST', `/api/v1/users/${u.id}/disable`, { token: admin })).status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: again.accessToken })).status, 401);
      const denied = await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } });
      assert.equal(denied.status, 401);
      assert.equal(denied.body.error.code, 'auth.invalid_credentials');
    });

    it('binds API keys to addresses and expiry, and exchanges them for sessions', async () => {
      const apiUser = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: 'app-server-1', kind: 'api', role: 'password_user' },
      });
      assert.equal(apiUser.status, 201);
      const noExpiry = await call(h, 'POST', `/api/v1/users/${apiUser.body.id}/api-keys`, {
        token: admin,
        body: { name: 'x', allowedCidrs: ['10.0.0.0/24'], currentPassword: ADMIN.password },
      });
      assert.equal(noExpiry.status, 400, 'expiry is mandatory');
      const past = await call(h, 'POST', `/api/v1/users/${apiUser.body.id}/api-keys`, {
        token: admin,
        body: { name: 'x', allowedCidrs: ['10.0.0.0/24'], expiresAt: '2001-01-01T00:00:00Z', currentPassword: ADMIN.password },
      });
      assert.equal(past.status, 400);
      const k = await call(h, 'POST', `/api/v1/users/${apiUser.body.id}/api-keys`, {
        token: admin,
        body: {
          name: 'batch',
          allowedCidrs: ['10.0.0.0/24'],
          expiresAt: new Date(Date.now() + 86400_000).toISOString(),
          currentPassword: ADMIN.password,
        },
      });
      assert.equal(k.status, 201);
      assert.match(k.body.key, /^cfk_/);
      assert.equal(k.body.apiKey.allowedCidrs[0], '10.0.0.0/24');
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: k.body.key, ip: '10.0.0.7' })).status, 200);
      const off = await call(h, 'GET', '/api/v1/auth/whoami', { token: k.body.key, ip: '10.0.1.7' });
      assert.equal(off.status, 401, 'a request from elsewhere gets 401');
      const ex = await call(h, 'POST', '/api/v1/auth/token', { token: k.body.key, ip: '10.0.0.7' });
      assert.equal(ex.status, 200);
      const who = await call(h, 'GET', '/api/v1/auth/whoami', { token: ex.body.accessToken, ip: '10.0.0.8' });
      assert.equal(who.status, 200);
      assert.equal(who.body.username, 'app-server-1');
      assert.equal(
        (await call(h, 'GET', '/api/v1/auth/whoami', { token: ex.body.accessToken, ip: '192.0.2.1' })).status,
        401,
        'exchanged session keeps the binding',
      );
      assert.equal((await call(h, 'DELETE', `/api/v1/api-keys/${k.body.apiKey.id}`, { token: admin })).status, 204);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: k.body.key, ip: '10.0.0.7' })).status, 401);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: ex.body.accessToken, ip: '10.0.0.7' })).status, 401);
    });

    it('lets only administrators manage users, and auditors read the audit trail', async () => {
      const user = await createUser(h, admin, 'password_user');
      const auditor = await createUser(h, admin, 'password_auditor');
      const pa = await createUser(h, admin, 'password_administrator');
      const body = { username: 'should-not-exist', password: 'long-enough-password', role: 'administrator' };
      for (const t of [user.token, auditor.token, pa.token]) {
        assert.equal((await call(h, 'POST', '/api/v1/users', { token: t, body })).status, 403);
      }
      assert.equal((await call(h, 'GET', '/api/v1/audit', { token: user.token })).status, 403);
      assert.equal((await call(h, 'GET', '/api/v1/audit', { token: pa.token })).status, 403);
      assert.equal((await call(h, 'GET', '/api/v1/audit', { token: auditor.token })).status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/users', { token: user.token })).status, 403);
      assert.equal((await call(h, 'GET', `/api/v1/users/${user.id}`, { token: user.token })).status, 200, 'own profile');
    });

    it('rejects privileged extra fields (mass assignment)', async () => {
      const u = await createUser(h, admin, 'password_user');
      const r = await call(h, 'PATCH', `/api/v1/users/${u.id}`, {
        token: admin,
        body: { firstName: 'A', status: 'active', password_hash: 'x' },
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'validation.failed');
      const me = await call(h, 'GET', `/api/v1/users/${u.id}`, { token: admin });
      assert.equal(me.body.firstName, '');
    });
  });
}
