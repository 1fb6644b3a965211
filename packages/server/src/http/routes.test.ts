// Route inventory: every route the app registers, collected through Fastify's public
// `fastify.initialization` diagnostics channel (an onRoute hook added before any route exists),
// checked against the public allow-list, the 401 rule and the OpenAPI document.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { errorCodes } from '@coffer/contracts/errors';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { call, dialects, type Harness, startHarness } from '../../test/harness.ts';
import { permissions } from '../modules/auth/actor.ts';
import { errorStatus } from './errors.ts';
import type { RouteConfig } from './route-config.ts';

const PUBLIC_ALLOWLIST = [
  'GET /',
  'GET /health',
  'GET /api/v1/sys/seal-status',
  'POST /api/v1/sys/unseal',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'GET /api/v1/openapi.json',
  // the server's OpenPGP public key (ADR 0022): clients pin it before they sign in
  'GET /api/v1/sys/openpgp-key',
  'GET /ui/api/v1/sys/openpgp-key',
  // compatibility APIs: where their products' clients obtain a token
  'POST /iso/oauth2/token',
  'POST /api/v4/auth/login/:apiKey',
  'POST /api/v4/auth/refreshToken/:token/:refreshToken',
  // Passwork's clients read the version before they log in
  'GET /api/v4/info/version',
  'POST /SecretServer/oauth2/token',
  // and the health checks Secret Server's SDKs probe before they sign in
  'GET /SecretServer/api/v1/healthcheck',
  'GET /SecretServer/healthcheck.aspx',
  // the web UI (ADR 0017): its sign-in, and the native public routes it mounts again (not the
  // token routes: login, refresh)
  'POST /ui/session',
  'GET /ui/health',
  'GET /ui/api/v1/sys/seal-status',
  'POST /ui/api/v1/sys/unseal',
  // Passbolt (ADR 0025): its health check, the server key and its proof, the GPGAuth and JWT
  // logins, the JWT refresh, the settings clients read before they sign in
  'GET /passbolt/healthcheck/status.json',
  'GET /passbolt/auth/verify.json',
  'POST /passbolt/auth/verify.json',
  'POST /passbolt/auth/login.json',
  'POST /passbolt/auth/jwt/login.json',
  'POST /passbolt/auth/jwt/refresh.json',
  // the public half of the JWT key, for clients that verify the access tokens
  'GET /passbolt/auth/jwt/jwks.json',
  'GET /passbolt/auth/jwt/rsa.json',
  'GET /passbolt/settings.json',
  // Passbolt: a new user completes their account setup with the token their administrator handed them
  'GET /passbolt/setup/install/:id/:token.json',
  'POST /passbolt/setup/complete/:id.json',
].sort();

/**
 * Compatibility API prefixes (ADR 0015), and how each answers a request without a credential:
 * its own envelope, never the native one, never success.
 */
const COMPAT: Record<string, (r: { statusCode: number; body: string; headers: Record<string, unknown> }) => boolean> = {
  '/iso/': (r) => r.statusCode === 401 && JSON.parse(r.body).response?.status === 401,
  '/api/pam/': (r) => r.statusCode === 401 && JSON.parse(r.body).response?.status === 401,
  '/restapi/json/v1/': (r) => r.statusCode === 200 && JSON.parse(r.body).operation?.result?.status === 'Failed',
  '/SecretServer/': (r) =>
    r.statusCode === 401 && typeof JSON.parse(r.body).errorCode === 'string' && typeof JSON.parse(r.body).message === 'string',
  '/api/v4/': (r) => r.statusCode === 401 && JSON.parse(r.body).status === 'error' && JSON.parse(r.body).code === 'apiSessionExpired',
  // Passbolt answers a missing or bad session 403 in its envelope (its clients sign in again on it)
  '/passbolt/': (r) => r.statusCode === 403 && JSON.parse(r.body).header?.status === 'error' && JSON.parse(r.body).header?.code === 403,
};
const compatPrefix = (r: { url: string }) => Object.keys(COMPAT).find((p) => r.url.startsWith(p));
/** The web UI's surface: the native routes again under /ui, with the session cookie (ADR 0017). */
const isWeb = (r: { url: string }) => r.url === '/ui' || r.url.startsWith('/ui/');
/** Native routes the web surface leaves out: those that hand a bearer or refresh token to a script. */
const NOT_ON_WEB = ['POST /api/v1/auth/login', 'POST /api/v1/auth/refresh', 'POST /api/v1/auth/token', 'GET /api/v1/openapi.json', 'GET /'];

const DOCS_PREFIX = '/api/v1/docs';
const PLACEHOLDER_ID = 'usr_00000000000000000000000000';

interface Route {
  method: string;
  url: string;
  config: Partial<RouteConfig>;
  schema: Record<string, unknown> | undefined;
}

async function startWithInventory(dialect: (typeof dialects)[number]): Promise<{ h: Harness; routes: Route[] }> {
  const routes: Route[] = [];
  const onInit = (message: unknown) => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('onRoute', (r: RouteOptions) => {
      for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
        routes.push({
          method: String(method).toUpperCase(),
          url: r.url,
          config: (r.config ?? {}) as Partial<RouteConfig>,
          schema: r.schema as Record<string, unknown> | undefined,
        });
      }
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    const h = await startHarness(dialect);
    return { h, routes };
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
}

const isDocs = (r: Route) => r.url === DOCS_PREFIX || r.url.startsWith(`${DOCS_PREFIX}/`);
const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, PLACEHOLDER_ID);
const openapiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const jsonTypes = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** Structural checks of a JSON Schema (2020-12, as OpenAPI 3.1 uses it), without a validator library. */
function checkSchema(doc: Json, s: unknown, where: string, problems: string[], depth = 0): void {
  if (depth > 50) {
    problems.push(`${where}: schema nested too deep`);
    return;
  }
  if (typeof s === 'boolean') return;
  if (!isObj(s)) {
    problems.push(`${where}: schema is not an object`);
    return;
  }
  if ('nullable' in s) problems.push(`${where}: "nullable" is OpenAPI 3.0, not 3.1`);
  if (typeof s.$ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(s.$ref);
    const schemas = (doc.components as Json | undefined)?.schemas as Json | undefined;
    if (!m || !schemas || !((m[1] as string) in schemas)) problems.push(`${where}: unresolved $ref ${s.$ref}`);
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0 || types.some((t) => typeof t !== 'string' || !jsonTypes.has(t)))
      problems.push(`${where}: bad type ${JSON.stringify(s.type)}`);
  }
  if (s.required !== undefined) {
    if (!Array.isArray(s.required) || s.required.some((r) => typeof r !== 'string') || new Set(s.required).size !== s.required.length) {
      problems.push(`${where}: bad required`);
    } else if (isObj(s.properties)) {
      for (const r of s.required as string[]) if (!(r in s.properties)) problems.push(`${where}: required "${r}" is not a property`);
    }
  }
  if (s.properties !== undefined) {
    if (!isObj(s.properties)) problems.push(`${where}: properties is not an object`);
    else for (const [k, v] of Object.entries(s.properties)) checkSchema(doc, v, `${where}.properties.${k}`, problems, depth + 1);
  }
  for (const k of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    if (s[k] === undefined) continue;
    const list = s[k];
    if (!Array.isArray(list) || list.length === 0) problems.push(`${where}: ${k} must be a non-empty array`);
    else for (const [i, x] of list.entries()) checkSchema(doc, x, `${where}.${k}[${i}]`, problems, depth + 1);
  }
  for (const k of ['items', 'not', 'additionalProperties', 'contains', 'propertyNames']) {
    if (s[k] !== undefined) checkSchema(doc, s[k], `${where}.${k}`, problems, depth + 1);
  }
  if (s.patternProperties !== undefined) {
    if (!isObj(s.patternProperties)) problems.push(`${where}: patternProperties is not an object`);
    else
      for (const [k, v] of Object.entries(s.patternProperties)) checkSchema(doc, v, `${where}.patternProperties.${k}`, problems, depth + 1);
  }
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) problems.push(`${where}: enum must be a non-empty array`);
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']) {
    if (s[k] !== undefined && !(Number.isInteger(s[k]) && (s[k] as number) >= 0))
      problems.push(`${where}: ${k} must be a non-negative integer`);
  }
  for (const [lo, hi] of [
    ['minLength', 'maxLength'],
    ['minItems', 'maxItems'],
    ['minimum', 'maximum'],
  ] as const) {
    if (typeof s[lo] === 'number' && typeof s[hi] === 'number' && (s[lo] as number) > (s[hi] as number))
      problems.push(`${where}: ${lo} > ${hi}`);
  }
  if (s.pattern !== undefined) {
    try {
      new RegExp(String(s.pattern), 'u');
    } catch {
      problems.push(`${where}: pattern does not compile: ${String(s.pattern)}`);
    }
  }
}

/** Follows a local $ref into components.schemas. */
function deref(doc: Json, s: unknown): Json | undefined {
  if (!isObj(s)) return undefined;
  if (typeof s.$ref !== 'string') return s;
  const name = /^#\/components\/schemas\/(.+)$/.exec(s.$ref)?.[1];
  const target = name ? ((doc.components as Json).schemas as Json)[name] : undefined;
  return isObj(target) ? target : undefined;
}

function isErrorEnvelope(doc: Json, s: unknown): boolean {
  const env = deref(doc, s);
  const err = env && isObj(env.properties) ? deref(doc, env.properties.error) : undefined;
  if (!env || !err || !isObj(err.properties)) return false;
  const required = (err.required ?? []) as string[];
  return (
    (env.required as string[] | undefined)?.includes('error') === true &&
    ['code', 'message', 'requestId'].every((k) => k in (err.properties as Json) && required.includes(k))
  );
}

for (const dialect of dialects) {
  describe(`route inventory [${dialect}]`, () => {
    let h: Harness;
    let all: Route[];
    /** API routes, HEAD twins of GET routes folded in. */
    let api: Route[];
    /** The native API's routes (what the OpenAPI document describes). */
    let native: Route[];
    before(async () => {
      const r = await startWithInventory(dialect);
      h = r.h;
      all = r.routes;
      const gets = new Map(all.filter((x) => x.method === 'GET').map((x) => [x.url, x]));
      api = all.filter((x) => !isDocs(x) && !(x.method === 'HEAD' && gets.has(x.url)));
      native = api.filter((x) => !compatPrefix(x) && !isWeb(x));
    });
    after(async () => h.close());

    it('collects the routes (sanity)', () => {
      assert.ok(api.length >= 40, `found ${api.length} routes`);
      assert.ok(all.some(isDocs), 'the swagger-ui routes are seen too');
      assert.ok(api.some((r) => key(r) === 'POST /api/v1/users'));
    });

    it('has only routes under /api/v1, /health and the compatibility prefixes', () => {
      for (const r of all) {
        assert.ok(
          r.url === '/' || r.url === '/health' || r.url.startsWith('/api/v1/') || compatPrefix(r) || isWeb(r),
          `unexpected route ${key(r)}`,
        );
      }
      for (const p of Object.keys(COMPAT))
        assert.ok(
          api.some((r) => r.url.startsWith(p)),
          `no route under ${p}`,
        );
    });

    it('serves only GET/HEAD under /api/v1/docs (public by design) and nothing else without a config', () => {
      for (const r of all.filter(isDocs)) assert.ok(['GET', 'HEAD'].includes(r.method), key(r));
      for (const r of all.filter((x) => !isDocs(x))) assert.ok(r.config.auth, `${key(r)} has no config.auth`);
    });

    it('declares auth, permission and action on every route', () => {
      const allowedPermissions = new Set<string>(['none', 'self', ...permissions]);
      for (const r of api) {
        const c = r.config;
        assert.ok(c.auth === 'public' || c.auth === 'user', `${key(r)}: auth ${String(c.auth)}`);
        assert.ok(
          typeof c.permission === 'string' && allowedPermissions.has(c.permission),
          `${key(r)}: permission ${String(c.permission)}`,
        );
        assert.ok(typeof c.action === 'string' && /^[a-z][a-z_]*(\.[a-z_]+)+$/.test(c.action), `${key(r)}: action ${String(c.action)}`);
        if (c.auth === 'public') assert.equal(c.permission, 'none', `${key(r)}: a public route needs no permission`);
        else assert.notEqual(c.permission, 'none', `${key(r)}: a user route names its permission`);
        assert.ok(r.schema, `${key(r)} has a schema`);
      }
      // HEAD twins carry the same config as their GET
      for (const r of all.filter((x) => x.method === 'HEAD' && !isDocs(x))) {
        const g = all.find((x) => x.method === 'GET' && x.url === r.url);
        assert.deepEqual(r.config, g?.config, key(r));
      }
    });

    it('has exactly the allow-listed public routes', () => {
      const pub = api
        .filter((r) => r.config.auth === 'public')
        .map(key)
        .sort();
      assert.deepEqual(pub, PUBLIC_ALLOWLIST);
      // and the routes that skip the audit trail are the documented three
      const unaudited = api
        .filter((r) => r.config.audit === false)
        .map(key)
        .sort();
      assert.deepEqual(unaudited, [
        'GET /',
        'GET /SecretServer/api/v1/healthcheck',
        'GET /SecretServer/healthcheck.aspx',
        'GET /api/v1/openapi.json',
        'GET /api/v1/sys/openpgp-key',
        'GET /api/v1/sys/seal-status',
        'GET /api/v4/info/version',
        'GET /health',
        'GET /passbolt/auth/jwt/jwks.json',
        'GET /passbolt/auth/jwt/rsa.json',
        'GET /passbolt/auth/verify.json',
        'GET /passbolt/healthcheck/status.json',
        'GET /passbolt/settings.json',
        'GET /ui/api/v1/sys/openpgp-key',
        'GET /ui/api/v1/sys/seal-status',
        'GET /ui/health',
      ]);
    });

    it('mounts every native route under /ui with the same config, except the token routes', () => {
      const web = new Map(api.filter(isWeb).map((r) => [key(r), r]));
      let mirrored = 0;
      for (const r of native) {
        const copy = web.get(`${r.method} /ui${r.url}`);
        if (NOT_ON_WEB.includes(key(r))) {
          assert.equal(copy, undefined, `${key(r)} is not on /ui`);
          continue;
        }
        assert.ok(copy, `${key(r)} is mounted under /ui`);
        assert.deepEqual(copy.config, r.config, `${key(r)}: same auth, permission, action`);
        mirrored++;
      }
      assert.ok(mirrored >= 100, `mirrored ${mirrored}`);
      // and nothing else but the session routes
      const own = [...web.keys()].filter((k) => !native.some((r) => `${r.method} /ui${r.url}` === k)).sort();
      assert.deepEqual(own, ['DELETE /ui/session', 'GET /ui/session', 'POST /ui/session']);
    });

    it('answers 401 on every non-public route without a token, and with a forged one', async () => {
      const users = all.filter((r) => !isDocs(r) && r.config.auth === 'user');
      assert.ok(users.length >= 35);
      for (const r of users) {
        const method = r.method as 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'HEAD';
        const none = await h.app.inject({ method, url: concrete(r.url) });
        if (isWeb(r)) {
          // the web UI's surface: its script's header first, then its session cookie only
          assert.equal(none.statusCode, 403, `${key(r)} without X-Coffer-UI: ${none.body}`);
          if (method !== 'HEAD') assert.equal(none.json().error.code, 'auth.csrf_failed', key(r));
          const ui = { 'x-coffer-ui': '1' };
          for (const headers of [
            ui,
            { ...ui, cookie: `coffer_session=cfs_${'B'.repeat(43)}` },
            { ...ui, authorization: `Bearer cfs_${'B'.repeat(43)}` },
          ]) {
            const r2 = await h.app.inject({ method, url: concrete(r.url), headers });
            assert.equal(r2.statusCode, 401, `${key(r)} with ${Object.keys(headers).join(', ')}: ${r2.body}`);
            assert.equal(r2.headers['www-authenticate'], undefined, key(r));
          }
          continue;
        }
        const compat = compatPrefix(r);
        if (compat) {
          // the product's own envelope (PMP answers its failures with 200), never success
          if (method !== 'HEAD') assert.ok(COMPAT[compat]?.(none), `${key(r)} without a token: ${none.statusCode} ${none.body}`);
          const forged = await h.app.inject({
            method,
            url: concrete(r.url),
            headers: { authorization: `Bearer cfs_${'B'.repeat(43)}`, authtoken: `cfk_${'B'.repeat(43)}` },
          });
          if (method !== 'HEAD') assert.ok(COMPAT[compat]?.(forged), `${key(r)} with a forged token: ${forged.body}`);
          continue;
        }
        assert.equal(none.statusCode, 401, `${key(r)} without a token: ${none.body}`);
        assert.equal(none.headers['www-authenticate'], 'Bearer');
        if (method !== 'HEAD') assert.equal(none.json().error.code, 'auth.required', key(r));
        const forged = await h.app.inject({ method, url: concrete(r.url), headers: { authorization: `Bearer cfs_${'B'.repeat(43)}` } });
        assert.equal(forged.statusCode, 401, `${key(r)} with a forged token`);
        const body = await call(h, method === 'HEAD' ? 'GET' : method, concrete(r.url), { body: { x: 1 } });
        assert.equal(body.status, 401, `${key(r)} with a body and no token`);
      }
    });

    it('answers the public routes without a token', async () => {
      for (const [method, url, status] of [
        ['GET', '/', 200],
        ['GET', '/health', 200],
        ['GET', '/api/v1/sys/seal-status', 200],
        ['GET', '/api/v1/openapi.json', 200],
        ['POST', '/api/v1/sys/unseal', 400],
        ['POST', '/api/v1/auth/login', 400],
        ['POST', '/api/v1/auth/refresh', 400],
      ] as const) {
        const r = await call(h, method, url, method === 'POST' ? { body: {} } : {});
        assert.equal(r.status, status, `${method} ${url}: ${r.raw}`);
      }
      const docs = await h.app.inject({ method: 'GET', url: `${DOCS_PREFIX}/` });
      assert.ok(docs.statusCode === 200 || docs.statusCode === 302, `docs answer ${docs.statusCode}`);
    });

    describe('OpenAPI document', () => {
      let doc: Json;
      before(async () => {
        const r = await call(h, 'GET', '/api/v1/openapi.json');
        assert.equal(r.status, 200);
        doc = r.body;
      });

      it('validates against the official OpenAPI 3.1 schema', async () => {
        const result = await new Validator().validate(structuredClone(doc) as Parameters<Validator['validate']>[0]);
        assert.equal(result.valid, true, JSON.stringify(result.errors));
      });

      it('gives every operation a unique camelCase operationId and tags, and names the server, for client generators', async () => {
        const ids = new Map<string, string>();
        for (const [p, item] of Object.entries(doc.paths as Json)) {
          for (const [m, op] of Object.entries(item as Json)) {
            const where = `${m.toUpperCase()} ${p}`;
            const o = op as Json;
            assert.equal(typeof o.operationId, 'string', `${where}: operationId`);
            const id = o.operationId as string;
            assert.match(id, /^[a-z][a-zA-Z0-9]*$/, `${where}: camelCase operationId`);
            assert.ok(!ids.has(id), `${where}: operationId ${id} also on ${ids.get(id)}`);
            ids.set(id, where);
            assert.ok(Array.isArray(o.tags) && o.tags.length > 0 && o.tags.every((t) => typeof t === 'string' && t), `${where}: tags`);
          }
        }
        // derived from the route's audit action, so they stay put when a path changes
        assert.equal(ids.get('secretImport'), 'POST /api/v1/import');
        assert.equal(ids.get('secretSharedWithMe'), 'GET /api/v1/shared-with-me');
        assert.equal(ids.get('apikeyCreate'), 'POST /api/v1/users/{id}/api-keys');
        assert.equal(ids.get('apikeyCreateOwn'), 'POST /api/v1/me/api-keys');
        assert.deepEqual(doc.servers, [{ url: 'http://localhost:80', description: 'This Coffer server' }]);
        const behind = await call(h, 'GET', '/api/v1/openapi.json', { headers: { host: 'vault.example.com:8443' } });
        assert.deepEqual(behind.body.servers, [{ url: 'http://vault.example.com:8443', description: 'This Coffer server' }]);
        const odd = await call(h, 'GET', '/api/v1/openapi.json', { headers: { host: 'a b"<x>' } });
        assert.deepEqual(odd.body.servers, [{ url: '/', description: 'This Coffer server' }]);
      });

      it('is OpenAPI 3.1 with the bearer scheme', () => {
        assert.match(String(doc.openapi), /^3\.1\.\d+$/);
        assert.ok(isObj(doc.info) && typeof doc.info.title === 'string' && typeof doc.info.version === 'string');
        const schemes = (doc.components as Json).securitySchemes as Json;
        assert.deepEqual(
          { type: (schemes.bearer as Json).type, scheme: (schemes.bearer as Json).scheme },
          { type: 'http', scheme: 'bearer' },
        );
      });

      it('documents exactly the API routes (docs and the description itself hidden)', () => {
        const documented: string[] = [];
        for (const [p, item] of Object.entries(doc.paths as Json)) {
          for (const m of Object.keys(item as Json)) documented.push(`${m.toUpperCase()} ${p}`);
        }
        const expected = native
          .filter((r) => r.url !== '/api/v1/openapi.json' && r.url !== '/')
          .map((r) => `${r.method} ${openapiPath(r.url)}`)
          .sort();
        assert.deepEqual(documented.sort(), expected);
      });

      it('gives every operation responses, a 4xx with the error envelope, and bearer security unless public', () => {
        const byKey = new Map(native.map((r) => [`${r.method} ${openapiPath(r.url)}`, r]));
        for (const [p, item] of Object.entries(doc.paths as Json)) {
          for (const [m, op] of Object.entries(item as Json)) {
            const where = `${m.toUpperCase()} ${p}`;
            const route = byKey.get(where);
            assert.ok(route, where);
            assert.ok(isObj(op) && isObj(op.responses), `${where}: responses`);
            const responses = op.responses as Json;
            assert.ok(
              Object.keys(responses).some((c) => /^2(\d\d|XX)$/i.test(c)),
              `${where}: a 2xx response`,
            );
            const fourxx = Object.entries(responses).filter(([c]) => /^4(\d\d|XX)$/i.test(c));
            assert.ok(fourxx.length > 0, `${where}: a 4xx response`);
            for (const [c, resp] of fourxx) {
              const schema = (((resp as Json).content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
              assert.ok(isErrorEnvelope(doc, schema), `${where} ${c}: the error envelope`);
            }
            const security = op.security as unknown[] | undefined;
            if (route.config.auth === 'user') {
              assert.deepEqual(security, [{ bearer: [] }], `${where}: bearer security`);
            } else {
              assert.ok(security === undefined || security.length === 0, `${where}: public, no security`);
            }
            for (const name of [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1])) {
              const params = (op.parameters ?? []) as Json[];
              assert.ok(
                params.some((x) => x.in === 'path' && x.name === name && x.required === true),
                `${where}: path parameter ${name} documented`,
              );
            }
            assert.ok(typeof op.summary === 'string' && op.summary.length > 0, `${where}: summary`);
          }
        }
      });

      it('holds structurally valid JSON Schemas only', () => {
        const problems: string[] = [];
        for (const [name, s] of Object.entries(((doc.components as Json).schemas ?? {}) as Json))
          checkSchema(doc, s, `#/components/schemas/${name}`, problems);
        for (const [p, item] of Object.entries(doc.paths as Json)) {
          for (const [m, op] of Object.entries(item as Json)) {
            const o = op as Json;
            for (const [i, param] of ((o.parameters ?? []) as Json[]).entries()) {
              assert.ok(['path', 'query', 'header', 'cookie'].includes(String(param.in)), `${m} ${p}: parameter in`);
              checkSchema(doc, param.schema, `${m} ${p} parameters[${i}]`, problems);
            }
            const body = o.requestBody as Json | undefined;
            if (body) {
              for (const [ct, media] of Object.entries(body.content as Json))
                checkSchema(doc, (media as Json).schema, `${m} ${p} requestBody ${ct}`, problems);
            }
            for (const [code, resp] of Object.entries(o.responses as Json)) {
              assert.equal(typeof (resp as Json).description, 'string', `${m} ${p} ${code}: description`);
              for (const [ct, media] of Object.entries(((resp as Json).content ?? {}) as Json)) {
                checkSchema(doc, (media as Json).schema, `${m} ${p} ${code} ${ct}`, problems);
              }
            }
          }
        }
        assert.deepEqual(problems, []);
        // round-trips as plain JSON
        assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
      });

      it('documents the request body of every route that takes one', () => {
        for (const r of native.filter((x) => x.schema && 'body' in x.schema)) {
          const op = ((doc.paths as Json)[openapiPath(r.url)] as Json)[r.method.toLowerCase()] as Json;
          const content = (op.requestBody as Json | undefined)?.content as Json | undefined;
          assert.ok(content?.['application/json'], `${key(r)}: requestBody application/json`);
        }
      });
    });
  });
}

describe('docs/errors.md', () => {
  it('documents every error code with its status, and no unknown code', () => {
    const text = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map<string, number>();
    for (const m of text.matchAll(/^\|\s*`([a-z0-9_.]+)`\s*\|\s*(\d{3})\s*\|/gm)) rows.set(m[1] as string, Number(m[2]));
    for (const code of errorCodes) {
      assert.ok(text.includes(`\`${code}\``), `docs/errors.md mentions ${code}`);
      assert.equal(rows.get(code), errorStatus[code], `docs/errors.md gives ${code} the status ${errorStatus[code]}`);
    }
    for (const code of rows.keys())
      assert.ok((errorCodes as readonly string[]).includes(code), `docs/errors.md documents an unknown code ${code}`);
  });
});
