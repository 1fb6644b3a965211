// Administrators see lockouts: user records carry the lock, the failed attempts and the last login.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';

let ipSeq = 0;
const freshIp = () => `10.88.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;
const iso = (ms: number) => new Date(ms).toISOString();

for (const dialect of dialects) {
  describe(`login activity on user records [${dialect}]`, () => {
    let h: Harness;
    const clock = manualClock(Date.UTC(2030, 0, 1, 9, 0, 0));
    let admin: string;

    before(async () => {
      h = await startHarness(dialect, { clock, config: { login: { freeFailures: 2, hardLockFailures: 5, perIpPerMinute: 20 } } });
      admin = await adminToken(h);
    });
    after(async () => h.close());

    const activity = async (token: string, id: string) => {
      const r = await call(h, 'GET', `/api/v1/users/${id}`, { token });
      assert.equal(r.status, 200, r.raw);
      return r.body.loginActivity;
    };
    const fail = async (username: string) => {
      const r = await call(h, 'POST', '/api/v1/auth/login', { body: { username, password: 'wrong-password-1234' }, ip: freshIp() });
      assert.equal(r.status, 401, r.raw);
    };

    it('shows the last login, failed attempts, a progressive lock and a hard lock; an unlock clears them', async () => {
      const t0 = clock.now();
      const u = await createUser(h, admin, 'password_user');
      assert.deepEqual(await activity(admin, u.id), {
        locked: false,
        lockedUntil: null,
        hardLocked: false,
        failedLogins: 0,
        lastFailedLoginAt: null,
        lastLoginAt: iso(t0),
      });

      clock.advance(60_000);
      const t1 = clock.now();
      // name variants share one counter, and so one record
      await fail(u.username.toUpperCase());
      await fail(` ${u.username} `);
      assert.deepEqual(await activity(admin, u.id), {
        locked: true,
        lockedUntil: iso(t1 + 1000),
        hardLocked: false,
        failedLogins: 2,
        lastFailedLoginAt: iso(t1),
        lastLoginAt: iso(t0),
      });
      clock.advance(5_000);
      const unlocked = await activity(admin, u.id);
      assert.equal(unlocked.locked, false, 'a progressive lock ends by itself');
      assert.equal(unlocked.failedLogins, 2);

      for (let i = 0; i < 3; i++) await fail(u.username);
      const hard = await activity(admin, u.id);
      assert.deepEqual([hard.locked, hard.hardLocked, hard.lockedUntil, hard.failedLogins], [true, true, null, 5]);

      // the list shows the same, for every user, from one read of the counters
      const list = await call(h, 'GET', '/api/v1/users?limit=200', { token: admin });
      assert.equal(list.status, 200, list.raw);
      assert.deepEqual(list.body.items.find((x: { id: string }) => x.id === u.id).loginActivity, hard);
      assert.ok(list.body.items.every((x: { loginActivity?: unknown }) => x.loginActivity !== undefined));
      const adminRow = list.body.items.find((x: { username: string }) => x.username === 'admin');
      assert.equal(adminRow.loginActivity.failedLogins, 0);
      assert.ok(adminRow.loginActivity.lastLoginAt);

      assert.equal((await call(h, 'POST', `/api/v1/users/${u.id}/unlock`, { token: admin })).status, 200);
      clock.advance(1000);
      const t2 = clock.now();
      await login(h, u.username, u.password);
      assert.deepEqual(await activity(admin, u.id), {
        locked: false,
        lockedUntil: null,
        hardLocked: false,
        failedLogins: 0,
        lastFailedLoginAt: null,
        lastLoginAt: iso(t2),
      });
    });

    it('only users.read holders see it for others; a user sees their own', async () => {
      const a = await createUser(h, admin, 'password_user');
      const b = await createUser(h, admin, 'password_user');
      const auditor = await createUser(h, admin, 'password_auditor');
      assert.equal((await call(h, 'GET', `/api/v1/users/${b.id}`, { token: a.token })).status, 403);
      assert.equal((await call(h, 'GET', '/api/v1/users', { token: a.token })).status, 403);
      assert.equal((await activity(a.token, a.id)).failedLogins, 0);
      await fail(b.username);
      assert.equal((await activity(auditor.token, b.id)).failedLogins, 1);
      // other answers that present a user do not carry it
      const upd = await call(h, 'PATCH', `/api/v1/users/${b.id}`, { token: admin, body: { department: 'Ops' } });
      assert.equal(upd.status, 200, upd.raw);
      assert.equal(upd.body.loginActivity, undefined);
    });
  });
}
