// kill -9 loop of remote rotation (issue 14): hundreds of runs per dialect of
// packages/server/test/kill-loop.ts — a real server rotating a real PostgreSQL role's password,
// SIGKILLed at each step in turn, restarted on the same store — with the figures bench/README.md
// quotes: lockouts (must be 0), entries left unsettled (must be 0), where the kills landed, how
// the reconciler settled them, and kill-to-settled times.
//   BENCH_KILL_RUNS=200 BENCH_KILL_DIALECTS=sqlite,postgres node bench/rotation-kill9.ts

import type { Dialect } from '../packages/server/src/db/database.ts';
import { type KillLoopResult, killLoop } from '../packages/server/test/kill-loop.ts';

const runs = Number(process.env.BENCH_KILL_RUNS ?? 200);
const dialects = (process.env.BENCH_KILL_DIALECTS ?? 'sqlite,postgres').split(',') as Dialect[];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const results: KillLoopResult[] = [];
for (const dialect of dialects) {
  const r = await killLoop({
    dialect,
    runs,
    log: (line) => {
      if (process.env.BENCH_KILL_VERBOSE) console.log(line);
    },
  });
  results.push(r);
  console.log(
    `${dialect}: ${r.runs} kills in ${r.seconds} s — lockouts ${r.lockouts}, unsettled ${r.unsettled}; settled ${JSON.stringify(r.settled)}; ` +
      `kill->settled p50 ${pct(r.settleMs, 50)} ms, p95 ${pct(r.settleMs, 95)} ms, max ${Math.max(...r.settleMs)} ms (restart to /health p50 ${pct(r.restartMs, 50)} ms)`,
  );
  console.log(`  state at kill (aimed step:journal state): ${JSON.stringify(r.stateAtKill)}`);
}
const bad = results.some((r) => r.lockouts > 0 || r.unsettled > 0);
process.exitCode = bad ? 1 : 0;
