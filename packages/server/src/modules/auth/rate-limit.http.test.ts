// The per-credential request budget (issue 10 §3): a token bucket per session family (kept across refreshes) or API key, 429
// request.rate_limited with Retry-After, audited as denied. The clock is injected: no waiting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { createCredentialRateLimit } from './credential-rate-limit.ts';

describe('credential token bucket (property)', () => {
  it('never allows more than burst + elapsed × rate requests; Retry-After is whole seconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 300 }),
        (perMinute, burst, gaps) => {
          const clock = manualClock(1_000_000);
          const limit = createCredentialRateLimit({ perMinute, burst, clock });
          let allowed = 0;
          let elapsed = 0;
          for (const gap of gaps) {
            clock.advance(gap);
            elapsed += gap;
            const wait = limit.take('k', clock.now());
            if (wait === 0) allowed++;
            else assert.ok(wait >= 1 && Number.isInteger(wait), 'Retry-After is whole seconds');
            assert.ok(allowed <= burst + (elapsed * perMinute) / 60_000 + 1e-9, `allowed ${allowed} after ${elapsed} ms`);
          }
        },
      ),
    );
  });

  it('a Retry-After wait always suffices for the next request', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 20 }), (perMinute, burst) => {
        const clock = manualClock(0);
        const limit = createCredentialRateLimit({ perMinute, burst, clock });
        for (let i = 0; i < burst; i++) assert.equal(limit.take('k', clock.now()), 0);
        const wait = limit.take('k', clock.now());
        assert.ok(wait >= 1);
        clock.advance(wait * 1000);
        assert.equal(limit.take('k', clock.now()), 0);
      }),
    );
  });
});

for (const dialect of dialects) {
  describe(`per-credential rate limit [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const clock = manualClock(Date.parse('2026-04-01T08:00:00Z'));
    before(async () => {
      // 60 per minute = one per second, bursts of 5
      h = await startHarness(dialect, { clock, config: { rateLimit: { perMinute: 60, burst: 5 } } });
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('answers 429 request.rate_limited with Retry-After once a session spent its burst; refills with time', async () => {
      const u = await createUser(h, admin, 'password_user'); // createUser's login does not spend the budget
      for (let i = 0; i < 5; i++)
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200, `request ${i}`);
      const limited = await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'request.rate_limited');
      assert.equal(limited.headers['retry-after'], '1');
      // another credential of the same user has its own budget
      const other = await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } });
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: other.body.accessToken })).status, 200);
      clock.advance(1000);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200, 'one more after a second');
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 429);
      clock.advance(60_000);
      for (let i = 0; i < 5; i++) assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200);
      const rows = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'outcome', 'actor_id'])
        .where('reason', '=', 'request.rate_limited')
        .execute();
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.equal(r.outcome, 'denied');
        assert.equal(r.action, 'auth.whoami');
        assert.equal(r.actor_id, u.id);
      }
    });

    it('refreshing keeps the budget of the session family: no fresh burst', async () => {
      clock.advance(60_000);
      const u = await createUser(h, admin, 'password_user');
      const first = await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } });
      assert.equal(first.status, 200, first.raw);
      let token = first.body.accessToken as string;
      let refreshToken = first.body.refreshToken as string;
      for (let i = 0; i < 5; i++) assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token })).status, 200, `request ${i}`);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token })).status, 429);
      // the refresh itself is public (no bearer token): it works, but the new session shares the bucket
      for (let round = 0; round < 3; round++) {
        const r = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken } });
        assert.equal(r.status, 200, r.raw);
        token = r.body.accessToken;
        refreshToken = r.body.refreshToken;
        const limited = await call(h, 'GET', '/api/v1/auth/whoami', { token });
        assert.equal(limited.status, 429, `round ${round}: the refreshed session is still out of budget`);
        assert.equal(limited.body.error.code, 'request.rate_limited');
      }
      // time refills the family's bucket as usual
      clock.advance(1000);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token })).status, 200);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token })).status, 429);
    });

    it('an API key and the sessions exchanged from it share one budget', async () => {
      clock.advance(60_000);
      const u = await createUser(h, admin, 'password_user');
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: {
          name: 'bucket',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(clock.now() + 86_400_000).toISOString(),
          currentPassword: u.password,
        },
      });
      assert.equal(k.status, 201, k.raw);
      const ex = await call(h, 'POST', '/api/v1/auth/token', { token: k.body.key });
      assert.equal(ex.status, 200);
      let ok = 1; // the exchange itself
      for (let i = 0; i < 6; i++) {
        const t = i % 2 === 0 ? (k.body.key as string) : (ex.body.accessToken as string);
        if ((await call(h, 'GET', '/api/v1/auth/whoami', { token: t })).status === 200) ok++;
      }
      assert.equal(ok, 5, 'five requests in all, through either credential');
    });
  });
}
