// The secrets scenarios over the data set of secrets-data.ts: reveal under load, search latency,
// and a timed bulk import.
import { api, expect } from './api.ts';
import { cpuWindow, type LatencyResult, type LoadResult, type MeasureHooks, type ProbeRequest, runClosedLoop, runLoad } from './measure.ts';
import { csvRows, folderOf, type ImportRun, importCsv, planTree, type SecretsDataset, terms } from './secrets-data.ts';

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

interface Common {
  seconds: number;
  warmupSeconds: number;
  serverPid: number;
  measurePostgres: boolean;
  countAudit?: () => Promise<number>;
  around?: MeasureHooks;
}

/**
 * POST /api/v1/secrets/:id/reveal over random ids of the pool, by the bench user (access through
 * the group grant on an ancestor folder): each request = authorization over the tree, decryption
 * of the values, an audit record.
 */
export function revealLoad(ds: SecretsDataset, baseUrl: string, connections: number, c: Common): Promise<LoadResult> {
  const ids = ds.pool.map((p) => p.id);
  return runLoad({
    ...c,
    connections,
    scenario: `Coffer reveal, ${ds.secrets} secrets`,
    url: baseUrl,
    method: 'POST',
    body: '{}',
    headers: { authorization: `Bearer ${ds.userKey}`, 'content-type': 'application/json' },
    nextPath: () => `/api/v1/secrets/${pick(ids)}/reveal`,
  });
}

interface Page {
  items: Array<{ id: string; tags: string[] }>;
}
const items = (b: unknown) => (b && typeof b === 'object' && Array.isArray((b as Page).items) ? (b as Page).items : null);

/** The mix of searches: text matching one row or none, a tag, a folder subtree, a folder subtree with text. */
export function searchProbes(ds: SecretsDataset): () => ProbeRequest {
  const l2 = ds.visibleFolders[2]?.length ? (ds.visibleFolders[2] as string[]) : (ds.visibleFolders[1] as string[]);
  const kinds: Array<() => ProbeRequest> = [
    () => {
      const p = pick(ds.pool);
      return {
        kind: 'q=<host> (1 match)',
        path: `/api/v1/secrets?q=${encodeURIComponent(terms.host(p.i))}`,
        check: (b) => items(b)?.length === 1 && items(b)?.[0]?.id === p.id,
      };
    },
    () => ({
      kind: 'q=<absent> (0 matches)',
      path: `/api/v1/secrets?q=zzq${Math.floor(Math.random() * 1e9)}`,
      check: (b) => items(b)?.length === 0,
    }),
    () => {
      const tag = terms.tag(pick(ds.pool).i);
      return {
        kind: 'tag=<rare tag> (page)',
        path: `/api/v1/secrets?tag=${tag}`,
        check: (b) => {
          const it = items(b);
          return it !== null && it.length > 0 && it.every((s) => s.tags.includes(tag));
        },
      };
    },
    () => ({
      kind: 'folderId=<level 2> (page)',
      path: `/api/v1/secrets?folderId=${pick(l2)}`,
      check: (b) => items(b) !== null,
    }),
    () => {
      const p = pick(ds.pool);
      const top = ds.plan.folders[folderOf(ds.plan, p.i)]?.segs[0] as string;
      return {
        kind: 'folderId=<top> & q=<host> (1 match)',
        path: `/api/v1/secrets?folderId=${ds.topFolderIds.get(top)}&q=${encodeURIComponent(terms.host(p.i))}`,
        check: (b) => items(b)?.length === 1 && items(b)?.[0]?.id === p.id,
      };
    },
  ];
  let n = 0;
  return () => (kinds[n++ % kinds.length] as () => ProbeRequest)();
}

export function searchLatency(ds: SecretsDataset, baseUrl: string, connections: number, c: Common): Promise<LatencyResult> {
  return runClosedLoop({
    ...c,
    scenario: `Coffer search, ${ds.secrets} secrets`,
    baseUrl,
    headers: { authorization: `Bearer ${ds.userKey}` },
    connections,
    next: searchProbes(ds),
  });
}

export interface ImportResult {
  rows: number;
  folders: number;
  requests: ImportRun[];
  seconds: number;
  rowsPerSecond: number;
  cpu: LoadResult['cpu'];
}

/**
 * The bulk import on its own: `rows` CSV rows (in as few requests as the route's body limit
 * allows, `batchRows` at most each) into a fresh vault, with rows/100 folders. Timed from the first
 * request to the last answer.
 */
export async function importScenario(o: {
  baseUrl: string;
  adminToken: string;
  rows: number;
  batchRows: number;
  serverPid: number;
  measurePostgres: boolean;
}): Promise<ImportResult> {
  const vaultId = expect<{ id: string }>(
    'create vault',
    await api(o.baseUrl, 'POST', '/api/v1/vaults', { token: o.adminToken, body: { name: `bench-import-${o.rows}` } }),
    201,
  ).id;
  const plan = planTree(Math.max(1, Math.round(o.rows / 100)));
  const bodies: Array<{ csv: string; rows: number }> = [];
  for (let from = 0; from < o.rows; from += o.batchRows) {
    const to = Math.min(o.rows, from + o.batchRows);
    bodies.push({ csv: csvRows(plan, from, to), rows: to - from });
  }
  const cpu = cpuWindow(o.serverPid, o.measurePostgres);
  const t0 = performance.now();
  const requests: ImportRun[] = [];
  for (const b of bodies) requests.push((await importCsv(o.baseUrl, o.adminToken, vaultId, b.csv, b.rows)).run);
  const seconds = (performance.now() - t0) / 1000;
  return { rows: o.rows, folders: plan.folders.length, requests, seconds, rowsPerSecond: o.rows / seconds, cpu: cpu.stop(o.rows) };
}
