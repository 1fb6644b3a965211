// The real server as a child process: for tests of the process itself (start, lock, signals) and
// for tests that need more than one node on one store (PostgreSQL), driven over real HTTP with fetch.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';

export const SERVER_MAIN = path.resolve(import.meta.dirname, '../src/main.ts');
export const CLI_MAIN = path.resolve(import.meta.dirname, '../../cli/src/main.ts');
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** Cheap Argon2id settings, a clean environment plus `env`. */
export function baseEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', COFFER_ARGON2_MEMORY_KIB: '19456', COFFER_ARGON2_PASSES: '2', ...env };
}

export function spawnProc(cmd: string, args: string[], env: Record<string, string>, opts: { cwd?: string; detached?: boolean } = {}): Proc {
  const child = spawn(cmd, args, { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'], ...opts });
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

export const startServer = (env: Record<string, string>) => spawnProc(process.execPath, [SERVER_MAIN], env);

/** Polls until `check` holds (a process coming up or going away), at most ~60 s (a first start on a loaded 2-core CI machine migrates and hashes). */
export async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export const healthy = (port: number) =>
  until(`health on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServerProcess extends Proc {
  base: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * A node for multi-node tests: `src/main.ts` with the given environment (on top of a free port,
 * warnings-only logs and a sweep every second; a test's webhook receiver is on loopback), once
 * /health answers.
 */
export async function startNode(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const p = startServer({
    COFFER_LOG_LEVEL: 'warn',
    COFFER_PORT: String(port),
    COFFER_WORKFLOW_SWEEP_MS: '1000',
    COFFER_WEBHOOK_ALLOWED_TARGETS: '127.0.0.1/32',
    // races drive many requests through one session: lift the per-credential limit
    COFFER_RATE_LIMIT_PER_MINUTE: '10000000',
    COFFER_RATE_LIMIT_BURST: '10000000',
    ...env,
  });
  const stop = async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await p.exited;
  };
  try {
    await healthy(port);
  } catch {
    p.child.kill('SIGKILL');
    throw new Error(`server did not come up: ${p.out()}`);
  }
  return { ...p, base: `http://127.0.0.1:${port}`, stop };
}

export interface HttpRes {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
  body: any;
  raw: string;
}

/** One JSON request over real HTTP. */
export async function api(base: string, method: string, url: string, token: string | null, body?: unknown): Promise<HttpRes> {
  const r = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: r.status, body: json, raw: text };
}

export async function loginAs(base: string, username: string, password: string): Promise<string> {
  const r = await api(base, 'POST', '/api/v1/auth/login', null, { username, password });
  assert.equal(r.status, 200, r.raw);
  return r.body.accessToken as string;
}

/**
 * A user made by an administrator over real HTTP, after the forced first password change (an
 * administrator's password is temporary): its id, username and own password.
 */
export async function newUser(base: string, adminToken: string, role: string): Promise<{ id: string; username: string; password: string }> {
  const username = `u_${randomBytes(5).toString('hex')}`;
  const temporary = `tmp-${randomBytes(12).toString('hex')}`;
  const r = await api(base, 'POST', '/api/v1/users', adminToken, { username, password: temporary, role });
  assert.equal(r.status, 201, r.raw);
  const first = await loginAs(base, username, temporary);
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const changed = await api(base, 'POST', '/api/v1/me/password', first, { currentPassword: temporary, newPassword: password });
  assert.equal(changed.status, 200, changed.raw);
  return { id: r.body.id as string, username, password };
}

/** `coffer <args>` run to its end on a store (env: COFFER_DATA_DIR, COFFER_DATABASE_URL, ...), stdin from `input`. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: baseEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, stdout, stderr };
}
