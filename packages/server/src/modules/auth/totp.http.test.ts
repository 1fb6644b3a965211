import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../../crypto/totp.ts';
import { manualClock } from '../../lib/clock.ts';

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;

/** A six-digit code that matches none of the steps the server accepts now (step-1..step+1). */
function wrongCode(secret: Buffer, nowMs: number): string {
  const step = totpStep(nowMs);
  const valid = new Set([step - 1, step, step + 1].map((s) => hotp(secret, s)));
  for (let n = 0; ; n++) {
    const c = String((123456 + n * 7919) % 1_000_000).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

for (const dialect of dialects) {
  describe(`TOTP second factor over HTTP [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    // the middle of a time step, so "same step" and "next step" are unambiguous
    const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);
    const code = (secret: Buffer) => hotp(secret, totpStep(clock.now()));
    const totpColumn = async (id: string) =>
      (await h.database.db.selectFrom('users').select(['totp_secret_enc', 'totp_enabled']).where('id', '=', id).executeTakeFirstOrThrow())
        .totp_secret_enc;

    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
    });
    after(async () => h.close());

    /** Enrols and confirms TOTP for a new user; returns the user, the seed and the recovery codes. */
    async function enrolled() {
      const u = await createUser(h, admin, 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(begin.status, 200);
      const secret = base32Decode(begin.body.secret);
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: code(secret) } });
      assert.equal(confirm.status, 200, confirm.raw);
      return { u, secretText: begin.body.secret as string, secret, recoveryCodes: confirm.body.recoveryCodes as string[] };
    }

    it('enrols with a base32 seed, stores it only encrypted, and confirms with a code', async () => {
      const u = await createUser(h, admin, 'password_user');
      const other = await login(h, u.username, u.password);
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(begin.status, 200);
      const secretText = begin.body.secret as string;
      assert.match(secretText, /^[A-Z2-7]{32}$/);
      const secret = base32Decode(secretText);
      assert.equal(secret.length, 20);
      const uri = new URL(begin.body.otpauthUri);
      assert.equal(uri.protocol, 'otpauth:');
      assert.equal(uri.searchParams.get('secret'), secretText);
      assert.equal(uri.searchParams.get('issuer'), 'Coffer');
      assert.equal(uri.searchParams.get('period'), String(TOTP_PERIOD_SECONDS));

      const stored = (await totpColumn(u.id)) ?? '';
      assert.ok(stored.startsWith('c1.'), `encrypted envelope, got ${stored}`);
      for (const clear of [
        secretText,
        secretText.toLowerCase(),
        secret.toString('hex'),
        secret.toString('base64'),
        secret.toString('base64url'),
      ]) {
        assert.ok(!stored.includes(clear), 'the seed is not in the row in any plain encoding');
      }
      // not active until confirmed: login still needs only the password
      await login(h, u.username, u.password);

      const bad = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: wrongCode(secret, clock.now()) } });
      assert.equal(bad.status, 400);
      const ok = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: code(secret) } });
      assert.equal(ok.status, 200);
      const codes = ok.body.recoveryCodes as string[];
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      const enabled = await totpColumn(u.id);
      assert.ok(enabled?.startsWith('c1.') && !enabled.includes(secretText));
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200, 'the confirming session stays');
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: other.accessToken })).status, 401, 'sessions without MFA end');
      const again = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(again.status, 409, 'no silent re-enrolment while enabled');
      assert.equal(await totpColumn(u.id), enabled, 'seed untouched by the refused re-enrolment');

      const rows = await h.database.db.selectFrom('audit_log').select(['details', 'reason']).execute();
      for (const r of rows) assert.ok(!`${r.details} ${r.reason}`.includes(secretText), 'seed not in the audit trail');
      assert.ok(!h.logs().includes(secretText), 'seed not in the logs');
      for (const c of codes) assert.ok(!h.logs().includes(c), 'recovery codes not in the logs');
    });

    it('requires the code, refuses a wrong one, and accepts each code only once', async () => {
      const { u, secret } = await enrolled();
      const creds = { username: u.username, password: u.password };
      const noCode = await call(h, 'POST', '/api/v1/auth/login', { body: creds });
      assert.equal(noCode.status, 401);
      assert.equal(noCode.body.error.code, 'auth.mfa_required');
      const wrong = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: wrongCode(secret, clock.now()) } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'auth.invalid_credentials');
      const badPassword = await call(h, 'POST', '/api/v1/auth/login', {
        body: { ...creds, password: 'nope-nope', totpCode: code(secret) },
      });
      assert.equal(badPassword.status, 401);
      assert.equal(badPassword.body.error.code, 'auth.invalid_credentials', 'a wrong password never reveals that MFA is on');
      // the code that confirmed the enrolment was used in this step: it cannot log in
      const confirmCode = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: code(secret) } });
      assert.equal(confirmCode.status, 401);

      clock.advance(PERIOD_MS);
      const c = code(secret);
      const first = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: c } });
      assert.equal(first.status, 200, first.raw);
      const who = await call(h, 'GET', '/api/v1/auth/whoami', { token: first.body.accessToken });
      assert.equal(who.body.username, u.username);
      const replay = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: c } });
      assert.equal(replay.status, 401, 'the same code in the same step is refused (CVE-2025-6014)');
      assert.equal(replay.body.error.code, 'auth.invalid_credentials');
      const previous = await call(h, 'POST', '/api/v1/auth/login', {
        body: { ...creds, totpCode: hotp(secret, totpStep(clock.now()) - 1) },
      });
      assert.equal(previous.status, 401, 'an older step is refused after a newer one was used');
      // a replay raced against itself: exactly one wins
      clock.advance(PERIOD_MS);
      const raced = await Promise.all(
        Array.from({ length: 4 }, () => call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: code(secret) } })),
      );
      assert.deepEqual(raced.map((r) => r.status).sort(), [200, 401, 401, 401]);
      // the next step's code is accepted early (clock drift), and then the current one no longer is
      const ahead = hotp(secret, totpStep(clock.now()) + 1);
      assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: ahead } })).status, 200);
      clock.advance(PERIOD_MS);
      assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: code(secret) } })).status, 401);
      clock.advance(PERIOD_MS);
      assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, totpCode: code(secret) } })).status, 200);
    });

    it('accepts each recovery code once', async () => {
      const { u, recoveryCodes } = await enrolled();
      const creds = { username: u.username, password: u.password };
      const [rc1, rc2] = recoveryCodes as [string, string];
      const first = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, recoveryCode: rc1 } });
      assert.equal(first.status, 200, first.raw);
      const second = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, recoveryCode: rc1 } });
      assert.equal(second.status, 401);
      assert.equal(second.body.error.code, 'auth.invalid_credentials');
      const other = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, recoveryCode: ` ${rc2.toUpperCase()} ` } });
      assert.equal(other.status, 200, 'case and surrounding spaces do not matter');
      const forged = await call(h, 'POST', '/api/v1/auth/login', { body: { ...creds, recoveryCode: 'aaaaa-bbbbb-ccccc-ddddd' } });
      assert.equal(forged.status, 401);
      const left = await h.database.db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', u.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 8);
      const stored = await h.database.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', u.id).execute();
      for (const r of stored) for (const c of recoveryCodes) assert.ok(!r.code_hash.includes(c), 'recovery codes are stored hashed');
    });

    it('disables TOTP only with the password and a code, ending every session and key', async () => {
      const { u, secret } = await enrolled();
      clock.advance(PERIOD_MS);
      const second = await login(h, u.username, u.password, { totpCode: code(secret) });
      clock.advance(PERIOD_MS);
      const key = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: {
          name: 'k',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(clock.now() + 86_400_000).toISOString(),
          currentPassword: u.password,
          totpCode: code(secret),
        },
      });
      assert.equal(key.status, 201, key.raw);
      clock.advance(PERIOD_MS);
      const wrong = await call(h, 'POST', '/api/v1/me/totp/disable', {
        token: u.token,
        body: { currentPassword: 'not-my-password', totpCode: code(secret) },
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.error.code, 'auth.reauth_failed');
      const noCode = await call(h, 'POST', '/api/v1/me/totp/disable', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(noCode.status, 403, 'the password alone does not turn the second factor off');
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200, 'a refused disable changes nothing');
      const off = await call(h, 'POST', '/api/v1/me/totp/disable', {
        token: u.token,
        body: { currentPassword: u.password, totpCode: code(secret) },
      });
      assert.equal(off.status, 200, off.raw);
      for (const t of [u.token, second.accessToken, key.body.key as string]) {
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: t })).status, 401);
      }
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: second.refreshToken } })).status, 401);
      const row = await h.database.db
        .selectFrom('users')
        .select(['totp_secret_enc', 'totp_enabled'])
        .where('id', '=', u.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.totp_secret_enc, null);
      assert.equal(row.totp_enabled, 0);
      await login(h, u.username, u.password); // password alone again
    });
  });
}
