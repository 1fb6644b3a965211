// Plain-text tables for the terminal.
import type { LatencyResult, LoadResult, LoginResult } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';
import type { ImportResult } from './secrets-scenarios.ts';

function table(head: string[], rows: string[][], alignLeft: number[] = [0]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (alignLeft.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const num = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits));

export function loadTable(results: readonly LoadResult[], baseline: LoadResult | undefined): string {
  const rows = results.map((r) => {
    const bad = r.errors + r.timeouts + r.non2xx;
    const ratio = baseline && baseline.reqPerSec > 0 ? `${((100 * r.reqPerSec) / baseline.reqPerSec).toFixed(1)} % of bare Fastify` : 'n/a';
    return [
      r.scenario,
      num(r.reqPerSec),
      num(r.latencyMs.p50),
      num(r.latencyMs.p99),
      `${bad}${bad ? ` (${r.errors} err, ${r.timeouts} t/o, ${r.non2xx} non-2xx)` : ''}`,
      r === baseline ? '100 % (baseline)' : ratio,
      num(r.cpu.serverMicrosPerRequest),
      r.auditRecords === null ? '-' : `${r.auditRecords} (${num(r.completed ? r.auditRecords / r.completed : 0, 2)}/req)`,
    ];
  });
  return table(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors/non-2xx', 'vs bare Fastify', 'server CPU µs/req', 'audit records'],
    rows,
    [0, 4, 5],
  );
}

export function cpuTable(results: readonly LoadResult[], cores: number): string {
  const rows = results.map((r) => [
    r.scenario,
    num(r.cpu.serverSeconds, 2),
    num(r.cpu.postgresSeconds, 2),
    num(r.cpu.loadGeneratorSeconds, 2),
    num(r.cpu.otherSeconds, 2),
    num(r.seconds * cores, 0),
  ]);
  return table(['scenario', 'server CPU s', 'postgres CPU s', 'load generator CPU s', 'other CPU s', `available (${cores} cores) s`], rows);
}

export function loginTable(l: LoginResult): string {
  const s = l.sequential;
  const b = l.burst;
  const codes = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, v]) => `${k === '0' ? 'network error' : k}×${v}`)
      .join(' ');
  return table(
    ['login', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'statuses'],
    [
      ['sequential', String(s.n), num(s.p50), num(s.p95), num(s.p99), num(s.max), codes(s.statusCodes)],
      [
        `burst of ${b.parallel} parallel`,
        String(b.ok),
        num(b.p50),
        num(b.p95),
        num(b.p99),
        num(b.max),
        `${codes(b.statusCodes)}; 429: ${b.tooManyRequests}, 503: ${b.unavailable}; wall ${num(b.wallMs)} ms`,
      ],
    ],
    [0, 6],
  );
}

export function searchTable(r: LatencyResult): string {
  const rows = Object.entries(r.byKind).map(([kind, k]) => [
    kind,
    String(k.n),
    num(k.p50, 1),
    num(k.p95, 1),
    num(k.p99, 1),
    num(k.max, 1),
    `${k.errors}/${k.mismatches}`,
  ]);
  const o = r.overall;
  rows.push([
    `all (${r.connections} connections, ${num(r.reqPerSec)} req/s)`,
    String(o.n),
    num(o.p50, 1),
    num(o.p95, 1),
    num(o.p99, 1),
    num(o.max, 1),
    `${r.errors}/${r.mismatches}`,
  ]);
  return table(['search', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors/wrong'], rows);
}

export function importTable(ds: SecretsDataset | null, imp: ImportResult | null): string {
  const rows: string[][] = [];
  if (ds) {
    const b = ds.build;
    const folders = b.batches.reduce((n, x) => n + x.foldersCreated, 0);
    rows.push([
      `data set: ${ds.secrets} secrets in ${b.batches.length} request(s)`,
      num(b.importSeconds, 1),
      num(b.rowsPerSecond),
      `${folders} folders created (plus ${ds.plan.folders.length - folders} made first); setup ${num(b.setupSeconds, 1)} s`,
    ]);
  }
  if (imp) {
    rows.push([
      `bulk import: ${imp.rows} rows in ${imp.requests.length} request(s)`,
      num(imp.seconds, 1),
      num(imp.rowsPerSecond),
      `${imp.folders} folders; server CPU ${num(imp.cpu.serverSeconds, 1)} s${imp.cpu.postgresSeconds !== null ? `, postgres CPU ${num(imp.cpu.postgresSeconds, 1)} s` : ''}; ${num(imp.requests.reduce((n, x) => n + x.bodyBytes, 0) / 1048576, 1)} MiB`,
    ]);
  }
  return table(['import', 'seconds', 'rows/s', ''], rows, [0, 3]);
}
