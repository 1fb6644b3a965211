// The real server as a child process, for tests of the process itself (start, lock, signals).
import { type ChildProcess, spawn } from 'node:child_process';
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
