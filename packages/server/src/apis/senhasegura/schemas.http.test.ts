// The senhasegura routes' response schemas (schemas.ts), over real HTTP (inject) on both dialects:
// every route under /iso and /api/pam declares its success and error answers with closed shapes,
// and what a handler or the error renderer produced leaves the server unchanged (the serializer,
// which drops what a schema does not name, dropped nothing) — for every route, success and errors.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';
import { ERROR_STATUSES } from './schemas.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const ours = (url: string) => url.startsWith('/iso/') || url.startsWith('/api/pam/');

interface Route {
  key: string;
  response: Json | undefined;
}
interface Answer {
  route: string;
  status: number;
  produced: unknown;
  sent: unknown;
}

/** Object schemas with properties that are open to more (the allow-list must be closed). */
function openObjects(s: unknown, where: string, out: string[]): void {
  if (!isObj(s)) return;
  if (isObj(s.properties) && s.additionalProperties !== false) out.push(where);
  for (const [k, v] of Object.entries(isObj(s.properties) ? s.properties : {})) openObjects(v, `${where}.${k}`, out);
  if (s.items) openObjects(s.items, `${where}[]`, out);
}

/** The app with its routes' schemas, and every senhasegura answer: the payload produced and the bytes sent. */
async function startObserved(dialect: (typeof dialects)[number]) {
  const routes: Route[] = [];
  const answers: Answer[] = [];
  const produced = new WeakMap<FastifyRequest, string>();
  const onInit = (message: unknown) => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('onRoute', (r: RouteOptions) => {
      for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
        if (ours(r.url) && m !== 'HEAD') routes.push({ key: `${m} ${r.url}`, response: (r.schema as Json | undefined)?.response as Json });
      }
    });
    app.addHook('preSerialization', async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      if (ours(req.url)) produced.set(req, JSON.stringify(payload));
      return payload;
    });
    app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const before = produced.get(req);
      if (before !== undefined && typeof payload === 'string' && req.routeOptions.url) {
        answers.push({
          route: `${req.method} ${req.routeOptions.url}`,
          status: reply.statusCode,
          produced: JSON.parse(before),
          sent: JSON.parse(payload),
        });
      }
      return payload;
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    const h = await startHarness(dialect);
    return { h, routes, answers };
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
}

for (const dialect of dialects) {
  describe(`senhasegura response schemas [${dialect}]`, () => {
    let h: Harness;
    let routes: Route[];
    let answers: Answer[];

    before(async () => {
      ({ h, routes, answers } = await startObserved(dialect));
    });
    after(async () => h.close());

    it('every route under /iso and /api/pam has a 200 or 201 and every error status, each a closed object', () => {
      assert.ok(routes.length >= 39, `routes seen: ${routes.length}`);
      const problems: string[] = [];
      for (const r of routes) {
        const res = r.response;
        if (!isObj(res)) {
          problems.push(`${r.key}: no response schema`);
          continue;
        }
        if (!res[200] && !res[201]) problems.push(`${r.key}: no 200/201`);
        for (const s of ERROR_STATUSES) if (!res[s]) problems.push(`${r.key}: no ${s}`);
        for (const [status, schema] of Object.entries(res)) openObjects(schema, `${r.key} ${status}`, problems);
        const e = res[400] as Json | undefined;
        const props = isObj(e?.properties) ? e.properties : {};
        for (const k of ['code', 'response', 'exception']) if (!(k in props)) problems.push(`${r.key} 400: no ${k}`);
        if (r.key === 'POST /iso/oauth2/token') {
          for (const k of ['error', 'error_description']) if (!(k in props)) problems.push(`${r.key} 400: no ${k}`);
        }
      }
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
      const succeeded = new Set(answers.filter((a) => a.status < 300).map((a) => a.route));
      assert.deepEqual(
        routes.map((r) => r.key).filter((k) => !succeeded.has(k)),
        [],
        'routes without a success answer in this test',
      );
      const statuses = new Set(answers.map((a) => a.status));
      for (const s of [200, 201, 400, 401]) assert.ok(statuses.has(s), `no ${s} answer seen`);
      for (const a of answers) {
        const declared = routes.find((r) => r.key === a.route)?.response?.[a.status];
        assert.ok(declared, `${a.route} answered ${a.status} without a schema for it`);
        assert.deepEqual(a.sent, a.produced, `${a.route} ${a.status}: the schema dropped or changed something`);
      }
    });
  });
}
