import { useQuery } from '@tanstack/react-query';
import { ErrorState, Loading, PageHeader } from '../../components/ui.tsx';
import { templatesQuery } from '../../lib/queries.ts';
import { searchParam } from '../../lib/router.tsx';
import { SecretForm } from './editor.tsx';

export default function NewSecretScreen() {
  const templates = useQuery(templatesQuery);
  const vaultId = searchParam('vault');
  const folderId = searchParam('folder');
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="New secret" />
      {!vaultId && <ErrorState error={new Error('Open a vault or folder first, then choose “New secret”.')} />}
      {templates.isPending && <Loading label="Loading templates" />}
      {templates.isError && <ErrorState error={templates.error} onRetry={() => templates.refetch()} />}
      {vaultId && templates.data && <SecretForm templates={templates.data.items} vaultId={vaultId} folderId={folderId} />}
    </section>
  );
}
