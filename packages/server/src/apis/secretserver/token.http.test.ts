// Secret Server's token endpoint and health checks (seed 003, python-tss-sdk, tss-sdk-go), over
// real HTTP (inject) on both dialects: the password and refresh_token grants as forms, the
// advertised lifetime 300 s short of the real one, two-factor users through the OTP header, the
// token bound to this API, 401 `{errorCode, message}` without a usable token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { SS, ss, ssLogin, ssTokenRequest } from '../../../test/secretserver.ts';
import { base32Decode, hotp, totpStep } from '../../crypto/totp.ts';
import { manualClock } from '../../lib/clock.ts';
import { SAFETY_SECONDS } from './token.ts';

const IDLE = 1800;

for (const dialect of dialects) {
  describe(`Secret Server token and health [${dialect}]`, () => {
    let h: Harness;
    const clock = manualClock(Date.parse('2030-03-04T10:00:00Z'));

    before(async () => {
      h = await startHarness(dialect, { clock });
    });
    after(async () => h.close());

    it('health: /api/v1/healthcheck answers the key Healthy, and so does /healthcheck.aspx, without a token', async () => {
      for (const url of [`${SS}/api/v1/healthcheck`, `${SS}/healthcheck.aspx`, `${SS}//api/v1/healthcheck`]) {
        const r = await h.app.inject({ method: 'GET', url });
        assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
        const body = JSON.parse(r.body);
        assert.equal(body.Healthy, true);
        assert.equal(body.DatabaseHealthy, true);
      }
    });

    it('password grant (a form): access_token, token_type, an integer expires_in 300 s short of the session, refresh_token', async () => {
      const u = await createUser(h, await adminToken(h), 'password_user');
      const r = await ssTokenRequest(h, { username: u.username, password: u.password, grant_type: 'password' });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.token_type, 'bearer');
      assert.ok(Number.isInteger(r.body.expires_in));
      assert.equal(r.body.expires_in, IDLE - SAFETY_SECONDS);
      assert.match(r.body.access_token, /^cfs_/);
      assert.match(r.body.refresh_token, /^cfr_/);
      assert.equal(r.headers['cache-control'], 'no-store');
      // the domain some clients send is accepted (and ignored)
      const d = await ssTokenRequest(h, { username: u.username, password: u.password, grant_type: 'password', domain: 'CORP' });
      assert.equal(d.status, 200, d.raw);
      // the token works on this API: who it belongs to (scripts check a token so), the version
      assert.equal((await ss(h, 'GET', '/secrets', r.body.access_token)).status, 200);
      // the header as scripts write it from the answer: `${token_type} ${access_token}`
      const lower = await call(h, 'GET', `${SS}/api/v1/secrets`, {
        headers: { authorization: `${r.body.token_type} ${r.body.access_token}` },
      });
      assert.equal(lower.status, 200, lower.raw);
      const me = await ss(h, 'GET', '/users/current', r.body.access_token);
      assert.equal(me.status, 200, me.raw);
      assert.equal(me.body.userName, u.username);
      assert.equal(me.body.id, await h.coffer.services.numbering.numberOf(h.database.db, 'user', u.id));
      const version = await ss(h, 'GET', '/version', r.body.access_token);
      assert.equal(version.body.success, true);
      assert.match(version.body.model.version, /^\d+\.\d+\.\d+$/);
    });

    it('a client renewing 300 s after expires_in still holds a live token: the real lifetime is expires_in + 300 s', async () => {
      const u = await createUser(h, await adminToken(h), 'password_user');
      const t = await ssLogin(h, u.username, u.password);
      clock.advance((t.expires_in + SAFETY_SECONDS - 1) * 1000);
      assert.equal((await ss(h, 'GET', '/secrets', t.access_token)).status, 200);
      // idle beyond the real lifetime: refused in the product's shape
      clock.advance((IDLE + 1) * 1000);
      const late = await ss(h, 'GET', '/secrets', t.access_token);
      assert.equal(late.status, 401, late.raw);
      assert.equal(late.body.errorCode, 'API_AuthenticationFailed');
      assert.equal(typeof late.body.message, 'string');
      assert.equal(late.headers['www-authenticate'], 'Bearer');
    });

    it('refresh_token grant: new tokens, the old refresh token is single use, the new access token works', async () => {
      const u = await createUser(h, await adminToken(h), 'password_user');
      const t = await ssLogin(h, u.username, u.password);
      const r = await ssTokenRequest(h, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
      assert.equal(r.status, 200, r.raw);
      assert.notEqual(r.body.access_token, t.access_token);
      assert.equal(r.body.expires_in, IDLE - SAFETY_SECONDS);
      assert.equal((await ss(h, 'GET', '/secrets', r.body.access_token)).status, 200);
      const again = await ssTokenRequest(h, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_grant');
      // reuse revoked the family: the refreshed access token is dead too
      assert.equal((await ss(h, 'GET', '/secrets', r.body.access_token)).status, 401);
    });

    it('bad credentials, unknown users, a missing grant and junk answer 400 with `error` (and `message`), never a 5xx', async () => {
      const u = await createUser(h, await adminToken(h), 'password_user');
      const cases: Array<[Record<string, string>, string]> = [
        [{ grant_type: 'password', username: u.username, password: 'wrong-password' }, 'invalid_grant'],
        [{ grant_type: 'password', username: 'nobody-here', password: 'whatever-pass' }, 'invalid_grant'],
        [{ grant_type: 'password', username: u.username }, 'invalid_grant'],
        [{ grant_type: 'refresh_token', refresh_token: 'cfr_not-a-real-refresh-token' }, 'invalid_grant'],
        [{ grant_type: 'refresh_token' }, 'invalid_grant'],
        [{ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' }, 'unsupported_grant_type'],
        [{ username: u.username, password: u.password }, 'unsupported_grant_type'],
      ];
      for (const [fields, error] of cases) {
        const r = await ssTokenRequest(h, fields);
        assert.equal(r.status, 400, `${JSON.stringify(fields)}: ${r.raw}`);
        assert.equal(r.body.error, error, r.raw);
        assert.equal(typeof r.body.message, 'string');
        assert.ok(!r.raw.includes(u.password));
      }
      for (const payload of ['{not json', '', 'grant_type=password&username=%ZZ']) {
        const r = await h.app.inject({
          method: 'POST',
          url: `${SS}/oauth2/token`,
          payload,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${payload}: ${r.statusCode} ${r.body}`);
        const b = JSON.parse(r.body);
        assert.ok(typeof b.error === 'string' || typeof b.message === 'string');
      }
      // a JSON body works too (some scripts send one)
      const json = await call(h, 'POST', `${SS}/oauth2/token`, {
        body: { grant_type: 'password', username: u.username, password: u.password },
      });
      assert.equal(json.status, 200, json.raw);
    });

    it('two-factor users: the OTP header carries the TOTP code (or a recovery code); without it invalid_grant says so', async () => {
      const u = await createUser(h, await adminToken(h), 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      const seed = base32Decode(begin.body.secret);
      const code = (offset = 0) => hotp(seed, totpStep(clock.now()) + offset);
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: code() } });
      assert.equal(confirm.status, 200, confirm.raw);
      const recovery = confirm.body.recoveryCodes[0] as string;
      clock.advance(60_000);
      const form = { grant_type: 'password', username: u.username, password: u.password };
      const none = await ssTokenRequest(h, form);
      assert.equal(none.status, 400);
      assert.equal(none.body.error, 'invalid_grant');
      assert.match(none.body.error_description, /OTP header/);
      const ok = await ssTokenRequest(h, form, { OTP: code() });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal((await ss(h, 'GET', '/secrets', ok.body.access_token)).status, 200);
      // a used code is not taken twice
      assert.equal((await ssTokenRequest(h, form, { OTP: code() })).status, 400);
      const rec = await ssTokenRequest(h, form, { otp: recovery });
      assert.equal(rec.status, 200, rec.raw);
      assert.equal((await ssTokenRequest(h, form, { OTP: '12' })).status, 400);
    });

    it('a token of this API is refused by the native API, and a native token by this API; API keys work as bearer tokens', async () => {
      const u = await createUser(h, await adminToken(h), 'password_administrator');
      const t = await ssLogin(h, u.username, u.password);
      const native = await call(h, 'GET', '/api/v1/auth/whoami', { token: t.access_token });
      assert.equal(native.status, 401, native.raw);
      const viaSs = await ss(h, 'GET', '/secrets', u.token);
      assert.equal(viaSs.status, 401, viaSs.raw);
      assert.equal(viaSs.body.errorCode, 'API_AuthenticationFailed');
      // a native refresh token does not renew through this API (nor this API's natively)
      assert.equal((await ssTokenRequest(h, { grant_type: 'refresh_token', refresh_token: u.refreshToken })).body.error, 'invalid_grant');
      const nativeRefresh = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refresh_token } });
      assert.equal(nativeRefresh.status, 401, nativeRefresh.raw);
      // an API key is accepted as the bearer token (tss-sdk-go's Token, python-tss-sdk's AccessTokenAuthorizer)
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: {
          name: 'ss',
          currentPassword: u.password,
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(clock.now() + 86_400_000).toISOString(),
        },
      });
      assert.equal(k.status, 201, k.raw);
      assert.equal((await ss(h, 'GET', '/secrets', k.body.key)).status, 200);
    });

    it('no token, a malformed or forged one: 401 with errorCode and message on every kind of route', async () => {
      for (const [method, path] of [
        ['GET', '/secrets'],
        ['GET', '/secrets/1'],
        ['POST', '/secrets'],
        ['GET', '/folders/1'],
        ['GET', '/secret-templates'],
        ['GET', '/metadata/fields'],
      ] as const) {
        for (const headers of [
          {} as Record<string, string>,
          { authorization: 'Bearer cfs_forgedforgedforgedforgedforgedforgedforg' },
          { authorization: 'Basic abc' },
        ]) {
          const r = await call(h, method, `${SS}/api/v1${path}`, { headers });
          assert.equal(r.status, 401, `${method} ${path} ${JSON.stringify(headers)}: ${r.raw}`);
          assert.equal(r.body.errorCode, 'API_AuthenticationFailed');
          assert.equal(typeof r.body.message, 'string');
        }
      }
      const unknown = await call(h, 'GET', `${SS}/api/v1/no-such-thing`, {});
      assert.equal(unknown.status, 404);
      assert.equal(typeof unknown.body.message, 'string');
    });
  });
}
