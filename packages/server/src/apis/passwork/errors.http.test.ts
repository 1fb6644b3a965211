// Bad input through the Passwork API answers Passwork's error envelope, never a 5xx: wrong types,
// malformed JSON, unknown or hidden ids, expired tokens, tokens of other APIs, unknown routes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertError, b64, PW, passworkUser, pw } from '../../../test/passwork.ts';
import { oauthToken } from '../../../test/senhasegura-client.ts';

const ROUTES: Array<['GET' | 'POST' | 'PUT' | 'DELETE', string]> = [
  ['GET', '/passwords/ID'],
  ['POST', '/passwords'],
  ['PUT', '/passwords/ID'],
  ['DELETE', '/passwords/ID'],
  ['POST', '/passwords/search'],
  ['POST', '/passwords/searchByUrl'],
  ['POST', '/passwords/ID/move'],
  ['POST', '/passwords/ID/copy'],
  ['POST', '/passwords/ID/favorite'],
  ['GET', '/passwords/ID/attachment/ID'],
  ['POST', '/passwords/ID/attachment'],
  ['DELETE', '/passwords/ID/attachment/ID'],
  ['GET', '/vaults/ID'],
  ['PUT', '/vaults/ID'],
  ['DELETE', '/vaults/ID'],
  ['POST', '/vaults'],
  ['GET', '/vaults/ID/folders'],
  ['GET', '/vaults/ID/passwords'],
  ['GET', '/folders/ID'],
  ['POST', '/folders'],
  ['PUT', '/folders/ID'],
  ['DELETE', '/folders/ID'],
  ['POST', '/folders/search'],
  ['GET', '/sharing/inbox/ID'],
  ['POST', '/sharing/inbox/ID'],
];

const BODIES: unknown[] = [
  { vaultId: 12, name: ['x'], cryptedPassword: { a: 1 }, tags: 'x', colors: [{}], custom: 'x', attachments: [1] },
  { vaultId: null, name: null, query: 5, url: [], vaultTo: 7, folderTo: {}, parentId: [] },
  { cryptedPassword: '!!!not base64!!!', vaultId: 'vlt_nope', attachments: [{ name: 'x', encryptedData: '%%%' }] },
  [],
  'plain text',
  { custom: [{ name: b64('a'), value: 'x'.repeat(10), type: b64('text') }], color: 'mauve', tags: ['\u202e'] },
];

for (const dialect of dialects) {
  describe(`Passwork bad input [${dialect}]`, () => {
    let h: Harness;
    let u: Awaited<ReturnType<typeof passworkUser>>;
    let admin: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      u = await passworkUser(h, admin);
    });
    after(async () => h?.close());

    it('answers every route with garbage bodies and unknown ids in the error envelope, never a 5xx', async () => {
      let errors = 0;
      for (const [method, path] of ROUTES) {
        for (const body of BODIES) {
          const r = await h.app.inject({
            method,
            url: `${PW}${path.replaceAll('ID', 'sec_00000000000000000000000000')}`,
            headers: { 'passwork-auth': u.pwToken, 'content-type': 'application/json' },
            payload: typeof body === 'string' ? body : JSON.stringify(body),
          });
          const where = `${method} ${path} ${JSON.stringify(body)}: ${r.statusCode} ${r.body}`;
          assert.ok(r.statusCode < 500, where);
          const b = r.json();
          if (r.statusCode < 400) {
            // what is lenient in Passwork stays lenient (a number as a query is its text)
            assert.equal(b.status, 'success', where);
            continue;
          }
          errors++;
          assert.equal(b.status, 'error', where);
          assert.equal(typeof b.code, 'string', where);
          assert.equal(typeof b.data.errorMessage, 'string', where);
        }
      }
      assert.ok(errors > ROUTES.length * (BODIES.length - 2), `${errors} refusals`);
    });

    it('refuses malformed JSON and a deep or poisoned body with 400', async () => {
      const bad = await h.app.inject({
        method: 'POST',
        url: `${PW}/passwords/search`,
        headers: { 'passwork-auth': u.pwToken, 'content-type': 'application/json' },
        payload: '{"query": ',
      });
      assertError({ status: bad.statusCode, body: bad.json(), headers: {}, raw: bad.body }, 400, 'invalidJson');
      const poison = await h.app.inject({
        method: 'POST',
        url: `${PW}/passwords/search`,
        headers: { 'passwork-auth': u.pwToken, 'content-type': 'application/json' },
        payload: '{"__proto__": {"x": 1}}',
      });
      assert.equal(poison.statusCode, 400, poison.body);
      const deep = await h.app.inject({
        method: 'POST',
        url: `${PW}/passwords/search`,
        headers: { 'passwork-auth': u.pwToken, 'content-type': 'application/json' },
        payload: `${'['.repeat(100)}${']'.repeat(100)}`,
      });
      assert.equal(deep.statusCode, 400, deep.body);
    });

    it('answers unknown routes 404 notFound, and no token / a malformed one 401 apiSessionExpired', async () => {
      assertError(await pw(h, 'GET', '/no/such/route', { token: u.pwToken }), 404, 'notFound');
      assertError(await pw(h, 'GET', '/vaults/list'), 401, 'apiSessionExpired');
      assertError(await pw(h, 'GET', '/vaults/list', { token: 'not a token!' }), 401, 'apiSessionExpired');
      assertError(await pw(h, 'GET', '/vaults/list', { token: `cfs_${'A'.repeat(43)}` }), 401, 'apiSessionExpired');
    });

    it('refuses tokens of other APIs, and its own tokens elsewhere', async () => {
      // a native session
      assertError(await pw(h, 'GET', '/vaults/list', { token: u.token }), 401, 'apiSessionExpired');
      // a senhasegura OAuth token of the same user's key
      const keys = await call(h, 'GET', '/api/v1/me/api-keys', { token: u.token });
      const bearer = await oauthToken(h, keys.body.items[0].id, u.apiKey);
      assertError(await pw(h, 'GET', '/vaults/list', { token: bearer }), 401, 'apiSessionExpired');
      // a Passwork token on the native API and on senhasegura's
      const native = await call(h, 'GET', '/api/v1/vaults', { token: u.pwToken });
      assert.equal(native.status, 401, native.raw);
      const senha = await h.app.inject({ method: 'GET', url: '/iso/pam/credential', headers: { authorization: `Bearer ${u.pwToken}` } });
      assert.equal(senha.statusCode, 401, senha.body);
      // and its refresh token cannot be refreshed natively
      const refreshed = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: u.pwRefresh } });
      assert.equal(refreshed.status, 401, refreshed.raw);
    });

    it('refuses a credential in the query string (and revokes a Coffer token found there)', async () => {
      const { token } = (await pw(h, 'POST', `/auth/login/${u.apiKey}`, { body: {} })).body.data;
      const r = await h.app.inject({ method: 'GET', url: `${PW}/vaults/list?token=${token}`, headers: { 'passwork-auth': token } });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().code, 'credentialsInQuery');
      assertError(await pw(h, 'GET', '/vaults/list', { token }), 401, 'apiSessionExpired');
    });

    it('refuses a master password on login when the client sends a wrong type', async () => {
      assertError(await pw(h, 'POST', `/auth/login/${u.apiKey}`, { body: { useMasterPassword: 'maybe' } }), 400, 'validationError');
    });
  });
}
