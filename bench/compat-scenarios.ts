// Reads through the compatibility APIs under load, beside the native reveal (same data set, same
// bench user and API key), each reported as a ratio of the native reveal's throughput in the same
// run (issue 11: each within 15 %).
// - senhasegura: GET /iso/pam/credential/{id} over integer ids of the credentials the bench user
//   can list. Each request = the id resolved, authorization over the tree, the workflow gate,
//   decryption of the values, one audit record (a reveal, via senhasegura).

import { type Common, type CompatArgs, measureIf } from './bracketed.ts';
import type { LoadResult } from './measure.ts';
import { runLoad } from './measure.ts';
import { pmpPairs, pmpPasswordLoad } from './pmp-scenario.ts';
import type { SecretsDataset } from './secrets-data.ts';

export async function senhaseguraReadLoad(ds: SecretsDataset, baseUrl: string, connections: number, c: Common): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${ds.userKey}` };
  const list = await fetch(`${baseUrl}/iso/pam/credential`, { headers });
  if (list.status !== 200) throw new Error(`senhasegura list answered ${list.status}`);
  const body = (await list.json()) as { credentials: Array<{ id: string }> };
  const ids = body.credentials.map((x) => x.id);
  if (ids.length === 0) throw new Error('senhasegura list: no credential visible to the bench user');
  const pool = ids.slice(0, Math.max(ds.pool.length, 1));
  return runLoad({
    ...c,
    connections,
    scenario: `senhasegura credential read, ${ds.secrets} secrets`,
    url: baseUrl,
    method: 'GET',
    headers,
    nextPath: () => `/iso/pam/credential/${pool[Math.floor(Math.random() * pool.length)]}`,
  });
}

/** The compatibility reads selected in BENCH_SCENARIOS, in a fixed order, after the native reveal. */
export async function compatLoads(a: CompatArgs): Promise<LoadResult[]> {
  const { ds, baseUrl, connections } = a;
  const out = await measureIf(
    a,
    'senhasegura',
    () => `senhasegura credential read (${connections} connections)`,
    (c) => senhaseguraReadLoad(ds, baseUrl, connections, c),
  );
  // PMP: GET /restapi/json/v1/resources/{rid}/accounts/{aid}/password (bench/pmp-scenario.ts)
  const pairs = a.scenarios.has('pmp') ? await pmpPairs(ds, baseUrl) : [];
  out.push(
    ...(await measureIf(
      a,
      'pmp',
      () => `PMP password read (${connections} connections, ${pairs.length} accounts)`,
      (c) => pmpPasswordLoad(ds, pairs, baseUrl, connections, c),
    )),
  );
  return out;
}
