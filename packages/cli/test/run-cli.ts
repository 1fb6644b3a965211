// Runs the `coffer` command as a child process for the CLI tests: only COFFER_CLI_CONFIG (and the
// given variables) from the environment, `input` on stdin, a private compile cache (the many short
// processes start in a third of the time), and every stderr kept so a test can scan them for
// secret values at the end.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');

export interface Run {
  code: number | null;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cliRunner() {
  const compileCache = mkdtempSync(path.join(tmpdir(), 'coffer-cli-cache-'));
  after(() => rmSync(compileCache, { recursive: true, force: true }));
  /** Every stderr of every run. */
  const stderrs: string[] = [];

  /**
   * `input` goes to stdin at once; `respond` instead keeps stdin open until stdout matches `after`,
   * then sends what `send` makes of the match (an answer that depends on what the CLI printed),
   * after `input` when both are given (e.g. a password first, then a code the output made).
   * `started` gets the child process (e.g. to signal it).
   * `bin` runs that executable (e.g. the installed launcher) instead of this Node on src/main.ts,
   * in `cwd`.
   */
  function cli(
    config: string,
    args: string[],
    opts: {
      input?: string;
      env?: Record<string, string>;
      respond?: { after: RegExp; send: (m: RegExpMatchArray) => string };
      started?: (child: ChildProcess) => void;
      bin?: string;
      cwd?: string;
    } = {},
  ): Promise<Run> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('COFFER_') && k !== 'NODE_TEST_CONTEXT' && k !== 'XDG_CONFIG_HOME'),
    );
    const [command, argv] = opts.bin ? [opts.bin, args] : [process.execPath, [MAIN, ...args]];
    const child = spawn(command, argv, {
      env: { ...inherited, NODE_COMPILE_CACHE: compileCache, COFFER_CLI_CONFIG: config, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    opts.started?.(child);
    let responded = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const m = opts.respond && !responded ? opts.respond.after.exec(stdout) : null;
      if (m && opts.respond) {
        responded = true;
        child.stdin.end(opts.respond.send(m));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    if (!opts.respond) child.stdin.end(opts.input ?? '');
    else if (opts.input !== undefined) child.stdin.write(opts.input);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        stderrs.push(stderr);
        child.stdin.destroy();
        resolve({ code, signal, stdout, stderr });
      });
    });
  }
  return { cli, stderrs };
}

export function expectCode(r: Run, code: number, what = ''): void {
  assert.equal(r.code, code, `${what} exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

export const json = (r: Run) => JSON.parse(r.stdout);
