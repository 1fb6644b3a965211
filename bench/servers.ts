// Child-process servers for the bench: free loopback ports, start, wait for health, stop, and the
// CPU time a process has used (from /proc, Linux only).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ChildServer {
  name: string;
  proc: ChildProcess;
  pid: number;
  port: number;
  baseUrl: string;
  /** The last few KiB the child wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** A port that was free on 127.0.0.1 a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const OUTPUT_KEEP = 16 * 1024;

export async function startServer(opts: {
  name: string;
  /** Node flags and the script, run with this same Node binary. */
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  healthPath: string;
  cwd: string;
  timeoutMs: number;
}): Promise<ChildServer> {
  const proc = spawn(process.execPath, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-OUTPUT_KEEP);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let exited = false;
  const exitedP = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  const server: ChildServer = {
    name: opts.name,
    proc,
    pid: proc.pid ?? -1,
    port: opts.port,
    baseUrl,
    output: () => out,
    async stop(graceMs = 15_000) {
      if (exited || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!exited) proc.kill('SIGKILL');
      }, graceMs);
      await exitedP;
      clearTimeout(t);
    },
  };
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${opts.name} exited during start (code ${proc.exitCode}):\n${out}`);
    try {
      const r = await fetch(`${baseUrl}${opts.healthPath}`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await server.stop(2000);
  throw new Error(`${opts.name} did not answer ${opts.healthPath} within ${opts.timeoutMs} ms:\n${out}`);
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime, seconds */
  self: number;
  /** cutime + cstime (reaped children), seconds */
  children: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    // fields after "pid (comm) ": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17)
    const f = s
      .slice(close + 2)
      .split(' ')
      .map((x) => Number(x));
    const hz = ticksPerSecond();
    return { comm, ppid: f[1] ?? 0, self: ((f[11] ?? 0) + (f[12] ?? 0)) / hz, children: ((f[13] ?? 0) + (f[14] ?? 0)) / hz };
  } catch {
    return null;
  }
}

/** CPU seconds all processes on the machine have used so far (non-idle time in /proc/stat), or null off Linux. */
export function systemBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / ticksPerSecond();
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process has used so far, or null off Linux. */
export function processCpuSeconds(pid: number): number | null {
  return readStat(pid)?.self ?? null;
}

/**
 * CPU seconds used by the local PostgreSQL: every live `postgres` process plus what the postmaster
 * has reaped from exited backends. Counts other clients' work too (none during the bench). Null
 * when there is no local postgres visible in /proc.
 */
export function postgresCpuSeconds(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const procs = new Map<number, ProcStat>();
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(Number(e));
    if (st && (st.comm === 'postgres' || st.comm === 'postmaster')) procs.set(Number(e), st);
  }
  if (procs.size === 0) return null;
  let total = 0;
  for (const st of procs.values()) {
    total += st.self;
    if (!procs.has(st.ppid)) total += st.children; // the postmaster
  }
  return total;
}

/**
 * Waits (up to maxSeconds) until the machine is quiet: under 15 % busy over one second. Returns
 * the busy share last seen; the bench only calls it while its own servers are idle.
 */
export async function waitForQuiet(maxSeconds: number, cores: number): Promise<number | null> {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const a = systemBusySeconds();
    await sleep(1000);
    const b = systemBusySeconds();
    if (a === null || b === null) return null;
    const share = (b - a) / cores;
    if (share < 0.15 || Date.now() >= deadline) return share;
    await sleep(2000);
  }
}
