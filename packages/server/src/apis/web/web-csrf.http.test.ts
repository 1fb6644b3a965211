// What keeps another site, a stolen bearer token and the web session apart (ADR 0017), on both
// dialects: X-Coffer-UI on every /ui request, the session's CSRF token on unsafe ones, Origin and
// Sec-Fetch-Site, bearer tokens and API keys refused on /ui, the web session refused by the other
// APIs, and no secret or token in a Set-Cookie or a log line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, type Res, startHarness } from '../../../test/harness.ts';
import { pmp } from '../../../test/pmp.ts';
import { setCookies, type UiSession, ui, uiLogin } from '../../../test/web.ts';

for (const dialect of dialects) {
  describe(`web UI: CSRF and credential separation (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    let user: Awaited<ReturnType<typeof createUser>>;
    let s: UiSession;
    const answers: Res[] = [];
    const track = async (p: Promise<Res>) => {
      const r = await p;
      answers.push(r);
      return r;
    };

    before(async () => {
      // debug: every line the server can write is in the scan at the end
      h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      admin = await adminToken(h);
      user = await createUser(h, admin, 'password_user');
      s = await uiLogin(h, user.username, user.password);
    });
    after(async () => h.close());

    const refused = (r: Res, code = 'auth.csrf_failed', status = 403) => {
      assert.equal(r.status, status, r.raw);
      assert.equal(r.body.error.code, code, r.raw);
      assert.deepEqual(Object.keys(r.body), ['error']);
    };
    const vaultNames = async () =>
      (await ui(h, 'GET', '/ui/api/v1/vaults', { session: s })).body.items.map((v: { name: string }) => v.name);

    it('refuses a /ui request without X-Coffer-UI: 1, sign-in included (no cookie is set)', async () => {
      refused(await ui(h, 'GET', '/ui/session', { session: s, uiHeader: false }));
      refused(await ui(h, 'GET', '/ui/session', { session: s, uiHeader: false, headers: { 'x-coffer-ui': 'true' } }));
      refused(await ui(h, 'GET', '/ui/api/v1/vaults', { session: s, uiHeader: false }));
      refused(await ui(h, 'GET', '/ui/api/v1/sys/seal-status', { uiHeader: false }));
      const login = await ui(h, 'POST', '/ui/session', { uiHeader: false, body: { username: user.username, password: user.password } });
      refused(login);
      assert.deepEqual(setCookies(login), []);
      assert.equal((await ui(h, 'GET', '/ui/api/v1/sys/seal-status')).status, 200);
    });

    it("refuses an unsafe request without the session's CSRF token, or with another session's; nothing changes", async () => {
      const other = await uiLogin(h, user.username, user.password);
      assert.notEqual(other.csrfToken, s.csrfToken);
      const make = (name: string, headers: Record<string, string>, csrfToken = s.csrfToken) =>
        ui(h, 'POST', '/ui/api/v1/vaults', { session: { cookie: s.cookie, csrfToken }, body: { name }, headers });
      refused(await make('no token', {}, ''));
      refused(await make('empty token', { 'x-csrf-token': '' }));
      refused(await make('other session', {}, other.csrfToken));
      refused(await make('near miss', {}, `${s.csrfToken.slice(0, -1)}${s.csrfToken.endsWith('A') ? 'B' : 'A'}`));
      refused(await ui(h, 'DELETE', '/ui/session', { session: { cookie: s.cookie, csrfToken: other.csrfToken } }));
      assert.deepEqual(await vaultNames(), [], 'no refused request created anything');
      assert.equal((await ui(h, 'GET', '/ui/session', { session: s })).status, 200, 'the session is still alive');
      assert.equal((await make('with token', {})).status, 201);
      assert.deepEqual(await vaultNames(), ['with token']);
    });

    it('refuses requests the browser marks as cross-site or from another origin, sign-in included', async () => {
      const post = (name: string, headers: Record<string, string>) =>
        ui(h, 'POST', '/ui/api/v1/vaults', { session: s, body: { name }, headers });
      refused(await post('cross-site', { 'sec-fetch-site': 'cross-site' }));
      refused(await post('same-site', { 'sec-fetch-site': 'same-site' }));
      refused(await post('evil origin', { origin: 'https://evil.example' }));
      refused(await post('other port', { origin: 'http://localhost:8080' }));
      refused(await post('https origin', { origin: 'https://localhost' }));
      refused(await post('null origin', { origin: 'null' }));
      refused(await ui(h, 'GET', '/ui/api/v1/vaults', { session: s, headers: { 'sec-fetch-site': 'cross-site' } }));
      const login = await ui(h, 'POST', '/ui/session', {
        body: { username: user.username, password: user.password },
        headers: { origin: 'https://evil.example' },
      });
      refused(login);
      assert.deepEqual(setCookies(login), []);
      assert.deepEqual(await vaultNames(), ['with token']);
      // the UI's own requests: same origin as the Host the browser used
      const own = await post('same origin', { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' });
      assert.equal(own.status, 201, own.raw);
    });

    it('refuses bearer tokens and API keys on /ui, and a native token or an API key in the cookie', async () => {
      const key = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: user.token,
        body: {
          name: 'web test',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 86400_000).toISOString(),
          currentPassword: user.password,
        },
      });
      assert.equal(key.status, 201, key.raw);
      const apiKey = key.body.key as string;
      for (const bearer of [user.token, apiKey]) {
        for (const url of ['/ui/api/v1/vaults', '/ui/session', '/ui/api/v1/sys/seal-status']) {
          refused(await ui(h, 'GET', url, { headers: { authorization: `Bearer ${bearer}` } }), 'auth.required', 401);
          // a live cookie beside it does not help: /ui takes one kind of credential
          refused(await ui(h, 'GET', url, { session: s, headers: { authorization: `Bearer ${bearer}` } }), 'auth.required', 401);
        }
      }
      for (const token of [user.token, apiKey, user.refreshToken]) {
        refused(
          await ui(h, 'GET', '/ui/api/v1/vaults', { session: { cookie: `coffer_session=${token}`, csrfToken: '' } }),
          'auth.invalid_token',
          401,
        );
      }
      // two session cookies (one planted beside the real one): refused, not guessed
      refused(
        await ui(h, 'GET', '/ui/session', { session: { cookie: `${s.cookie}; coffer_session=cfs_${'A'.repeat(43)}`, csrfToken: '' } }),
        'auth.invalid_token',
        401,
      );
    });

    it('refuses the web session token as a bearer token on the native and PMP APIs', async () => {
      const token = s.cookie.slice('coffer_session='.length);
      const r = await call(h, 'GET', '/api/v1/auth/whoami', { token });
      refused(r, 'auth.invalid_token', 401);
      assert.equal((await call(h, 'GET', '/api/v1/vaults', { token })).status, 401);
      assert.equal((await pmp(h, 'GET', '/resources', { token })).body.operation.result.status, 'Failed');
      assert.equal((await ui(h, 'GET', '/ui/session', { session: s })).status, 200, 'still valid where it belongs');
    });

    it('never puts a secret value, a password or a token in a Set-Cookie header or a log line', async () => {
      const canary = `web-canary-${Math.random().toString(36).slice(2)}-Zq9`;
      const vault = await track(ui(h, 'POST', '/ui/api/v1/vaults', { session: s, body: { name: 'Canary' } }));
      const secret = await track(
        ui(h, 'POST', '/ui/api/v1/secrets', {
          session: s,
          body: { vaultId: vault.body.id, template: 'web-login', name: 'site', fields: { username: 'alice', password: canary } },
        }),
      );
      assert.equal(secret.status, 201, secret.raw);
      const revealed = await track(ui(h, 'POST', `/ui/api/v1/secrets/${secret.body.id}/reveal`, { session: s, body: { reason: 'test' } }));
      assert.equal(revealed.body.values.password, canary);
      await track(ui(h, 'GET', `/ui/api/v1/secrets/${secret.body.id}`, { session: s }));
      const again = await uiLogin(h, user.username, user.password);
      await track(ui(h, 'POST', '/ui/api/v1/vaults', { session: again, body: { name: 'x' }, headers: { 'x-csrf-token': 'wrong' } }));
      await track(ui(h, 'DELETE', '/ui/session', { session: again }));

      const cookies = [s.setCookie, again.setCookie, ...answers.flatMap(setCookies)];
      for (const c of cookies) {
        assert.ok(!c.includes(canary), 'no secret value in a cookie');
        assert.ok(!c.includes(user.password), 'no password in a cookie');
        assert.match(c, /^coffer_session=(cfs_[A-Za-z0-9_-]{43})?; Path=\/; HttpOnly; SameSite=Strict(; Max-Age=0)?$/);
      }
      const logs = h.logs();
      assert.ok(logs.includes('"/ui/session"'), 'the scan reads the request log');
      for (const [what, value] of [
        ['secret value', canary],
        ['password', user.password],
        ['session token', s.cookie.split('=')[1] as string],
        ['second session token', again.cookie.split('=')[1] as string],
        ['CSRF token', s.csrfToken],
        ['second CSRF token', again.csrfToken],
      ] as const) {
        for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')]) {
          assert.ok(!logs.includes(form), `no ${what} in the logs`);
        }
      }
    });
  });
}
