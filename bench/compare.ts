// Compares the secrets figures of several runs (bench/results/<dialect>-<secrets>.json by default):
// is reveal flat across data-set sizes, how does search latency grow, how long does the import take.
// Usage: node bench/compare.ts [result.json ...]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Scenario {
  scenario: string;
  reqPerSec: number;
  latencyMs: { p50: number; p99: number };
  percentOfBareFastify: number | null;
  cpu: { serverMicrosPerRequest: number | null };
}
interface Result {
  at: string;
  dialect: string;
  scenarios: Scenario[];
  secrets?: {
    settings: { secrets: number };
    dataset: { build: { importSeconds: number; rowsPerSecond: number } } | null;
    search: { overall: { p50: number; p95: number; p99: number }; reqPerSec: number } | null;
    bulkImport: { rows: number; seconds: number } | null;
  };
}

const dir = path.join(import.meta.dirname, 'results');
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(dir)
      .filter((f) => /^(sqlite|postgres)-\d+\.json$/.test(f))
      .map((f) => path.join(dir, f));
const runs = files
  .map((f) => ({ file: path.basename(f), r: JSON.parse(readFileSync(f, 'utf8')) as Result }))
  .filter((x) => x.r.secrets)
  .sort((a, b) => a.r.dialect.localeCompare(b.r.dialect) || (a.r.secrets?.settings.secrets ?? 0) - (b.r.secrets?.settings.secrets ?? 0));

const n = (x: number | null | undefined, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const head = [
  'run',
  'secrets',
  'reveal req/s',
  'reveal p50/p99 ms',
  '% bare Fastify',
  'reveal CPU µs/req',
  'search p50/p95/p99 ms',
  'data set import s (rows/s)',
  'bulk import s',
];
const rows = runs.map(({ file, r }) => {
  const rev = r.scenarios.find((s) => s.scenario.startsWith('Coffer reveal'));
  const se = r.secrets?.search;
  const ds = r.secrets?.dataset;
  const bi = r.secrets?.bulkImport;
  return [
    `${file} (${r.at.slice(0, 16)})`,
    String(r.secrets?.settings.secrets ?? ''),
    n(rev?.reqPerSec),
    rev ? `${rev.latencyMs.p50}/${rev.latencyMs.p99}` : 'n/a',
    n(rev?.percentOfBareFastify, 1),
    n(rev?.cpu.serverMicrosPerRequest),
    se ? `${n(se.overall.p50, 1)}/${n(se.overall.p95, 1)}/${n(se.overall.p99, 1)}` : 'n/a',
    ds ? `${n(ds.build.importSeconds, 1)} (${n(ds.build.rowsPerSecond)})` : 'n/a',
    bi ? `${n(bi.seconds, 1)} (${bi.rows} rows)` : 'n/a',
  ];
});
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
console.log([fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n'));

// reveal flatness per dialect: smallest vs largest data set, raw and as a share of bare Fastify in
// the same run (the share cancels most of the drift of a shared or virtual machine between runs)
for (const dialect of new Set(runs.map((x) => x.r.dialect))) {
  const mine = runs.filter((x) => x.r.dialect === dialect);
  const rev = (x: (typeof runs)[number]) => x.r.scenarios.find((s) => s.scenario.startsWith('Coffer reveal'));
  const first = mine.find((x) => rev(x));
  const last = mine.findLast((x) => rev(x));
  if (!first || !last || first === last) continue;
  const a = rev(first) as Scenario;
  const b = rev(last) as Scenario;
  const pct = (x: number, y: number) => `${x <= y ? '+' : ''}${((100 * (y - x)) / x).toFixed(1)} %`;
  const share =
    a.percentOfBareFastify && b.percentOfBareFastify
      ? `, share of bare Fastify ${pct(a.percentOfBareFastify, b.percentOfBareFastify)}`
      : '';
  console.log(
    `\n${dialect}: reveal at ${last.r.secrets?.settings.secrets} vs ${first.r.secrets?.settings.secrets} secrets: req/s ${pct(a.reqPerSec, b.reqPerSec)}${share} (target: within ±10 %)`,
  );
}
