// A credential in a URL (issue 10 §3): refused under every credential-like name, and a real Coffer
// token found there is revoked on the spot, audited as its own action, never with its value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { CREDENTIAL_PARAM, findExposure } from './credential-exposure.ts';

const NAMES = [
  'auth',
  'bearer',
  'secret',
  'sig',
  'key',
  'apikey',
  'api_key',
  'api-key',
  'token',
  'password',
  'access_token',
  'accesstoken',
  'auth_token',
  'authtoken',
  'refresh_token',
  'client_secret',
];

/** Upper/lower case mixed at random positions. */
const arbCasing = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((ups) => [...name].map((c, i) => (ups[i] ? c.toUpperCase() : c)).join(''));

describe('credential-like query parameters (property)', () => {
  it('every listed name is recognised in any casing; ordinary list parameters are not', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES).chain(arbCasing), (name) => {
        assert.ok(CREDENTIAL_PARAM.test(name), name);
        assert.deepEqual(findExposure({ [name]: 'x' })?.params, [name]);
      }),
      { numRuns: 500 },
    );
    for (const ok of ['cursor', 'limit', 'kind', 'q', 'tag', 'actor', 'object', 'action', 'from', 'to', 'vaultId', 'keyword']) {
      assert.equal(findExposure({ [ok]: 'value' }), undefined, ok);
    }
  });

  it('finds a Coffer token in any name or value, also inside longer text and repeated parameters', () => {
    const token = `cfk_${'Ab0_-'.repeat(8)}xyz`;
    assert.deepEqual(findExposure({ q: token })?.tokens, [token]);
    assert.deepEqual(findExposure({ q: `Bearer ${token}` })?.tokens, [token]);
    assert.deepEqual(findExposure({ q: ['a', `x${token}`] })?.tokens, [token]);
    assert.deepEqual(findExposure({ [token]: '' })?.tokens, [token]);
  });
});

for (const dialect of dialects) {
  describe(`credentials in the query string [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const expiry = () => new Date(Date.now() + 86_400_000).toISOString();
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    async function exposures() {
      return h.database.db
        .selectFrom('audit_log')
        .select(['object_type', 'object_id', 'outcome', 'details', 'reason'])
        .where('action', '=', 'auth.credential_exposed')
        .orderBy('seq')
        .execute();
    }

    it('refuses every credential-like parameter name in any casing (400 request.credentials_in_query), audited', async () => {
      for (const name of [...NAMES, 'AUTH', 'Bearer', 'SeCrEt', 'SIG', 'ApiKey', 'Refresh_Token']) {
        const r = await call(h, 'GET', `/api/v1/users?${encodeURIComponent(name)}=x`, { token: admin });
        assert.equal(r.status, 400, `${name}: ${r.raw}`);
        assert.equal(r.body.error.code, 'request.credentials_in_query');
      }
      assert.equal((await call(h, 'GET', '/api/v1/users?limit=5', { token: admin })).status, 200);
      const denied = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome'])
        .where('reason', '=', 'request.credentials_in_query')
        .execute();
      assert.ok(denied.length >= NAMES.length && denied.every((d) => d.outcome === 'failure'));
    });

    it('revokes an API key seen in the query, names the key in the audit trail and never the key', async () => {
      const u = await createUser(h, admin, 'password_user');
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: u.token,
        body: { name: 'leaky', allowedCidrs: ['127.0.0.1'], expiresAt: expiry(), currentPassword: u.password },
      });
      assert.equal(k.status, 201, k.raw);
      const key = k.body.key as string;
      const exchanged = await call(h, 'POST', '/api/v1/auth/token', { token: key });
      assert.equal(exchanged.status, 200);
      const r = await call(h, 'GET', `/api/v1/auth/whoami?apikey=${key}`);
      assert.equal(r.status, 400);
      assert.ok(!r.raw.includes(key));
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: key })).status, 401, 'the key is revoked');
      assert.equal(
        (await call(h, 'GET', '/api/v1/auth/whoami', { token: exchanged.body.accessToken })).status,
        401,
        'sessions exchanged from it end too',
      );
      const listed = await call(h, 'GET', '/api/v1/me/api-keys', { token: u.token });
      assert.equal(listed.body.items[0].revoked, true);
      const rec = (await exposures()).find((e) => e.object_id === k.body.apiKey.id);
      assert.ok(rec, 'an auth.credential_exposed record names the key');
      assert.equal(rec.object_type, 'api_key');
      assert.equal(JSON.parse(rec.details ?? '{}').userId, u.id);
      const all = JSON.stringify(await h.database.db.selectFrom('audit_log').selectAll().execute());
      assert.ok(!all.includes(key) && !h.logs().includes(key), 'the key itself is nowhere');
    });

    it('a session token in the query ends its session family; a token under an innocent name too', async () => {
      const u = await createUser(h, admin, 'password_user');
      const s = await login(h, u.username, u.password);
      const r = await call(h, 'GET', `/api/v1/users/${u.id}?access_token=${s.accessToken}`, { token: s.accessToken });
      assert.equal(r.status, 400);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: s.accessToken })).status, 401);
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })).status, 401);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.token })).status, 200, 'another login is untouched');
      const other = await login(h, u.username, u.password);
      const hidden = await call(h, 'GET', `/api/v1/users?cursor=${other.accessToken}`, { token: admin });
      assert.equal(hidden.status, 400, 'a token is a credential whatever the parameter is called');
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: other.accessToken })).status, 401);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).status, 200, "the caller's own session is fine");
    });

    it('a refresh token in the query revokes its family', async () => {
      const u = await createUser(h, admin, 'password_user');
      const s = await login(h, u.username, u.password);
      const r = await call(h, 'POST', `/api/v1/auth/refresh?refresh_token=${s.refreshToken}`, { body: { refreshToken: s.refreshToken } });
      assert.equal(r.status, 400);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: s.accessToken })).status, 401, 'the session of that family ends');
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })).status, 401);
      const rec = (await exposures()).at(-1);
      assert.equal(rec?.object_type, 'session_family');
      assert.equal(JSON.parse(rec?.details ?? '{}').kind, 'refresh');
      assert.ok(!JSON.stringify(rec).includes(s.refreshToken));
    });

    it('an unknown route answers 404 and revokes nothing; an unknown token is refused all the same', async () => {
      const s = await login(h, ADMIN.username, ADMIN.password);
      assert.equal((await call(h, 'GET', `/api/v1/no-such-route?token=${s.accessToken}`)).status, 404);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: s.accessToken })).status, 200);
      assert.equal((await call(h, 'GET', `/api/v1/auth/whoami?x=cfk_${'A'.repeat(43)}`, { token: s.accessToken })).status, 400);
    });
  });
}
