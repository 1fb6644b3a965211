// The real server process: first start on an empty data directory, restart, TLS, bad config.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { dropSchema, PG_URL } from '../test/harness.ts';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', COFFER_ARGON2_MEMORY_KIB: '19456', COFFER_ARGON2_PASSES: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function waitFor(url: string, fetcher: (u: string) => Promise<number>): Promise<void> {
  // up to 30 s: a first start hashes a password with Argon2, slow on a loaded machine
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetcher(url)) === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not come up`);
}

const httpStatus = async (u: string) => (await fetch(u)).status;
const httpsStatus = (u: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(u, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

describe('server process', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('initialises an empty data dir, prints a generated admin password once, and restarts unsealed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-main-'));
    dirs.push(dir);
    const port = await freePort();
    const s1 = start({ COFFER_DATA_DIR: dir, COFFER_PORT: String(port) });
    children.push(s1.child);
    await waitFor(`http://127.0.0.1:${port}/health`, httpStatus);
    const m = /Password \(shown once, change it\): (\S+)/.exec(s1.out());
    assert.ok(m, s1.out());
    const password = m[1] as string;
    assert.ok(password.length >= 20);
    assert.equal(statSync(path.join(dir, 'coffer.key')).mode & 0o777, 0o600);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    assert.equal(login.status, 200);
    s1.child.kill('SIGTERM');
    assert.equal(await s1.exited, 0);
    // the password went to the terminal only, never into a log line
    const logLines = s1
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    assert.ok(logLines.length > 0);
    assert.ok(!logLines.some((l) => l.includes(password)));

    const s2 = start({ COFFER_DATA_DIR: dir, COFFER_PORT: String(port) });
    children.push(s2.child);
    await waitFor(`http://127.0.0.1:${port}/health`, httpStatus);
    assert.ok(!s2.out().includes('Password'), 'no second admin on restart');
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    assert.deepEqual(health, { status: 'ok', sealed: false, initialized: true });
    s2.child.kill('SIGTERM');
    await s2.exited;
  });

  it('starts on PostgreSQL from COFFER_DATABASE_URL', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-pg-'));
    dirs.push(dir);
    const schema = `main_${Date.now().toString(36)}`;
    const port = await freePort();
    const s = start({
      COFFER_DATA_DIR: dir,
      COFFER_PORT: String(port),
      COFFER_DATABASE_URL: `${PG_URL}?schema=${schema}`,
      COFFER_ADMIN_PASSWORD: 'pg-admin-password-123',
    });
    children.push(s.child);
    try {
      await waitFor(`http://127.0.0.1:${port}/health`, httpStatus);
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'pg-admin-password-123' }),
      });
      assert.equal(login.status, 200);
      assert.ok(!existsSync(path.join(dir, 'coffer.db')), 'no SQLite file when PostgreSQL is configured');
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
      await dropSchema(schema);
    }
  });

  it('serves HTTPS when a certificate and key are given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-tls-'));
    dirs.push(dir);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const port = await freePort();
    const s = start({
      COFFER_DATA_DIR: dir,
      COFFER_PORT: String(port),
      COFFER_TLS_CERT: path.join(dir, 'cert.pem'),
      COFFER_TLS_KEY: path.join(dir, 'key.pem'),
      COFFER_ADMIN_PASSWORD: 'tls-admin-password-123',
    });
    children.push(s.child);
    await waitFor(`https://127.0.0.1:${port}/health`, httpsStatus);
    assert.ok(readFileSync(path.join(dir, 'cert.pem'), 'utf8').includes('BEGIN CERTIFICATE'));
    s.child.kill('SIGTERM');
    await s.exited;
  });

  it('COFFER_TLS=auto: makes a self-signed certificate on first start (key 0600), prints its fingerprint, keeps it across restarts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-tlsauto-'));
    dirs.push(dir);
    const port = await freePort();
    const env = { COFFER_DATA_DIR: dir, COFFER_PORT: String(port), COFFER_TLS: 'auto', COFFER_ADMIN_PASSWORD: 'tls-admin-password-123' };
    const s = start(env);
    children.push(s.child);
    await waitFor(`https://127.0.0.1:${port}/health`, httpsStatus);
    const pem = readFileSync(path.join(dir, 'tls', 'cert.pem'), 'utf8');
    const x = new X509Certificate(pem);
    assert.equal(statSync(path.join(dir, 'tls', 'key.pem')).mode & 0o777, 0o600);
    assert.ok(x.checkIP('127.0.0.1') && x.checkHost('localhost'), x.subjectAltName);
    assert.ok(s.out().includes(x.fingerprint256), 'the fingerprint is printed');
    // a client that pins the certificate (as its CA) connects: the certificate is what is served
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`https://127.0.0.1:${port}/health`, { ca: pem, servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    s.child.kill('SIGTERM');
    await s.exited;
    const again = start(env);
    children.push(again.child);
    await waitFor(`https://127.0.0.1:${port}/health`, httpsStatus);
    assert.equal(readFileSync(path.join(dir, 'tls', 'cert.pem'), 'utf8'), pem, 'the same certificate after a restart');
    assert.ok(again.out().includes(x.fingerprint256));
    again.child.kill('SIGTERM');
    await again.exited;
  });

  it('refuses an invalid configuration with a clear message', async () => {
    const s = start({ COFFER_PORT: 'seventy', COFFER_DATA_DIR: '/nonexistent-never' });
    assert.equal(await s.exited, 2);
    assert.match(s.out(), /COFFER_PORT must be an integer/);
    const t = start({ COFFER_ARGON2_MEMORY_KIB: '1024', COFFER_DATA_DIR: '/nonexistent-never' });
    assert.equal(await t.exited, 2);
    assert.match(t.out(), /COFFER_ARGON2_MEMORY_KIB must be >= 19456/);
    const u = start({ COFFER_PORT: '70000', COFFER_LOG_LEVEL: 'loud', COFFER_DATA_DIR: '/nonexistent-never' });
    assert.equal(await u.exited, 2);
    assert.match(u.out(), /COFFER_PORT must be <= 65535/);
    assert.match(u.out(), /COFFER_LOG_LEVEL must be one of fatal, error, warn, info, debug, silent/);
  });
});
