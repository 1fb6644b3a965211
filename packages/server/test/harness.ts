// Test harness: a real Coffer app on a real store (a fresh SQLite file, or a fresh schema in the
// PostgreSQL at COFFER_TEST_PG_URL), driven over HTTP with app.inject(). No mocks.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { type App, buildApp } from '../src/app.ts';
import { type Config, validateConfig } from '../src/config/config.ts';
import { type Database, type Dialect, migrateToLatest, openDatabase } from '../src/db/database.ts';
import type { Clock } from '../src/lib/clock.ts';

export const PG_URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Both dialects unless COFFER_TEST_DIALECTS narrows it (a missing PostgreSQL fails, never skips). */
export const dialects: Dialect[] = (process.env.COFFER_TEST_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as Dialect[];

export const ADMIN = { username: 'admin', password: 'admin-password-canary-7f3a' };

export interface Harness {
  coffer: App;
  app: App['app'];
  database: Database;
  config: Config;
  dir: string;
  schema: string | null;
  /** Everything the server logged. */
  logs: () => string;
  close(): Promise<void>;
}

export function testConfig(dir: string, databaseUrl: string, over: Record<string, unknown> = {}): Config {
  return validateConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    databaseUrl,
    keyFile: path.join(dir, 'coffer.key'),
    logLevel: 'info',
    trustedProxies: [],
    bodyLimitBytes: 1024 * 1024,
    attachmentMaxBytes: 10 * 1024 * 1024,
    argon2: { memoryKiB: 19456, passes: 2, maxConcurrent: 4, maxQueue: 64 },
    session: { idleSeconds: 1800, absoluteSeconds: 43200, refreshSeconds: 604800 },
    login: { freeFailures: 5, hardLockFailures: 100, perIpPerMinute: 20 },
    audit: { checkpointEvery: 1000, checkpointSeconds: 3600 },
    // tests drive thousands of requests through one session: the per-credential limit (3000 per
    // minute by default) has its own tests, which set it (modules/auth/rate-limit.http.test.ts)
    rateLimit: { perMinute: 10_000_000, burst: 10_000_000 },
    ...over,
  });
}

/** Opens a fresh store of the dialect: a new SQLite file or a new PostgreSQL schema. */
export async function freshDatabase(dialect: Dialect, dir: string): Promise<{ database: Database; url: string; schema: string | null }> {
  if (dialect === 'sqlite') {
    const url = `sqlite:${path.join(dir, 'coffer.db')}`;
    return { database: await openDatabase(url), url, schema: null };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  return { database: await openDatabase(url), url, schema };
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await c.end();
  }
}

/**
 * A migrated, initialised (key-file mode), unsealed server with the administrator ADMIN.
 * `init: false` leaves it uninitialised; `config` overrides settings.
 */
export async function startHarness(
  dialect: Dialect,
  opts: {
    init?: boolean;
    mode?: 'keyfile' | 'shamir';
    shares?: number;
    threshold?: number;
    config?: Record<string, unknown>;
    clock?: Clock;
    /**
     * Keep the background job queue polling (the workflow sweep, webhook deliveries). Off by
     * default: tests drive time and the sweep themselves (`services.jobs.runDue()`,
     * `services.workflow.sweep()`), and a background sweep on the wall clock would delete the
     * "expired" grants of a test that lives at another time.
     */
    jobs?: boolean;
  } = {},
): Promise<Harness & { shares: string[] | null }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-test-'));
  const { database, url, schema } = await freshDatabase(dialect, dir);
  await migrateToLatest(database.db);
  const config = testConfig(dir, url, opts.config);
  const logStream = new PassThrough();
  const chunks: Buffer[] = [];
  logStream.on('data', (c: Buffer) => chunks.push(c));
  const coffer = await buildApp({ config, database, logStream, ...(opts.clock ? { clock: opts.clock } : {}) });
  let shares: string[] | null = null;
  if (opts.init !== false) {
    const r = await coffer.initialize({
      mode: opts.mode ?? 'keyfile',
      adminUsername: ADMIN.username,
      adminPassword: ADMIN.password,
      ...(opts.shares ? { shares: opts.shares } : {}),
      ...(opts.threshold ? { threshold: opts.threshold } : {}),
    });
    shares = r.shares;
  }
  await coffer.start();
  if (!opts.jobs) await coffer.services.jobs.stop();
  await coffer.app.ready();
  return {
    coffer,
    app: coffer.app,
    database,
    config,
    dir,
    schema,
    shares,
    logs: () => Buffer.concat(chunks).toString('utf8'),
    async close() {
      await coffer.app.close();
      await database.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Res {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  raw: string;
}

/** One HTTP request through the real server (inject), JSON in and out. */
export async function call(
  h: Pick<Harness, 'app'>,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  opts: { token?: string; body?: unknown; ip?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const r = await h.app.inject({
    method,
    url,
    ...(opts.body !== undefined
      ? { payload: JSON.stringify(opts.body), headers: { 'content-type': 'application/json', ...opts.headers } }
      : { headers: { ...opts.headers } }),
    ...(opts.ip ? { remoteAddress: opts.ip } : {}),
    ...(opts.token
      ? {
          headers: {
            ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
            authorization: `Bearer ${opts.token}`,
            ...opts.headers,
          },
        }
      : {}),
  });
  let body: unknown = r.body;
  try {
    body = r.body.length ? JSON.parse(r.body) : null;
  } catch {
    // not JSON (e.g. JSON lines)
  }
  return { status: r.statusCode, body, headers: r.headers as Record<string, unknown>, raw: r.body };
}

export async function login(h: Pick<Harness, 'app'>, username: string, password: string, extra: Record<string, string> = {}, ip?: string) {
  const r = await call(h, 'POST', '/api/v1/auth/login', { body: { username, password, ...extra }, ...(ip ? { ip } : {}) });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.raw}`);
  return r.body as { accessToken: string; refreshToken: string };
}

export async function adminToken(h: Pick<Harness, 'app'>): Promise<string> {
  return (await login(h, ADMIN.username, ADMIN.password)).accessToken;
}

/**
 * The first login of a user whose password an administrator set: it must be changed first (the
 * session can do nothing else). Changes it to a fresh random one and signs in again; returns the
 * new password and session.
 */
export async function firstLogin(h: Pick<Harness, 'app'>, username: string, temporary: string) {
  const first = await login(h, username, temporary);
  if (!(first as { mustChangePassword?: boolean }).mustChangePassword) return { password: temporary, tokens: first };
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const changed = await call(h, 'POST', '/api/v1/me/password', {
    token: first.accessToken,
    body: { currentPassword: temporary, newPassword: password },
  });
  if (changed.status !== 200) throw new Error(`forced password change failed: ${changed.status} ${changed.raw}`);
  return { password, tokens: await login(h, username, password) };
}

let userSeq = 0;
/**
 * Creates a user with the role through the API, does the forced first password change, and
 * returns its id, (own) password and a session token.
 */
export async function createUser(
  h: Pick<Harness, 'app'>,
  admin: string,
  role: 'administrator' | 'password_administrator' | 'password_auditor' | 'password_user',
  extra: Record<string, unknown> = {},
) {
  const username = `user${++userSeq}_${randomBytes(3).toString('hex')}`;
  const temporary = `pw-${randomBytes(9).toString('hex')}`;
  const r = await call(h, 'POST', '/api/v1/users', { token: admin, body: { username, password: temporary, role, ...extra } });
  if (r.status !== 201) throw new Error(`create user failed: ${r.status} ${r.raw}`);
  const { password, tokens: t } = await firstLogin(h, username, temporary);
  return { id: r.body.id as string, username, password, token: t.accessToken, refreshToken: t.refreshToken };
}
