// The bench's settings (BENCH_* variables, checked), where it writes, and what Coffer's child
// process gets as its environment. See bench/README.md for every variable.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

function intEnv(name: string, def: number, min: number, max: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}, got "${v}"`);
  return n;
}

/** Rows per request of the bulk-import scenario: 100k rows are one request (~16 MiB of CSV). */
export const BULK_IMPORT_REQUEST_ROWS = 150_000;

export const ALL_SCENARIOS = [
  'baseline',
  'floor',
  'apikey',
  'session',
  'reveal',
  'senhasegura',
  'pmp',
  'secretserver',
  'passwork',
  'passbolt',
  'search',
  'import',
  'login',
  // bench/rotation.ts (npm run bench runs it after this file): remote rotation against sshd and PostgreSQL
  'rotation',
] as const;
export type Scenario = (typeof ALL_SCENARIOS)[number];

export function readSettings() {
  const seconds = intEnv('BENCH_SECONDS', 10, 1, 300);
  const scenarios = (process.env.BENCH_SCENARIOS || ALL_SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarios) {
    if (!(ALL_SCENARIOS as readonly string[]).includes(s))
      throw new Error(`BENCH_SCENARIOS: unknown "${s}" (known: ${ALL_SCENARIOS.join(', ')})`);
  }
  const secrets = intEnv('BENCH_SECRETS', 1000, 1, 10_000_000);
  const connections = intEnv('BENCH_CONNECTIONS', 50, 1, 1000);
  const keepDb = process.env.BENCH_KEEP_DB || undefined;
  if (keepDb && process.env.BENCH_DATABASE_URL && keepDb !== '1') throw new Error('on PostgreSQL, BENCH_KEEP_DB=1 keeps the bench schema');
  const reuseDb = process.env.BENCH_REUSE_DB || undefined;
  if (reuseDb && process.env.BENCH_DATABASE_URL) throw new Error('BENCH_REUSE_DB is for SQLite stores kept with BENCH_KEEP_DB=<dir>');
  if (reuseDb && keepDb)
    throw new Error('BENCH_REUSE_DB and BENCH_KEEP_DB together: the kept store is never written, there is nothing new to keep');
  return {
    seconds,
    warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', Math.min(3, seconds), 0, 60),
    connections,
    secrets,
    folders: intEnv('BENCH_FOLDERS', Math.max(1, Math.round(secrets / 10)), 1, 1_000_000),
    importBatch: intEnv('BENCH_IMPORT_BATCH', 50_000, 100, 200_000),
    importRows: intEnv('BENCH_IMPORT_ROWS', 100_000, 100, 1_000_000),
    pool: intEnv('BENCH_POOL', 10_000, 10, 1_000_000),
    revealConnections: intEnv('BENCH_REVEAL_CONNECTIONS', connections, 1, 1000),
    searchConnections: intEnv('BENCH_SEARCH_CONNECTIONS', 4, 1, 100),
    keepDb,
    reuseDb,
    logins: intEnv('BENCH_LOGINS', 30, 1, 500),
    loginBurst: intEnv('BENCH_LOGIN_BURST', 20, 1, 200),
    scenarios: new Set(scenarios as Scenario[]),
    databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
    cpuProf: process.env.BENCH_CPU_PROF === '1',
    quietWaitSeconds: intEnv('BENCH_QUIET_WAIT_SECONDS', 0, 0, 3600),
    /** bracketed rounds of the compatibility APIs against the native reveal (bench/bracketed.ts) */
    rounds: intEnv('BENCH_ROUNDS', 3, 1, 20),
  };
}

/**
 * PostgreSQL: the bench always runs in a schema of its own that does not exist yet and drops it
 * at the end. A `schema` parameter in BENCH_DATABASE_URL must be named bench_*; without one a
 * bench_<random> schema is used.
 */
export function planPostgres(url: string): { adminUrl: string; schema: string; cofferUrl: string } {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('BENCH_DATABASE_URL must start with postgres://');
  const u = new URL(url);
  const given = u.searchParams.get('schema');
  const schema = given ?? `bench_${randomBytes(5).toString('hex')}`;
  if (!/^bench_[a-z0-9_]{1,56}$/.test(schema)) {
    throw new Error('the schema parameter of BENCH_DATABASE_URL must be a lower-case name starting with bench_ (it is dropped at the end)');
  }
  u.searchParams.delete('schema');
  const adminUrl = u.toString();
  u.searchParams.set('schema', schema);
  return { adminUrl, schema, cofferUrl: u.toString() };
}

export function gitInfo(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** The environment for Coffer: ours, with no COFFER_* setting leaking in from the caller's shell. */
export function cofferEnv(over: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COFFER_') && !k.startsWith('BENCH_')) env[k] = v;
  return { ...env, ...over };
}

export type Settings = ReturnType<typeof readSettings>;
