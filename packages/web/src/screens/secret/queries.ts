// The queries of the secret screen, shared by the screen (which starts them all at once) and its panels.
import { api } from '../../lib/api.ts';

export const secretQuery = (id: string) => ({ queryKey: ['secret', id], queryFn: () => api.secrets.get(id) });
export const policyQuery = (id: string) => ({ queryKey: ['access-policy', id], queryFn: () => api.accessRequests.policy(id) });
export const checkoutsQuery = (id: string) => ({
  queryKey: ['checkouts', 'secret', id],
  queryFn: () => api.checkouts.list({ secretId: id }),
  refetchInterval: 15_000,
});
export const myRequestsQuery = (id: string) => ({
  queryKey: ['access-requests', 'mine', id],
  queryFn: () => api.accessRequests.list({ scope: 'mine', secretId: id }),
  refetchInterval: 15_000,
});
export const historyQuery = (id: string) => ({ queryKey: ['history', id], queryFn: () => api.secrets.history(id) });
export const filesQuery = (id: string) => ({ queryKey: ['attachments', id], queryFn: () => api.attachments.list(id) });
export const grantsQuery = (id: string) => ({ queryKey: ['grants', id], queryFn: () => api.grants.list(id) });
export const metadataQuery = (id: string) => ({ queryKey: ['metadata', id], queryFn: () => api.metadata.list(id) });

/** What a tab shows, asked for together with the secret (never after it: no request waterfall). */
// biome-ignore lint/suspicious/noExplicitAny: a list of different queries, each typed where it is used
export function tabQueries(id: string, tab: string): any[] {
  if (tab === 'history') return [historyQuery(id)];
  if (tab === 'files') return [filesQuery(id)];
  if (tab === 'sharing') return [grantsQuery(id)];
  if (tab === 'metadata') return [metadataQuery(id)];
  return [];
}
