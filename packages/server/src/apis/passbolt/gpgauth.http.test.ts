// Passbolt's GPGAuth over real HTTP on both dialects, with OpenPGP keys made here: the server's key
// and its proof (stage 0), stage 1 (the nonce encrypted to the user's key, signed by the server),
// stage 2 (the passbolt_session cookie, the user), the cookie's CSRF rule, logout; and every way a
// login must fail (unknown key, wrong, stale, expired or replayed nonce) answering alike, audited,
// with no token in the logs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import {
  assertEnvelope,
  decryptWith,
  encryptFor,
  passboltUser,
  pb,
  pbGpgLogin,
  pbKey,
  pbServerKey,
  pbUserId,
  setCookies,
} from '../../../test/passbolt.ts';

const nonce = () => `gpgauthv1.3.0|36|${randomUUID()}|gpgauthv1.3.0`;

for (const dialect of dialects) {
  describe(`Passbolt GPGAuth [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h?.close());

    const loginAudits = (userId: string | null) =>
      h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login')
        .where('via', '=', 'passbolt')
        .where('object_id', userId === null ? 'is' : '=', userId)
        .orderBy('seq', 'desc')
        .execute();

    it('publishes the server key with its upper-case fingerprint (GET /auth/verify.json)', async () => {
      const r = await pb(h, 'GET', '/auth/verify.json');
      assertEnvelope(r, 200);
      const key = await openpgp.readKey({ armoredKey: r.body.body.keydata });
      assert.match(r.body.body.fingerprint, /^[0-9A-F]{40}$/);
      assert.equal(r.body.body.fingerprint, key.getFingerprint().toUpperCase());
      assert.equal(key.isPrivate(), false);
    });

    it('proves the server key: decrypts a GPGAuth nonce (verify.json and login.json stage 0), nothing else', async () => {
      const u = await passboltUser(h, admin);
      const server = await pbServerKey(h);
      const n = nonce();
      const token = await encryptFor(n, [server.keydata], u.key.priv);
      const v = await pb(h, 'POST', '/auth/verify.json', { body: { gpg_auth: { keyid: u.key.fingerprint, server_verify_token: token } } });
      assertEnvelope(v, 200);
      assert.equal(v.headers['x-gpgauth-verify-response'], n);
      assert.equal(v.body.body.fingerprint, server.fingerprint);
      const s0 = await pb(h, 'POST', '/auth/login.json', {
        body: { data: { gpg_auth: { keyid: u.key.fingerprint, server_verify_token: token } } },
      });
      assertEnvelope(s0, 200);
      assert.equal(s0.headers['x-gpgauth-verify-response'], n);
      assert.equal(s0.headers['x-gpgauth-progress'], 'stage0');
      // no decryption oracle: a message of another shape is refused and its text never answered
      const secret = 'the-password-of-someone-else-canary';
      const other = await encryptFor(secret, [server.keydata], u.key.priv);
      for (const bad of [other, 'not a message', '-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----']) {
        const r = await pb(h, 'POST', '/auth/verify.json', { body: { gpg_auth: { keyid: u.key.fingerprint, server_verify_token: bad } } });
        assertEnvelope(r, 400);
        assert.equal(r.headers['x-gpgauth-verify-response'], undefined);
        assert.ok(!r.raw.includes(secret));
      }
      // without a token: the key, as GET answers (go-passbolt's JWT login fetches it so)
      const plain = await pb(h, 'POST', '/auth/verify.json');
      assertEnvelope(plain, 200);
      assert.equal(plain.body.body.keydata, server.keydata);
    });

    it('signs in: stage 1 headers and a signed nonce for the key, stage 2 the cookie and the user; audited', async () => {
      const u = await passboltUser(h, admin);
      const server = await pbServerKey(h);
      const s1 = await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: u.key.fingerprint.toLowerCase() } } });
      assertEnvelope(s1, 200);
      assert.equal(s1.headers['x-gpgauth-authenticated'], 'false');
      assert.equal(s1.headers['x-gpgauth-progress'], 'stage1');
      assert.equal(s1.headers['x-gpgauth-version'], '1.3.0');
      assert.equal(s1.headers['x-gpgauth-login-url'], '/passbolt/auth/login');
      assert.equal(s1.headers['x-gpgauth-logout-url'], '/passbolt/auth/logout');
      assert.equal(s1.headers['x-gpgauth-verify-url'], '/passbolt/auth/verify');
      assert.equal(s1.headers['x-gpgauth-pubkey-url'], '/passbolt/auth/verify.json');
      const header = String(s1.headers['x-gpgauth-user-auth-token']);
      assert.ok(!/[\s\n]/.test(header), 'URL-encoded');
      // encrypted to the user's key and signed by the server's (decryptWith checks the signature)
      const n = await decryptWith(decodeURIComponent(header), u.key.priv, server.keydata);
      assert.match(n, /^gpgauthv1\.3\.0\|36\|[0-9a-f-]{36}\|gpgauthv1\.3\.0$/);
      const s2 = await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: u.key.fingerprint, user_token_result: n } } });
      assertEnvelope(s2, 200);
      assert.equal(s2.body.header.message, 'You are successfully logged in.');
      assert.equal(s2.headers['x-gpgauth-authenticated'], 'true');
      assert.equal(s2.headers['x-gpgauth-progress'], 'complete');
      const uuid = await pbUserId(h, u.id);
      assert.equal(s2.body.body.id, uuid);
      assert.equal(s2.body.body.username, u.email);
      assert.equal(s2.body.body.profile.user_id, uuid);
      assert.equal(s2.body.body.gpgkey.fingerprint, u.key.fingerprint);
      const cookies = setCookies(s2);
      const session = cookies.get('passbolt_session');
      assert.match(session?.value ?? '', /^cfs_/);
      assert.equal(session?.attributes, 'Path=/passbolt; HttpOnly; SameSite=Strict');
      assert.ok(cookies.get('csrfToken')?.value);
      const [rec] = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login')
        .where('actor_id', '=', u.id)
        .orderBy('seq', 'desc')
        .execute();
      assert.equal(rec?.outcome, 'success');
      assert.equal(rec?.via, 'passbolt');
      assert.match(rec?.details ?? '', /openpgp/);
      // the cookie works; the first read hands out the CSRF token cookie
      const check = await pb(h, 'GET', '/auth/is-authenticated.json', { headers: { cookie: `passbolt_session=${session?.value}` } });
      assertEnvelope(check, 200);
      const csrf = setCookies(check).get('csrfToken');
      assert.equal(csrf?.value, cookies.get('csrfToken')?.value);
      assert.equal(csrf?.attributes, 'Path=/passbolt; SameSite=Strict');
      // a cookie session is not a bearer token anywhere else
      assert.equal((await call(h, 'GET', '/api/v1/vaults', { token: session?.value as string })).status, 401);
    });

    it('reads the gpg_auth fields from a form as well (data[gpg_auth][keyid]=...)', async () => {
      const u = await passboltUser(h, admin);
      const form = (fields: Record<string, string>) =>
        h.app.inject({
          method: 'POST',
          url: '/passbolt/auth/login.json',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(fields).toString(),
        });
      const s1 = await form({ 'data[gpg_auth][keyid]': u.key.fingerprint });
      assert.equal(s1.statusCode, 200, s1.body);
      const n = await decryptWith(decodeURIComponent(String(s1.headers['x-gpgauth-user-auth-token'])), u.key.priv);
      const s2 = await form({ 'data[gpg_auth][keyid]': u.key.fingerprint, 'data[gpg_auth][user_token_result]': n });
      assert.equal(s2.statusCode, 200, s2.body);
      assert.equal(s2.headers['x-gpgauth-progress'], 'complete');
    });

    it('refuses alike an unknown key, a wrong, stale, expired or replayed nonce; each an audited denial', async () => {
      const u = await passboltUser(h, admin);
      const failed = (r: Awaited<ReturnType<typeof pb>>) => {
        assertEnvelope(r, 403);
        assert.equal(r.body.header.message, 'The authentication failed.');
        assert.equal(r.headers['x-gpgauth-authenticated'], 'false');
        assert.equal(r.headers['set-cookie'], undefined);
      };
      const stage2 = (keyid: string, answer: string) =>
        pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid, user_token_result: answer } } });
      const stage1 = async () => {
        const r = await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: u.key.fingerprint } } });
        assertEnvelope(r, 200);
        return decryptWith(decodeURIComponent(String(r.headers['x-gpgauth-user-auth-token'])), u.key.priv);
      };
      // a key nobody registered: stage 1 and 2 answer as any failure
      const stranger = await pbKey('stranger@example.com');
      const before = (await loginAudits(null)).length;
      failed(await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: stranger.fingerprint } } }));
      failed(await stage2(stranger.fingerprint, nonce()));
      assert.equal((await loginAudits(null)).length, before + 2);
      // a nonce never issued
      await stage1();
      failed(await stage2(u.key.fingerprint, nonce()));
      // stale: an earlier nonce once a later one was issued
      const first = await stage1();
      const second = await stage1();
      failed(await stage2(u.key.fingerprint, first));
      // expired (the row back-dated)
      await h.database.db
        .updateTable('key_sign_in_tokens')
        .set({ expires_at: Date.now() - 1 })
        .where('user_id', '=', u.id)
        .execute();
      failed(await stage2(u.key.fingerprint, second));
      // used once, refused after (replay)
      const third = await stage1();
      assertEnvelope(await stage2(u.key.fingerprint, third), 200);
      failed(await stage2(u.key.fingerprint, third));
      // another user's key cannot answer for this one: the nonce is bound to the key's user
      const other = await passboltUser(h, admin);
      const fourth = await stage1();
      failed(await stage2(other.key.fingerprint, fourth));
      const denials = (await loginAudits(u.id)).filter((r) => r.outcome === 'denied');
      assert.ok(denials.length >= 4, `denials recorded: ${denials.length}`);
      assert.ok(denials.every((d) => d.reason === 'auth.invalid_credentials'));
      // a disabled user's key fails alike
      assert.equal((await call(h, 'POST', `/api/v1/users/${other.id}/disable`, { token: admin })).status, 200);
      failed(await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: other.key.fingerprint } } }));
    });

    it('throttles an address after its failed sign-ins (429 with Retry-After, audited), others unaffected', async () => {
      const u = await passboltUser(h, admin);
      const stranger = await pbKey('flood@example.com');
      const from = (ip: string, keyid: string) =>
        call(h, 'POST', '/passbolt/auth/login.json?api-version=v2', { body: { gpg_auth: { keyid } }, ip });
      for (let i = 0; i < h.config.login.perIpPerMinute; i++) assert.equal((await from('10.77.0.1', stranger.fingerprint)).status, 403);
      const limited = await from('10.77.0.1', u.key.fingerprint);
      assertEnvelope(limited, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal(limited.headers['x-gpgauth-user-auth-token'], undefined);
      const rec = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login')
        .where('reason', '=', 'auth.rate_limited')
        .where('source_ip', '=', '10.77.0.1')
        .execute();
      assert.ok(rec.length >= 1);
      assert.equal((await from('10.77.0.2', u.key.fingerprint)).status, 200);
    });

    it('needs X-CSRF-Token on a cookie mutation; logout ends the session and clears the cookies', async () => {
      const u = await passboltUser(h, admin);
      const s = await pbGpgLogin(h, u.key);
      const cookie = { cookie: `passbolt_session=${s.session}` };
      const missing = await pb(h, 'POST', '/auth/logout.json', { headers: cookie });
      assertEnvelope(missing, 403);
      const wrong = await pb(h, 'POST', '/auth/logout.json', { headers: { ...cookie, 'x-csrf-token': `${s.csrf}x` } });
      assertEnvelope(wrong, 403);
      const denied = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.logout')
        .where('actor_id', '=', u.id)
        .where('outcome', '=', 'denied')
        .execute();
      assert.equal(denied.length, 2);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { headers: cookie }), 200);
      const out = await pb(h, 'POST', '/auth/logout.json', { headers: { ...cookie, 'x-csrf-token': s.csrf } });
      assertEnvelope(out, 200);
      const cleared = setCookies(out);
      assert.equal(cleared.get('passbolt_session')?.value, '');
      assert.match(cleared.get('passbolt_session')?.attributes ?? '', /Max-Age=0/);
      const after = await pb(h, 'GET', '/auth/is-authenticated.json', { headers: cookie });
      assertEnvelope(after, 403);
      // the CSRF token of one session is no good for another
      const s2 = await pbGpgLogin(h, u.key);
      const cross = await pb(h, 'POST', '/auth/logout.json', {
        headers: { cookie: `passbolt_session=${s2.session}`, 'x-csrf-token': s.csrf },
      });
      assertEnvelope(cross, 403);
      // GET logout (go-passbolt's) needs no CSRF token
      assertEnvelope(await pb(h, 'GET', '/auth/logout.json', { headers: { cookie: `passbolt_session=${s2.session}` } }), 200);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json'), 403);
    });

    it('answers bad input with a 4xx envelope, never a 5xx', async () => {
      const u = await passboltUser(h, admin);
      const bodies: unknown[] = [
        {},
        { gpg_auth: 'x' },
        { gpg_auth: { keyid: 42 } },
        { gpg_auth: { keyid: { a: 1 } } },
        { gpg_auth: { keyid: 'ZZ' } },
        { gpg_auth: { keyid: u.key.fingerprint, user_token_result: 'not-a-token' } },
        { gpg_auth: { keyid: u.key.fingerprint, user_token_result: ['x'] } },
        { gpg_auth: { keyid: u.key.fingerprint, server_verify_token: 12 } },
        [1, 2],
      ];
      for (const body of bodies) {
        const r = await pb(h, 'POST', '/auth/login.json', { body });
        assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(body)} -> ${r.status} ${r.raw}`);
        assert.equal(r.body.header.status, 'error');
      }
      const garbage = await h.app.inject({
        method: 'POST',
        url: '/passbolt/auth/login.json',
        headers: { 'content-type': 'application/json' },
        payload: '{"gpg_auth": {',
      });
      assert.ok(garbage.statusCode >= 400 && garbage.statusCode < 500, garbage.body);
      assert.equal(JSON.parse(garbage.body).header.status, 'error');
      // a malformed cookie is refused, not a 5xx
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { headers: { cookie: 'passbolt_session=nope' } }), 403);
    });

    it('keeps the nonces, the session token and the CSRF token out of the logs', async () => {
      const u = await passboltUser(h, admin);
      const s = await pbGpgLogin(h, u.key);
      await pb(h, 'POST', '/auth/logout.json', { headers: { cookie: `passbolt_session=${s.session}`, 'x-csrf-token': s.csrf } });
      const logs = h.logs();
      const uuid = s.nonce.split('|')[2] as string;
      for (const secret of [uuid, s.session, s.csrf]) assert.ok(!logs.includes(secret), 'a token reached the log');
    });
  });
}
