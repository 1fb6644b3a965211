// "Passwork password read": GET /api/v4/passwords/{id} with the Passwork-Auth header of a session
// the bench user's API key bought at POST /api/v4/auth/login/{apiKey}, over the pool of the reveal
// scenario — the same reveal through the Passwork surface (one audited whole-secret reveal,
// revealCard, with the files' names and the favourite mark), so the throughputs compare directly.

import { type Common, type CompatArgs, measureIf } from './bracketed.ts';
import type { LoadResult } from './measure.ts';
import { runLoad } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';

const PW = '/api/v4';

async function login(baseUrl: string, apiKey: string): Promise<string> {
  const r = await fetch(`${baseUrl}${PW}/auth/login/${apiKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ useMasterPassword: false }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await r.json()) as { status: string; data: { token: string } };
  if (r.status !== 200 || body.status !== 'success') throw new Error(`Passwork login answered ${r.status} ${JSON.stringify(body)}`);
  return body.data.token;
}

export async function passworkReadLoad(ds: SecretsDataset, baseUrl: string, connections: number, c: Common): Promise<LoadResult> {
  const token = await login(baseUrl, ds.userKey);
  const headers = { 'passwork-auth': token };
  const pool = ds.pool.map((p) => p.id);
  if (pool.length === 0) throw new Error('Passwork bench: an empty pool');
  // every pool secret must read as a password (checked on a sample before the load)
  for (const id of pool.slice(0, 20)) {
    const r = await fetch(`${baseUrl}${PW}/passwords/${id}`, { headers, signal: AbortSignal.timeout(60_000) });
    const body = (await r.json()) as { status: string; data?: { cryptedPassword?: string } };
    if (r.status !== 200 || body.status !== 'success' || !body.data?.cryptedPassword) {
      throw new Error(`Passwork password read failed in setup: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  }
  return runLoad({
    ...c,
    connections,
    scenario: `Passwork password read, ${ds.secrets} secrets`,
    url: baseUrl,
    method: 'GET',
    headers,
    nextPath: () => `${PW}/passwords/${pool[Math.floor(Math.random() * pool.length)]}`,
  });
}

/** The Passwork read when BENCH_SCENARIOS selects `passwork`, after the native reveal (as compatLoads). */
export function passworkLoads(a: CompatArgs): Promise<LoadResult[]> {
  return measureIf(
    a,
    'passwork',
    () => `Passwork password read (${a.connections} connections)`,
    (c) => passworkReadLoad(a.ds, a.baseUrl, a.connections, c),
  );
}
