// A password an administrator set (or the generated first one) is temporary: the login says
// mustChangePassword, and until it is changed every credential of the user can only change it or
// log out; every other route answers 403 auth.password_change_required (checked in the request
// pipeline, so no route can forget it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';

for (const dialect of dialects) {
  describe(`temporary passwords [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    const create = async (username: string, password: string) => {
      const r = await call(h, 'POST', '/api/v1/users', { token: admin, body: { username, password, role: 'password_administrator' } });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };

    it('makes the password given at creation temporary: the session may only change it or log out', async () => {
      const temp = 'Tmp-1a-Rq8z-Vw3n-Kp5d';
      const id = await create(`temp-${dialect}`, temp);
      const l = await call(h, 'POST', '/api/v1/auth/login', { body: { username: `temp-${dialect}`, password: temp } });
      assert.equal(l.status, 200, l.raw);
      assert.equal(l.body.mustChangePassword, true);
      const t = l.body.accessToken as string;
      for (const [method, url, body] of [
        ['GET', '/api/v1/auth/whoami', undefined],
        ['GET', '/api/v1/vaults', undefined],
        ['POST', '/api/v1/vaults', { name: 'mine' }],
        ['GET', `/api/v1/users/${id}`, undefined],
        [
          'POST',
          '/api/v1/me/api-keys',
          { name: 'k', allowedCidrs: ['127.0.0.1'], expiresAt: '2099-01-01T00:00:00Z', currentPassword: temp },
        ],
        ['POST', '/api/v1/me/totp', { currentPassword: temp }],
        ['POST', '/api/v1/auth/token', undefined],
      ] as const) {
        const r = await call(h, method, url, { token: t, ...(body ? { body } : {}) });
        assert.equal(r.status, 403, `${method} ${url}: ${r.raw}`);
        assert.equal(r.body.error.code, 'auth.password_change_required');
      }
      // the refusal is audited as a denial
      const denied = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'reason'])
        .where('actor_id', '=', id)
        .where('action', '=', 'vault.create')
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...denied }, { outcome: 'denied', reason: 'auth.password_change_required' });
      // a refreshed session is no better
      const r2 = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: l.body.refreshToken } });
      assert.equal(r2.status, 200);
      assert.equal(r2.body.mustChangePassword, true);
      assert.equal((await call(h, 'GET', '/api/v1/vaults', { token: r2.body.accessToken })).status, 403);
      // the temporary password must really be replaced
      const same = await call(h, 'POST', '/api/v1/me/password', {
        token: r2.body.accessToken,
        body: { currentPassword: temp, newPassword: temp },
      });
      assert.equal(same.status, 400, same.raw);
      const changed = await call(h, 'POST', '/api/v1/me/password', {
        token: r2.body.accessToken,
        body: { currentPassword: temp, newPassword: 'Own-2b-Xy7k-Lm4q-Ts9v' },
      });
      assert.equal(changed.status, 200, changed.raw);
      // the change ended every session; the next login is a normal one
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: r2.body.accessToken })).status, 401);
      const again = await call(h, 'POST', '/api/v1/auth/login', {
        body: { username: `temp-${dialect}`, password: 'Own-2b-Xy7k-Lm4q-Ts9v' },
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.mustChangePassword, undefined);
      assert.equal((await call(h, 'GET', '/api/v1/vaults', { token: again.body.accessToken })).status, 200);
    });

    it('lets the temporary session log out, and restricts an API key of the user too', async () => {
      const id = await create(`keyed-${dialect}`, 'Tmp-3c-Hg6p-Nz2w-Bd8r');
      const key = await call(h, 'POST', `/api/v1/users/${id}/api-keys`, {
        token: admin,
        body: {
          name: 'k',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: ADMIN.password,
        },
      });
      assert.equal(key.status, 201, key.raw);
      const viaKey = await call(h, 'GET', '/api/v1/vaults', { token: key.body.key });
      assert.equal(viaKey.status, 403);
      assert.equal(viaKey.body.error.code, 'auth.password_change_required');
      const l = await login(h, `keyed-${dialect}`, 'Tmp-3c-Hg6p-Nz2w-Bd8r');
      assert.equal((await call(h, 'POST', '/api/v1/auth/logout', { token: l.accessToken })).status, 200);
      assert.equal(
        (
          await call(h, 'POST', '/api/v1/me/password', {
            token: l.accessToken,
            body: { currentPassword: 'x', newPassword: 'y'.repeat(12) },
          })
        ).status,
        401,
      );
    });

    it("makes an administrator's reset temporary; one's own password changes only with re-authentication", async () => {
      const id = await create(`reset-${dialect}`, 'Tmp-4d-Jc5t-Wq7e-Fy3u');
      const reset = await call(h, 'POST', `/api/v1/users/${id}/password`, { token: admin, body: { password: 'Reset-5e5e-Ua9s-Gb2k' } });
      assert.equal(reset.status, 200, reset.raw);
      assert.equal(
        ((await login(h, `reset-${dialect}`, 'Reset-5e5e-Ua9s-Gb2k')) as { mustChangePassword?: boolean }).mustChangePassword,
        true,
      );
      const me = (await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).body.userId as string;
      // not through the administrators' route: a stolen session must not change its own password
      const own = await call(h, 'POST', `/api/v1/users/${me}/password`, { token: admin, body: { password: 'Own-admin-Zk4x-Qm8c-1' } });
      assert.equal(own.status, 400, own.raw);
      assert.equal(own.body.error.details[0].message, 'not your own account');
      assert.equal((await call(h, 'GET', '/api/v1/users', { token: admin })).status, 200, 'nothing changed');
    });
  });

  describe(`the first administrator's password [${dialect}]`, () => {
    it('is temporary when generated, not when the operator chose it', async () => {
      for (const chosen of [undefined, 'operator-chosen-password-1']) {
        const h = await startHarness(dialect, { init: false });
        try {
          const r = await h.coffer.initialize({ mode: 'keyfile', adminUsername: 'root', ...(chosen ? { adminPassword: chosen } : {}) });
          assert.equal(r.generatedPassword, chosen === undefined);
          const l = await call(h, 'POST', '/api/v1/auth/login', { body: { username: 'root', password: r.adminPassword } });
          assert.equal(l.status, 200, l.raw);
          assert.equal(l.body.mustChangePassword, chosen === undefined ? true : undefined);
          const users = await call(h, 'GET', '/api/v1/users', { token: l.body.accessToken });
          assert.equal(users.status, chosen === undefined ? 403 : 200);
        } finally {
          await h.close();
        }
      }
    });
  });
}
