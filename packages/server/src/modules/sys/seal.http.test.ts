import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, type Res, startHarness } from '../../../test/harness.ts';
import { unwrapDataKey } from '../../crypto/keyring.ts';
import { combineShares, decodeShare, type Share } from '../../crypto/shamir.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Every route the server has, read from Fastify's route tree (`printRoutes`). */
function listRoutes(h: Harness): Array<{ method: string; url: string }> {
  const out: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of h.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + (m[2] as string);
    stack[depth] = url;
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) out.push({ method, url });
  }
  return out;
}

/** Routes that must work while sealed: liveness, seal status, unseal and the (data-free) API description. */
const WHILE_SEALED = new Set([
  'GET /',
  'HEAD /',
  'GET /health',
  'HEAD /health',
  'GET /api/v1/sys/seal-status',
  'HEAD /api/v1/sys/seal-status',
  'POST /api/v1/sys/unseal',
  'GET /api/v1/openapi.json',
  'HEAD /api/v1/openapi.json',
  // the same under the web UI's surface (ADR 0017), for its seal screen
  'GET /ui/health',
  'HEAD /ui/health',
  'GET /ui/api/v1/sys/seal-status',
  'HEAD /ui/api/v1/sys/seal-status',
  'POST /ui/api/v1/sys/unseal',
  // Secret Server's health checks answer (Healthy: false while sealed), as /health does
  'GET /SecretServer/api/v1/healthcheck',
  'HEAD /SecretServer/api/v1/healthcheck',
  'GET /SecretServer/healthcheck.aspx',
  'HEAD /SecretServer/healthcheck.aspx',
]);

function subsets<T>(xs: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [first, ...rest] = xs as [T, ...T[]];
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

for (const dialect of dialects) {
  describe(`seal and Shamir unseal over HTTP [${dialect}]`, () => {
    let h: Harness;
    let other: Harness;
    let shares: string[];
    let otherShares: string[];
    before(async () => {
      const a = await startHarness(dialect, { mode: 'shamir', shares: 5, threshold: 3 });
      h = a;
      shares = a.shares as string[];
      const b = await startHarness(dialect, { mode: 'shamir', shares: 5, threshold: 3 });
      other = b;
      otherShares = b.shares as string[];
    });
    after(async () => {
      await h?.close();
      await other?.close();
    });

    const unseal = (share: string, ip?: string) => call(h, 'POST', '/api/v1/sys/unseal', { body: { share }, ...(ip ? { ip } : {}) });
    const status = async () => (await call(h, 'GET', '/api/v1/sys/seal-status')).body;
    const share = (i: number) => shares[i] as string;
    async function unsealWith(list: string[]): Promise<Res> {
      let r: Res | undefined;
      for (const s of list) {
        r = await unseal(s);
        assert.equal(r.status, 200, r.raw);
      }
      return r as Res;
    }

    /** Every route outside WHILE_SEALED answers 503 sys.sealed and nothing else. */
    async function assertAllSealed(token?: string) {
      const routes = listRoutes(h).filter((r) => !r.url.startsWith('/api/v1/docs')); // static Swagger UI files, no data
      const keys = new Set(routes.map((r) => `${r.method} ${r.url}`));
      for (const expected of [
        'POST /api/v1/auth/login',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'GET /api/v1/audit',
        'GET /api/v1/auth/whoami',
        'GET /api/v1/sys/keyring',
        'POST /api/v1/sys/rotate-key',
        'POST /api/v1/users/:id/unlock',
        'DELETE /api/v1/groups/:id/members/:userId',
      ]) {
        assert.ok(keys.has(expected), `route list parsed (missing ${expected})`);
      }
      for (const k of WHILE_SEALED) assert.ok(keys.has(k), `route ${k} exists`);
      let checked = 0;
      for (const r of routes) {
        if (WHILE_SEALED.has(`${r.method} ${r.url}`)) continue;
        const url = r.url.replace(/:[A-Za-z]+/g, 'usr_0000000000000000').replace('*', 'x');
        assert.ok(h.app.hasRoute({ method: r.method as Method, url: r.url }), `${r.method} ${r.url} is a real route`);
        const res = await h.app.inject({
          method: r.method as Method,
          url,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(['POST', 'PATCH', 'PUT'].includes(r.method) ? { 'content-type': 'application/json' } : {}),
          },
          ...(['POST', 'PATCH', 'PUT'].includes(r.method) ? { payload: '{}' } : {}),
        });
        assert.equal(res.statusCode, 503, `${r.method} ${r.url} while sealed`);
        if (r.method === 'HEAD') {
          assert.equal(res.body, '');
        } else if (r.url.startsWith('/restapi/json/v1/')) {
          // PMP's envelope: a failed operation, nothing else
          const body = JSON.parse(res.body);
          assert.deepEqual(Object.keys(body), ['operation'], `${r.method} ${r.url}`);
          assert.equal(body.operation.result.status, 'Failed');
          assert.equal(body.operation.Details, undefined, `${r.method} ${r.url} sends no data`);
        } else if (r.url.startsWith('/iso/') || r.url.startsWith('/api/pam/')) {
          // senhasegura's envelope: the response block (its exception; the token route's OAuth2 error), nothing else
          const body = JSON.parse(res.body);
          assert.deepEqual(
            Object.keys(body)
              .filter((k) => !['exception', 'code', 'error', 'error_description'].includes(k))
              .sort(),
            ['response'],
            `${r.method} ${r.url}`,
          );
          assert.equal(body.response.status, 503);
          assert.equal(body.response.error, true);
        } else if (r.url.startsWith('/api/v4/')) {
          // Passwork's envelope: an error with its message, no data
          const body = JSON.parse(res.body);
          assert.deepEqual(Object.keys(body).sort(), ['code', 'data', 'status'], `${r.method} ${r.url}`);
          assert.equal(body.status, 'error');
          assert.deepEqual(Object.keys(body.data), ['errorMessage'], `${r.method} ${r.url} sends no data`);
        } else if (r.url.startsWith('/passbolt/')) {
          // Passbolt's envelope: an error header, no body
          const body = JSON.parse(res.body);
          assert.deepEqual(Object.keys(body).sort(), ['body', 'header'], `${r.method} ${r.url}`);
          assert.equal(body.header.status, 'error');
          assert.equal(body.header.code, 503);
          assert.equal(body.body, null, `${r.method} ${r.url} sends no data`);
        } else if (r.url.startsWith('/SecretServer/')) {
          // Secret Server's error: errorCode and message, no data
          const body = JSON.parse(res.body);
          // (the token route answers OAuth2's {error, error_description})
          assert.ok(typeof body.message === 'string' || typeof body.error === 'string', `${r.method} ${r.url}`);
          const allowed = ['errorCode', 'message', 'messageDetail', 'error', 'error_description'];
          assert.ok(
            Object.keys(body).every((k) => allowed.includes(k)),
            `${r.method} ${r.url} sends no data`,
          );
        } else {
          const body = JSON.parse(res.body);
          assert.deepEqual(Object.keys(body), ['error'], `${r.method} ${r.url} sends only the error`);
          assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'requestId']);
          assert.equal(body.error.code, 'sys.sealed');
        }
        checked++;
      }
      assert.ok(checked >= 40, `checked ${checked} routes`);
    }

    it('starts sealed: health and seal status answer, every other route is 503 sys.sealed with no data', async () => {
      const health = await call(h, 'GET', '/health');
      assert.equal(health.status, 200);
      // a client probing the base URL (HEAD /) finds the server while sealed too
      const head = await h.app.inject({ method: 'HEAD', url: '/' });
      assert.equal(head.statusCode, 200);
      assert.deepEqual((await call(h, 'GET', '/')).body, { name: 'Coffer', api: '/api/v1', docs: '/api/v1/docs' });
      assert.deepEqual(health.body, { status: 'ok', sealed: true, initialized: true });
      const s = await call(h, 'GET', '/api/v1/sys/seal-status');
      assert.equal(s.status, 200);
      assert.deepEqual(s.body, { initialized: true, sealed: true, mode: 'shamir', threshold: 3, shares: 5, progress: 0 });
      assert.equal((await call(h, 'GET', '/api/v1/openapi.json')).status, 200);
      // the web UI's seal screen reads the same through its surface
      const ui = await call(h, 'GET', '/ui/api/v1/sys/seal-status', { headers: { 'x-coffer-ui': '1' } });
      assert.deepEqual(ui.body, s.body);
      const uiLogin = await call(h, 'POST', '/ui/session', {
        body: { username: ADMIN.username, password: ADMIN.password },
        headers: { 'x-coffer-ui': '1' },
      });
      assert.equal(uiLogin.status, 503);
      assert.equal(uiLogin.body.error.code, 'sys.sealed');
      await assertAllSealed();
      await assertAllSealed(`cfs_${'A'.repeat(43)}`);
      const r = await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } });
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'sys.sealed');
    });

    it('unseals one share at a time; reset (with the nonce) discards the progress', async () => {
      const r1 = await unseal(share(0));
      assert.equal(r1.status, 200);
      const { nonce, ...rest } = r1.body;
      assert.deepEqual(rest, { initialized: true, sealed: true, mode: 'shamir', threshold: 3, shares: 5, progress: 1 });
      assert.match(nonce, /^[0-9a-f]{32}$/);
      const dup = await unseal(` ${share(0).toUpperCase()} `);
      assert.equal(dup.body.progress, 1, 'the same share again does not count twice');
      const r2 = await unseal(share(1));
      assert.equal(r2.body.progress, 2);
      assert.equal(r2.body.sealed, true);
      assert.equal(r2.body.nonce, undefined, 'only the first share learns the nonce');
      const reset = await call(h, 'POST', '/api/v1/sys/unseal', { body: { reset: true, nonce } });
      assert.equal(reset.status, 200);
      assert.equal(reset.body.progress, 0);
      assert.equal(reset.body.sealed, true);
      assert.equal((await status()).progress, 0);
      // after the reset two more shares are not enough: the discarded ones really are gone
      await unsealWith([share(2), share(3)]);
      assert.deepEqual(await status(), { initialized: true, sealed: true, mode: 'shamir', threshold: 3, shares: 5, progress: 2 });
      const done = await unseal(share(4));
      assert.deepEqual(done.body, { initialized: true, sealed: false, mode: 'shamir', threshold: 3, shares: 5, progress: 0 });
      assert.deepEqual((await call(h, 'GET', '/health')).body, { status: 'ok', sealed: false, initialized: true });
      const admin = await adminToken(h);
      assert.equal((await call(h, 'GET', '/api/v1/users', { token: admin })).status, 200);
      const more = await unseal(share(0));
      assert.equal(more.status, 200, 'a share while unsealed is a no-op');
      assert.equal(more.body.sealed, false);
    });

    it('only whoever entered the first share can reset the progress: a missing or wrong nonce is refused and audited', async () => {
      h.coffer.services.seal.seal();
      const first = await unseal(share(0));
      const nonce = first.body.nonce as string;
      assert.equal((await status()).nonce, undefined, 'the seal status never shows the nonce');
      await unsealWith([share(1)]);
      const missing = await call(h, 'POST', '/api/v1/sys/unseal', { body: { reset: true } });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, 'validation.failed');
      for (const wrong of ['0'.repeat(32), nonce.toUpperCase(), `${nonce}0`, 'x']) {
        const r = await call(h, 'POST', '/api/v1/sys/unseal', { body: { reset: true, nonce: wrong } });
        assert.equal(r.status, 403, wrong);
        assert.equal(r.body.error.code, 'sys.unseal_nonce_invalid');
      }
      assert.equal((await status()).progress, 2, 'the progress survives the refused resets');
      // sealed: the records wait in audit_sealed until the next unsealed append moves them into the chain
      const denied = await h.database.db
        .selectFrom('audit_sealed')
        .select(['outcome', 'reason', 'details'])
        .where('action', '=', 'sys.unseal_reset')
        .where('outcome', '=', 'denied')
        .execute();
      assert.ok(denied.length >= 4 && denied.every((d) => d.reason === 'sys.unseal_nonce_invalid'));
      assert.ok(!JSON.stringify(denied).includes(nonce));
      const ok = await call(h, 'POST', '/api/v1/sys/unseal', { body: { reset: true, nonce } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.progress, 0);
      // a new progress gets a new nonce; the old one resets nothing
      const again = await unseal(share(2));
      assert.notEqual(again.body.nonce, nonce);
      const stale = await call(h, 'POST', '/api/v1/sys/unseal', { body: { reset: true, nonce } });
      assert.equal(stale.status, 403);
      const done = await unsealWith([share(3), share(4)]);
      assert.equal(done.body.sealed, false);
      assert.equal(done.body.nonce, undefined);
    });

    it("refuses a share set that holds another install's share, and resets the progress", async () => {
      h.coffer.services.seal.seal();
      assert.equal((await status()).sealed, true);
      await unsealWith([share(0), share(1)]);
      const foreign = otherShares[2] as string; // x = 3: a distinct, well-formed share of another root key
      assert.equal(decodeShare(foreign)?.x, 3);
      const r = await unseal(foreign);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'sys.unseal_failed');
      assert.deepEqual(await status(), { initialized: true, sealed: true, mode: 'shamir', threshold: 3, shares: 5, progress: 0 });
      assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: ADMIN })).status, 503);

      await unseal(share(0));
      for (const bad of ['not-a-share', '0-00', `6-${'00'.repeat(32)}`, `1-${'00'.repeat(16)}`, '1-abc']) {
        const b = await unseal(bad);
        assert.equal(b.status, 400, bad);
        assert.equal(b.body.error.code, 'validation.failed', bad);
      }
      assert.equal((await status()).progress, 1, 'a malformed share does not touch the progress');
      const ok = await unsealWith([share(2), share(4)]);
      assert.equal(ok.body.sealed, false);
    });

    it('unseals with every 3 of the 5 shares and never with 2', async () => {
      const idx = [0, 1, 2, 3, 4];
      for (const set of subsets(idx, 3)) {
        h.coffer.services.seal.seal();
        const r = await unsealWith(set.map(share));
        assert.equal(r.body.sealed, false, `shares ${set.join(',')}`);
      }
      for (const set of subsets(idx, 2)) {
        h.coffer.services.seal.seal();
        const r = await unsealWith(set.map(share));
        assert.equal(r.body.sealed, true, `shares ${set.join(',')}`);
        assert.equal(r.body.progress, 2);
        h.coffer.services.seal.seal(); // sealing again discards the progress
      }
      // the same with the primitives, for every subset size and order of 2..5 shares
      const term1 = await h.database.db.selectFrom('keyring_terms').selectAll().where('term', '=', 1).executeTakeFirstOrThrow();
      const decoded = shares.map((s) => decodeShare(s) as Share);
      const roots = new Set<string>();
      for (let k = 1; k <= 5; k++) {
        for (const set of subsets(decoded, k)) {
          for (const order of [set, [...set].reverse()]) {
            const root = combineShares(order);
            if (k >= 3) {
              assert.doesNotThrow(() => unwrapDataKey(root, 1, term1.wrapped_key));
              roots.add(root.toString('hex'));
            } else {
              assert.throws(() => unwrapDataKey(root, 1, term1.wrapped_key), /decrypt/i);
            }
          }
        }
      }
      assert.equal(roots.size, 1, 'every quorum yields the one root key');
      await unsealWith([share(1), share(3), share(4)]);
      const admin = await adminToken(h);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).status, 200);
    });

    it('seals on an administrator request, after which every route is 503 even with a valid session', async () => {
      assert.equal((await status()).sealed, false);
      const admin = await adminToken(h);
      const user = await createUser(h, admin, 'password_user');
      const denied = await call(h, 'POST', '/api/v1/sys/seal', { token: user.token });
      assert.equal(denied.status, 403);
      assert.equal((await status()).sealed, false);
      const r = await call(h, 'POST', '/api/v1/sys/seal', { token: admin });
      assert.equal(r.status, 200);
      assert.equal(r.body.sealed, true);
      assert.equal(r.body.progress, 0);
      await assertAllSealed(admin);
      const who = await call(h, 'GET', '/api/v1/auth/whoami', { token: admin });
      assert.equal(who.status, 503);
      assert.equal(who.body.error.code, 'sys.sealed');
      await unsealWith([share(4), share(2), share(0)]);
      await login(h, ADMIN.username, ADMIN.password);
    });

    it('audits every unseal attempt without the share text', async () => {
      const rows = await h.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      const unseals = rows.filter((r) => r.action === 'sys.unseal');
      assert.ok(unseals.length >= 40, `${unseals.length} unseal records`);
      assert.ok(unseals.some((r) => r.outcome === 'failure' && r.reason === 'sys.unseal_failed'));
      assert.ok(unseals.some((r) => r.outcome === 'failure' && r.reason === 'validation.failed'));
      assert.ok(unseals.some((r) => r.outcome === 'success' && JSON.parse(r.details ?? '{}').sealed === false));
      assert.ok(rows.some((r) => r.action === 'sys.unseal_reset'));
      assert.ok(rows.some((r) => r.action === 'sys.seal' && r.outcome === 'success'));
      const text = JSON.stringify(rows).toLowerCase();
      const logs = h.logs().toLowerCase();
      for (const s of [...shares, ...otherShares]) {
        const hex = s.slice(s.indexOf('-') + 1).toLowerCase();
        assert.ok(!text.includes(hex), 'no share in the audit trail');
        assert.ok(!text.includes(hex.slice(0, 16)), 'not even part of one');
        assert.ok(!logs.includes(hex.slice(0, 16)), 'no share in the logs');
      }
    });
  });
}
