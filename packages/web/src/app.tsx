// Which screen: the session state first (sign-in, forced password change), then the path.
import { lazy, type ReactNode, Suspense } from 'react';
import { ErrorState, Loading } from './components/ui.tsx';
import { RoutePrefetch } from './lib/prefetch.tsx';
import { match, navigate, useLocation } from './lib/router.tsx';
import { useSession } from './lib/session.tsx';
import { Browse, VaultsHome } from './screens/browse.tsx';
import { SearchScreen, SharedScreen, TrashScreen } from './screens/lists.tsx';
import { Shell } from './screens/shell.tsx';
import { ChangePasswordScreen, SignInScreen } from './screens/sign-in.tsx';

// Screens loaded on demand; the one at the current path starts loading with the page itself
const chunks = {
  secret: () => import('./screens/secret/secret.tsx'),
  workflows: () => import('./screens/workflow/workflows.tsx'),
  audit: () => import('./screens/audit.tsx'),
  admin: () => import('./screens/admin/admin.tsx'),
  transfer: () => import('./screens/transfer.tsx'),
  newSecret: () => import('./screens/secret/new-secret.tsx'),
};
const SecretScreen = lazy(chunks.secret);
const Workflows = lazy(chunks.workflows);
const AuditScreen = lazy(chunks.audit);
const Admin = lazy(chunks.admin);
const TransferScreen = lazy(chunks.transfer);
const NewSecretScreen = lazy(chunks.newSecret);

const first = location.pathname.split('/')[1];
const firstChunk = {
  secrets: chunks.secret,
  workflow: chunks.workflows,
  audit: chunks.audit,
  admin: chunks.admin,
  transfer: chunks.transfer,
  'new-secret': chunks.newSecret,
}[first ?? ''];
void firstChunk?.();

export function App() {
  const { state } = useSession();
  if (state.kind === 'loading') {
    return (
      <main className="center-page">
        <Loading label="Starting" />
      </main>
    );
  }
  if (state.kind === 'error') {
    return (
      <main className="center-page">
        <ErrorState error={state.error} onRetry={() => location.reload()} />
      </main>
    );
  }
  if (state.kind === 'signed-out') return <SignInScreen notice={state.notice} username={state.username} />;
  if (state.session.mustChangePassword) return <ChangePasswordScreen />;
  return (
    <Shell>
      <RoutePrefetch />
      <Suspense fallback={<Loading />}>
        <Routes />
      </Suspense>
    </Shell>
  );
}

type P = Record<string, string>;
const routes: [string, (p: P) => ReactNode][] = [
  ['/', () => <VaultsHome />],
  ['/vaults', () => <VaultsHome />],
  ['/vaults/:vaultId', (p) => <Browse vaultId={p.vaultId!} folderId={null} />],
  ['/vaults/:vaultId/folders/:folderId', (p) => <Browse vaultId={p.vaultId!} folderId={p.folderId!} />],
  ['/secrets/:id', (p) => <SecretScreen id={p.id!} tab="overview" />],
  ['/secrets/:id/:tab', (p) => <SecretScreen id={p.id!} tab={p.tab!} />],
  ['/new-secret', () => <NewSecretScreen />],
  ['/search', () => <SearchScreen />],
  ['/shared', () => <SharedScreen />],
  ['/trash', () => <TrashScreen />],
  ['/workflow/:tab', (p) => <Workflows tab={p.tab!} />],
  ['/audit', () => <AuditScreen />],
  ['/admin/:tab', (p) => <Admin tab={p.tab!} />],
  ['/transfer', () => <TransferScreen />],
];

function Routes() {
  const path = useLocation().split('?')[0]!;
  for (const [pattern, render] of routes) {
    const m = match(pattern, path);
    if (m) return render(m);
  }
  return <NotFound />;
}

function NotFound() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
      <button type="button" className="btn btn-secondary" onClick={() => navigate('/vaults')}>
        Go to the vaults
      </button>
    </section>
  );
}
