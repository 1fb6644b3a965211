// Account passwords (issue 10 §3): at least 15 characters without a second factor, 8 with TOTP,
// not on the breached/common list, not easy to guess (zxcvbn-ts); everywhere a login password is
// set: creation, an administrator's reset, one's own change, the first administrator at init.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../../crypto/totp.ts';
import { isAppError } from '../../lib/app-error.ts';
import { manualClock } from '../../lib/clock.ts';
import { generateAdminPassword } from '../sys/init.ts';
import { passwordProblems } from './password-rules.ts';

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;
const RANDOM_8 = 'Qz7#mK2v';
const RANDOM_14 = 'Qz7#mK2vL9x!pW';
const RANDOM_15 = 'Qz7#mK2vL9x!pW4';
const COMMON_LONG = '123456789987654321'; // on the list, 18 characters
const WEAK_LONG = 'aaaaaaaaaaaaaaaaaaa';

const rules = (problems: Array<{ message: string }>) => problems.map((p) => p.message.split(':')[0]);

describe('account password rules', () => {
  it('length 15 without a second factor, 8 with TOTP; the common list; the strength estimate', () => {
    assert.deepEqual(rules(passwordProblems(RANDOM_14, { totp: false }, '/password')), ['length']);
    assert.deepEqual(rules(passwordProblems(RANDOM_15, { totp: false }, '/password')), []);
    assert.deepEqual(rules(passwordProblems(RANDOM_8, { totp: true }, '/password')), []);
    assert.deepEqual(rules(passwordProblems(RANDOM_8.slice(0, 7), { totp: true }, '/password')), ['length']);
    assert.deepEqual(rules(passwordProblems(COMMON_LONG, { totp: false }, '/password')), ['common']);
    assert.deepEqual(rules(passwordProblems(COMMON_LONG.toUpperCase(), { totp: true }, '/password')), ['common']);
    assert.deepEqual(rules(passwordProblems(WEAK_LONG, { totp: false }, '/password')), ['strength']);
    assert.deepEqual(rules(passwordProblems('password1234567', { totp: true }, '/password')), ['strength']);
    assert.deepEqual(rules(passwordProblems('Jonathan-Smithers-1', { totp: false, userInputs: ['Jonathan-Smithers'] }, '/p')), [
      'strength',
    ]);
    // code points, not UTF-16 units: 14 emoji are 14 characters
    assert.ok(rules(passwordProblems('🔑'.repeat(14), { totp: false }, '/password')).includes('length'));
  });

  it('property: messages name the rule and never the password', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), (pw, totp) => {
        for (const p of passwordProblems(pw, { totp }, '/password')) {
          assert.match(p.message, /^(length|common|strength): /);
          assert.equal(p.path, '/password');
          // (a short password may by chance be a piece of a fixed sentence, such as "ngth")
          if (pw.length >= 12) assert.ok(!p.message.includes(pw));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the generated first administrator password always obeys the rules', () => {
    for (let i = 0; i < 200; i++) {
      assert.deepEqual(passwordProblems(generateAdminPassword('admin'), { totp: false, userInputs: ['admin'] }, '/p'), []);
    }
  });
});

for (const dialect of dialects) {
  describe(`account password rules over HTTP [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);
    const code = (secret: Buffer) => hotp(secret, totpStep(clock.now()));
    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('user creation refuses a short, common or weak password with validation.failed naming /password and the rule', async () => {
      for (const [password, rule] of [
        [RANDOM_14, 'length'],
        [COMMON_LONG, 'common'],
        [WEAK_LONG, 'strength'],
        ['new-hire-2026-x', 'strength'], // the username as the password
      ] as const) {
        const r = await call(h, 'POST', '/api/v1/users', {
          token: admin,
          body: { username: 'new-hire-2026-x', password, role: 'password_user' },
        });
        assert.equal(r.status, 400, `${rule}: ${r.raw}`);
        assert.equal(r.body.error.code, 'validation.failed');
        assert.deepEqual(
          r.body.error.details.map((d: { path: string; message: string }) => [d.path, d.message.split(':')[0]]),
          [['/password', rule]],
        );
        assert.ok(!r.raw.includes(password), 'the answer does not echo the password');
      }
      const ok = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: 'new-hire-2026-x', password: RANDOM_15, role: 'password_user' },
      });
      assert.equal(ok.status, 201, ok.raw);
      const failures = await h.database.db
        .selectFrom('audit_log')
        .select('reason')
        .where('action', '=', 'user.create')
        .where('outcome', '=', 'failure')
        .execute();
      assert.ok(failures.length >= 4 && failures.every((f) => f.reason === 'validation.failed'), 'refusals are audited');
      for (const pw of [RANDOM_14, COMMON_LONG, WEAK_LONG]) assert.ok(!h.logs().includes(pw));
    });

    it("an administrator's reset follows the target's factors: 15 characters, or 8 once it has TOTP", async () => {
      const plain = await createUser(h, admin, 'password_user');
      const short = await call(h, 'POST', `/api/v1/users/${plain.id}/password`, { token: admin, body: { password: RANDOM_14 } });
      assert.equal(short.status, 400);
      assert.equal(short.body.error.details[0].path, '/password');
      assert.match(short.body.error.details[0].message, /^length: at least 15/);
      const common = await call(h, 'POST', `/api/v1/users/${plain.id}/password`, { token: admin, body: { password: COMMON_LONG } });
      assert.match(common.body.error.details[0].message, /^common/);
      assert.equal(
        (await call(h, 'POST', `/api/v1/users/${plain.id}/password`, { token: admin, body: { password: RANDOM_15 } })).status,
        200,
      );

      const mfa = await createUser(h, admin, 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: mfa.token, body: { currentPassword: mfa.password } });
      const secret = base32Decode(begin.body.secret);
      assert.equal((await call(h, 'POST', '/api/v1/me/totp/confirm', { token: mfa.token, body: { code: code(secret) } })).status, 200);
      const eight = await call(h, 'POST', `/api/v1/users/${mfa.id}/password`, { token: admin, body: { password: RANDOM_8 } });
      assert.equal(eight.status, 200, eight.raw);
    });

    it('one’s own change: the rules for one’s factors, checked before re-authentication (a refused one spends no code)', async () => {
      const u = await createUser(h, admin, 'password_user');
      const short = await call(h, 'POST', '/api/v1/me/password', {
        token: u.token,
        body: { currentPassword: u.password, newPassword: RANDOM_14 },
      });
      assert.equal(short.status, 400);
      assert.deepEqual(
        short.body.error.details.map((d: { path: string }) => d.path),
        ['/newPassword'],
      );
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      const secret = base32Decode(begin.body.secret);
      assert.equal((await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: code(secret) } })).status, 200);
      clock.advance(PERIOD_MS);
      const c = code(secret);
      const weak = await call(h, 'POST', '/api/v1/me/password', {
        token: u.token,
        body: { currentPassword: u.password, totpCode: c, newPassword: 'password1234567' },
      });
      assert.equal(weak.status, 400);
      assert.match(weak.body.error.details[0].message, /^strength/);
      const ok = await call(h, 'POST', '/api/v1/me/password', {
        token: u.token,
        body: { currentPassword: u.password, totpCode: c, newPassword: RANDOM_8 },
      });
      assert.equal(ok.status, 200, `8 characters with TOTP, and the same code still works: ${ok.raw}`);
      clock.advance(PERIOD_MS);
      await login(h, u.username, RANDOM_8, { totpCode: code(secret) });
    });

    it('init refuses a first administrator password that breaks the rules; a generated one obeys them', async () => {
      for (const [password, rule] of [
        ['short-password', 'length'],
        [COMMON_LONG, 'common'],
        ['admin-admin-admin', 'strength'],
      ] as const) {
        const fresh = await startHarness(dialect, { init: false });
        try {
          await assert.rejects(
            fresh.coffer.initialize({ mode: 'keyfile', adminUsername: 'admin', adminPassword: password }),
            (e: unknown) => {
              assert.ok(isAppError(e) && e.code === 'validation.failed');
              assert.deepEqual(rules(e.details ?? []), [rule]);
              assert.ok(!e.message.includes(password));
              return true;
            },
          );
          assert.equal((await fresh.coffer.services.seal.status()).initialized, false, 'nothing was created');
        } finally {
          await fresh.close();
        }
      }
      const fresh = await startHarness(dialect, { init: false });
      try {
        const r = await fresh.coffer.initialize({ mode: 'keyfile', adminUsername: 'admin' });
        assert.equal(r.generatedPassword, true);
        assert.deepEqual(passwordProblems(r.adminPassword, { totp: false, userInputs: ['admin'] }, '/p'), []);
      } finally {
        await fresh.close();
      }
    });
  });
}
