import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, ConfigSchema, loadConfig } from './config.ts';
import { ENV_VARS } from './env-vars.ts';

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

  it("serves the checkout's built web UI by default, wherever the server starts; COFFER_WEB_DIR is relative to the working directory", () => {
    const repo = path.resolve(import.meta.dirname, '../../../..');
    assert.equal(loadConfig({}, dir).webDir, path.join(repo, 'packages', 'web', 'dist'));
    assert.equal(loadConfig({ COFFER_WEB_DIR: 'ui-build' }, dir).webDir, path.join(dir, 'ui-build'));
    assert.equal(loadConfig({ COFFER_WEB_DIR: '/srv/coffer-ui' }, dir).webDir, '/srv/coffer-ui');
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
    assert.throws(() => loadConfig({ COFFER_API_KEY_MAX_DAYS: '0' }, dir), /COFFER_API_KEY_MAX_DAYS must be >= 1/);
    assert.throws(() => loadConfig({ COFFER_API_KEY_MAX_DAYS: 'never' }, dir), /COFFER_API_KEY_MAX_DAYS must be an integer/);
    assert.throws(() => loadConfig({ COFFER_RATE_LIMIT_PER_MINUTE: '0' }, dir), /COFFER_RATE_LIMIT_PER_MINUTE must be >= 1/);
  });

  it('names every invalid setting', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ port: 70000, nonsense: true }));
    assert.throws(
      () => loadConfig({ COFFER_CONFIG: file }, dir),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(`"port" in ${file} must be <= 65535`) &&
        e.message.includes(`"nonsense" in ${file} is not a setting`),
    );
    assert.throws(() => loadConfig({ COFFER_CONFIG: path.join(dir, 'missing.json') }, dir), /missing file/);
    writeFileSync(path.join(dir, 'broken.json'), '{ nope');
    assert.throws(() => loadConfig({ COFFER_CONFIG: path.join(dir, 'broken.json') }, dir), /not valid JSON/);
    assert.throws(() => loadConfig({ COFFER_TLS_CERT: '/x.pem' }, dir), /must be set together/);
    assert.throws(() => loadConfig({ COFFER_DATABASE_URL: 'mysql://x' }, dir), /must start with sqlite: or postgres/);
    assert.throws(() => loadConfig({ COFFER_ARGON2_PASSES: '1' }, dir), /COFFER_ARGON2_PASSES must be >= 2/);
    assert.throws(() => loadConfig({ COFFER_LOG_LEVEL: 'loud' }, dir), /COFFER_LOG_LEVEL/);
  });

  const messageOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    assert.fail('no ConfigError');
  };

  it('names the environment variable that holds a bad value, and lists the allowed values of an enumeration', () => {
    assert.equal(
      messageOf(() => loadConfig({ COFFER_PORT: '70000' }, dir)),
      'Invalid configuration:\n  COFFER_PORT must be <= 65535',
    );
    assert.equal(
      messageOf(() => loadConfig({ COFFER_LOG_LEVEL: 'loud' }, dir)),
      'Invalid configuration:\n  COFFER_LOG_LEVEL must be one of fatal, error, warn, info, debug, silent',
    );
    // every bad setting at once, each by its variable
    const all = messageOf(() => loadConfig({ COFFER_PORT: '-1', COFFER_ARGON2_MEMORY_KIB: '1024', COFFER_SESSION_IDLE_SECONDS: '5' }, dir));
    for (const m of [
      'COFFER_PORT must be >= 0',
      'COFFER_ARGON2_MEMORY_KIB must be >= 19456',
      'COFFER_SESSION_IDLE_SECONDS must be >= 60',
    ]) {
      assert.ok(all.includes(m), `${m} in\n${all}`);
    }
    assert.match(
      messageOf(() => loadConfig({ COFFER_DATABASE_URL: 'mysql://x' }, dir)),
      /^Invalid configuration: COFFER_DATABASE_URL must start/,
    );
    assert.match(
      messageOf(() => loadConfig({ COFFER_WEBHOOK_ALLOWED_TARGETS: 'ok.example, bad_host!' }, dir)),
      /COFFER_WEBHOOK_ALLOWED_TARGETS entry "bad_host!" is neither/,
    );
    assert.match(
      messageOf(() => loadConfig({ COFFER_SESSION_IDLE_SECONDS: '7200', COFFER_SESSION_ABSOLUTE_SECONDS: '3600' }, dir)),
      /COFFER_SESSION_IDLE_SECONDS \(idle lifetime\) must not exceed COFFER_SESSION_ABSOLUTE_SECONDS/,
    );
  });

  it('names the config file key when the bad value comes from the file; the environment overrides it', () => {
    const file = path.join(dir, 'named.json');
    writeFileSync(file, JSON.stringify({ logLevel: 'chatty', argon2: { passes: 1 }, login: { freeFailures: 0 }, tlsCert: '/c.pem' }));
    const m = messageOf(() => loadConfig({ COFFER_CONFIG: file }, dir));
    for (const want of [
      `"logLevel" in ${file} must be one of fatal, error, warn, info, debug, silent`,
      `"argon2.passes" in ${file} must be >= 2`,
      `"login.freeFailures" in ${file} must be >= 1`,
    ]) {
      assert.ok(m.includes(want), `${want} in\n${m}`);
    }
    // the variable wins over the file, and then the message names the variable
    assert.match(
      messageOf(() => loadConfig({ COFFER_CONFIG: file, COFFER_LOG_LEVEL: 'loud' }, dir)),
      /COFFER_LOG_LEVEL must be one of/,
    );
    writeFileSync(file, JSON.stringify({ tlsCert: '/c.pem' }));
    assert.match(
      messageOf(() => loadConfig({ COFFER_CONFIG: file }, dir)),
      new RegExp(`"tlsCert" in ${file} and COFFER_TLS_KEY must be set together`),
    );
    writeFileSync(file, JSON.stringify({ port: 70000 }));
    assert.equal(loadConfig({ COFFER_CONFIG: file, COFFER_PORT: '8080' }, dir).port, 8080);
  });

  it('has one table of variables: each names a real setting, and the README documents exactly these', () => {
    const schemaHas = (p: string) => {
      let node = ConfigSchema as unknown as { properties?: Record<string, unknown> };
      for (const k of p.split('.')) {
        const next = node.properties?.[k] as typeof node | undefined;
        if (!next) return false;
        node = next;
      }
      return true;
    };
    for (const v of ENV_VARS) assert.ok(schemaHas(v.path), `${v.env} -> ${v.path} is a setting`);
    assert.equal(new Set(ENV_VARS.map((v) => v.env)).size, ENV_VARS.length);
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const documented = new Set([...section.matchAll(/`(COFFER_[A-Z0-9_]+)`/g)].map((m) => m[1]));
    const startOnly = ['COFFER_CONFIG', 'COFFER_ADMIN_USERNAME', 'COFFER_ADMIN_PASSWORD'];
    for (const v of ENV_VARS) assert.ok(documented.has(v.env), `${v.env} is in the README's configuration table`);
    for (const d of documented)
      assert.ok(startOnly.includes(d as string) || ENV_VARS.some((v) => v.env === d), `${d} is read by the server`);
    // and each row names the file key the code maps the variable to
    for (const v of ENV_VARS) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${v.env}\``));
      assert.ok(row?.split('|')[2]?.includes(`\`${v.path}\``), `the README row of ${v.env} names the file key ${v.path}`);
    }
  });
});
