// The measurements: a fixed-duration HTTP load (autocannon, in this process) and login latency.
import autocannon from 'autocannon';
import { postgresCpuSeconds, processCpuSeconds, systemBusySeconds } from './servers.ts';

export interface LoadResult {
  scenario: string;
  url: string;
  seconds: number;
  connections: number;
  /** Mean of autocannon's per-second samples. */
  reqPerSec: number;
  reqPerSecStddev: number;
  /** 2xx responses only (autocannon records latency for 2xx only). */
  latencyMs: { avg: number; p50: number; p90: number; p99: number; max: number };
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** CPU time over the measured run (not the warm-up); null where /proc is unavailable. */
  cpu: {
    serverSeconds: number | null;
    serverMicrosPerRequest: number | null;
    postgresSeconds: number | null;
    loadGeneratorSeconds: number;
    /** Everything else on the machine (other jobs, the kernel's share not charged to the processes above). */
    otherSeconds: number | null;
  };
  /** Audit records the server wrote during the measured run (null when not counted). */
  auditRecords: number | null;
}

export interface LoadOptions {
  scenario: string;
  url: string;
  headers?: Record<string, string>;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  serverPid: number;
  measurePostgres: boolean;
  /** Counts audit records; called before and after the measured run. */
  countAudit?: () => Promise<number>;
  method?: 'GET' | 'POST';
  body?: string;
  /** A new path for every request (e.g. a random secret id); `url` then gives the origin. */
  nextPath?: () => string;
  /** Called around the measured run (not the warm-up), e.g. to profile it. */
  around?: MeasureHooks;
}

export interface MeasureHooks {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CpuWindow {
  /** The CPU used since the window opened; `completed` requests give the per-request figure. */
  stop(completed: number): LoadResult['cpu'];
}

/** Opens a window over the CPU time of the server, the local PostgreSQL, this process and the machine. */
export function cpuWindow(serverPid: number, measurePostgres: boolean): CpuWindow {
  const srvBefore = processCpuSeconds(serverPid);
  const pgBefore = measurePostgres ? postgresCpuSeconds() : null;
  const sysBefore = systemBusySeconds();
  const lgBefore = process.cpuUsage();
  return {
    stop(completed) {
      const lg = process.cpuUsage(lgBefore);
      const sysAfter = systemBusySeconds();
      const srvAfter = processCpuSeconds(serverPid);
      const pgAfter = measurePostgres ? postgresCpuSeconds() : null;
      const serverSeconds = srvBefore !== null && srvAfter !== null ? srvAfter - srvBefore : null;
      const postgresSeconds = pgBefore !== null && pgAfter !== null ? pgAfter - pgBefore : null;
      const loadGeneratorSeconds = (lg.user + lg.system) / 1e6;
      const otherSeconds =
        sysBefore !== null && sysAfter !== null
          ? Math.max(0, sysAfter - sysBefore - (serverSeconds ?? 0) - (postgresSeconds ?? 0) - loadGeneratorSeconds)
          : null;
      return {
        serverSeconds,
        serverMicrosPerRequest: serverSeconds !== null && completed > 0 ? (serverSeconds * 1e6) / completed : null,
        postgresSeconds,
        loadGeneratorSeconds,
        otherSeconds,
      };
    },
  };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const next = o.nextPath;
  const base = {
    url: o.url,
    connections: o.connections,
    headers: o.headers ?? {},
    timeout: 10,
    ...(o.method ? { method: o.method } : {}),
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(next ? { requests: [{ setupRequest: (req: { path?: string }) => ({ ...req, path: next() }) }] } : {}),
  };
  if (o.warmupSeconds > 0) await autocannon({ ...base, duration: o.warmupSeconds });
  const auditBefore = o.countAudit ? await o.countAudit() : null;
  await o.around?.start();
  const cpu = cpuWindow(o.serverPid, o.measurePostgres);
  const r = await autocannon({ ...base, duration: o.seconds });
  const completed = Object.values(r.statusCodeStats).reduce((n, s) => n + s.count, 0);
  const cpuUsed = cpu.stop(completed);
  await o.around?.stop();
  const auditAfter = o.countAudit ? await o.countAudit() : null;
  return {
    scenario: o.scenario,
    url: o.url,
    seconds: o.seconds,
    connections: o.connections,
    reqPerSec: r.requests.average,
    reqPerSecStddev: r.requests.stddev,
    latencyMs: { avg: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    completed,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])),
    cpu: cpuUsed,
    auditRecords: auditBefore !== null && auditAfter !== null ? auditAfter - auditBefore : null,
  };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(ms: readonly number[]): LatencySummary {
  const s = [...ms].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN,
  };
}

interface Attempt {
  ms: number;
  status: number;
}

async function timedLogin(baseUrl: string, username: string, password: string): Promise<Attempt> {
  const t0 = performance.now();
  try {
    const r = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(60_000),
    });
    await r.arrayBuffer();
    return { ms: performance.now() - t0, status: r.status };
  } catch {
    return { ms: performance.now() - t0, status: 0 };
  }
}

function countStatuses(attempts: readonly Attempt[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of attempts) out[String(a.status)] = (out[String(a.status)] ?? 0) + 1;
  return out;
}

export interface LoginResult {
  sequential: LatencySummary & { statusCodes: Record<string, number> };
  burst: LatencySummary & {
    parallel: number;
    wallMs: number;
    ok: number;
    tooManyRequests: number;
    unavailable: number;
    statusCodes: Record<string, number>;
  };
  serverCpuSeconds: number | null;
}

/** `count` logins one after another, then `parallel` at once; latencies of the 200s only. */
export async function measureLogins(o: {
  baseUrl: string;
  username: string;
  password: string;
  count: number;
  parallel: number;
  serverPid: number;
}): Promise<LoginResult> {
  const cpuBefore = processCpuSeconds(o.serverPid);
  const seq: Attempt[] = [];
  for (let i = 0; i < o.count; i++) seq.push(await timedLogin(o.baseUrl, o.username, o.password));
  const t0 = performance.now();
  const burst = await Promise.all(Array.from({ length: o.parallel }, () => timedLogin(o.baseUrl, o.username, o.password)));
  const wallMs = performance.now() - t0;
  const cpuAfter = processCpuSeconds(o.serverPid);
  const okMs = (xs: Attempt[]) => xs.filter((a) => a.status === 200).map((a) => a.ms);
  return {
    sequential: { ...summarize(okMs(seq)), statusCodes: countStatuses(seq) },
    burst: {
      ...summarize(okMs(burst)),
      parallel: o.parallel,
      wallMs,
      ok: burst.filter((a) => a.status === 200).length,
      tooManyRequests: burst.filter((a) => a.status === 429).length,
      unavailable: burst.filter((a) => a.status === 503).length,
      statusCodes: countStatuses(burst),
    },
    serverCpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
  };
}

/** One request of a closed-loop run: its kind (for the per-kind figures), path, and a check of the answer. */
export interface ProbeRequest {
  kind: string;
  path: string;
  /** False when the answer is a 200 with the wrong content (counted as a mismatch). */
  check?: (body: unknown) => boolean;
}

export interface LatencyResult {
  scenario: string;
  seconds: number;
  connections: number;
  completed: number;
  reqPerSec: number;
  /** Network errors and non-2xx answers. */
  errors: number;
  mismatches: number;
  statusCodes: Record<string, number>;
  /** Latency of the 2xx answers, whole body read, in ms. */
  overall: LatencySummary;
  byKind: Record<string, LatencySummary & { mismatches: number; errors: number }>;
  cpu: LoadResult['cpu'];
  auditRecords: number | null;
}

/**
 * A closed loop of `connections` workers, each sending its next request when the previous one
 * has answered (keep-alive), for a fixed time: latency percentiles per kind of request, at a
 * low, steady concurrency (autocannon reports no p95).
 */
export async function runClosedLoop(o: {
  scenario: string;
  baseUrl: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  next: () => ProbeRequest;
  serverPid: number;
  measurePostgres: boolean;
  countAudit?: () => Promise<number>;
  around?: MeasureHooks;
}): Promise<LatencyResult> {
  type Sample = { kind: string; ms: number; status: number; ok: boolean };
  const loop = async (seconds: number, into: Sample[] | null) => {
    const until = performance.now() + seconds * 1000;
    const worker = async () => {
      while (performance.now() < until) {
        const q = o.next();
        const t0 = performance.now();
        let status = 0;
        let ok = true;
        try {
          const r = await fetch(`${o.baseUrl}${q.path}`, { headers: o.headers, signal: AbortSignal.timeout(30_000) });
          status = r.status;
          const body = await r.json().catch(() => null);
          if (status === 200 && q.check) ok = q.check(body);
        } catch {
          status = 0;
        }
        into?.push({ kind: q.kind, ms: performance.now() - t0, status, ok });
      }
    };
    await Promise.all(Array.from({ length: o.connections }, worker));
  };
  if (o.warmupSeconds > 0) await loop(o.warmupSeconds, null);
  const auditBefore = o.countAudit ? await o.countAudit() : null;
  await o.around?.start();
  const cpu = cpuWindow(o.serverPid, o.measurePostgres);
  const t0 = performance.now();
  const samples: Sample[] = [];
  await loop(o.seconds, samples);
  const elapsed = (performance.now() - t0) / 1000;
  const cpuUsed = cpu.stop(samples.length);
  await o.around?.stop();
  const auditAfter = o.countAudit ? await o.countAudit() : null;
  const good = (s: Sample) => s.status >= 200 && s.status < 300;
  const byKind: LatencyResult['byKind'] = {};
  for (const kind of [...new Set(samples.map((s) => s.kind))].sort()) {
    const mine = samples.filter((s) => s.kind === kind);
    byKind[kind] = {
      ...summarize(mine.filter(good).map((s) => s.ms)),
      mismatches: mine.filter((s) => good(s) && !s.ok).length,
      errors: mine.filter((s) => !good(s)).length,
    };
  }
  return {
    scenario: o.scenario,
    seconds: o.seconds,
    connections: o.connections,
    completed: samples.length,
    reqPerSec: samples.length / elapsed,
    errors: samples.filter((s) => !good(s)).length,
    mismatches: samples.filter((s) => good(s) && !s.ok).length,
    statusCodes: countStatuses(samples),
    overall: summarize(samples.filter(good).map((s) => s.ms)),
    byKind,
    cpu: cpuUsed,
    auditRecords: auditBefore !== null && auditAfter !== null ? auditAfter - auditBefore : null,
  };
}
