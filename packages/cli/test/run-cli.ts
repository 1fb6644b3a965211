// Runs the `coffer` command as a child process for the CLI tests: only COFFER_CLI_CONFIG (and the
// given variables) from the environment, `input` on stdin, a private compile cache (the many short
// processes start in a third of the time), and every stderr kept so a test can scan them for
// secret values at the end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliRunner() {
  const compileCache = mkdtempSync(path.join(tmpdir(), 'coffer-cli-cache-'));
  after(() => rmSync(compileCache, { recursive: true, force: true }));
  /** Every stderr of every run. */
  const stderrs: string[] = [];

  function cli(config: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('COFFER_') && k !== 'NODE_TEST_CONTEXT' && k !== 'XDG_CONFIG_HOME'),
    );
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...inherited, NODE_COMPILE_CACHE: compileCache, COFFER_CLI_CONFIG: config, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.stdin.end(opts.input ?? '');
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        stderrs.push(stderr);
        resolve({ code, stdout, stderr });
      });
    });
  }
  return { cli, stderrs };
}

export function expectCode(r: Run, code: number, what = ''): void {
  assert.equal(r.code, code, `${what} exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

export const json = (r: Run) => JSON.parse(r.stdout);
