// The secrets data set: a vault with a folder tree a few levels deep (some folders with broken
// inheritance), BENCH_SECRETS secrets spread over it, imported through POST /api/v1/import (CSV,
// in batches), a group grant on the top folders, and a NON-owner user in that group whose access
// is therefore found by walking the tree. Everything goes through the public API; the store is
// only read (folder ids, counts).
import { randomBytes } from 'node:crypto';
import { api, expect } from './api.ts';
import type { StoreReader } from './store.ts';

/** The import route's limit (IMPORT_BODY_LIMIT in packages/server/src/modules/transfer/transfer.routes.ts). */
export const IMPORT_BODY_LIMIT = 50 * 1024 * 1024 + 64 * 1024;

export interface FolderPlan {
  name: string;
  segs: string[];
  level: number;
  /** Index of the parent folder, -1 for the vault top. */
  parent: number;
  broken: 'no' | 'granted' | 'hidden';
  /** Not reachable by the bench user: below a broken folder without a grant. */
  hidden: boolean;
}

export interface TreePlan {
  fanout: number;
  folders: FolderPlan[];
  perLevel: number[];
}

/**
 * `count` folders, four levels deep: `fanout` top folders, fanout² below them, fanout³ below
 * those, the rest spread as leaves under the third level (fanout ≈ count^¼). A tenth of the
 * second-level folders (at least two, when there are) break inheritance: half of those get their
 * own grant for the bench group, the other half stay out of the bench user's reach.
 */
export function planTree(count: number): TreePlan {
  const k = Math.max(2, Math.round(count ** 0.25));
  const folders: FolderPlan[] = [];
  const add = (parent: number, name: string, level: number) => {
    if (folders.length >= count) return;
    const segs = parent < 0 ? [name] : [...(folders[parent] as FolderPlan).segs, name];
    folders.push({ name, segs, level, parent, broken: 'no', hidden: false });
  };
  for (let a = 0; a < k; a++) add(-1, `r${a}`, 1);
  const l1 = folders.map((_, i) => i);
  for (const p of l1) for (let b = 0; b < k; b++) add(p, `${(folders[p] as FolderPlan).name}t${b}`, 2);
  const l2 = folders.flatMap((f, i) => (f.level === 2 ? [i] : []));
  for (const p of l2) for (let c = 0; c < k; c++) add(p, `${(folders[p] as FolderPlan).name}s${c}`, 3);
  const l3 = folders.flatMap((f, i) => (f.level === 3 ? [i] : []));
  for (let d = 0; folders.length < count && l3.length > 0; d++) {
    const p = l3[d % l3.length] as number;
    add(p, `${(folders[p] as FolderPlan).name}l${Math.floor(d / l3.length)}`, 4);
  }
  if (l2.length > 0) {
    const nb = Math.min(l2.length, Math.max(2, Math.round(l2.length / 10)));
    for (let j = 0; j < nb; j++) {
      const idx = l2[Math.min(l2.length - 1, Math.floor(((j + 0.5) * l2.length) / nb))] as number;
      (folders[idx] as FolderPlan).broken = j % 2 === 0 ? 'granted' : 'hidden';
    }
  }
  for (const f of folders) f.hidden = f.broken === 'hidden' || (f.parent >= 0 && (folders[f.parent] as FolderPlan).hidden);
  const perLevel = [1, 2, 3, 4].map((lv) => folders.filter((f) => f.level === lv).length);
  return { fanout: k, folders, perLevel };
}

/** Row i lives in folder i mod (F+1); F stands for the vault top (no grant there for the bench group). */
export function folderOf(plan: TreePlan, i: number): number {
  const f = i % (plan.folders.length + 1);
  return f === plan.folders.length ? -1 : f;
}

export function rowVisible(plan: TreePlan, i: number): boolean {
  const f = folderOf(plan, i);
  return f >= 0 && !(plan.folders[f] as FolderPlan).hidden;
}

const WORDS = ['orion', 'lyra', 'vega', 'draco', 'cygnus', 'auriga', 'carina', 'pavo', 'lupus', 'mensa', 'norma', 'pyxis', 'volans'];
const KINDS = ['db', 'web', 'ssh', 'api', 'ldap', 'smtp', 'vpn'];
const ENVS = ['prod', 'staging', 'dev'];

/** Search terms that the data set makes predictable. `h<i>.svc` is in the URL of row i only. */
export const terms = {
  host: (i: number) => `h${i}.svc`,
  tag: (i: number) => `t${i % 1000}`,
};

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV of rows [from, to): name, username, password (random), url, notes (every tenth row), folder, tags. */
export function csvRows(plan: TreePlan, from: number, to: number): string {
  const lines = ['name,username,password,url,notes,folder,tags'];
  const pw = randomBytes(12 * (to - from)).toString('base64url');
  for (let i = from; i < to; i++) {
    const f = folderOf(plan, i);
    const folder = f < 0 ? '' : (plan.folders[f] as FolderPlan).segs.join('/');
    const o = (i - from) * 16;
    lines.push(
      [
        `${WORDS[i % WORDS.length]} ${KINDS[i % KINDS.length]} ${i}`,
        `u${i % 1000}@corp`,
        pw.slice(o, o + 16),
        `https://${terms.host(i)}.example.com/login`,
        i % 10 === 0 ? `note for row ${i}` : '',
        folder,
        `${ENVS[i % ENVS.length]},${terms.tag(i)}`,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

interface ImportReport {
  created: number;
  folders: number;
  skipped: Array<{ index: number; reason: string }>;
  items: Array<{ name: string; path: string; id?: string }>;
}

export interface ImportRun {
  rows: number;
  seconds: number;
  foldersCreated: number;
  bodyBytes: number;
}

/** One CSV import request, timed; throws unless every row was created. */
export async function importCsv(
  baseUrl: string,
  token: string,
  vaultId: string,
  csv: string,
  rows: number,
): Promise<{ run: ImportRun; items: ImportReport['items'] }> {
  const body = { format: 'csv', content: csv, vaultId };
  const bodyBytes = Buffer.byteLength(JSON.stringify(body));
  if (bodyBytes > IMPORT_BODY_LIMIT) {
    throw new Error(`an import request of ${rows} rows is ${bodyBytes} bytes, over the route's limit: lower BENCH_IMPORT_BATCH`);
  }
  const t0 = performance.now();
  const rep = expect<ImportReport>('import', await api(baseUrl, 'POST', '/api/v1/import', { token, body, timeoutMs: 3_600_000 }), 200);
  const seconds = (performance.now() - t0) / 1000;
  if (rep.created !== rows || rep.skipped.length || rep.items.length !== rows) {
    throw new Error(`import: created ${rep.created} of ${rows} rows, skipped ${JSON.stringify(rep.skipped.slice(0, 5))}`);
  }
  return { run: { rows, seconds, foldersCreated: rep.folders, bodyBytes }, items: rep.items };
}

export interface SecretsDataset {
  vaultId: string;
  groupId: string;
  userId: string;
  /** API key (127.0.0.1) of the bench user: a password_user, not the owner, in the bench group. */
  userKey: string;
  plan: TreePlan;
  secrets: number;
  visibleSecrets: number;
  /** A random sample of secrets the bench user may reveal: row number and id. */
  pool: Array<{ i: number; id: string }>;
  hiddenIds: string[];
  /** Folder ids the bench user can see, by level (1..4). */
  visibleFolders: Record<number, string[]>;
  /** Ids of the top folders (where the group grants are), by name. */
  topFolderIds: Map<string, string>;
  grants: number;
  build: {
    seconds: number;
    setupSeconds: number;
    importSeconds: number;
    batches: ImportRun[];
    rowsPerSecond: number;
  };
}

async function post<T>(baseUrl: string, token: string, what: string, url: string, body: unknown, status = 201): Promise<T> {
  return expect<T>(what, await api(baseUrl, 'POST', url, { token, body }), status);
}

export async function buildSecretsDataset(o: {
  baseUrl: string;
  adminToken: string;
  store: StoreReader;
  secrets: number;
  folders: number;
  batchRows: number;
  poolSize: number;
  log: (line: string) => void;
}): Promise<SecretsDataset> {
  const { baseUrl, adminToken: tok } = o;
  const t0 = performance.now();
  // the bench user: a password_user in two groups, one of which gets the grants
  const groupId = (await post<{ id: string }>(baseUrl, tok, 'create group', '/api/v1/groups', { name: 'bench-readers' })).id;
  const otherGroupId = (await post<{ id: string }>(baseUrl, tok, 'create group', '/api/v1/groups', { name: 'bench-others' })).id;
  const password = `bench-${randomBytes(12).toString('hex')}`;
  const userId = (
    await post<{ id: string }>(baseUrl, tok, 'create user', '/api/v1/users', {
      username: 'bench-reader',
      password,
      role: 'password_user',
    })
  ).id;
  for (const g of [groupId, otherGroupId]) {
    expect('add member', await api(baseUrl, 'PUT', `/api/v1/groups/${g}/members/${userId}`, { token: tok }), 200);
  }
  // a password set by an administrator is temporary: the bench user replaces it first
  const temporary = (
    await post<{ accessToken: string }>(
      baseUrl,
      '',
      'bench user first login',
      '/api/v1/auth/login',
      { username: 'bench-reader', password },
      200,
    )
  ).accessToken;
  const own = `bench-own-${randomBytes(12).toString('hex')}`;
  await post(baseUrl, temporary, 'bench user password change', '/api/v1/me/password', { currentPassword: password, newPassword: own }, 200);
  const session = (
    await post<{ accessToken: string }>(
      baseUrl,
      '',
      'bench user login',
      '/api/v1/auth/login',
      { username: 'bench-reader', password: own },
      200,
    )
  ).accessToken;
  const userKey = (
    await post<{ key: string }>(baseUrl, session, 'bench user API key', '/api/v1/me/api-keys', {
      name: 'bench',
      allowedCidrs: ['127.0.0.1'],
      expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      currentPassword: own,
    })
  ).key;

  // the vault (the administrator owns it), the top folders and the broken-inheritance folders
  const vaultId = (await post<{ id: string }>(baseUrl, tok, 'create vault', '/api/v1/vaults', { name: `bench-secrets-${o.secrets}` })).id;
  const plan = planTree(o.folders);
  const made = new Map<number, string>();
  let grants = 0;
  for (const [idx, f] of plan.folders.entries()) {
    if (f.level !== 1) continue;
    const id = (await post<{ id: string }>(baseUrl, tok, 'create folder', '/api/v1/folders', { vaultId, name: f.name })).id;
    made.set(idx, id);
    await post(baseUrl, tok, 'grant', '/api/v1/grants', { nodeId: id, principalType: 'group', principalId: groupId, level: 'reveal' });
    grants++;
  }
  for (const [idx, f] of plan.folders.entries()) {
    if (f.broken === 'no') continue;
    const parentId = made.get(f.parent);
    const id = (
      await post<{ id: string }>(baseUrl, tok, 'create folder', '/api/v1/folders', {
        vaultId,
        parentId,
        name: f.name,
        inheritPermissions: false,
      })
    ).id;
    made.set(idx, id);
    if (f.broken === 'granted') {
      await post(baseUrl, tok, 'grant', '/api/v1/grants', { nodeId: id, principalType: 'group', principalId: groupId, level: 'reveal' });
      grants++;
    }
  }
  const setupSeconds = (performance.now() - t0) / 1000;

  // the secrets, through the import route, batch by batch
  const batches: ImportRun[] = [];
  const pool: Array<{ i: number; id: string }> = [];
  const hiddenIds: string[] = [];
  let visibleSeen = 0;
  const nBatches = Math.ceil(o.secrets / o.batchRows);
  const tImport = performance.now();
  for (let from = 0, b = 1; from < o.secrets; from += o.batchRows, b++) {
    const to = Math.min(o.secrets, from + o.batchRows);
    const { run, items } = await importCsv(baseUrl, tok, vaultId, csvRows(plan, from, to), to - from);
    batches.push(run);
    for (let j = 0; j < items.length; j++) {
      const i = from + j;
      const id = (items[j] as { id?: string }).id as string;
      if (rowVisible(plan, i)) {
        // reservoir sample of the visible rows
        visibleSeen++;
        if (pool.length < o.poolSize) pool.push({ i, id });
        else {
          const r = Math.floor(Math.random() * visibleSeen);
          if (r < o.poolSize) pool[r] = { i, id };
        }
      } else if (hiddenIds.length < 50) hiddenIds.push(id);
    }
    o.log(
      `    import batch ${b}/${nBatches}: ${run.rows} rows in ${run.seconds.toFixed(1)} s (${(run.rows / run.seconds).toFixed(0)} rows/s, ${run.foldersCreated} folders created, ${(run.bodyBytes / 1048576).toFixed(1)} MiB)`,
    );
  }
  const importSeconds = (performance.now() - tImport) / 1000;

  // what the store now holds
  const [count] = await o.store.all<{ n: number | string }>('select count(*) as n from secrets where vault_id = ?', [vaultId]);
  if (Number(count?.n) !== o.secrets) throw new Error(`the store holds ${count?.n} secrets in the bench vault, expected ${o.secrets}`);
  const rows = await o.store.all<{ id: string; path: string }>('select id, path from folders where vault_id = ?', [vaultId]);
  if (rows.length !== plan.folders.length) throw new Error(`the store holds ${rows.length} folders, expected ${plan.folders.length}`);
  const idByPath = new Map(rows.map((r) => [r.path, r.id]));
  const visibleFolders: Record<number, string[]> = { 1: [], 2: [], 3: [], 4: [] };
  for (const f of plan.folders) {
    if (f.hidden) continue;
    const id = idByPath.get(`/${f.segs.join('/')}`);
    if (!id) throw new Error(`folder /${f.segs.join('/')} is missing`);
    visibleFolders[f.level]?.push(id);
  }

  // the bench user reaches exactly what the plan says
  for (const p of pool.slice(0, 5)) {
    expect('reveal (bench user, visible)', await api(baseUrl, 'POST', `/api/v1/secrets/${p.id}/reveal`, { token: userKey, body: {} }), 200);
  }
  for (const id of hiddenIds.slice(0, 5)) {
    expect('reveal (bench user, hidden)', await api(baseUrl, 'POST', `/api/v1/secrets/${id}/reveal`, { token: userKey, body: {} }), 404);
  }
  let visibleSecrets = 0;
  for (let i = 0; i < o.secrets; i++) if (rowVisible(plan, i)) visibleSecrets++;
  return {
    vaultId,
    groupId,
    userId,
    userKey,
    plan,
    secrets: o.secrets,
    visibleSecrets,
    pool,
    hiddenIds,
    visibleFolders,
    topFolderIds: new Map(
      [...made]
        .filter(([idx]) => (plan.folders[idx] as FolderPlan).level === 1)
        .map(([idx, id]) => [(plan.folders[idx] as FolderPlan).name, id]),
    ),
    grants,
    build: {
      seconds: (performance.now() - t0) / 1000,
      setupSeconds,
      importSeconds,
      batches,
      rowsPerSecond: o.secrets / importSeconds,
    },
  };
}
