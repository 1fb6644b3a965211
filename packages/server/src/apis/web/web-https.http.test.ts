// The web UI over real HTTPS against a listening server (the certificate COFFER_TLS=auto makes):
// the cookie becomes `__Host-coffer_session` with Secure, a plain `coffer_session` is ignored,
// Origin must name the https origin, and every answer carries HSTS.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN, dialects, dropSchema, freshDatabase, testConfig } from '../../../test/harness.ts';
import { type App, buildApp } from '../../app.ts';
import { selfSignedCertificate } from '../../crypto/self-signed.ts';
import { type Database, migrateToLatest } from '../../db/database.ts';
import { UI_CSP } from './static.ts';

const INDEX = '<!doctype html><title>Coffer</title>';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read field by field by the tests
type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: any };

function https(port: number, method: string, url: string, headers: Record<string, string> = {}, body?: unknown) {
  return new Promise<Answer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        rejectUnauthorized: false,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // the page
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const cookiesOf = (a: Answer) => (a.headers['set-cookie'] ?? []) as string[];

for (const dialect of dialects) {
  describe(`web UI over HTTPS (${dialect})`, () => {
    let dir: string;
    let database: Database;
    let schema: string | null;
    let coffer: App;
    let port: number;
    let origin: string;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-web-tls-'));
      mkdirSync(path.join(dir, 'dist'));
      writeFileSync(path.join(dir, 'dist', 'index.html'), INDEX);
      const fresh = await freshDatabase(dialect, dir);
      database = fresh.database;
      schema = fresh.schema;
      await migrateToLatest(database.db);
      const { cert, key } = selfSignedCertificate(['localhost', '127.0.0.1']);
      coffer = await buildApp({
        config: testConfig(dir, fresh.url, { webDir: path.join(dir, 'dist'), logLevel: 'silent' }),
        database,
        https: { cert: Buffer.from(cert), key: Buffer.from(key) },
      });
      await coffer.initialize({ mode: 'keyfile', adminUsername: ADMIN.username, adminPassword: ADMIN.password });
      await coffer.start();
      await coffer.services.jobs.stop();
      await coffer.app.listen({ host: '127.0.0.1', port: 0 });
      port = (coffer.app.server.address() as AddressInfo).port;
      origin = `https://127.0.0.1:${port}`;
    });
    after(async () => {
      await coffer.app.close();
      await database.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    const ui = { 'x-coffer-ui': '1', 'sec-fetch-site': 'same-origin' };

    it('serves the page with the UI headers and HSTS', async () => {
      const page = await https(port, 'GET', '/', { accept: 'text/html' });
      assert.equal(page.status, 200);
      assert.equal(page.body, INDEX);
      assert.equal(page.headers['content-security-policy'], UI_CSP);
      assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
    });

    it('signs in with a __Host- cookie marked Secure, uses it, signs out', async () => {
      const login = await https(port, 'POST', '/ui/session', { ...ui, origin }, { username: ADMIN.username, password: ADMIN.password });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(login.headers['strict-transport-security'], 'max-age=31536000');
      const [set] = cookiesOf(login);
      const [pair, ...attrs] = (set ?? '').split('; ');
      assert.match(pair ?? '', /^__Host-coffer_session=cfs_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(attrs.sort(), ['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
      const cookie = pair as string;
      const csrf = login.body.csrfToken as string;

      const list = await https(port, 'GET', '/ui/api/v1/vaults', { ...ui, cookie });
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.equal(list.headers['strict-transport-security'], 'max-age=31536000');
      const made = await https(port, 'POST', '/ui/api/v1/vaults', { ...ui, cookie, origin, 'x-csrf-token': csrf }, { name: 'Over TLS' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      // the same origin over plain http is another origin
      const http = await https(
        port,
        'POST',
        '/ui/api/v1/vaults',
        { ...ui, cookie, origin: `http://127.0.0.1:${port}`, 'x-csrf-token': csrf },
        { name: 'x' },
      );
      assert.equal(http.status, 403);
      assert.equal(http.body.error.code, 'auth.csrf_failed');
      // over HTTPS only the __Host- cookie counts: a plain one (which an http page could plant) is ignored
      const plain = await https(port, 'GET', '/ui/session', { ...ui, cookie: cookie.replace('__Host-', '') });
      assert.equal(plain.status, 401);
      assert.equal(plain.body.error.code, 'auth.required');

      const out = await https(port, 'DELETE', '/ui/session', { ...ui, cookie, origin, 'x-csrf-token': csrf });
      assert.equal(out.status, 204);
      assert.deepEqual(cookiesOf(out), ['__Host-coffer_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0']);
      const after = await https(port, 'GET', '/ui/session', { ...ui, cookie });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'auth.invalid_token');
    });
  });
}
