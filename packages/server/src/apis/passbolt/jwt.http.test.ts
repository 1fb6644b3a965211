// Passbolt's JWT login over real HTTP on both dialects: the challenge (encrypted to the server,
// signed by the user) -> the answer (encrypted to the user, signed by the server) with a JWT access
// token wrapping a passbolt session and a Coffer refresh token; refresh (single use, the family
// revoked on reuse), logout; and the refusals: another key's signature, another user, an unknown
// user, a replayed or expired verify_token, a wrong domain, a tampered JWT, bad input; audited, and
// no token in the logs.
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, type KeyObject, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import {
  assertEnvelope,
  jwtChallenge,
  PB_BASE,
  passboltUser,
  pb,
  pbJwtLogin,
  pbKey,
  pbServerKey,
  pbUserId,
  setCookies,
} from '../../../test/passbolt.ts';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'));

for (const dialect of dialects) {
  describe(`Passbolt JWT login [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h?.close());

    const login = (user_id: string, challenge: string) => pb(h, 'POST', '/auth/jwt/login.json', { body: { user_id, challenge } });
    const refused = (r: Awaited<ReturnType<typeof pb>>) => {
      assertEnvelope(r, 403);
      assert.equal(r.body.header.message, 'The authentication failed.');
      assert.equal(r.headers['set-cookie'], undefined);
    };

    it('answers the challenge with a JWT and a refresh token, encrypted to the user and signed by the server', async () => {
      const u = await passboltUser(h, admin);
      const t0 = Math.floor(Date.now() / 1000);
      const r = await pbJwtLogin(h, u);
      assertEnvelope(r.res, 200);
      assert.equal(r.res.body.header.message, 'The authentication was a success.');
      assert.equal(r.answer.version, '1.0.0');
      assert.equal(r.answer.domain, PB_BASE);
      assert.match(r.accessToken, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const head = JSON.parse(Buffer.from(r.accessToken.split('.')[0] as string, 'base64url').toString('utf8'));
      assert.equal(head.typ, 'JWT');
      assert.equal(head.alg, 'RS256');
      // a client verifies it with the server's published key: the JWKS, and the same key as PEM
      const jwks = await pb(h, 'GET', '/auth/jwt/jwks.json');
      assertEnvelope(jwks, 200);
      const jwk = jwks.body.body.keys.find((k: { kid: string }) => k.kid === head.kid);
      assert.deepEqual([jwk.kty, jwk.alg, jwk.use], ['RSA', 'RS256', 'sig']);
      const [h64, p64, s64] = r.accessToken.split('.') as [string, string, string];
      const verifies = (key: KeyObject) => createVerify('RSA-SHA256').update(`${h64}.${p64}`).verify(key, s64, 'base64url');
      assert.ok(verifies(createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' })));
      const rsa = await pb(h, 'GET', '/auth/jwt/rsa.json');
      assertEnvelope(rsa, 200);
      assert.match(rsa.body.body.keydata, /^-----BEGIN PUBLIC KEY-----/);
      assert.ok(verifies(createPublicKey(rsa.body.body.keydata)));
      // the private half is sealed in the store, never in clear
      const stored = await h.database.db.selectFrom('system_keys').selectAll().where('name', '=', 'jwt-rs256').executeTakeFirstOrThrow();
      assert.doesNotMatch(stored.value_enc, /PRIVATE KEY/);
      const c = claimsOf(r.accessToken);
      assert.equal(c.sub, r.uuid);
      assert.equal(c.iss, `${PB_BASE}/`);
      assert.ok(c.iat >= t0 - 1 && c.exp > c.iat);
      assert.match(r.refreshToken, /^cfr_/);
      // the access token works here as Bearer, not natively
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: r.accessToken }), 200);
      assert.equal((await call(h, 'GET', '/api/v1/vaults', { token: r.accessToken })).status, 401);
      const rec = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login')
        .where('actor_id', '=', u.id)
        .where('via', '=', 'passbolt')
        .orderBy('seq', 'desc')
        .executeTakeFirst();
      assert.equal(rec?.outcome, 'success');
    });

    it('refuses a challenge signed by another key, for another user, or for an unknown user; audited', async () => {
      const u = await passboltUser(h, admin);
      const other = await passboltUser(h, admin);
      const uuid = await pbUserId(h, u.id);
      const stranger = await pbKey(u.email);
      refused(await login(uuid, (await jwtChallenge(h, stranger.priv)).challenge));
      // a registered key of another user cannot sign for this one
      refused(await login(uuid, (await jwtChallenge(h, other.key.priv)).challenge));
      // unknown user: the same answer
      refused(await login(randomUUID(), (await jwtChallenge(h, u.key.priv)).challenge));
      // unsigned (encrypted to the server only)
      const server = await pbServerKey(h);
      const openpgp = await import('openpgp');
      const unsigned = (await openpgp.encrypt({
        message: await openpgp.createMessage({
          text: JSON.stringify({
            version: '1.0.0',
            domain: PB_BASE,
            verify_token: randomUUID(),
            verify_token_expiry: Math.floor(Date.now() / 1000) + 60,
          }),
        }),
        encryptionKeys: await openpgp.readKey({ armoredKey: server.keydata }),
      })) as string;
      refused(await login(uuid, unsigned));
      const denials = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login')
        .where('object_id', '=', u.id)
        .where('outcome', '=', 'denied')
        .where('via', '=', 'passbolt')
        .execute();
      assert.equal(denials.length, 3);
    });

    it('refuses a replayed verify_token, an expired or far expiry, a wrong domain or version', async () => {
      const u = await passboltUser(h, admin);
      const uuid = await pbUserId(h, u.id);
      const now = Math.floor(Date.now() / 1000);
      const first = await jwtChallenge(h, u.key.priv);
      assertEnvelope(await login(uuid, first.challenge), 200);
      refused(await login(uuid, first.challenge));
      // the same verify_token in a new challenge is a replay too
      refused(await login(uuid, (await jwtChallenge(h, u.key.priv, { verify_token: first.verifyToken })).challenge));
      for (const over of [
        { verify_token_expiry: now - 5 },
        { verify_token_expiry: now + 2 * 3600 },
        { verify_token_expiry: String(now + 60) },
        { domain: 'https://evil.example/passbolt' },
        { version: '2.0.0' },
        { verify_token: 'not-a-uuid' },
      ]) {
        refused(await login(uuid, (await jwtChallenge(h, u.key.priv, over)).challenge));
      }
      // a domain with a trailing slash names the same place
      assertEnvelope(await login(uuid, (await jwtChallenge(h, u.key.priv, { domain: `${PB_BASE}/` })).challenge), 200);
    });

    it('refreshes once: the new token works, the old one reused revokes the family', async () => {
      const u = await passboltUser(h, admin);
      const s = await pbJwtLogin(h, u);
      const r1 = await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: s.uuid, refresh_token: s.refreshToken } });
      assertEnvelope(r1, 200);
      const { access_token, refresh_token } = r1.body.body;
      assert.notEqual(refresh_token, s.refreshToken);
      assert.ok(setCookies(r1).get('refresh_token')?.value === refresh_token);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: access_token }), 200);
      // the first session was replaced by the refresh
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: s.accessToken }), 403);
      // reuse: refused, and the whole family (the refreshed session too) is revoked
      const reuse = await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: s.uuid, refresh_token: s.refreshToken } });
      assert.ok(reuse.status >= 400 && reuse.status < 500, reuse.raw);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: access_token }), 403);
      const reused = await h.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'auth.refresh_reuse').execute();
      assert.ok(reused.some((r) => r.details?.includes(u.id)));
      // the refresh token in the cookie works as in the body
      const s2 = await pbJwtLogin(h, u);
      const viaCookie = await pb(h, 'POST', '/auth/jwt/refresh.json', {
        body: { user_id: s2.uuid },
        headers: { cookie: `refresh_token=${s2.refreshToken}` },
      });
      assertEnvelope(viaCookie, 200);
    });

    it('refuses a refresh for another user without spending the token', async () => {
      const u = await passboltUser(h, admin);
      const other = await passboltUser(h, admin);
      const s = await pbJwtLogin(h, u);
      const wrong = await pb(h, 'POST', '/auth/jwt/refresh.json', {
        body: { user_id: await pbUserId(h, other.id), refresh_token: s.refreshToken },
      });
      assert.ok(wrong.status >= 400 && wrong.status < 500, wrong.raw);
      assertEnvelope(await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: s.uuid, refresh_token: s.refreshToken } }), 200);
    });

    it('refuses a tampered or foreign JWT; logout ends the session and its refresh token', async () => {
      const u = await passboltUser(h, admin);
      const other = await passboltUser(h, admin);
      const s = await pbJwtLogin(h, u);
      const o = await pbJwtLogin(h, other);
      const [head, , sig] = s.accessToken.split('.');
      const otherPayload = o.accessToken.split('.')[1];
      // another session's claims under this signature, and an unsigned token
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: `${head}.${otherPayload}.${sig}` }), 403);
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: `${none}.${otherPayload}.` }), 403);
      // a Bearer mutation needs no CSRF token
      const out = await pb(h, 'POST', '/auth/jwt/logout.json', { token: s.accessToken, body: { refresh_token: s.refreshToken } });
      assertEnvelope(out, 200);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: s.accessToken }), 403);
      const again = await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: s.uuid, refresh_token: s.refreshToken } });
      assert.ok(again.status >= 400 && again.status < 500, again.raw);
      // the other user's session is untouched
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: o.accessToken }), 200);
    });

    it('answers bad input with a 4xx envelope, never a 5xx', async () => {
      const u = await passboltUser(h, admin);
      const uuid = await pbUserId(h, u.id);
      const { challenge } = await jwtChallenge(h, u.key.priv);
      const cases: [string, unknown][] = [
        ['/auth/jwt/login.json', {}],
        ['/auth/jwt/login.json', { user_id: uuid }],
        ['/auth/jwt/login.json', { user_id: 'not-a-uuid', challenge }],
        ['/auth/jwt/login.json', { user_id: [uuid], challenge }],
        ['/auth/jwt/login.json', { user_id: uuid, challenge: { a: 1 } }],
        ['/auth/jwt/login.json', { user_id: uuid, challenge: 'not armored' }],
        ['/auth/jwt/login.json', [1]],
        ['/auth/jwt/refresh.json', {}],
        ['/auth/jwt/refresh.json', { user_id: uuid }],
        ['/auth/jwt/refresh.json', { user_id: uuid, refresh_token: 'garbage' }],
        ['/auth/jwt/refresh.json', { user_id: uuid, refresh_token: 7 }],
      ];
      for (const [path, body] of cases) {
        const r = await pb(h, 'POST', path, { body });
        assert.ok(r.status >= 400 && r.status < 500, `${path} ${JSON.stringify(body)} -> ${r.status} ${r.raw}`);
        assert.equal(r.body.header.status, 'error');
      }
      const garbage = await h.app.inject({
        method: 'POST',
        url: '/passbolt/auth/jwt/login.json',
        headers: { 'content-type': 'application/json' },
        payload: '{"user_id":',
      });
      assert.ok(garbage.statusCode >= 400 && garbage.statusCode < 500, garbage.body);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { headers: { authorization: 'Bearer a.b.c' } }), 403);
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { headers: { authorization: 'Basic x' } }), 403);
    });

    it('keeps the access and refresh tokens and the challenge out of the logs', async () => {
      const u = await passboltUser(h, admin);
      const s = await pbJwtLogin(h, u);
      await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: s.uuid, refresh_token: s.refreshToken } });
      const logs = h.logs();
      for (const secret of [s.accessToken, s.refreshToken, s.answer.verify_token])
        assert.ok(!logs.includes(secret), 'a token reached the log');
    });
  });
}
