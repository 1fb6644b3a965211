// The senhasegura routes' response schemas (schemas.ts), over real HTTP (inject) on both dialects:
// every route under /iso and /api/pam declares its success and error answers with closed shapes,
// and what a handler or the error renderer produced leaves the server unchanged (the serializer,
// which drops what a schema does not name, dropped nothing) — for every route, success and errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness } from '../../../test/harness.ts';
import {
  assertAnswersKept,
  isObj,
  type Json,
  schemaProblems,
  startWatched,
  type WatchedAnswer,
  type WatchedRoute,
} from '../../../test/schema-watch.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';
import { ERROR_STATUSES } from './schemas.ts';

const ours = (url: string) => url.startsWith('/iso/') || url.startsWith('/api/pam/');

for (const dialect of dialects) {
  describe(`senhasegura response schemas [${dialect}]`, () => {
    let h: Harness;
    let routes: WatchedRoute[];
    let answers: WatchedAnswer[];

    before(async () => {
      ({ h, routes, answers } = await startWatched(dialect, ours));
    });
    after(async () => h.close());

    it('every route under /iso and /api/pam has a 200 or 201 and every error status, each a closed object', () => {
      assert.ok(routes.length >= 39, `routes seen: ${routes.length}`);
      const problems = schemaProblems(routes, ERROR_STATUSES, (r, res, problems) => {
        const e = res[400] as Json | undefined;
        const props = isObj(e?.properties) ? e.properties : {};
        for (const k of ['code', 'response', 'exception']) if (!(k in props)) problems.push(`${r.key} 400: no ${k}`);
        if (r.key === 'POST /iso/oauth2/token') {
          for (const k of ['error', 'error_description']) if (!(k in props)) problems.push(`${r.key} 400: no ${k}`);
        }
      });
      assert.deepEqual(problems, []);
    });

    it('every route answers through its schema and loses nothing, successes and errors alike', async () => {
      const admin = await adminToken(h);
      const client = await apiClient(h, admin);
      const token = await oauthToken(h, client.clientId, client.clientSecret);
      const bearer = { authorization: `Bearer ${token}` };
      const expect = async (p: Promise<{ statusCode: number; body: string }>, status: number) => {
        const r = await p;
        assert.equal(r.statusCode, status, r.body);
        return JSON.parse(r.body);
      };
      const inj = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, status: number) =>
        expect(
          call(h, method, url, { headers: bearer }).then((r) => ({ statusCode: r.status, body: r.raw })),
          status,
        );
      // token: success, bad client (401), bad grant (400)
      await expect(
        form(h, 'POST', '/iso/oauth2/token', {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: 'x'.repeat(20),
        }),
        401,
      );
      await expect(form(h, 'POST', '/iso/oauth2/token', { grant_type: 'password' }), 400);

      for (const base of ['/iso/pam', '/api/pam']) {
        const host = `schemas-${base.split('/')[1]}`;
        // credentials: create (201), update (200), list, read by id / name / ?credential=, errors
        const c = await expect(
          form(
            h,
            'POST',
            `${base}/credential`,
            { identifier: `id-${host}`, hostname: host, ip: '10.0.0.1', username: 'u', content: 'pw', tags: 'a,b' },
            bearer,
          ),
          201,
        );
        const id = c.credential.id as string;
        await expect(
          form(
            h,
            'POST',
            `${base}/credential`,
            { identifier: `id-${host}`, hostname: host, ip: '10.0.0.1', username: 'u', port: '22' },
            bearer,
          ),
          200,
        );
        await expect(form(h, 'POST', `${base}/credential`, { hostname: host }, bearer), 400);
        await inj('GET', `${base}/credential`, 200);
        await inj('GET', `${base}/credential/`, 200);
        await inj('GET', `${base}/credential/?credential=${id}`, 200);
        await inj('GET', `${base}/credential/${id}`, 200);
        await inj('GET', `${base}/credential/u@${host}`, 200);
        await inj('GET', `${base}/credential/999999`, 400);
        await expect(h.app.inject({ method: 'GET', url: `${base}/credential/${id}` }), 401);
        await inj('GET', `${base}/key/${id}`, 400); // not an SSH key
        await inj('DELETE', `${base}/credential/custody/${id}`, 200);
        await inj('DELETE', `${base}/credential/custody/999999`, 400);
        await inj('DELETE', `${base}/credential/${id}`, 200);
        await inj('DELETE', `${base}/credential/${id}`, 400);
        await inj('PUT', `${base}/credential/${id}`, 200);
        await inj('PUT', `${base}/credential/999999`, 400);
        await expect(
          h.app.inject({ method: 'POST', url: `${base}/credential`, payload: 'x', headers: { ...bearer, 'content-type': 'text/plain' } }),
          400,
        );
        // devices
        const d = await expect(form(h, 'POST', `${base}/device`, { hostname: `dev-${host}`, ip: '10.0.0.2', vendor: 'v' }, bearer), 201);
        await expect(form(h, 'POST', `${base}/device`, { hostname: `dev-${host}`, ip: '10.0.0.2', vendor: 'w' }, bearer), 200);
        await expect(form(h, 'POST', `${base}/device`, { hostname: `dev-${host}` }, bearer), 400);
        await inj('GET', `${base}/device`, 200);
        await inj('GET', `${base}/device/`, 200);
        await inj('GET', `${base}/device/${d.device.id}`, 200);
        await inj('GET', `${base}/device/nope-${host}`, 400);
        await inj('DELETE', `${base}/device/${d.device.id}`, 200);
        await inj('DELETE', `${base}/device/${d.device.id}`, 400);
        await inj('PUT', `${base}/device/${d.device.id}`, 200);
        await inj('PUT', `${base}/device/nope-${host}`, 400);
        // protected information
        const i = await expect(
          call(h, 'POST', `${base}/info`, { headers: bearer, body: { identifier: `info-${host}`, content: 'c', name: 'n' } }).then((r) => ({
            statusCode: r.status,
            body: r.raw,
          })),
          201,
        );
        await expect(
          call(h, 'POST', `${base}/info`, { headers: bearer, body: { identifier: `info-${host}`, content: 'd' } }).then((r) => ({
            statusCode: r.status,
            body: r.raw,
          })),
          200,
        );
        await expect(form(h, 'POST', `${base}/info`, { identifier: 'x' }, bearer), 400);
        await inj('GET', `${base}/info`, 200);
        await inj('GET', `${base}/info/`, 200);
        await inj('GET', `${base}/info/${i.info.id}`, 200);
        await inj('GET', `${base}/info/info-${host}`, 200);
        await inj('GET', `${base}/info/999999`, 400);
        await inj('DELETE', `${base}/info/${i.info.id}`, 200);
        await inj('DELETE', `${base}/info/${i.info.id}`, 400);
      }
      // an SSH key (the native API makes one in the adapter's vault)
      const vaults = await call(h, 'GET', '/api/v1/vaults', { token: client.user.token });
      const vaultId = vaults.body.items.find((v: { name: string }) => v.name === 'senhasegura').id;
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: client.user.token,
        body: {
          vaultId,
          template: 'ssh-key',
          name: 'schemas-key',
          fields: { username: 'k', host: 'kh', 'private-key': 'PRIV', 'public-key': 'PUB' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      for (const base of ['/iso/pam', '/api/pam']) await inj('GET', `${base}/key/${num}`, 200);

      // every route was answered with a success, through a declared schema, and nothing was lost
      assertAnswersKept(routes, answers, [200, 201, 400, 401]);
    });
  });
}
