import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, type Res, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { accountKey, HARD_LOCK_UNTIL, lockUntil, MAX_PROGRESSIVE_LOCK_MS } from './login-throttle.ts';

const LOGIN = { freeFailures: 5, hardLockFailures: 8, perIpPerMinute: 20 };

/** `admin` -> `ａｄｍｉｎ` (the full-width forms NFKC folds back to ASCII). */
function fullWidth(s: string): string {
  return [...s].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
}

let ipSeq = 0;
/** A fresh client address per attempt, so the per-address limit never interferes with per-account tests. */
function freshIp(): string {
  ipSeq++;
  return `10.77.${Math.floor(ipSeq / 250)}.${(ipSeq % 250) + 1}`;
}

function attempt(h: Pick<Harness, 'app'>, username: string, password: string, ip = freshIp(), extra: Record<string, string> = {}) {
  return call(h, 'POST', '/api/v1/auth/login', { body: { username, password, ...extra }, ip });
}

/** What a refusal looks like from outside, minus the per-request id. */
function outward(r: Res) {
  return {
    status: r.status,
    body: { ...r.body, error: { ...r.body?.error, requestId: '<id>' } },
    headers: Object.keys(r.headers)
      .filter((k) => !['date', 'x-request-id'].includes(k))
      .sort(),
    retryAfter: r.headers['retry-after'],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

describe('lockUntil (property)', () => {
  const arbLimits = fc.record({ free: fc.integer({ min: 1, max: 20 }), hard: fc.integer({ min: 5, max: 100 }) });
  const arbNow = fc.integer({ min: 0, max: 4_000_000_000_000 });

  it('is monotone in the number of failures', () => {
    fc.assert(
      fc.property(arbLimits, arbNow, fc.nat(200), fc.nat(200), ({ free, hard }, now, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return lockUntil(lo, now, free, hard) <= lockUntil(hi, now, free, hard);
      }),
    );
  });

  it('is 0 below freeFailures, a hard lock from hardLockFailures, at most 15 minutes in between', () => {
    fc.assert(
      fc.property(arbLimits, arbNow, fc.nat(200), ({ free, hard }, now, failures) => {
        const until = lockUntil(failures, now, free, hard);
        if (failures >= hard) {
          assert.equal(until, HARD_LOCK_UNTIL);
        } else if (failures < free) {
          assert.equal(until, 0);
        } else {
          assert.ok(until >= now + 1000, 'a progressive lock lasts at least a second');
          assert.ok(until <= now + MAX_PROGRESSIVE_LOCK_MS, 'a progressive lock never exceeds 15 minutes');
        }
      }),
    );
  });

  it('doubles from 1 s after freeFailures until the 15-minute cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), arbNow, fc.nat(30), (free, now, extra) => {
        const until = lockUntil(free + extra, now, free, 1000);
        assert.equal(until - now, Math.min(2 ** extra * 1000, MAX_PROGRESSIVE_LOCK_MS));
      }),
    );
  });

  it('keeps the hard lock far beyond any clock the server will see', () => {
    assert.ok(HARD_LOCK_UNTIL > Date.now() + 100 * 365 * 86400_000);
  });
});

for (const dialect of dialects) {
  describe(`login lockout over HTTP [${dialect}]`, () => {
    let h: Harness;
    const clock = manualClock();
    before(async () => {
      h = await startHarness(dialect, { clock, config: { login: LOGIN } });
    });
    after(async () => h.close());

    const failuresOf = (canonical: string) =>
      h.database.db
        .selectFrom('login_failures')
        .selectAll()
        .where('account_key', '=', accountKey(h.coffer.services.seal.requireKeys().tokenHmacKey, canonical))
        .executeTakeFirst();

    it('shares one counter across spellings and hides the lock behind the wrong-password answer', async () => {
      const spellings = ['Admin', ' admin ', fullWidth('admin'), 'ADMIN', ` ${fullWidth('Admin')}`];
      let lastWrong: Res | undefined;
      for (const name of spellings) {
        lastWrong = await attempt(h, name, 'not-the-password');
        assert.equal(lastWrong.status, 401);
        assert.equal(lastWrong.body.error.code, 'auth.invalid_credentials');
      }
      const row = await failuresOf('admin');
      assert.equal(row?.failures, LOGIN.freeFailures, 'every spelling counted on the one canonical name');
      assert.equal(Number(row?.locked_until), clock.now() + 1000, 'the fifth failure locks for 1 s');
      // locked: the correct password gets exactly the wrong-password answer
      const correctLocked = await attempt(h, fullWidth('admin'), ADMIN.password);
      const wrongLocked = await attempt(h, 'Admin', 'still-not-the-password');
      assert.equal(correctLocked.status, 401);
      assert.deepEqual(outward(correctLocked), outward(lastWrong as Res));
      assert.deepEqual(outward(correctLocked), outward(wrongLocked));
      assert.equal(correctLocked.headers['retry-after'], undefined, 'no hint of the lock');
      const locked = await failuresOf('admin');
      assert.equal(locked?.failures, LOGIN.freeFailures + 2, 'refusals while locked count too');
      assert.equal(Number(locked?.locked_until), clock.now() + 4000, 'the lock doubles with each further failure');
      // an unknown name is throttled on its canonical form as well
      for (let i = 0; i < 2; i++) await attempt(h, ` Ghost-${dialect} `, 'x');
      assert.equal((await failuresOf(`ghost-${dialect}`))?.failures, 2);

      clock.advance(4001);
      const t = await login(h, ' ADMIN ', ADMIN.password, {}, freshIp());
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: t.accessToken })).body.username, 'admin');
      assert.equal(await failuresOf('admin'), undefined, 'a successful login clears the counter');
    });

    it('keeps a hard lock through time until an administrator unlocks the account', async () => {
      const admin = await adminToken(h);
      const u = await createUser(h, admin, 'password_user');
      for (let i = 1; i <= LOGIN.hardLockFailures; i++) {
        const r = await attempt(h, i % 2 ? u.username.toUpperCase() : fullWidth(u.username), 'wrong-password');
        assert.equal(r.status, 401);
      }
      const row = await failuresOf(u.username);
      assert.equal(row?.failures, LOGIN.hardLockFailures);
      assert.equal(Number(row?.locked_until), HARD_LOCK_UNTIL);
      for (const step of [MAX_PROGRESSIVE_LOCK_MS + 1, 86400_000, 30 * 86400_000]) {
        clock.advance(step);
        const r = await attempt(h, u.username, u.password);
        assert.equal(r.status, 401, 'still locked after time passes');
        assert.equal(r.body.error.code, 'auth.invalid_credentials');
      }
      const freshAdmin = await adminToken(h); // the clock moved past the old session's lifetime
      const other = await createUser(h, freshAdmin, 'password_user');
      const denied = await call(h, 'POST', `/api/v1/users/${u.id}/unlock`, { token: other.token });
      assert.equal(denied.status, 403, 'only administrators unlock');
      assert.equal((await attempt(h, u.username, u.password)).status, 401);
      const unlock = await call(h, 'POST', `/api/v1/users/${u.id}/unlock`, { token: freshAdmin });
      assert.equal(unlock.status, 200);
      assert.deepEqual(unlock.body, { ok: true });
      assert.equal(await failuresOf(u.username), undefined);
      await login(h, fullWidth(u.username), u.password, {}, freshIp());
    });

    it('counts every one of many parallel failures (no lost update)', async () => {
      const admin = await adminToken(h);
      const u = await createUser(h, admin, 'password_user');
      const n = 24;
      const rs = await Promise.all(
        Array.from({ length: n }, (_, i) => attempt(h, i % 2 ? u.username : ` ${u.username.toUpperCase()}`, 'guess')),
      );
      assert.ok(rs.every((r) => r.status === 401));
      const row = await failuresOf(u.username);
      assert.equal(row?.failures, n);
      assert.equal(Number(row?.locked_until), HARD_LOCK_UNTIL, 'parallel guessing reaches the hard lock like serial guessing');
      assert.equal((await attempt(h, u.username, u.password)).status, 401);
    });

    it('answers 429 with Retry-After to an address with too many failures, while others still get 401', async () => {
      const noisy = '198.51.100.7';
      for (let i = 0; i < LOGIN.perIpPerMinute; i++) {
        const r = await attempt(h, `nobody-${i}-${randomBytes(3).toString('hex')}`, 'guess', noisy);
        assert.equal(r.status, 401, `failure ${i + 1} is an ordinary 401`);
      }
      const limited = await attempt(h, 'nobody-more', 'guess', noisy);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'auth.rate_limited');
      const retry = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${String(limited.headers['retry-after'])}`);
      const limitedCorrect = await attempt(h, ADMIN.username, ADMIN.password, noisy);
      assert.equal(limitedCorrect.status, 429, 'even the right password waits');
      const elsewhere = await attempt(h, 'nobody-else', 'guess', '198.51.100.8');
      assert.equal(elsewhere.status, 401);
      assert.equal(elsewhere.body.error.code, 'auth.invalid_credentials');
      await login(h, ADMIN.username, ADMIN.password, {}, '198.51.100.9');
      clock.advance(retry * 1000);
      const later = await attempt(h, ADMIN.username, ADMIN.password, noisy);
      assert.equal(later.status, 200, 'the window slides');
    });

    it('spends the same hashing work on unknown users as on wrong passwords', async () => {
      const admin = await adminToken(h);
      const victims = await Promise.all(Array.from({ length: 3 }, () => createUser(h, admin, 'password_user')));
      const unknown: number[] = [];
      const wrong: number[] = [];
      const timed = async (name: string, out: number[]) => {
        const t0 = performance.now();
        const r = await attempt(h, name, 'definitely-wrong-password');
        out.push(performance.now() - t0);
        assert.equal(r.status, 401);
      };
      await timed(`warm-${randomBytes(4).toString('hex')}`, []); // the dummy hash is made on first use
      await timed((victims[0] as { username: string }).username, []);
      for (let i = 0; i < 10; i++) {
        await timed(`nobody-${randomBytes(6).toString('hex')}`, unknown);
        await timed((victims[i % victims.length] as { username: string }).username, wrong);
      }
      const ratio = median(unknown) / median(wrong);
      assert.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms vs wrong ${median(wrong).toFixed(1)} ms`);
    });
  });
}
