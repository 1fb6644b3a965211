// `npm run bench`: the real Coffer server and a bare Fastify baseline, each in its own child
// process on a free loopback port, loaded by autocannon from this process. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { api, expect } from './api.ts';
import { compatLoads } from './compat-scenarios.ts';
import { checkKeptDataset, type KeptStore, readKeptStore, STORE_FILES, writeKeptStore } from './kept-store.ts';
import { type LatencyResult, type LoadResult, type LoginResult, type MeasureHooks, measureLogins, runLoad } from './measure.ts';
import { passworkLoads } from './passwork.ts';
import { connectProfiler, type Profiler } from './profiler.ts';
import { cpuTable, importTable, loadTable, loginTable, searchTable } from './report.ts';
import { buildSecretsDataset, type SecretsDataset } from './secrets-data.ts';
import { type ImportResult, importScenario, revealLoad, searchLatency } from './secrets-scenarios.ts';
import { secretServerLoads } from './secretserver.ts';
import { type ChildServer, freePort, startServer, waitForQuiet } from './servers.ts';
import { postgresReader, type StoreReader, sqliteReader } from './store.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

function intEnv(name: string, def: number, min: number, max: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}, got "${v}"`);
  return n;
}

/** Rows per request of the bulk-import scenario: 100k rows are one request (~16 MiB of CSV). */
const BULK_IMPORT_REQUEST_ROWS = 150_000;

const ALL_SCENARIOS = [
  'baseline',
  'floor',
  'apikey',
  'session',
  'reveal',
  'senhasegura',
  'pmp',
  'secretserver',
  'passwork',
  'search',
  'import',
  'login',
] as const;
type Scenario = (typeof ALL_SCENARIOS)[number];

function readSettings() {
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
  };
}

/**
 * PostgreSQL: the bench always runs in a schema of its own that does not exist yet and drops it
 * at the end. A `schema` parameter in BENCH_DATABASE_URL must be named bench_*; without one a
 * bench_<random> schema is used.
 */
function planPostgres(url: string): { adminUrl: string; schema: string; cofferUrl: string } {
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

function gitInfo(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** The environment for Coffer: ours, with no COFFER_* setting leaking in from the caller's shell. */
function cofferEnv(over: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COFFER_') && !k.startsWith('BENCH_')) env[k] = v;
  return { ...env, ...over };
}

async function main(): Promise<void> {
  const s = readSettings();
  const dialect = s.databaseUrl ? 'postgres' : 'sqlite';
  const pgPlan = s.databaseUrl ? planPostgres(s.databaseUrl) : null;
  const children: ChildServer[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${sig}, stopping the servers\n`);
    void cleanup().finally(() => process.exit(130));
  };
  let cleaned = false;
  async function cleanup(): Promise<void> {
    if (cleaned) return;
    cleaned = true;
    await Promise.allSettled(children.map((c) => c.stop()));
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch (e) {
        process.stderr.write(`bench: cleanup failed: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // what BENCH_KEEP_DB keeps and BENCH_REUSE_DB reads back: the store, its key file, the data set
  let kept: KeptStore | null = null;
  if (s.reuseDb) {
    kept = readKeptStore(s.reuseDb);
    if (process.env.BENCH_SECRETS && Number(process.env.BENCH_SECRETS) !== kept.secrets) {
      throw new Error(`BENCH_SECRETS=${process.env.BENCH_SECRETS} but the store in ${s.reuseDb} holds a data set of ${kept.secrets}`);
    }
    s.secrets = kept.secrets;
    s.folders = kept.folders;
    for (const f of STORE_FILES) if (existsSync(path.join(s.reuseDb, f))) copyFileSync(path.join(s.reuseDb, f), path.join(dir, f));
  }
  const keepState: { adminPassword?: string; dataset?: SecretsDataset | null } = {};
  if (s.keepDb && !pgPlan) {
    const keep = s.keepDb;
    // runs after the servers have stopped (cleanups run last-in first-out, the directory goes last)
    cleanups.push(() => {
      if (!keepState.adminPassword || !keepState.dataset) return;
      mkdirSync(keep, { recursive: true });
      for (const f of STORE_FILES) if (existsSync(path.join(dir, f))) copyFileSync(path.join(dir, f), path.join(keep, f));
      writeKeptStore(keep, keepState.adminPassword, keepState.dataset);
    });
  }

  try {
    console.log(
      `Coffer bench: node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), load avg ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const busy = os.loadavg()[0] ?? 0;
    if (busy > os.cpus().length / 2) {
      console.log(
        `WARNING: load average ${busy.toFixed(2)} on ${os.cpus().length} CPU(s): other work is running; the figures will be noisy.`,
      );
    }
    console.log(
      `store ${dialect}${pgPlan ? ` (schema ${pgPlan.schema})` : ''}; ${s.seconds} s per scenario after ${s.warmupSeconds} s warm-up; ${s.connections} connections; scenarios: ${[...s.scenarios].join(', ')}`,
    );

    // PostgreSQL: a schema of our own, checked absent, dropped at the end
    if (pgPlan) {
      const c = new pg.Client({ connectionString: pgPlan.adminUrl });
      await c.connect();
      cleanups.push(async () => {
        if (!s.keepDb) await c.query(`drop schema if exists "${pgPlan.schema}" cascade`);
        await c.end();
      });
      const exists = await c.query('select 1 from information_schema.schemata where schema_name = $1', [pgPlan.schema]);
      if (exists.rowCount) {
        // never drop what we did not create
        cleanups.pop();
        await c.end();
        throw new Error(`schema ${pgPlan.schema} already exists; the bench only uses (and drops) a schema it creates`);
      }
    }

    // the baseline
    let baseline: ChildServer | null = null;
    if (s.scenarios.has('baseline')) {
      const port = await freePort();
      baseline = await startServer({
        name: 'baseline (bare Fastify)',
        args: [path.join(ROOT, 'bench', 'baseline-server.ts')],
        env: { ...cofferEnv({}), BENCH_PORT: String(port) },
        port,
        healthPath: '/health',
        cwd: ROOT,
        timeoutMs: 30_000,
      });
      children.push(baseline);
    }

    // the floor: the least a reveal with Coffer's guarantees costs (bench/floor-server.ts)
    let floor: ChildServer | null = null;
    const floorToken = `cfk_${randomBytes(24).toString('base64url')}`;
    if (s.scenarios.has('floor')) {
      const port = await freePort();
      floor = await startServer({
        name: 'floor (minimal reveal)',
        args: [path.join(ROOT, 'bench', 'floor-server.ts')],
        env: {
          ...cofferEnv({}),
          BENCH_PORT: String(port),
          BENCH_FLOOR_TOKEN: floorToken,
          BENCH_FLOOR_SECRETS: String(Math.min(s.secrets, 100_000)),
        },
        port,
        healthPath: '/health',
        cwd: ROOT,
        timeoutMs: 120_000,
      });
      children.push(floor);
    }

    // Coffer, as in production: default Argon2 parameters (64 MiB, t=3), key-file unseal
    const adminPassword = kept?.adminPassword ?? `bench-${randomBytes(12).toString('hex')}`;
    keepState.adminPassword = adminPassword;
    const cofferPort = await freePort();
    const profDir = path.join(RESULTS_DIR, 'profiles');
    if (s.cpuProf) mkdirSync(profDir, { recursive: true });
    const inspectPort = s.cpuProf ? await freePort() : 0;
    const coffer = await startServer({
      name: 'Coffer',
      args: [...(s.cpuProf ? [`--inspect=127.0.0.1:${inspectPort}`] : []), path.join(ROOT, 'packages', 'server', 'src', 'main.ts')],
      env: cofferEnv({
        COFFER_HOST: '127.0.0.1',
        COFFER_PORT: String(cofferPort),
        COFFER_DATA_DIR: dir,
        COFFER_ADMIN_USERNAME: 'admin',
        COFFER_ADMIN_PASSWORD: adminPassword,
        COFFER_LOG_LEVEL: 'warn',
        // the load runs thousands of requests per second through one API key or session: lift the
        // per-credential limit (3000/min by default) so the figures stay comparable with earlier runs
        COFFER_RATE_LIMIT_PER_MINUTE: '10000000',
        COFFER_RATE_LIMIT_BURST: '10000000',
        ...(pgPlan ? { COFFER_DATABASE_URL: pgPlan.cofferUrl } : {}),
      }),
      port: cofferPort,
      healthPath: '/health',
      cwd: ROOT,
      timeoutMs: 120_000,
    });
    children.push(coffer);

    // the store is read (never written) straight from here: audit records between runs, folder ids
    const store: StoreReader = pgPlan ? await postgresReader(pgPlan.adminUrl, pgPlan.schema) : sqliteReader(dir);
    cleanups.push(() => store.close());
    const countAudit = async () => Number((await store.all<{ n: number | string }>('select count(*) as n from audit_log'))[0]?.n);

    // BENCH_CPU_PROF=1: one CPU profile of Coffer per measured window
    let profiler: Profiler | null = null;
    if (s.cpuProf) {
      const p = await connectProfiler(inspectPort);
      profiler = p;
      cleanups.push(() => p.close());
    }
    const profiles: string[] = [];
    const around = (key: string): MeasureHooks | undefined => {
      const p = profiler;
      if (!p) return undefined;
      return {
        start: () => p.start(),
        stop: async () => {
          profiles.push(await p.stop(path.join(profDir, `${key}-${dialect}-${s.secrets}-${Date.now()}.cpuprofile`)));
        },
      };
    };

    // credentials: an administrator session, an API key bound to 127.0.0.1, a second session
    const adminSession = expect<{ accessToken: string }>(
      'admin login',
      await api(coffer.baseUrl, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: adminPassword } }),
      200,
    ).accessToken;
    const apiKey = expect<{ key: string }>(
      'create API key',
      await api(coffer.baseUrl, 'POST', '/api/v1/me/api-keys', {
        token: adminSession,
        body: {
          name: 'bench',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: adminPassword,
        },
      }),
      201,
    ).key;
    const session = expect<{ accessToken: string }>(
      'login',
      await api(coffer.baseUrl, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: adminPassword } }),
      200,
    ).accessToken;
    const who = expect<{ authMethod: string }>(
      'whoami (API key)',
      await api(coffer.baseUrl, 'GET', '/api/v1/auth/whoami', { token: apiKey }),
      200,
    );
    if (who.authMethod !== 'apikey') throw new Error(`whoami with the API key answered authMethod ${who.authMethod}`);
    const who2 = expect<{ authMethod: string }>(
      'whoami (session)',
      await api(coffer.baseUrl, 'GET', '/api/v1/auth/whoami', { token: session }),
      200,
    );
    if (who2.authMethod !== 'session') throw new Error(`whoami with the session answered authMethod ${who2.authMethod}`);
    if (baseline) expect('baseline whoami', await api(baseline.baseUrl, 'GET', '/whoami'), 200);

    // the secrets data set, before any measurement (reveal and search run over it)
    let dataset: SecretsDataset | null = null;
    if (kept) {
      dataset = await checkKeptDataset(kept, coffer.baseUrl, store);
      console.log(`  data set: reused from ${s.reuseDb} (${dataset.secrets} secrets in ${dataset.plan.folders.length} folders)`);
    } else if (
      s.scenarios.has('reveal') ||
      s.scenarios.has('pmp') ||
      s.scenarios.has('secretserver') ||
      s.scenarios.has('search') ||
      s.keepDb
    ) {
      console.log(
        `  data set: ${s.secrets} secrets in ${s.folders} folders, imported as CSV in requests of ${Math.min(s.importBatch, s.secrets)} rows ...`,
      );
      dataset = await buildSecretsDataset({
        baseUrl: coffer.baseUrl,
        adminToken: apiKey,
        store,
        secrets: s.secrets,
        folders: s.folders,
        batchRows: s.importBatch,
        poolSize: s.pool,
        log: (line) => console.log(line),
      });
      const d = dataset;
      keepState.dataset = d;
      console.log(
        `  data set ready in ${d.build.seconds.toFixed(1)} s: ${d.secrets} secrets (${d.visibleSecrets} visible to the bench user), ${d.plan.folders.length} folders per level ${d.plan.perLevel.join('/')}, ${d.plan.folders.filter((f) => f.broken !== 'no').length} breaking inheritance, ${d.grants} group grants; reveal pool ${d.pool.length}`,
      );
    }

    const common = { seconds: s.seconds, warmupSeconds: s.warmupSeconds, connections: s.connections };
    const loads: LoadResult[] = [];
    let baselineResult: LoadResult | undefined;
    const quiet = async () => {
      if (s.quietWaitSeconds === 0) return;
      const share = await waitForQuiet(s.quietWaitSeconds, os.cpus().length);
      if (share !== null && share >= 0.15) process.stdout.write(` (machine still ${(share * 100).toFixed(0)} % busy)`);
    };
    const step = async (what: string) => {
      process.stdout.write(`  ${what} ...`);
      await quiet();
    };
    const done = (r: LoadResult) => console.log(` ${r.reqPerSec.toFixed(0)} req/s, p99 ${r.latencyMs.p99} ms`);
    if (baseline) {
      await step('bare Fastify GET /whoami');
      baselineResult = await runLoad({
        ...common,
        scenario: 'bare Fastify GET /whoami',
        url: `${baseline.baseUrl}/whoami`,
        serverPid: baseline.pid,
        measurePostgres: false,
      });
      loads.push(baselineResult);
      done(baselineResult);
    }
    if (floor) {
      const n = Math.min(s.secrets, 100_000);
      await step('floor: minimal reveal (bench/floor-server.ts)');
      const r = await runLoad({
        ...common,
        connections: s.revealConnections,
        scenario: `floor: minimal reveal, ${n} secrets`,
        url: floor.baseUrl,
        method: 'POST',
        body: '{}',
        headers: { authorization: `Bearer ${floorToken}`, 'content-type': 'application/json' },
        nextPath: () => `/reveal/sec_${String(Math.floor(Math.random() * n)).padStart(8, '0')}`,
        serverPid: floor.pid,
        measurePostgres: false,
      });
      loads.push(r);
      done(r);
    }
    const cofferRuns: Array<[Scenario, string, string]> = [
      ['apikey', 'Coffer whoami, API key', apiKey],
      ['session', 'Coffer whoami, session', session],
    ];
    for (const [key, label, token] of cofferRuns) {
      if (!s.scenarios.has(key)) continue;
      await step(label);
      const r = await runLoad({
        ...common,
        scenario: label,
        url: `${coffer.baseUrl}/api/v1/auth/whoami`,
        headers: { authorization: `Bearer ${token}` },
        serverPid: coffer.pid,
        measurePostgres: dialect === 'postgres',
        countAudit,
      });
      loads.push(r);
      done(r);
    }

    const measurePostgres = dialect === 'postgres';
    if (dataset && s.scenarios.has('reveal')) {
      await step(`Coffer reveal (${s.revealConnections} connections, random ids of a pool of ${dataset.pool.length})`);
      const r = await revealLoad(dataset, coffer.baseUrl, s.revealConnections, {
        ...common,
        serverPid: coffer.pid,
        measurePostgres,
        countAudit,
        around: around('reveal'),
      });
      loads.push(r);
      done(r);
    }
    if (dataset) {
      const common2 = { ...common, serverPid: coffer.pid, measurePostgres, countAudit };
      const native = loads.find((l) => l.scenario.startsWith('Coffer reveal'));
      for (const compat of [compatLoads, secretServerLoads, passworkLoads]) {
        const measured = await compat(
          dataset,
          coffer.baseUrl,
          s.revealConnections,
          common2,
          s.scenarios,
          step,
          (r) => {
            done(r);
            if (native) console.log(`   ${((r.reqPerSec / native.reqPerSec) * 100).toFixed(1)} % of the native reveal's throughput`);
          },
          around,
        );
        loads.push(...measured);
      }
    }
    let search: LatencyResult | null = null;
    if (dataset && s.scenarios.has('search')) {
      await step(`Coffer search (${s.searchConnections} connections)`);
      search = await searchLatency(dataset, coffer.baseUrl, s.searchConnections, {
        ...common,
        serverPid: coffer.pid,
        measurePostgres,
        countAudit,
        around: around('search'),
      });
      console.log(` ${search.reqPerSec.toFixed(0)} req/s, p95 ${search.overall.p95.toFixed(1)} ms`);
    }
    let bulkImport: ImportResult | null = null;
    if (s.scenarios.has('import')) {
      await step(`bulk import of ${s.importRows} CSV rows into a new vault`);
      const a = around('import');
      await a?.start();
      bulkImport = await importScenario({
        baseUrl: coffer.baseUrl,
        adminToken: apiKey,
        rows: s.importRows,
        batchRows: Math.min(s.importRows, BULK_IMPORT_REQUEST_ROWS),
        serverPid: coffer.pid,
        measurePostgres,
      });
      await a?.stop();
      console.log(` ${bulkImport.seconds.toFixed(1)} s, ${bulkImport.rowsPerSecond.toFixed(0)} rows/s`);
    }

    let logins: LoginResult | null = null;
    if (s.scenarios.has('login')) {
      await step(`logins (${s.logins} sequential, then ${s.loginBurst} parallel; Argon2id 64 MiB, t=3)`);
      logins = await measureLogins({
        baseUrl: coffer.baseUrl,
        username: 'admin',
        password: adminPassword,
        count: s.logins,
        parallel: s.loginBurst,
        serverPid: coffer.pid,
      });
      console.log(` p50 ${logins.sequential.p50.toFixed(0)} ms`);
    }

    console.log('');
    const noisy = loads.filter((r) => r.cpu.otherSeconds !== null && r.cpu.otherSeconds > 0.1 * r.seconds * os.cpus().length);
    if (loads.length) {
      console.log(loadTable(loads, baselineResult));
      console.log('');
      console.log(cpuTable(loads, os.cpus().length));
      console.log('');
      if (noisy.length) {
        console.log(
          `WARNING: other processes used more than 10 % of the machine during: ${noisy.map((r) => r.scenario).join('; ')}. Those figures are not comparable; rerun on a quiet machine.\n`,
        );
      }
    }
    if (search) {
      console.log(searchTable(search));
      console.log('');
    }
    if (dataset || bulkImport) {
      console.log(importTable(dataset, bulkImport));
      console.log('');
    }
    if (logins) {
      console.log(loginTable(logins));
      console.log('');
    }

    const results = {
      at: new Date().toISOString(),
      ...gitInfo(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      loadAvgAtStart: os.loadavg(),
      dialect,
      settings: {
        seconds: s.seconds,
        warmupSeconds: s.warmupSeconds,
        connections: s.connections,
        logins: s.logins,
        loginBurst: s.loginBurst,
        quietWaitSeconds: s.quietWaitSeconds,
        argon2: 'server defaults (64 MiB, t=3, 4 concurrent, queue 64)',
        loadGenerator: 'autocannon, in the bench process (shares the cores with the server under test)',
      },
      scenarios: loads.map((r) => ({
        ...r,
        percentOfBareFastify: baselineResult && r !== baselineResult ? (100 * r.reqPerSec) / baselineResult.reqPerSec : null,
      })),
      noisyScenarios: noisy.map((r) => r.scenario),
      logins,
      secrets: {
        settings: {
          secrets: s.secrets,
          folders: s.folders,
          importBatch: s.importBatch,
          importRows: s.importRows,
          pool: s.pool,
          revealConnections: s.revealConnections,
          searchConnections: s.searchConnections,
        },
        dataset: dataset && {
          secrets: dataset.secrets,
          visibleSecrets: dataset.visibleSecrets,
          folders: dataset.plan.folders.length,
          foldersPerLevel: dataset.plan.perLevel,
          fanout: dataset.plan.fanout,
          brokenInheritance: dataset.plan.folders.filter((f) => f.broken !== 'no').length,
          grants: dataset.grants,
          pool: dataset.pool.length,
          build: dataset.build,
        },
        search,
        bulkImport,
      },
      profiles: profiles.map((f) => path.relative(ROOT, f)),
    };
    await cleanup(); // stop the servers first (and keep the SQLite file when asked)
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, 'latest.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`results: ${path.relative(process.cwd(), file)}`);
    if (dataset) {
      // kept beside latest.json so runs at several sizes can be compared (node bench/compare.ts)
      const sized = path.join(RESULTS_DIR, `${dialect}-${s.secrets}.json`);
      writeFileSync(sized, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`         ${path.relative(process.cwd(), sized)}`);
    }
    if (s.keepDb) {
      console.log(
        pgPlan
          ? `PostgreSQL schema ${pgPlan.schema} kept (drop it when done)`
          : `SQLite store kept in ${s.keepDb} (run again on a copy of it with BENCH_REUSE_DB=${s.keepDb})`,
      );
    }
    for (const f of profiles)
      console.log(`CPU profile: ${path.relative(process.cwd(), f)} (summarise: node bench/cpuprofile-top.ts <file>)`);
  } catch (e) {
    for (const c of children) {
      if (c.proc.exitCode !== null) process.stderr.write(`--- ${c.name} exited (${c.proc.exitCode}); its last output:\n${c.output()}\n`);
    }
    throw e;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().catch((e) => {
  const detail = e instanceof Error ? (process.env.BENCH_DEBUG === '1' ? (e.stack ?? e.message) : e.message) : String(e);
  process.stderr.write(`bench: ${detail}\n`);
  process.exit(1);
});
