// Real Coffer server processes for tests that need more than one node on one store (PostgreSQL):
// started from src/main.ts with Node's type stripping, driven over real HTTP with fetch.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  /** Everything the process wrote to stdout and stderr. */
  out: () => string;
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` with the given environment (on top of fast Argon2 settings, a free port and
 * a sweep every second) and waits until /health answers.
 */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      COFFER_ARGON2_MEMORY_KIB: '19456',
      COFFER_ARGON2_PASSES: '2',
      COFFER_LOG_LEVEL: 'warn',
      COFFER_PORT: String(port),
      // the sweep every second (default 5 s); the receiver of a test's webhook is on loopback
      COFFER_WORKFLOW_SWEEP_MS: '1000',
      COFFER_WEBHOOK_ALLOWED_TARGETS: '127.0.0.1/32',
      ...env,
    },
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
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return { child, base, out: () => out, exited, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not come up: ${out}`);
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
