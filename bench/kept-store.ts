// BENCH_KEEP_DB=<dir> keeps a SQLite run's store (database, key file) with what the bench needs to
// measure it again (the administrator's password, the data set: ids, the bench user's API key);
// BENCH_REUSE_DB=<dir> runs on a fresh copy of it, so a 1M data set is imported once, not per run.
// The kept directory holds credentials of a throw-away bench store: it is written 0700/0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { api, expect } from './api.ts';
import { planTree, type SecretsDataset } from './secrets-data.ts';
import type { StoreReader } from './store.ts';

/** The files of a data directory that make up the store (the WAL is empty after a clean stop). */
export const STORE_FILES = ['coffer.db', 'coffer.db-wal', 'coffer.key'] as const;
const META = 'bench-store.json';

type KeptDataset = Omit<SecretsDataset, 'plan' | 'topFolderIds'> & { topFolderIds: Array<[string, string]> };

export interface KeptStore {
  adminPassword: string;
  secrets: number;
  folders: number;
  dataset: KeptDataset;
}

export function writeKeptStore(dir: string, adminPassword: string, d: SecretsDataset): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const { plan, topFolderIds, ...rest } = d;
  const meta: KeptStore = {
    adminPassword,
    secrets: d.secrets,
    folders: plan.folders.length,
    dataset: { ...rest, topFolderIds: [...topFolderIds] },
  };
  writeFileSync(path.join(dir, META), `${JSON.stringify(meta)}\n`, { mode: 0o600 });
}

export function readKeptStore(dir: string): KeptStore {
  const file = path.join(dir, META);
  if (!existsSync(file) || !existsSync(path.join(dir, 'coffer.db'))) {
    throw new Error(`BENCH_REUSE_DB=${dir}: no store kept there (expected ${META} and coffer.db, written by BENCH_KEEP_DB=${dir})`);
  }
  const meta = JSON.parse(readFileSync(file, 'utf8')) as KeptStore;
  if (!meta.adminPassword || !meta.dataset?.pool?.length || !Number.isInteger(meta.secrets) || !Number.isInteger(meta.folders)) {
    throw new Error(`BENCH_REUSE_DB=${dir}: ${META} is not a kept bench store`);
  }
  return meta;
}

/** The kept data set, checked against the copy the server now runs on: counts, one reveal allowed, one refused. */
export async function checkKeptDataset(k: KeptStore, baseUrl: string, store: StoreReader): Promise<SecretsDataset> {
  const { topFolderIds, ...rest } = k.dataset;
  const d: SecretsDataset = { ...rest, plan: planTree(k.folders), topFolderIds: new Map(topFolderIds) };
  const [count] = await store.all<{ n: number | string }>('select count(*) as n from secrets where vault_id = ?', [d.vaultId]);
  if (Number(count?.n) !== d.secrets)
    throw new Error(`the reused store holds ${count?.n} secrets in the bench vault, expected ${d.secrets}`);
  const sample = d.pool[0];
  if (sample) {
    expect(
      'reveal (bench user, visible)',
      await api(baseUrl, 'POST', `/api/v1/secrets/${sample.id}/reveal`, { token: d.userKey, body: {} }),
      200,
    );
  }
  const hidden = d.hiddenIds[0];
  if (hidden) {
    expect(
      'reveal (bench user, hidden)',
      await api(baseUrl, 'POST', `/api/v1/secrets/${hidden}/reveal`, { token: d.userKey, body: {} }),
      404,
    );
  }
  return d;
}
