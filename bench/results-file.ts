// What a run leaves: bench/results/latest.json (and <dialect>-<secrets>.json beside it when the
// secrets data set ran, for bench/compare.ts), with the settings, every scenario's figures, the
// machine and the commit measured.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompatRatio } from './bracketed.ts';
import type { LatencyResult, LoadResult, LoginResult } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';
import type { ImportResult } from './secrets-scenarios.ts';
import { gitInfo, RESULTS_DIR, ROOT, type Settings } from './settings.ts';

export function writeResults(r: {
  s: Settings;
  dialect: string;
  pgSchema: string | null;
  loads: LoadResult[];
  baselineResult: LoadResult | undefined;
  noisy: LoadResult[];
  logins: LoginResult | null;
  dataset: SecretsDataset | null;
  search: LatencyResult | null;
  bulkImport: ImportResult | null;
  profiles: string[];
  compatRatios: CompatRatio[];
}): void {
  const { s, dialect, pgSchema, loads, baselineResult, noisy, logins, dataset, search, bulkImport, profiles, compatRatios } = r;
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
      rounds: s.rounds,
      argon2: 'server defaults (64 MiB, t=3, 4 concurrent, queue 64)',
      loadGenerator: 'autocannon, in the bench process (shares the cores with the server under test)',
    },
    scenarios: loads.map((r) => ({
      ...r,
      percentOfBareFastify: baselineResult && r !== baselineResult ? (100 * r.reqPerSec) / baselineResult.reqPerSec : null,
    })),
    noisyScenarios: noisy.map((r) => r.scenario),
    /** each compatibility API's read as % of the native reveals bracketing it, per round, and the median */
    compatRatios,
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
      pgSchema
        ? `PostgreSQL schema ${pgSchema} kept (drop it when done)`
        : `SQLite store kept in ${s.keepDb} (run again on a copy of it with BENCH_REUSE_DB=${s.keepDb})`,
    );
  }
}
