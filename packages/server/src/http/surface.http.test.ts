// The edge: several API surfaces over one core (ADR 0015). Two test surfaces with other
// authenticators, parsers and envelopes are mounted beside the native API on a second Fastify
// instance over the same services and store: nothing of one may leak into another, every record
// names its API, and the chain stays verifiable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, startHarness } from '../../test/harness.ts';
import { AppError } from '../lib/app-error.ts';
import { bearerAuthenticator, headerOrQueryTokenAuthenticator } from './authenticators.ts';
import { createEdgeRegistry, frameworkErrorHandler, registerEdge, renderNative } from './hooks.ts';
import { registerSurface } from './surface.ts';

const at = (ms: number) => new Date(ms).toISOString();

async function edgeApp(h: Harness): Promise<FastifyInstance> {
  const s = h.coffer.services;
  const registry = createEdgeRegistry();
  const app = Fastify({ frameworkErrors: frameworkErrorHandler(registry) }) as unknown as FastifyInstance;
  registerEdge(app, { db: h.database.db, audit: s.audit, tls: false, registry });
  const edge = { ...s.edge, registry };
  await registerSurface(app, edge, {
    via: 'native',
    prefix: '',
    hidden: false,
    authenticators: [bearerAuthenticator(s.auth)],
    renderError: renderNative,
    routes(api) {
      api.post('/api/v1/echo', { config: { auth: 'user', permission: 'self', action: 'test.echo' } }, async (req) => ({ got: req.body }));
    },
  });
  // a PMP-like surface: token header or query, form bodies whatever the content type says, 200 on failures
  await registerSurface(app, edge, {
    via: 'pmp',
    prefix: '/t1',
    authenticators: [headerOrQueryTokenAuthenticator(s.auth, { name: 't1', header: 'AUTHTOKEN', query: 'AUTHTOKEN' })],
    renderError: (err) => ({
      status: 200,
      body: { operation: { result: { status: 'Failed', message: err.code }, reason: err.reason ?? null } },
    }),
    parsers(api) {
      api.addContentTypeParser(['application/x-www-form-urlencoded', 'text/json'], { parseAs: 'string' }, (_r, body, done) =>
        done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
    },
    routes(api) {
      api.get(
        '/whoami',
        { config: { auth: 'user', permission: 'self', action: 'test.whoami', credentialsInQuery: 'accepted' } },
        async (req) => ({
          user: req.ctx.actor.username,
          via: req.ctx.via,
        }),
      );
      api.post('/echo', { config: { auth: 'user', permission: 'self', action: 'test.echo' } }, async (req) => ({ got: req.body }));
      api.get('/typed', { config: { auth: 'user', permission: 'self', action: 'test.typed' } }, async () => {
        throw new AppError('not_found', 'No such thing.', { reason: 'thing' });
      });
    },
  });
  // a senhasegura-like surface: bearer only, its own envelope, no body parser
  await registerSurface(app, edge, {
    via: 'senhasegura',
    prefix: '/t2',
    authenticators: [bearerAuthenticator(s.auth)],
    renderError: (err) => ({ status: 400, body: { response: { status: 400, error: true, message: err.code } } }),
    routes(api) {
      api.get('/whoami', { config: { auth: 'user', permission: 'self', action: 'test.whoami' } }, async (req) => ({
        user: req.ctx.actor.username,
      }));
      api.post('/echo', { config: { auth: 'user', permission: 'self', action: 'test.echo' } }, async (req) => ({ got: req.body }));
    },
  });
  await app.ready();
  return app;
}

for (const dialect of dialects) {
  describe(`the edge: API surfaces over one core [${dialect}]`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let admin: string;
    let user: Awaited<ReturnType<typeof createUser>>;
    let key: string;
    before(async () => {
      h = await startHarness(dialect);
      app = await edgeApp(h);
      admin = await adminToken(h);
      user = await createUser(h, admin, 'password_user');
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: user.token,
        body: { name: 'pmp', allowedCidrs: ['127.0.0.1'], expiresAt: at(Date.now() + 86400_000), currentPassword: user.password },
      });
      assert.equal(k.status, 201, k.raw);
      key = k.body.key;
    });
    after(async () => {
      await app?.close();
      await h?.close();
    });

    const records = (action: string) =>
      h.database.db
        .selectFrom('audit_log')
        .select(['via', 'outcome', 'reason', 'actor_id'])
        .where('action', '=', action)
        .orderBy('seq')
        .execute();

    it('authenticates by each surface own scheme, to the same actor; the query token is trimmed, and only where the route accepts it', async () => {
      const header = await app.inject({ method: 'GET', url: '/t1/whoami', headers: { authtoken: `${key}\n` } });
      assert.deepEqual(header.json(), { user: user.username, via: 'pmp' });
      const query = await app.inject({ method: 'GET', url: `/t1/whoami?AUTHTOKEN=${key}%0A` });
      assert.deepEqual(query.json(), { user: user.username, via: 'pmp' });
      // the same key as a bearer token on the other surface: the same user
      const bearer = await app.inject({ method: 'GET', url: '/t2/whoami', headers: { authorization: `Bearer ${key}` } });
      assert.deepEqual(bearer.json(), { user: user.username });
      // t1's header means nothing to t2
      const other = await app.inject({ method: 'GET', url: '/t2/whoami', headers: { authtoken: key } });
      assert.deepEqual([other.statusCode, other.json().response.message], [400, 'auth.required']);
      const vias = (await records('test.whoami')).map((r) => [r.via, r.outcome, r.actor_id]);
      assert.deepEqual(vias, [
        ['pmp', 'success', user.id],
        ['pmp', 'success', user.id],
        ['senhasegura', 'success', user.id],
        ['senhasegura', 'denied', null],
      ]);
    });

    it('a credential in the query is refused, and a real token revoked, where the route does not accept it', async () => {
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: user.token,
        body: { name: 'burnt', allowedCidrs: ['127.0.0.1'], expiresAt: at(Date.now() + 86400_000), currentPassword: user.password },
      });
      const r = await app.inject({ method: 'GET', url: `/t2/whoami?token=${k.body.key}`, headers: { authorization: `Bearer ${key}` } });
      assert.deepEqual([r.statusCode, r.json().response.message], [400, 'request.credentials_in_query']);
      const after = await app.inject({ method: 'GET', url: '/t2/whoami', headers: { authorization: `Bearer ${k.body.key}` } });
      assert.equal(after.json().response.message, 'auth.invalid_token', 'the exposed key is revoked');
    });

    it('where a route accepts a token in the query, only an API key may come there: a session token is refused and revoked', async () => {
      const session = (await call(h, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: user.password } })).body
        .accessToken as string;
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: session })).status, 200);
      const r = await app.inject({ method: 'GET', url: `/t1/whoami?AUTHTOKEN=${session}` });
      assert.deepEqual(r.json().operation.result, { status: 'Failed', message: 'request.credentials_in_query' });
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: session })).status, 401, 'the session seen in a URL is revoked');
      // the API key there is still fine
      const ok = await app.inject({ method: 'GET', url: `/t1/whoami?AUTHTOKEN=${key}` });
      assert.equal(ok.json().user, user.username);
    });

    it('errors answer in the envelope of the surface, with the typed reason; bad tokens too, and audited with the API', async () => {
      const typed = await app.inject({ method: 'GET', url: '/t1/typed', headers: { authtoken: key } });
      assert.equal(typed.statusCode, 200);
      assert.deepEqual(typed.json(), { operation: { result: { status: 'Failed', message: 'not_found' }, reason: 'thing' } });
      const bad = await app.inject({ method: 'GET', url: '/t1/whoami', headers: { authtoken: 'cfk_nonsense_token_value_0000' } });
      assert.deepEqual(bad.json().operation.result, { status: 'Failed', message: 'auth.invalid_token' });
      const junk = await app.inject({ method: 'GET', url: '/t1/whoami', headers: { authtoken: 'not a token!' } });
      assert.deepEqual(junk.json().operation.result, { status: 'Failed', message: 'auth.invalid_token' });
      const failures = (await records('test.whoami')).filter((r) => r.via === 'pmp' && r.outcome !== 'success');
      assert.ok(failures.length >= 2, 'the refused tokens are audited under the API used');
      // an unknown path under a prefix, and a malformed URL there: that surface's envelope
      const missing = await app.inject({ method: 'GET', url: '/t1/nope' });
      assert.deepEqual(missing.json(), { operation: { result: { status: 'Failed', message: 'not_found' }, reason: 'route' } });
      const malformed = await app.inject({ method: 'GET', url: '/t2/%E0%A4%A' });
      assert.deepEqual([malformed.statusCode, malformed.json().response.message], [400, 'validation.failed']);
      const nativeMissing = await app.inject({ method: 'GET', url: '/api/v1/nope' });
      assert.equal(nativeMissing.json().error.code, 'not_found');
    });

    it('body parsers stay in their surface: forms only where a surface accepts them', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const t1 = await app.inject({
        method: 'POST',
        url: '/t1/echo',
        headers: { ...form, authtoken: key },
        payload: 'INPUT_DATA=%7B%22a%22%3A1%7D',
      });
      assert.deepEqual(t1.json(), { got: { INPUT_DATA: '{"a":1}' } });
      const labelled = await app.inject({
        method: 'POST',
        url: '/t1/echo',
        headers: { 'content-type': 'text/json', authtoken: key },
        payload: 'x=1',
      });
      assert.deepEqual(labelled.json(), { got: { x: '1' } });
      const nativeForm = await app.inject({
        method: 'POST',
        url: '/api/v1/echo',
        headers: { ...form, authorization: `Bearer ${key}` },
        payload: 'x=1',
      });
      assert.deepEqual([nativeForm.statusCode, nativeForm.json().error.code], [415, 'request.unsupported_media_type']);
      const nativeJson = await app.inject({
        method: 'POST',
        url: '/api/v1/echo',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: '{"x":1}',
      });
      assert.deepEqual(nativeJson.json(), { got: { x: 1 } });
      const t2Form = await app.inject({
        method: 'POST',
        url: '/t2/echo',
        headers: { ...form, authorization: `Bearer ${key}` },
        payload: 'x=1',
      });
      assert.deepEqual([t2Form.statusCode, t2Form.json().response.message], [400, 'request.unsupported_media_type']);
      const t2Json = await app.inject({
        method: 'POST',
        url: '/t2/echo',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: '{"x":1}',
      });
      assert.equal(t2Json.json().response.message, 'request.unsupported_media_type', 'no parser unless the surface brings one');
      // the real server's native API refuses forms as before
      const real = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: form, payload: `username=${ADMIN.username}` });
      assert.equal(real.statusCode, 415);
    });

    it('every record names its API; the audit query filters by it; the chain (v3 records) verifies', async () => {
      const pmp = await call(h, 'GET', '/api/v1/audit?via=pmp&limit=1000', { token: admin });
      assert.equal(pmp.status, 200, pmp.raw);
      assert.ok(pmp.body.items.length >= 4);
      assert.ok(pmp.body.items.every((r: { via: string }) => r.via === 'pmp'));
      const native = await call(h, 'GET', '/api/v1/audit?via=native&limit=1000', { token: admin });
      assert.ok(native.body.items.some((r: { action: string }) => r.action === 'apikey.create'));
      assert.ok(native.body.items.every((r: { via: string }) => r.via === 'native'));
      const verify = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body.firstBad));
      // `via` is covered by the MAC: changing it is found
      const row = await h.database.db
        .selectFrom('audit_log')
        .select('seq')
        .where('via', '=', 'pmp')
        .orderBy('seq')
        .executeTakeFirstOrThrow();
      await h.database.db.updateTable('audit_log').set({ via: 'native' }).where('seq', '=', row.seq).execute();
      const tampered = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(tampered.body.ok, false);
      assert.equal(tampered.body.firstBad.seq, Number(row.seq));
      await h.database.db.updateTable('audit_log').set({ via: 'pmp' }).where('seq', '=', row.seq).execute();
    });
  });
}
