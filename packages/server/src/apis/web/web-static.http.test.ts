// The built web UI served at / (apis/web/static.ts), from a dist directory the test writes: the
// page for browser navigations, hashed assets with long caching and their types, the contract's
// headers, no way out of the directory, and today's JSON for API clients and without a build.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { UI_CSP } from './static.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Bx3k9.js"></script></head><body></body></html>';
const SCRIPT = `export const app = ${JSON.stringify('x'.repeat(4000))};\n`;
const OUTSIDE = 'outside-the-dist-canary-6d1';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** A dist as Vite writes it, next to a file that must never be served. */
function writeDist(): { root: string; dist: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'coffer-web-'));
  const dist = path.join(root, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), INDEX);
  writeFileSync(path.join(dist, 'assets', 'index-Bx3k9.js'), SCRIPT);
  writeFileSync(path.join(dist, 'assets', 'index-Q1w2e.css'), 'body{margin:0}');
  writeFileSync(path.join(dist, 'assets', 'inter-latin.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(dist, 'manifest.webmanifest'), '{"name":"Coffer"}');
  writeFileSync(path.join(dist, '.env'), OUTSIDE);
  writeFileSync(path.join(root, 'secret.txt'), OUTSIDE);
  symlinkSync(path.join(root, 'secret.txt'), path.join(dist, 'assets', 'link.txt'));
  return { root, dist };
}

for (const dialect of dialects) {
  describe(`web UI static files (${dialect})`, () => {
    let h: Harness;
    let bare: Harness;
    let root: string;
    before(async () => {
      const d = writeDist();
      root = d.root;
      h = await startHarness(dialect, { config: { webDir: d.dist } });
      // a server whose UI was never built
      bare = await startHarness(dialect, { config: { webDir: path.join(root, 'missing') } });
    });
    after(async () => {
      await h.close();
      await bare.close();
      rmSync(root, { recursive: true, force: true });
    });

    const get = (url: string, headers: Record<string, string> = {}, on: Harness = h) => on.app.inject({ method: 'GET', url, headers });
    const assertUiHeaders = (r: Awaited<ReturnType<typeof get>>) => {
      assert.equal(r.headers['content-security-policy'], UI_CSP);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    };

    it('answers a browser at / and at client-side routes with index.html, with the UI headers', async () => {
      for (const url of ['/', '/vaults/vlt_1/folders/fld_2', '/audit?actor=usr_1', '/index.html']) {
        const r = await get(url, { accept: HTML });
        assert.equal(r.statusCode, 200, url);
        assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', url);
        assert.equal(r.body, INDEX, url);
        assert.equal(r.headers['cache-control'], 'no-cache', url);
        assertUiHeaders(r);
      }
      assert.match(String((await get('/', { accept: HTML })).headers.vary), /accept/);
      const etag = String((await get('/', { accept: HTML })).headers.etag);
      const unchanged = await get('/', { accept: HTML, 'if-none-match': etag });
      assert.equal(unchanged.statusCode, 304);
      assert.equal(unchanged.body, '');
    });

    it("keeps today's JSON at / for API clients, HEAD / answers 200, and a server without a build answers JSON to browsers too", async () => {
      const where = { name: 'Coffer', api: '/api/v1', docs: '/api/v1/docs' };
      for (const accept of [undefined, '*/*', 'application/json', 'text/html;q=0']) {
        const r = await get('/', accept ? { accept } : {});
        assert.deepEqual(r.json(), where, String(accept));
      }
      for (const on of [h, bare]) {
        const head = await on.app.inject({ method: 'HEAD', url: '/' });
        assert.equal(head.statusCode, 200);
        assert.equal(head.body, '');
        assert.equal((await on.app.inject({ method: 'HEAD', url: '/', headers: { accept: HTML } })).statusCode, 200);
      }
      assert.deepEqual((await get('/', { accept: HTML }, bare)).json(), where);
      const nav = await get('/vaults', { accept: HTML }, bare);
      assert.equal(nav.statusCode, 404);
      assert.equal(nav.json().error.code, 'not_found');
    });

    it('serves hashed assets for a year with their content types, gzip when accepted, and 404 for missing ones', async () => {
      const js = await get('/assets/index-Bx3k9.js');
      assert.equal(js.statusCode, 200);
      assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(js.body, SCRIPT);
      assertUiHeaders(js);
      const gz = await h.app.inject({ method: 'GET', url: '/assets/index-Bx3k9.js', headers: { 'accept-encoding': 'gzip, br' } });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.match(String(gz.headers.vary), /accept-encoding/);
      assert.equal(gunzipSync(gz.rawPayload).toString(), SCRIPT);
      assert.ok(gz.rawPayload.length < SCRIPT.length / 4);
      for (const [url, type] of [
        ['/assets/index-Q1w2e.css', 'text/css; charset=utf-8'],
        ['/assets/inter-latin.woff2', 'font/woff2'],
        ['/favicon.svg', 'image/svg+xml'],
        ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
      ]) {
        const r = await get(url as string);
        assert.equal(r.statusCode, 200, url);
        assert.equal(r.headers['content-type'], type, url);
      }
      assert.equal((await get('/favicon.svg')).headers['cache-control'], 'no-cache', 'only hashed assets are immutable');
      // a missing asset is a 404 even for a browser, never the page (a script tag would get HTML)
      for (const accept of [HTML, '*/*']) {
        const missing = await get('/assets/index-gone.js', { accept });
        assert.equal(missing.statusCode, 404);
        assert.equal(missing.json().error.code, 'not_found');
      }
    });

    it('never serves a file outside the directory, a dot file or a symbolic link', async () => {
      const attempts = [
        '/../secret.txt',
        '/assets/../../secret.txt',
        '/%2e%2e/secret.txt',
        '/assets/%2e%2e/%2e%2e/secret.txt',
        '/assets/..%2f..%2fsecret.txt',
        '/assets%2f..%2f..%2fsecret.txt',
        '/..%5c..%5csecret.txt',
        '/assets/index-Bx3k9.js%00.txt',
        '/assets/index-Bx3k9.js%00',
        '/.env',
        '/%2eenv',
        '/assets/link.txt',
        '//secret.txt',
        `/${path.join(root, 'secret.txt')}`,
      ];
      for (const url of attempts) {
        for (const accept of [HTML, '*/*']) {
          const r = await get(url, { accept });
          assert.ok(!r.body.includes(OUTSIDE), `${url} (${accept}) served ${r.body}`);
          assert.ok(r.statusCode === 404 || r.statusCode === 400 || (r.statusCode === 200 && r.body === INDEX), `${url}: ${r.statusCode}`);
        }
      }
    });

    it('never answers the page on an API path, whatever the Accept header; POST to a page path stays a 404', async () => {
      for (const url of [
        '/api/v1/nope',
        '/ui/nope',
        '/restapi/json/v1/nope',
        '/iso/nope',
        '/SecretServer/api/v1/nope',
        '/passbolt/x',
        '/health/x',
        '/API/v1/x',
      ]) {
        const r = await get(url, { accept: HTML });
        assert.notEqual(r.body, INDEX, url);
        // each API's own not-found answer (PMP's is a 200 with a failed operation)
        assert.match(String(r.headers['content-type']), /^application\/json/, url);
        assert.notEqual(r.headers['content-security-policy'], UI_CSP, url);
      }
      const health = await get('/health', { accept: HTML });
      assert.equal(health.json().status, 'ok');
      const post = await h.app.inject({ method: 'POST', url: '/vaults', headers: { accept: HTML } });
      assert.equal(post.statusCode, 404);
      assert.equal(post.json().error.code, 'not_found');
    });
  });
}
