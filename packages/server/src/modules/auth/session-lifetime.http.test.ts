import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, call, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';

for (const dialect of dialects) {
  describe(`session lifetimes [${dialect}]`, () => {
    const clock = manualClock(Date.parse('2026-06-01T00:00:00Z'));
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect, { clock, config: { session: { idleSeconds: 600, absoluteSeconds: 3600, refreshSeconds: 7200 } } });
    });
    after(async () => h.close());

    it('idles out after the idle lifetime without use, and activity keeps it alive', async () => {
      const t = await login(h, ADMIN.username, ADMIN.password);
      clock.advance(500_000);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: t.accessToken })).status, 200, 'used before idling out');
      clock.advance(500_000); // 1000 s after login, 500 s after last use
      assert.equal(
        (await call(h, 'GET', '/api/v1/auth/whoami', { token: t.accessToken })).status,
        200,
        'activity pushed the idle deadline',
      );
      clock.advance(601_000);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: t.accessToken })).status, 401, 'idle lifetime passed');
    });

    it('refuses the refresh token of a session idle past its limit (the idle timeout is not renewable)', async () => {
      const t = await login(h, ADMIN.username, ADMIN.password);
      clock.advance(601_000); // idle 600 s; the refresh token itself is good for 7200 s
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: t.accessToken })).status, 401, 'idled out');
      const r = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } });
      assert.equal(r.status, 401, r.raw);
      assert.equal(r.body.error.code, 'auth.invalid_token');
      // a session in use refreshes as before
      const active = await login(h, ADMIN.username, ADMIN.password);
      clock.advance(590_000);
      const ok = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: active.refreshToken } });
      assert.equal(ok.status, 200, ok.raw);
    });

    it('ends at the absolute lifetime however active, and refresh does not extend it', async () => {
      const first = await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } });
      assert.equal(first.status, 200);
      const absolute = first.body.absoluteExpiresAt as string;
      assert.equal(Date.parse(absolute), clock.now() + 3600_000);
      let access = first.body.accessToken as string;
      let refresh = first.body.refreshToken as string;
      let refreshed = 0;
      for (let i = 0; i < 6; i++) {
        clock.advance(550_000);
        const r = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: refresh } });
        if (r.status !== 200) break;
        access = r.body.accessToken;
        refresh = r.body.refreshToken;
        refreshed++;
        assert.equal(r.body.absoluteExpiresAt, absolute, 'refresh keeps the absolute deadline');
      }
      assert.ok(refreshed >= 5, `refreshed ${refreshed} times before the absolute deadline`);
      clock.advance(600_000); // well past login + 3600 s
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: access })).status, 401);
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: refresh } })).status, 401);
    });
  });
}
