// Signing in again in the same browser (ADR 0017): POST /ui/session with the cookie of an earlier
// web session ends that session (audited, via web) before the new cookie replaces it, so the old
// cookie value is refused afterwards. On both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { ui, uiLogin } from '../../../test/web.ts';

for (const dialect of dialects) {
  describe(`web UI: signing in again replaces the session (${dialect})`, () => {
    let h: Harness;
    let admin: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    const logouts = async () => {
      const r = await call(h, 'GET', '/api/v1/audit?action=auth.logout&via=web&limit=1000', { token: admin });
      assert.equal(r.status, 200, r.raw);
      return r.body.items as Array<{ objectId: string | null; outcome: string; actorName: string | null; reason: string | null }>;
    };

    it('the cookie of the earlier session is refused after a new sign-in in the same browser, and that is audited', async () => {
      const u = await createUser(h, admin, 'password_user');
      const first = await uiLogin(h, u.username, u.password);
      assert.equal((await ui(h, 'GET', '/ui/session', { session: first })).status, 200);
      // the browser sends its current cookie with the sign-in
      const second = await ui(h, 'POST', '/ui/session', {
        body: { username: u.username, password: u.password },
        headers: { cookie: first.cookie },
      });
      assert.equal(second.status, 200, second.raw);
      const cookie = String([second.headers['set-cookie']].flat()[0]).split(';')[0] as string;
      assert.notEqual(cookie, first.cookie);
      const old = await ui(h, 'GET', '/ui/session', { session: first });
      assert.equal(old.status, 401, old.raw);
      assert.equal(old.body.error.code, 'auth.invalid_token');
      const now = await ui(h, 'GET', '/ui/session', { session: { cookie, csrfToken: second.body.csrfToken } });
      assert.equal(now.status, 200, now.raw);
      const rec = (await logouts()).find((r) => r.objectId === first.body.user.sessionId);
      assert.ok(rec, 'the end of the replaced session is audited');
      assert.equal(rec.outcome, 'success');
      assert.equal(rec.actorName, u.username);
      assert.match(rec.reason ?? '', /replaced/);
    });

    it("another user's sign-in in the same browser ends the earlier user's session", async () => {
      const u = await createUser(h, admin, 'password_user');
      const first = await uiLogin(h, u.username, u.password);
      const r = await ui(h, 'POST', '/ui/session', {
        body: { username: ADMIN.username, password: ADMIN.password },
        headers: { cookie: first.cookie },
      });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.user.username, ADMIN.username);
      assert.equal((await ui(h, 'GET', '/ui/session', { session: first })).status, 401);
    });

    it('a failed sign-in leaves the current session alone; a dead or foreign cookie does not stop a sign-in', async () => {
      const u = await createUser(h, admin, 'password_user');
      const first = await uiLogin(h, u.username, u.password);
      const bad = await ui(h, 'POST', '/ui/session', {
        body: { username: u.username, password: 'not-the-password-of-this-user' },
        headers: { cookie: first.cookie },
      });
      assert.equal(bad.status, 401, bad.raw);
      assert.equal((await ui(h, 'GET', '/ui/session', { session: first })).status, 200, 'still signed in');
      // a native session token in the cookie is not a web session: left alone (and not an error)
      const nativeLogin = await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } });
      const native = nativeLogin.body.accessToken as string;
      for (const cookie of ['coffer_session=garbage', `coffer_session=${native}`]) {
        const r = await ui(h, 'POST', '/ui/session', { body: { username: u.username, password: u.password }, headers: { cookie } });
        assert.equal(r.status, 200, `${cookie}: ${r.raw}`);
      }
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: native })).status, 200, 'the native session lives on');
    });
  });
}
