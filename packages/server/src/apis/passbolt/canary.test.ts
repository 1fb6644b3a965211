// Canary scan of the Passbolt logins (SECURITY.md, "Canary scan"): the GPGAuth nonce, session and
// CSRF tokens, the JWT access and refresh tokens (first and refreshed), the JWT login's
// verify_token, and values sent where a token belongs in malformed requests (JSON and form) — every
// form of each is searched in the logs (debug level), every audit record, the answers that are not
// the login's own, and the raw store: 0 hits (only keyed hashes are kept).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNoCanary, canary, type Scan, value } from '../../../test/canary.ts';
import { adminToken, dialects, startHarness } from '../../../test/harness.ts';
import { passboltUser, pb, pbGpgLogin, pbJwtLogin } from '../../../test/passbolt.ts';

for (const dialect of dialects) {
  describe(`Passbolt login tokens never leak [${dialect}]`, () => {
    it('GPGAuth, JWT login, refresh, logout and mistakes leave no canary in logs, records, answers or the store', async () => {
      const h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      try {
        const admin = await adminToken(h);
        const u = await passboltUser(h, admin);
        const answers: Scan[] = [];
        const note = (where: string, r: { raw: string }) => answers.push({ where, text: r.raw });
        const g = await pbGpgLogin(h, u.key);
        note('is-authenticated', await pb(h, 'GET', '/auth/is-authenticated.json', { headers: { cookie: g.cookie } }));
        const j = await pbJwtLogin(h, u);
        const r = await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: j.uuid, refresh_token: j.refreshToken } });
        assert.equal(r.status, 200, r.raw);
        const refreshed = r.body.body as { access_token: string; refresh_token: string };
        note('jwt logout', await pb(h, 'POST', '/auth/jwt/logout.json', { token: refreshed.access_token }));
        note('gpg logout', await pb(h, 'POST', '/auth/logout.json', { headers: { cookie: g.cookie, 'x-csrf-token': g.csrf } }));
        // mistakes: a token-looking value where a nonce, challenge or refresh token belongs
        const M = { nonce: value('pb-nonce'), challenge: value('pb-challenge'), refresh: value('pb-refresh'), form: value('pb-form') };
        note(
          'bad nonce',
          await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: u.key.fingerprint, user_token_result: M.nonce } } }),
        );
        note(
          'bad verify',
          await pb(h, 'POST', '/auth/verify.json', { body: { data: { gpg_auth: { server_verify_token: M.challenge } } } }),
        );
        note('bad challenge', await pb(h, 'POST', '/auth/jwt/login.json', { body: { user_id: j.uuid, challenge: M.challenge } }));
        note('bad refresh', await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: j.uuid, refresh_token: M.refresh } }));
        const form = await h.app.inject({
          method: 'POST',
          url: '/passbolt/auth/login.json',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            'data[gpg_auth][keyid]': u.key.fingerprint,
            'data[gpg_auth][user_token_result]': M.form,
          }).toString(),
        });
        answers.push({ where: 'bad form', text: form.body });
        const canaries = [
          canary('gpgauth nonce', g.nonce),
          canary('session token', g.session),
          canary('csrf token', g.csrf),
          canary('jwt access token', j.accessToken),
          canary('jwt refresh token', j.refreshToken),
          canary('jwt verify token', j.answer.verify_token),
          canary('refreshed access token', refreshed.access_token),
          canary('refreshed refresh token', refreshed.refresh_token),
          ...Object.entries(M).map(([k, v]) => canary(`mistaken ${k}`, v)),
        ];
        await assertNoCanary(h, canaries, answers, ['passbolt']);
      } finally {
        await h.close();
      }
    });
  });
}
