// "Secret Server secret read": GET /SecretServer/api/v1/secrets/{id} (the whole secret with its
// values, as python-tss-sdk's get_secret and tss-sdk-go's Secret() read it) with the bench user's
// API key as the bearer token, over the pool of the reveal scenario — the same reveal through the
// Secret Server surface, so the two throughputs compare directly. Each request = the integer id
// resolved, authorization over the tree, the workflow gate, decryption of the values, one audit
// record (a reveal, via secretserver), the secret presented in the product's shape.
import { api, expect } from './api.ts';
import { type Common, type CompatArgs, measureIf } from './bracketed.ts';
import { type LoadResult, runLoad } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';

const SS = '/SecretServer/api/v1';
/** Pool entries mapped to Secret Server ids (each mapping costs a few setup requests). */
const MAX_IDS = 200;

/** Secret Server ids of pool secrets: found by an exact name search (names shared by two are skipped), each read once. */
export async function secretServerIds(ds: SecretsDataset, baseUrl: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of ds.pool) {
    if (out.length >= MAX_IDS) break;
    const s = expect<{ name: string }>('secret', await api(baseUrl, 'GET', `/api/v1/secrets/${p.id}`, { token: ds.userKey }), 200);
    const q = new URLSearchParams({ 'filter.searchText': s.name, 'filter.searchField': 'Name', 'filter.isExactMatch': 'true' });
    const found = expect<{ records: Array<{ id: number }> }>(
      'Secret Server search',
      await api(baseUrl, 'GET', `${SS}/secrets?${q}`, { token: ds.userKey }),
      200,
    );
    if (found.records.length !== 1) continue;
    const id = found.records[0]?.id as number;
    expect('Secret Server read (setup)', await api(baseUrl, 'GET', `${SS}/secrets/${id}`, { token: ds.userKey }), 200);
    out.push(id);
  }
  if (out.length === 0) throw new Error('Secret Server bench: no pool secret could be named through Secret Server');
  return out;
}

export function secretServerReadLoad(
  ds: SecretsDataset,
  ids: number[],
  baseUrl: string,
  connections: number,
  c: Common,
): Promise<LoadResult> {
  return runLoad({
    ...c,
    connections,
    scenario: `Secret Server secret read, ${ds.secrets} secrets (${ids.length} secrets)`,
    url: baseUrl,
    method: 'GET',
    headers: { authorization: `Bearer ${ds.userKey}` },
    nextPath: () => `${SS}/secrets/${ids[Math.floor(Math.random() * ids.length)]}`,
  });
}

/** The Secret Server read when BENCH_SCENARIOS selects `secretserver` (the same call shape as compatLoads). */
export async function secretServerLoads(a: CompatArgs): Promise<LoadResult[]> {
  const ids = a.scenarios.has('secretserver') ? await secretServerIds(a.ds, a.baseUrl) : [];
  return measureIf(
    a,
    'secretserver',
    () => `Secret Server secret read (${a.connections} connections, ${ids.length} secrets)`,
    (c) => secretServerReadLoad(a.ds, ids, a.baseUrl, a.connections, c),
  );
}
