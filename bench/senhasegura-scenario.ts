// The senhasegura credential read under load, beside the native reveal (same data set, same bench
// user and API key): GET /iso/pam/credential/{id} over random integer ids of the credentials the
// bench user can list. Each request = the id resolved, authorization over the tree, the workflow
// gate, decryption of the values, one audit record (a reveal, via senhasegura).
import type { LoadResult } from './measure.ts';
import { runLoad } from './measure.ts';
import type { SecretsDataset } from './secrets-data.ts';

type Common = Omit<Parameters<typeof runLoad>[0], 'connections' | 'scenario' | 'url' | 'method' | 'body' | 'headers' | 'nextPath'>;

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
