// The web UI's session over HTTP (ADR 0017), on both dialects: sign in at /ui/session (password,
// TOTP, recovery code, a forced password change), the cookie's attributes, the native routes under
// /ui with the cookie, sign out, idle and absolute deadlines on the injected clock, no refresh
// token, and audit records with via=web.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { setCookies, ui, uiLogin } from '../../../test/web.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../../crypto/totp.ts';
import { manualClock } from '../../lib/clock.ts';

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;
const MIN = 60_000;

for (const dialect of dialects) {
  describe(`web UI session (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    // the middle of a TOTP time step, so "the next step" is unambiguous
    const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);

    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
    });
    after(async () => h.close());

    const webRecords = async () => {
      const r = await call(h, 'GET', '/api/v1/audit?via=web&limit=1000', { token: admin });
      assert.equal(r.status, 200, r.raw);
      return r.body.items as Array<{ action: string; outcome: string; actorName: string | null; via: string; reason: string | null }>;
    };

    it('signs in, works through /ui/api/v1 with the cookie, signs out; the cookie is refused after', async () => {
      const u = await createUser(h, admin, 'password_user');
      const s = await uiLogin(h, u.username, u.password);
      assert.equal(s.body.user.username, u.username);
      assert.equal(s.body.user.authMethod, 'session');
      assert.equal(s.body.mustChangePassword, false);
      assert.equal(s.body.idleSeconds, 1800);
      assert.equal(s.body.absoluteExpiresAt, new Date(clock.now() + 43200 * 1000).toISOString());
      assert.match(s.csrfToken, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(Object.keys(s.body).sort(), ['absoluteExpiresAt', 'csrfToken', 'idleSeconds', 'mustChangePassword', 'user']);
      // the token is in the cookie only, never in the body the script reads
      assert.ok(!JSON.stringify(s.body).includes(s.cookie.split('=')[1] as string));

      const again = await ui(h, 'GET', '/ui/session', { session: s });
      assert.equal(again.status, 200, again.raw);
      assert.equal(again.body.csrfToken, s.csrfToken, 'one CSRF token per session');
      assert.equal(again.body.user.sessionId, s.body.user.sessionId);

      const created = await ui(h, 'POST', '/ui/api/v1/vaults', { session: s, body: { name: 'Web vault' } });
      assert.equal(created.status, 201, created.raw);
      const list = await ui(h, 'GET', '/ui/api/v1/vaults', { session: s });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((v: { name: string }) => v.name),
        ['Web vault'],
      );
      // the same object natively: one store, one set of services
      assert.equal((await call(h, 'GET', `/api/v1/vaults/${created.body.id}`, { token: u.token })).status, 200);

      const out = await ui(h, 'DELETE', '/ui/session', { session: s });
      assert.equal(out.status, 204, out.raw);
      const [cleared] = setCookies(out);
      assert.match(cleared ?? '', /^coffer_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
      for (const url of ['/ui/session', '/ui/api/v1/vaults']) {
        const r = await ui(h, 'GET', url, { session: s });
        assert.equal(r.status, 401, `${url}: ${r.raw}`);
        assert.equal(r.body.error.code, 'auth.invalid_token');
        assert.equal(r.headers['www-authenticate'], undefined, 'no bearer challenge on /ui');
        assert.match(setCookies(r)[0] ?? '', /Max-Age=0/, 'a dead session cookie is cleared');
      }
      const none = await ui(h, 'GET', '/ui/session');
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'auth.required');
    });

    it('sets the cookie HttpOnly, SameSite=Strict, Path=/, for the browser session only, not Secure over plain HTTP', async () => {
      const s = await uiLogin(h, ADMIN.username, ADMIN.password);
      const [name, ...attrs] = s.setCookie.split('; ');
      assert.match(name ?? '', /^coffer_session=cfs_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(attrs.sort(), ['HttpOnly', 'Path=/', 'SameSite=Strict']);
    });

    it('a web session has no refresh token, and the token routes do not exist under /ui', async () => {
      const s = await uiLogin(h, ADMIN.username, ADMIN.password);
      const rows = await h.database.db
        .selectFrom('refresh_tokens')
        .select('token_hash')
        .where('session_id', '=', s.body.user.sessionId)
        .execute();
      assert.equal(rows.length, 0);
      const session = await h.database.db
        .selectFrom('sessions')
        .select('audience')
        .where('id', '=', s.body.user.sessionId)
        .executeTakeFirstOrThrow();
      assert.equal(session.audience, 'web');
      for (const url of ['/ui/api/v1/auth/login', '/ui/api/v1/auth/refresh', '/ui/api/v1/auth/token']) {
        const r = await ui(h, 'POST', url, { session: s, body: { username: ADMIN.username, password: ADMIN.password } });
        assert.equal(r.status, 404, `${url}: ${r.raw}`);
        assert.equal(r.body.error.code, 'not_found');
        assert.deepEqual(setCookies(r), []);
      }
    });

    it('signs in with TOTP through /ui/session: mfa_required, then a code, then a recovery code', async () => {
      const u = await createUser(h, admin, 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(begin.status, 200, begin.raw);
      const secret = base32Decode(begin.body.secret);
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', {
        token: u.token,
        body: { code: hotp(secret, totpStep(clock.now())) },
      });
      assert.equal(confirm.status, 200, confirm.raw);
      const recovery = (confirm.body.recoveryCodes as string[])[0] as string;
      clock.advance(PERIOD_MS); // the code of the enrolment step is spent

      const first = await ui(h, 'POST', '/ui/session', { body: { username: u.username, password: u.password } });
      assert.equal(first.status, 401, first.raw);
      assert.equal(first.body.error.code, 'auth.mfa_required');
      assert.deepEqual(setCookies(first), []);
      const wrong = await ui(h, 'POST', '/ui/session', {
        body: { username: u.username, password: u.password, totpCode: hotp(secret, totpStep(clock.now()) + 5) },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'auth.invalid_credentials');

      const s = await uiLogin(h, u.username, u.password, { totpCode: hotp(secret, totpStep(clock.now())) });
      assert.equal((await ui(h, 'GET', '/ui/api/v1/auth/whoami', { session: s })).body.username, u.username);
      const byRecovery = await uiLogin(h, u.username, u.password, { recoveryCode: recovery });
      assert.equal(byRecovery.body.user.username, u.username);
      const reused = await ui(h, 'POST', '/ui/session', { body: { username: u.username, password: u.password, recoveryCode: recovery } });
      assert.equal(reused.status, 401, 'a recovery code works once');
    });

    it('a temporary password: the web session may only read itself, change the password and sign out', async () => {
      const username = `temp_${Date.now().toString(36)}`;
      const temporary = 'temporary-password-3x9';
      const created = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username, password: temporary, role: 'password_user' },
      });
      assert.equal(created.status, 201, created.raw);
      const s = await uiLogin(h, username, temporary);
      assert.equal(s.body.mustChangePassword, true);
      assert.equal((await ui(h, 'GET', '/ui/session', { session: s })).body.mustChangePassword, true);
      const blocked = await ui(h, 'GET', '/ui/api/v1/vaults', { session: s });
      assert.equal(blocked.status, 403);
      assert.equal(blocked.body.error.code, 'auth.password_change_required');

      const newPassword = 'a-brand-new-passphrase-for-web';
      const noCsrf = await ui(h, 'POST', '/ui/api/v1/me/password', {
        session: { ...s, csrfToken: '' },
        body: { currentPassword: temporary, newPassword },
      });
      assert.equal(noCsrf.status, 403);
      assert.equal(noCsrf.body.error.code, 'auth.csrf_failed');
      const changed = await ui(h, 'POST', '/ui/api/v1/me/password', { session: s, body: { currentPassword: temporary, newPassword } });
      assert.equal(changed.status, 200, changed.raw);
      // a password change ends every session, this one too: the UI signs in again
      assert.equal((await ui(h, 'GET', '/ui/session', { session: s })).status, 401);
      const fresh = await uiLogin(h, username, newPassword);
      assert.equal(fresh.body.mustChangePassword, false);
      assert.equal((await ui(h, 'GET', '/ui/api/v1/vaults', { session: fresh })).status, 200);
    });

    it('renews by activity only: refused after idleSeconds without a request, and at the absolute deadline', async () => {
      const u = await createUser(h, admin, 'password_user');
      const s = await uiLogin(h, u.username, u.password);
      const absolute = s.body.absoluteExpiresAt;
      clock.advance(20 * MIN);
      assert.equal((await ui(h, 'GET', '/ui/session', { session: s })).status, 200);
      clock.advance(20 * MIN); // 40 minutes after sign-in, 20 after the last request
      const alive = await ui(h, 'GET', '/ui/api/v1/vaults', { session: s });
      assert.equal(alive.status, 200, 'activity pushed the idle deadline');
      assert.equal((await ui(h, 'GET', '/ui/session', { session: s })).body.absoluteExpiresAt, absolute, 'absolute deadline kept');
      clock.advance(31 * MIN);
      const idle = await ui(h, 'GET', '/ui/session', { session: s });
      assert.equal(idle.status, 401, idle.raw);
      assert.equal(idle.body.error.code, 'auth.invalid_token');
      assert.match(setCookies(idle)[0] ?? '', /^coffer_session=; .*Max-Age=0/);

      // a session kept busy still ends at its absolute deadline (12 hours in the test config)
      const busy = await uiLogin(h, u.username, u.password);
      const end = Date.parse(busy.body.absoluteExpiresAt);
      while (clock.now() + 25 * MIN < end) {
        clock.advance(25 * MIN);
        assert.equal((await ui(h, 'GET', '/ui/session', { session: busy })).status, 200);
      }
      clock.set(end);
      assert.equal((await ui(h, 'GET', '/ui/session', { session: busy })).status, 401);
    });

    it('audits everything done through the UI with via=web, refusals too', async () => {
      admin = await adminToken(h); // the clock moved hours on in the test before
      const u = await createUser(h, admin, 'password_user');
      const bad = await ui(h, 'POST', '/ui/session', { body: { username: u.username, password: 'not-the-password-at-all' } });
      assert.equal(bad.status, 401);
      const s = await uiLogin(h, u.username, u.password);
      assert.equal((await ui(h, 'POST', '/ui/api/v1/vaults', { session: s, body: { name: 'Audited via web' } })).status, 201);
      assert.equal((await ui(h, 'POST', '/ui/api/v1/vaults', { session: { ...s, csrfToken: 'x' }, body: { name: 'Forged' } })).status, 403);
      assert.equal((await ui(h, 'DELETE', '/ui/session', { session: s })).status, 204);

      const mine = (await webRecords()).filter((r) => r.actorName === u.username || r.action === 'auth.login');
      const seen = (action: string, outcome: string) => mine.some((r) => r.action === action && r.outcome === outcome);
      assert.ok(seen('auth.login', 'denied'), 'the failed sign-in');
      assert.ok(seen('auth.login', 'success'), 'the sign-in');
      assert.ok(seen('vault.create', 'success'), 'the vault');
      assert.ok(
        mine.some((r) => r.action === 'vault.create' && r.outcome === 'denied' && r.reason === 'auth.csrf_failed'),
        'the forged request',
      );
      assert.ok(seen('auth.logout', 'success'), 'the sign-out');
      assert.ok(
        mine.every((r) => r.via === 'web'),
        JSON.stringify(mine),
      );
      // and the native API's records are not web's
      const native = await call(h, 'GET', '/api/v1/audit?via=native&action=vault.create&limit=1000', { token: admin });
      assert.ok(!native.body.items.some((r: { actorName: string }) => r.actorName === u.username));
    });
  });
}
