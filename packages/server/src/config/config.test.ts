import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has working defaults: loopback, port 7300, ./data, SQLite in the data dir', () => {
    const c = loadConfig({}, dir);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 7300);
    assert.equal(c.dataDir, path.join(dir, 'data'));
    assert.equal(c.databaseUrl, `sqlite:${path.join(dir, 'data', 'coffer.db')}`);
    assert.equal(c.keyFile, path.join(dir, 'data', 'coffer.key'));
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.argon2));
  });

  it('reads a JSON config file, and the environment wins over it', () => {
    const file = path.join(dir, 'coffer.json');
    writeFileSync(file, JSON.stringify({ port: 8100, host: '0.0.0.0', argon2: { passes: 4 }, trustedProxies: ['10.0.0.0/8'] }));
    const c = loadConfig({ COFFER_CONFIG: file, COFFER_PORT: '8200' }, dir);
    assert.equal(c.port, 8200);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.argon2.passes, 4);
    assert.equal(c.argon2.memoryKiB, 65536, 'nested defaults are kept');
    assert.deepEqual(c.trustedProxies, ['10.0.0.0/8']);
  });

  it('API key maximum and per-credential request limit: defaults, environment, bounds', () => {
    const d = loadConfig({}, dir);
    assert.deepEqual(d.apiKeys, { maxDays: 365 });
    assert.deepEqual(d.rateLimit, { perMinute: 3000, burst: 500 });
    const c = loadConfig({ COFFER_API_KEY_MAX_DAYS: '90', COFFER_RATE_LIMIT_PER_MINUTE: '100000', COFFER_RATE_LIMIT_BURST: '20' }, dir);
    assert.deepEqual(c.apiKeys, { maxDays: 90 });
    assert.deepEqual(c.rateLimit, { perMinute: 100000, burst: 20 });
    assert.throws(() => loadConfig({ COFFER_API_KEY_MAX_DAYS: '0' }, dir), /apiKeys\/maxDays/);
    assert.throws(() => loadConfig({ COFFER_API_KEY_MAX_DAYS: 'never' }, dir), /COFFER_API_KEY_MAX_DAYS must be an integer/);
    assert.throws(() => loadConfig({ COFFER_RATE_LIMIT_PER_MINUTE: '0' }, dir), /rateLimit\/perMinute/);
  });

  it('names every invalid setting', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ port: 70000, nonsense: true }));
    assert.throws(
      () => loadConfig({ COFFER_CONFIG: file }, dir),
      (e: unknown) => e instanceof ConfigError && /\/port/.test(e.message) && /nonsense/.test(e.message),
    );
    assert.throws(() => loadConfig({ COFFER_CONFIG: path.join(dir, 'missing.json') }, dir), /missing file/);
    writeFileSync(path.join(dir, 'broken.json'), '{ nope');
    assert.throws(() => loadConfig({ COFFER_CONFIG: path.join(dir, 'broken.json') }, dir), /not valid JSON/);
    assert.throws(() => loadConfig({ COFFER_TLS_CERT: '/x.pem' }, dir), /must be set together/);
    assert.throws(() => loadConfig({ COFFER_DATABASE_URL: 'mysql://x' }, dir), /must start with sqlite: or postgres/);
    assert.throws(() => loadConfig({ COFFER_ARGON2_PASSES: '1' }, dir), /argon2\/passes/);
    assert.throws(() => loadConfig({ COFFER_LOG_LEVEL: 'loud' }, dir), /logLevel/);
  });
});
