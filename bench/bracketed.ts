// The compatibility APIs against the native reveal, each bracketed by native reveals: the store
// grows with every audited request (the per-object audit index spreads over more pages, so each
// reveal writes more — bench/README.md), and a ratio against one early reveal would charge that
// drift to the API measured later. Each is compared with the mean of the reveal just before and just
// after it. With BENCH_ROUNDS > 1 the whole sequence runs that many times and each API's figure is
// the median of its rounds' ratios (this VM's windows differ by up to ±15 % from one another; one
// bracket is one draw of that noise).
import type { LoadResult, runLoad } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';

export type CompatRun = (what: { round: number }) => Promise<LoadResult[]>;

/** The load settings a scenario passes on to runLoad (the rest is its own). */
export type Common = Omit<Parameters<typeof runLoad>[0], 'connections' | 'scenario' | 'url' | 'method' | 'body' | 'headers' | 'nextPath'>;

/** What every compatibility API's scenarios get from run.ts. */
export interface CompatArgs {
  ds: SecretsDataset;
  baseUrl: string;
  connections: number;
  c: Common;
  scenarios: ReadonlySet<string>;
  step: (what: string) => void | Promise<void>;
  /** Called with each result as soon as it is measured (so the progress lines stay in order). */
  done: (r: LoadResult) => void;
  /** Hooks around a scenario's measured window (a CPU profile with BENCH_CPU_PROF=1). */
  around: (key: string) => Common['around'];
}

/** One scenario when BENCH_SCENARIOS selects `key`: announced, measured (with its hooks), reported. */
export async function measureIf(
  a: CompatArgs,
  key: string,
  label: () => string | Promise<string>,
  load: (c: Common) => Promise<LoadResult>,
): Promise<LoadResult[]> {
  if (!a.scenarios.has(key)) return [];
  await a.step(await label());
  const r = await load({ ...a.c, around: a.around(key) });
  a.done(r);
  return [r];
}

export interface CompatRatio {
  scenario: string;
  /** percent of the mean of the native reveals just before and just after, per round */
  rounds: number[];
  median: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export async function bracketedCompat(opts: {
  rounds: number;
  /** the native reveal measured last (the first bracket's "before"); none: no ratios */
  firstReveal: LoadResult | undefined;
  compats: CompatRun[];
  reveal: (label: string) => Promise<LoadResult>;
  step: (what: string) => Promise<void>;
  done: (r: LoadResult) => void;
}): Promise<{ loads: LoadResult[]; ratios: CompatRatio[] }> {
  const loads: LoadResult[] = [];
  const ratios = new Map<string, number[]>();
  let before = opts.firstReveal;
  let n = 0;
  const base = before?.scenario.replace(/, again.*$/, '') ?? 'Coffer reveal';
  for (let round = 1; round <= opts.rounds; round++) {
    for (const compat of opts.compats) {
      const measured = await compat({ round });
      if (!measured.length) continue;
      if (opts.rounds > 1) for (const m of measured) m.scenario = `${m.scenario} [round ${round}]`;
      loads.push(...measured);
      if (!before) continue;
      await opts.step(`Coffer reveal again, after ${measured.map((m) => m.scenario).join(', ')}`);
      const after = await opts.reveal(`reveal-again-${++n}`);
      after.scenario = `${base}, again (${n})`;
      loads.push(after);
      opts.done(after);
      const mean = (before.reqPerSec + after.reqPerSec) / 2;
      for (const r of measured) {
        const pct = (r.reqPerSec / mean) * 100;
        const key = r.scenario.replace(/ \[round \d+\]$/, '');
        ratios.set(key, [...(ratios.get(key) ?? []), pct]);
        console.log(`   ${r.scenario}: ${pct.toFixed(1)} % of the mean of the native reveals just before and after`);
      }
      before = after;
    }
  }
  const out = [...ratios].map(([scenario, rounds]) => ({ scenario, rounds, median: median(rounds) }));
  if (opts.rounds > 1 && out.length) {
    console.log(`\n  compatibility APIs, median of ${opts.rounds} bracketed rounds (% of the native reveal):`);
    for (const r of out) {
      console.log(`   ${r.scenario}: ${r.median.toFixed(1)} % (rounds: ${r.rounds.map((x) => x.toFixed(1)).join(', ')})`);
    }
  }
  return { loads, ratios: out };
}
