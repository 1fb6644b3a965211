// Render-as-you-fetch: the queries of the screen at the current path start as soon as the shell
// renders, outside the Suspense boundary of the lazily loaded screens, so neither the screen's
// code nor any answer delays them (the request waterfall stays at two: session, then data).
import { type QueryClient, useQueries } from '@tanstack/react-query';
import * as Q from './queries.ts';
import { match, useLocation } from './router.tsx';

// biome-ignore lint/suspicious/noExplicitAny: each query keeps its own type where the screen uses it
type AnyQuery = any;

export function routeQueries(path: string): AnyQuery[] {
  const browse = match('/vaults/:vaultId', path) ?? match('/vaults/:vaultId/folders/:folderId', path);
  if (browse) {
    const v = browse.vaultId!;
    const f = browse.folderId ?? null;
    return [
      Q.vaultQuery(v),
      ...(f ? [Q.folderQuery(f), Q.folderAncestorsQuery(v, f)] : []),
      Q.foldersQuery(v, null),
      ...(f ? [Q.foldersQuery(v, f)] : []),
      Q.secretsPageQuery(Q.browseFilter(v, f), 0),
    ];
  }
  if (path === '/search') return [Q.templatesQuery, Q.secretsPageQuery({ includeShared: true, sort: 'name' }, 0)];
  if (path === '/shared') return [Q.secretsPageQuery({ sort: 'updated' }, 0, 'shared')];
  if (path === '/trash') return [Q.secretsPageQuery({ sort: 'updated' }, 0, 'trash')];
  const secret = match('/secrets/:id', path) ?? match('/secrets/:id/:tab', path);
  if (secret) {
    const id = secret.id!;
    return [
      Q.secretQuery(id),
      Q.policyQuery(id),
      Q.templatesQuery,
      Q.checkoutsQuery(id),
      Q.myRequestsQuery(id),
      ...Q.tabQueries(id, secret.tab ?? 'overview'),
    ];
  }
  const wf = match('/workflow/:tab', path)?.tab;
  if (wf === 'requests') return [Q.myRequestsListQuery];
  if (wf === 'inbox') return [Q.inboxQuery];
  if (wf === 'checkouts') return [Q.visibleCheckoutsQuery];
  if (wf === 'admin-requests') return [Q.adminRequestsQuery('mine'), Q.adminRequestsQuery('pending')];
  if (path === '/audit') return [Q.auditPageQuery(Q.noAuditFilters, undefined), Q.auditVerifyQuery];
  if (path === '/new-secret') return [Q.templatesQuery];
  const admin = match('/admin/:tab', path)?.tab;
  if (admin === 'users') return [Q.usersQuery('human')];
  if (admin === 'groups' || admin === 'grants') return [Q.groupsQuery, Q.usersQuery('all')];
  if (admin === 'api-users') return [Q.usersQuery('api')];
  if (admin === 'webhooks') return [Q.webhooksQuery];
  if (admin === 'keys') return [Q.keyringQuery];
  if (admin === 'account') return [Q.myKeysQuery];
  return [];
}

export function RoutePrefetch() {
  const path = useLocation().split('?')[0]!;
  useQueries({ queries: routeQueries(path) });
  return null;
}

/**
 * Starts, in one synchronous loop, every query the first screen needs (the shell's vault list and
 * the screen's own), the moment the session is known: all of them leave before any answer comes
 * back, whatever React renders in between.
 */
export function prefetchRoute(qc: QueryClient, path: string): void {
  for (const q of [Q.vaultsQuery, ...routeQueries(path.split('?')[0]!)]) void qc.prefetchQuery(q);
}
