// `npm run bench`: the real Coffer server and a bare Fastify baseline, each in its own child
// process on a free loopback port, loaded by autocannon from this process. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { api, expect } from './api.ts';
import { bracketedCompat, type CompatRatio } from './bracketed.ts';
import { compatLoads } from './compat-scenarios.ts';
import { benchCredentials } from './credentials.ts';
import { checkKeptDataset, type KeptStore, readKeptStore, STORE_FILES, writeKeptStore } from './kept-store.ts';
import { type LatencyResult, type LoadResult, type LoginResult, type MeasureHooks, measureLogins, runLoad } from './measure.ts';
import { passboltLoadsWith } from './passbolt.ts';
import { passworkLoads } from './passwork.ts';
import { connectProfiler, type Profiler } from './profiler.ts';
import { startReferenceServers } from './reference-servers.ts';
import { cpuTable, importTable, loadTable, loginTable, searchTable } from './report.ts';
import { writeResults } from './results-file.ts';
import { buildSecretsDataset, type SecretsDataset } from './secrets-data.ts';
import { type ImportResult, importScenario, revealLoad, searchLatency } from './secrets-scenarios.ts';
import { secretServerLoads } from './secretserver.ts';
import { type ChildServer, freePort, startServer, waitForQuiet } from './servers.ts';
import { BULK_IMPORT_REQUEST_ROWS, cofferEnv, planPostgres, RESULTS_DIR, ROOT, readSettings, type Scenario } from './settings.ts';
import { postgresReader, type StoreReader, sqliteReader } from './store.ts';

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

    // the bare Fastify baseline and the floor (bench/reference-servers.ts)
    const { baseline, floor, floorToken } = await startReferenceServers(s, children);

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

    const { apiKey, session } = await benchCredentials(coffer.baseUrl, adminPassword);
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
      s.scenarios.has('passwork') ||
      s.scenarios.has('passbolt') ||
      s.scenarios.has('senhasegura') ||
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
    let compatRatios: CompatRatio[] = [];
    if (dataset) {
      const common2 = { ...common, serverPid: coffer.pid, measurePostgres, countAudit };
      const ds = dataset;
      const args = {
        ds,
        baseUrl: coffer.baseUrl,
        connections: s.revealConnections,
        c: common2,
        scenarios: s.scenarios,
        step,
        done,
        around,
      };
      const bracket = await bracketedCompat({
        rounds: s.rounds,
        firstReveal: loads.find((l) => l.scenario.startsWith('Coffer reveal')),
        compats: [compatLoads, secretServerLoads, passworkLoads, passboltLoadsWith(apiKey)].map((compat) => () => compat(args)),
        reveal: (key) => revealLoad(ds, coffer.baseUrl, s.revealConnections, { ...common2, around: around(key) }),
        step,
        done,
      });
      loads.push(...bracket.loads);
      compatRatios = bracket.ratios;
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

    await cleanup(); // stop the servers first (and keep the SQLite file when asked)
    writeResults({
      s,
      dialect,
      pgSchema: pgPlan?.schema ?? null,
      loads,
      baselineResult,
      noisy,
      logins,
      dataset,
      search,
      bulkImport,
      profiles,
      compatRatios,
    });
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
