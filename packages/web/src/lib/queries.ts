// Query options shared by the screens and by the route prefetch (lib/prefetch.tsx), which starts
// a screen's queries together with the session's first render, before its code has arrived: no
// request ever waits for a chunk or for another request of the same screen.
import type { AuditQuery, SearchQuery } from '@coffer/sdk/client';
import type { QueryClient } from '@tanstack/react-query';
import { api } from './api.ts';

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

export const templatesQuery = { queryKey: ['templates'], queryFn: () => api.templates.list(), staleTime: 300_000 };

export const LIVE_MS = 5000;
export const myRequestsListQuery = {
  queryKey: ['access-requests', 'mine'],
  queryFn: () => api.accessRequests.list({ scope: 'mine', limit: 100 }),
  refetchInterval: LIVE_MS,
};
export const inboxQuery = {
  queryKey: ['access-requests', 'pending'],
  queryFn: () => api.accessRequests.list({ scope: 'pending', limit: 100 }),
  refetchInterval: LIVE_MS,
};
export const visibleCheckoutsQuery = {
  queryKey: ['checkouts', 'visible'],
  queryFn: () => api.checkouts.list({}),
  refetchInterval: LIVE_MS,
};
export const adminRequestsQuery = (scope: 'mine' | 'pending') => ({
  queryKey: ['admin-requests', scope],
  queryFn: () => api.adminRequests.list({ scope }),
  refetchInterval: LIVE_MS,
});

export interface AuditFilters {
  actor: string;
  action: string;
  object: string;
  via: string;
  from: string;
  to: string;
}
export const noAuditFilters: AuditFilters = { actor: '', action: '', object: '', via: 'any', from: '', to: '' };

async function toAuditQuery(f: AuditFilters): Promise<AuditQuery> {
  const q: Record<string, unknown> = {};
  if (f.actor.trim()) q.actor = f.actor.trim().startsWith('usr_') ? f.actor.trim() : (await api.users.lookup(f.actor.trim())).id;
  if (f.action.trim()) q.action = f.action.trim();
  if (f.object.trim()) q.object = f.object.trim();
  if (f.via !== 'any') q.via = f.via;
  if (f.from) q.from = new Date(f.from).toISOString();
  if (f.to) q.to = new Date(f.to).toISOString();
  return q as AuditQuery;
}

export { toAuditQuery };
export const auditPageQuery = (applied: AuditFilters, cursor: string | undefined) => ({
  queryKey: ['audit', applied, cursor],
  queryFn: async () => api.audit.list({ ...(await toAuditQuery(applied)), limit: 50, ...(cursor ? { cursor } : {}) }),
});
export const auditVerifyQuery = { queryKey: ['audit-verify'], queryFn: () => api.audit.verify(), staleTime: 60_000 };

export const usersQuery = (kind: 'human' | 'api' | 'all') => ({
  queryKey: ['users', kind],
  queryFn: () => api.users.list(kind === 'all' ? { limit: 500 } : { kind, limit: 500 }),
});
export const groupsQuery = { queryKey: ['groups'], queryFn: () => api.groups.list({ limit: 500 }) };
export const webhooksQuery = { queryKey: ['webhooks'], queryFn: () => api.webhooks.list() };
export const keyringQuery = { queryKey: ['keyring'], queryFn: () => api.sys.keyring() };
export const myKeysQuery = { queryKey: ['api-keys', 'mine'], queryFn: () => api.apiKeys.listMine() };

export const foldersQuery = (vaultId: string, parentId: string | null) => ({
  queryKey: ['folders', vaultId, parentId],
  queryFn: () => api.folders.list(parentId ? { vaultId, parentId } : { vaultId }),
});

export const vaultsQuery = { queryKey: ['vaults'], queryFn: () => api.vaults.list() };

export const vaultQuery = (id: string) => ({ queryKey: ['vault', id], queryFn: () => api.vaults.get(id) });
export const folderQuery = (id: string) => ({ queryKey: ['folder', id], queryFn: () => api.folders.get(id) });
/**
 * The folders above a folder (top down), each with its child folders: the tree opens them on the
 * folder's page. The child lists go into the cache as the lists foldersQuery would fetch, so the
 * open path costs no request of its own.
 */
export const folderAncestorsQuery = (vaultId: string, id: string) => ({
  queryKey: ['folder', id, 'ancestors'],
  queryFn: async ({ client }: { client: QueryClient }) => {
    const path = await api.folders.ancestors(id);
    for (const a of path.items) {
      const key = foldersQuery(vaultId, a.id).queryKey;
      if (client.getQueryData(key) === undefined) client.setQueryData(key, { items: a.children, nextCursor: null });
    }
    return path;
  },
});

/** The secret list filter of a vault's top or a folder (only what is directly in it). */
export function browseFilter(vaultId: string, folderId: string | null, q = '') {
  const where = folderId ? { folderId, direct: true } : { vaultId, direct: true };
  return { ...where, ...(q.trim() ? { q: q.trim() } : {}), sort: 'name' as const };
}

export const PAGE = 200;
/** Performance mark set when the first page of a secret list has arrived (see SecretList). */
export const MARK_DATA = 'coffer:list-data';
export type ListFilter = Omit<SearchQuery, 'cursor' | 'offset' | 'limit' | 'withTotal'>;
export type Source = 'search' | 'shared' | 'trash';
const sources = {
  search: (q: SearchQuery) => api.secrets.search(q),
  shared: (q: SearchQuery) => api.secrets.sharedWithMe(q),
  trash: (q: SearchQuery) => api.secrets.listTrash(q),
};

export function secretsPageQuery(filter: ListFilter, page: number, source: Source = 'search') {
  return {
    queryKey: ['secrets', source, filter, page],
    queryFn: async () => {
      const r = await sources[source]({ ...filter, offset: page * PAGE, limit: PAGE, withTotal: page === 0 });
      if (page === 0) performance.mark(MARK_DATA);
      return r as typeof r & { total?: number };
    },
    staleTime: 10_000,
  };
}
