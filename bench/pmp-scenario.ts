// "PMP password read": GET /restapi/json/v1/resources/{rid}/accounts/{aid}/password with the
// AUTHTOKEN header, over the pool of the reveal scenario, by the same bench user — the same reveal
// through the PMP surface, so the two throughputs compare directly.
import { api, expect } from './api.ts';
import { type LoadResult, runLoad } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';

const PMP = '/restapi/json/v1';
/** Pool entries mapped to PMP ids (each mapping costs a few setup requests). */
const MAX_PAIRS = 200;

type Common = Omit<Parameters<typeof runLoad>[0], 'connections' | 'scenario' | 'url' | 'method' | 'body' | 'headers' | 'nextPath'>;

// biome-ignore lint/suspicious/noExplicitAny: a PMP answer, read field by field
async function pmpGet(baseUrl: string, key: string, path: string): Promise<any> {
  const r = await fetch(`${baseUrl}${PMP}${path}`, { headers: { AUTHTOKEN: key }, signal: AbortSignal.timeout(60_000) });
  return r.json();
}

/**
 * PMP (resource id, account id) pairs of pool secrets: the secret's folder is found among the PMP
 * resources by name, the account in its account list by name; a name shared by two resources or
 * two accounts is skipped. Every pair is read once before the load (it must answer Success).
 */
export async function pmpPairs(ds: SecretsDataset, baseUrl: string): Promise<Array<{ rid: string; aid: string }>> {
  const resources = ((await pmpGet(baseUrl, ds.userKey, '/resources')).operation.Details ?? []) as Array<Record<string, string>>;
  const byName = new Map<string, string | null>();
  for (const r of resources)
    byName.set(r['RESOURCE NAME'] as string, byName.has(r['RESOURCE NAME'] as string) ? null : (r['RESOURCE ID'] as string));
  const accounts = new Map<string, Array<Record<string, string>>>();
  const pairs: Array<{ rid: string; aid: string }> = [];
  for (const p of ds.pool) {
    if (pairs.length >= MAX_PAIRS) break;
    const s = expect<{ folderId: string | null; name: string; username: string }>(
      'secret',
      await api(baseUrl, 'GET', `/api/v1/secrets/${p.id}`, { token: ds.userKey }),
      200,
    );
    if (!s.folderId) continue;
    const f = await api(baseUrl, 'GET', `/api/v1/folders/${s.folderId}`, { token: ds.userKey });
    if (f.status !== 200) continue;
    const rid = byName.get((f.body as { name: string }).name);
    if (!rid) continue;
    if (!accounts.has(rid))
      accounts.set(rid, (await pmpGet(baseUrl, ds.userKey, `/resources/${rid}/accounts`)).operation.Details['ACCOUNT LIST']);
    const name = s.username || s.name;
    const matches = (accounts.get(rid) ?? []).filter((a) => a['ACCOUNT NAME'] === name);
    if (matches.length !== 1) continue;
    const aid = matches[0]?.['ACCOUNT ID'] as string;
    const check = await pmpGet(baseUrl, ds.userKey, `/resources/${rid}/accounts/${aid}/password`);
    if (check.operation.result.status !== 'Success') throw new Error(`PMP password read failed in setup: ${JSON.stringify(check)}`);
    pairs.push({ rid, aid });
  }
  if (pairs.length === 0) throw new Error('PMP bench: no pool secret could be named through PMP');
  return pairs;
}

export function pmpPasswordLoad(
  ds: SecretsDataset,
  pairs: Array<{ rid: string; aid: string }>,
  baseUrl: string,
  connections: number,
  c: Common,
): Promise<LoadResult> {
  return runLoad({
    ...c,
    connections,
    scenario: `PMP password read, ${ds.secrets} secrets (${pairs.length} accounts)`,
    url: baseUrl,
    method: 'GET',
    headers: { AUTHTOKEN: ds.userKey },
    nextPath: () => {
      const p = pairs[Math.floor(Math.random() * pairs.length)] as { rid: string; aid: string };
      return `${PMP}/resources/${p.rid}/accounts/${p.aid}/password`;
    },
  });
}
