// Re-authentication (issue 10 §3): a stolen session cannot make itself a lasting credential. New
// recovery codes, API keys, TOTP enrolment and removal, password and e-mail change need the current
// password (and a TOTP code when enrolled); wrong answers count toward the account's lockout like logins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../../crypto/totp.ts';
import { manualClock } from '../../lib/clock.ts';
import { canonicalUsername } from '../identities/username.ts';
import { accountKey } from './login-throttle.ts';

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;

for (const dialect of dialects) {
  describe(`re-authentication for sensitive changes [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    // the middle of a time step, so "same step" and "next step" are unambiguous
    const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);
    const code = (secret: Buffer) => hotp(secret, totpStep(clock.now()));
    const expiry = () => new Date(clock.now() + 30 * 86_400_000).toISOString();
    const keyBody = (extra: Record<string, unknown>) => ({ name: 'k', allowedCidrs: ['127.0.0.1'], expiresAt: expiry(), ...extra });

    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
    });
    after(async () => h.close());

    async function enrolled() {
      const u = await createUser(h, admin, 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(begin.status, 200, begin.raw);
      const secret = base32Decode(begin.body.secret);
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: code(secret) } });
      assert.equal(confirm.status, 200, confirm.raw);
      return { u, secret, recoveryCodes: confirm.body.recoveryCodes as string[] };
    }

    async function auditRows(action: string) {
      return h.database.db
        .selectFrom('audit_log')
        .select(['action', 'outcome', 'reason', 'details', 'actor_id'])
        .where('action', '=', action)
        .orderBy('seq')
        .execute();
    }

    it('each change refuses a missing or wrong current password with 403 auth.reauth_failed, audited as denied; the session stays', async () => {
      const u = await createUser(h, admin, 'password_user');
      const wrong = 'not-the-password-of-this-user';
      const ops: Array<{ path: string; body: Record<string, unknown>; action: string; ok: number }> = [
        { path: '/api/v1/me/api-keys', body: keyBody({}), action: 'apikey.create', ok: 201 },
        { path: '/api/v1/me/email', body: { email: 'reauth@example.com' }, action: 'user.email_change', ok: 200 },
        // TOTP is not on: the right password passes re-authentication and the use case answers 409
        { path: '/api/v1/me/recovery-codes', body: {}, action: 'mfa.recovery_codes_regenerate', ok: 409 },
        { path: '/api/v1/me/totp', body: {}, action: 'mfa.totp_begin', ok: 200 },
        { path: '/api/v1/me/password', body: { newPassword: 'a-fresh-and-long-passphrase-2' }, action: 'user.password_change', ok: 200 },
      ];
      for (const op of ops) {
        const missing = await call(h, 'POST', op.path, { token: u.token, body: op.body });
        assert.equal(missing.status, 400, `${op.path} without currentPassword: ${missing.raw}`);
        assert.equal(missing.body.error.code, 'validation.failed');
        const bad = await call(h, 'POST', op.path, { token: u.token, body: { ...op.body, currentPassword: wrong } });
        assert.equal(bad.status, 403, `${op.path} with a wrong password: ${bad.raw}`);
        assert.equal(bad.body.error.code, 'auth.reauth_failed');
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200, 'the session stays valid');
        const denied = (await auditRows(op.action)).filter((r) => r.actor_id === u.id && r.outcome === 'denied');
        assert.equal(denied.length, 1, `${op.action} denial audited`);
        assert.equal(denied[0]?.reason, 'auth.reauth_failed');
        const good = await call(h, 'POST', op.path, { token: u.token, body: { ...op.body, currentPassword: u.password } });
        assert.equal(good.status, op.ok, `${op.path} with the password: ${good.raw}`);
      }
      const me = await call(h, 'GET', `/api/v1/users/${u.id}`, { token: admin });
      assert.equal(me.body.email, 'reauth@example.com');
      await login(h, u.username, 'a-fresh-and-long-passphrase-2');
      const rows = await h.database.db.selectFrom('audit_log').select(['details', 'reason']).execute();
      const text = JSON.stringify(rows);
      for (const secret of [wrong, u.password, 'a-fresh-and-long-passphrase-2']) {
        assert.ok(!text.includes(secret), 'no password in the audit trail');
        assert.ok(!h.logs().includes(secret), 'no password in the logs');
      }
    });

    it('with TOTP: the password alone is refused, a code counts once, a recovery code works', async () => {
      const { u, secret, recoveryCodes } = await enrolled();
      clock.advance(PERIOD_MS);
      const alone = await call(h, 'POST', '/api/v1/me/recovery-codes', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(alone.status, 403);
      assert.equal(alone.body.error.code, 'auth.reauth_failed');
      assert.deepEqual(
        alone.body.error.details.map((d: { path: string }) => d.path),
        ['/totpCode'],
      );
      // a wrong password does not spend the code
      const c = code(secret);
      const badPassword = await call(h, 'POST', '/api/v1/me/recovery-codes', {
        token: u.token,
        body: { currentPassword: 'not-the-password-of-this-user', totpCode: c },
      });
      assert.equal(badPassword.status, 403);
      const fresh = await call(h, 'POST', '/api/v1/me/recovery-codes', {
        token: u.token,
        body: { currentPassword: u.password, totpCode: c },
      });
      assert.equal(fresh.status, 200, fresh.raw);
      const newCodes = fresh.body.recoveryCodes as string[];
      assert.equal(newCodes.length, 10);
      assert.ok(!newCodes.some((x) => recoveryCodes.includes(x)), 'the old codes are replaced');
      const replay = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: keyBody({ currentPassword: u.password, totpCode: c }),
      });
      assert.equal(replay.status, 403, 'a TOTP step is accepted once');
      clock.advance(PERIOD_MS);
      const key = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: keyBody({ currentPassword: u.password, totpCode: code(secret) }),
      });
      assert.equal(key.status, 201, key.raw);
      const oldCode = await call(h, 'POST', '/api/v1/me/totp/disable', {
        token: u.token,
        body: { currentPassword: u.password, recoveryCode: recoveryCodes[0] },
      });
      assert.equal(oldCode.status, 403, 'a replaced recovery code is dead');
      const off = await call(h, 'POST', '/api/v1/me/totp/disable', {
        token: u.token,
        body: { currentPassword: u.password, recoveryCode: newCodes[0] },
      });
      assert.equal(off.status, 200, off.raw);
    });

    it('turning TOTP on needs the password: a stolen session cannot enrol; wrong answers count toward the lockout', async () => {
      const u = await createUser(h, admin, 'password_user');
      const key = accountKey(h.coffer.services.seal.requireKeys().tokenHmacKey, canonicalUsername(u.username));
      const failures = async () =>
        Number(
          (await h.database.db.selectFrom('login_failures').select('failures').where('account_key', '=', key).executeTakeFirst())
            ?.failures ?? 0,
        );
      const seedOf = async () =>
        (await h.database.db.selectFrom('users').select('totp_secret_enc').where('id', '=', u.id).executeTakeFirstOrThrow())
          .totp_secret_enc;
      const thief = await call(h, 'POST', '/api/v1/me/totp', { token: u.token });
      assert.equal(thief.status, 400, `no password, no enrolment: ${thief.raw}`);
      assert.equal(thief.body.error.code, 'validation.failed');
      for (let i = 0; i < 2; i++) {
        const wrong = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: `guess-${i}-of-the-thief` } });
        assert.equal(wrong.status, 403);
        assert.equal(wrong.body.error.code, 'auth.reauth_failed');
        assert.equal(wrong.body.secret, undefined, 'no seed with a refusal');
      }
      assert.equal(await failures(), 2, 'the wrong passwords count on the login counter');
      assert.equal(await seedOf(), null, 'no seed was stored');
      const refused = (await auditRows('mfa.totp_begin')).filter((r) => r.actor_id === u.id);
      assert.deepEqual(
        refused.map((r) => [r.outcome, r.reason]),
        [
          ['failure', 'validation.failed'],
          ['denied', 'auth.reauth_failed'],
          ['denied', 'auth.reauth_failed'],
        ],
        'every refusal audited',
      );
      const extra = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password, totpCode: '123456' } });
      assert.equal(extra.status, 400, 'only the password: the account has no TOTP yet');
      const ok = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(await failures(), 0, 'the right password clears the counter');
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', {
        token: u.token,
        body: { code: code(base32Decode(ok.body.secret)) },
      });
      assert.equal(confirm.status, 200, confirm.raw);
      // TOTP on: beginning again is a conflict, refused before any proof is checked (nothing counted)
      const again = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: 'a-wrong-password-again' } });
      assert.equal(again.status, 409);
      assert.equal(await failures(), 0);
    });

    it('a caller who may not make a key for someone else spends no TOTP step, recovery code or lockout count on it', async () => {
      const { u, secret, recoveryCodes } = await enrolled();
      const target = await createUser(h, admin, 'password_user');
      const key = accountKey(h.coffer.services.seal.requireKeys().tokenHmacKey, canonicalUsername(u.username));
      const failures = async () =>
        Number(
          (await h.database.db.selectFrom('login_failures').select('failures').where('account_key', '=', key).executeTakeFirst())
            ?.failures ?? 0,
        );
      const lastStep = async () =>
        (await h.database.db.selectFrom('users').select('totp_last_step').where('id', '=', u.id).executeTakeFirstOrThrow()).totp_last_step;
      clock.advance(PERIOD_MS);
      const stepBefore = await lastStep();
      const path = `/api/v1/users/${target.id}/api-keys`;
      const withCode = await call(h, 'POST', path, {
        token: u.token,
        body: keyBody({ currentPassword: u.password, totpCode: code(secret) }),
      });
      assert.equal(withCode.status, 403);
      assert.equal(withCode.body.error.code, 'forbidden');
      assert.equal(await lastStep(), stepBefore, 'the TOTP step was not spent');
      const withRecovery = await call(h, 'POST', path, {
        token: u.token,
        body: keyBody({ currentPassword: u.password, recoveryCode: recoveryCodes[0] }),
      });
      assert.equal(withRecovery.body.error.code, 'forbidden');
      for (let i = 0; i < 3; i++) {
        const wrong = await call(h, 'POST', path, {
          token: u.token,
          body: keyBody({ currentPassword: `wrong-${i}`, totpCode: code(secret) }),
        });
        assert.equal(wrong.body.error.code, 'forbidden', 'refused for what it is, not for the proof');
      }
      assert.equal(await failures(), 0, 'nothing counted toward the lockout');
      const denials = (await auditRows('apikey.create')).filter((r) => r.actor_id === u.id);
      assert.equal(denials.length, 5);
      assert.ok(denials.every((r) => r.outcome === 'denied' && r.reason === 'forbidden'));
      // the code and the recovery code still work where the caller is allowed
      const own = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: keyBody({ currentPassword: u.password, totpCode: code(secret) }),
      });
      assert.equal(own.status, 201, own.raw);
      const regenerated = await call(h, 'POST', '/api/v1/me/recovery-codes', {
        token: u.token,
        body: { currentPassword: u.password, recoveryCode: recoveryCodes[0] },
      });
      assert.equal(regenerated.status, 200, `the recovery code was not spent: ${regenerated.raw}`);
    });

    it('an administrator re-authenticates as themselves to make a key for someone else; API users cannot make their own', async () => {
      const other = await createUser(h, admin, 'password_user');
      const apiUser = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: `robot-${dialect}`, kind: 'api', role: 'password_user' },
      });
      assert.equal(apiUser.status, 201);
      const path = `/api/v1/users/${apiUser.body.id}/api-keys`;
      const asOther = await call(h, 'POST', path, { token: admin, body: keyBody({ currentPassword: other.password }) });
      assert.equal(asOther.status, 403, "another user's password does not re-authenticate the administrator");
      assert.equal(asOther.body.error.code, 'auth.reauth_failed');
      const k = await call(h, 'POST', path, { token: admin, body: keyBody({ currentPassword: ADMIN.password }) });
      assert.equal(k.status, 201, k.raw);
      // the API user, holding only its key, cannot mint another one
      const own = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: k.body.key,
        body: keyBody({ currentPassword: 'anything-at-all' }),
      });
      assert.equal(own.status, 403);
      assert.equal(own.body.error.code, 'auth.reauth_failed');
      // nor can a non-administrator make one for another user, whatever the password
      const forOther = await call(h, 'POST', path, { token: other.token, body: keyBody({ currentPassword: other.password }) });
      assert.equal(forOther.status, 403);
      assert.equal(forOther.body.error.code, 'forbidden');
    });

    it("an administrator's PATCH that changes an e-mail needs the administrator's re-authentication", async () => {
      const u = await createUser(h, admin, 'password_user', { email: 'before@example.com' });
      const plain = await call(h, 'PATCH', `/api/v1/users/${u.id}`, { token: admin, body: { firstName: 'Ann' } });
      assert.equal(plain.status, 200, 'other fields need nothing');
      const same = await call(h, 'PATCH', `/api/v1/users/${u.id}`, { token: admin, body: { email: 'before@example.com' } });
      assert.equal(same.status, 200, 'an unchanged e-mail needs nothing');
      const missing = await call(h, 'PATCH', `/api/v1/users/${u.id}`, { token: admin, body: { email: 'after@example.com' } });
      assert.equal(missing.status, 403);
      assert.equal(missing.body.error.code, 'auth.reauth_failed');
      const wrong = await call(h, 'PATCH', `/api/v1/users/${u.id}`, {
        token: admin,
        body: { email: 'after@example.com', currentPassword: u.password },
      });
      assert.equal(wrong.status, 403, "the target's password is not the administrator's");
      assert.equal((await call(h, 'GET', `/api/v1/users/${u.id}`, { token: admin })).body.email, 'before@example.com');
      const ok = await call(h, 'PATCH', `/api/v1/users/${u.id}`, {
        token: admin,
        body: { email: 'after@example.com', currentPassword: ADMIN.password },
      });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(ok.body.email, 'after@example.com');
      const rec = (await auditRows('user.update')).at(-1);
      assert.equal(rec?.outcome, 'success');
      assert.deepEqual(JSON.parse(rec?.details ?? '{}').fields, ['email'], 'the audit names the field, not the password');
    });

    it('wrong answers count toward the lockout of logins (same counter), and a locked account cannot re-authenticate', async () => {
      const u = await createUser(h, admin, 'password_user');
      const key = accountKey(h.coffer.services.seal.requireKeys().tokenHmacKey, canonicalUsername(u.username));
      const failures = async () =>
        Number(
          (await h.database.db.selectFrom('login_failures').select('failures').where('account_key', '=', key).executeTakeFirst())
            ?.failures ?? 0,
        );
      for (let i = 0; i < 5; i++) {
        const r = await call(h, 'POST', '/api/v1/me/email', {
          token: u.token,
          body: { email: 'x@example.com', currentPassword: `wrong-${i}` },
        });
        assert.equal(r.status, 403);
      }
      assert.equal(await failures(), 5, 'five wrong answers on the login counter');
      // the fifth failure locks the name (progressive lock): the right password does not log in
      const locked = await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password }, ip: '10.66.0.1' });
      assert.equal(locked.status, 401);
      assert.equal(locked.body.error.code, 'auth.invalid_credentials');
      const lockedReauth = await call(h, 'POST', '/api/v1/me/email', {
        token: u.token,
        body: { email: 'x@example.com', currentPassword: u.password },
      });
      assert.equal(lockedReauth.status, 403, 'a locked account cannot re-authenticate, even with the right password');
      assert.equal(await failures(), 7, 'and those attempts count as well');
      clock.advance(10 * 60_000);
      const ok = await call(h, 'POST', '/api/v1/me/email', {
        token: u.token,
        body: { email: 'x@example.com', currentPassword: u.password },
      });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(await failures(), 0, 'a right answer clears the counter, as a login does');
      // and failed logins count toward re-authentication
      for (let i = 0; i < 6; i++) {
        await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: `nope-${i}` }, ip: `10.66.1.${i + 1}` });
      }
      const afterLogins = await call(h, 'POST', '/api/v1/me/email', {
        token: u.token,
        body: { email: 'y@example.com', currentPassword: u.password },
      });
      assert.equal(afterLogins.status, 403, 'locked by failed logins');
    });
  });
}
