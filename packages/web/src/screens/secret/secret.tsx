// A secret: its header (workflow actions, checkout state) and tabs. Every query here starts at
// once from the id in the path: no request waits for another.
import type { Secret } from '@coffer/sdk/client';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Breadcrumb, Breadcrumbs, Link, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { ActionMenu, ErrorState, Loading } from '../../components/ui.tsx';
import { checkoutsQuery, myRequestsQuery, policyQuery, secretQuery, tabQueries, templatesQuery } from '../../lib/queries.ts';
import { navigate } from '../../lib/router.tsx';
import { useMe } from '../../lib/session.tsx';
import { AccessPanel } from './access.tsx';
import { CheckoutBar } from './checkout-bar.tsx';
import { SecretEditor } from './editor.tsx';
import { FieldsPanel } from './fields.tsx';
import { FilesPanel } from './files.tsx';
import { HistoryPanel } from './history.tsx';
import { MetadataPanel } from './metadata.tsx';
import { RequestAccessDialog } from './request-dialog.tsx';
import { MoveSecretDialog, TrashSecretDialog } from './secret-dialogs.tsx';
import { SharingPanel } from './sharing.tsx';

const TABS = [
  { id: 'overview', label: 'Fields' },
  { id: 'edit', label: 'Edit' },
  { id: 'files', label: 'Files' },
  { id: 'metadata', label: 'Metadata' },
  { id: 'history', label: 'History' },
  { id: 'sharing', label: 'Sharing' },
  { id: 'access', label: 'Access' },
];

export default function SecretScreen({ id, tab }: { id: string; tab: string }) {
  const secret = useQuery(secretQuery(id));
  const policy = useQuery(policyQuery(id));
  const templates = useQuery(templatesQuery);
  const me = useMe();
  const checkouts = useQuery(checkoutsQuery(id));
  const mine = useQuery(myRequestsQuery(id));
  useQueries({ queries: tabQueries(id, tab) });
  // during your own checkout or approved request its reason covers a reveal: no prompt
  const holdsAccess =
    Boolean(checkouts.data?.items.some((c) => c.active && c.holderId === me.user.userId)) ||
    Boolean(mine.data?.items.some((r) => r.state === 'approved' || r.state === 'checked_out'));
  const [dialog, setDialog] = useState<null | 'request' | 'move' | 'trash'>(null);
  if (secret.isPending) return <Loading label="Loading the secret" />;
  if (secret.isError) return <ErrorState error={secret.error} onRetry={() => secret.refetch()} />;
  const s: Secret = secret.data.secret;
  const template = templates.data?.items.find((t) => t.slug === s.template);
  const folderHref = s.folderId
    ? `/vaults/${encodeURIComponent(s.vaultId)}/folders/${encodeURIComponent(s.folderId)}`
    : `/vaults/${encodeURIComponent(s.vaultId)}`;
  return (
    <section className="page" aria-labelledby="page-title">
      <Breadcrumbs className="breadcrumbs">
        <Breadcrumb>
          <Link href={folderHref}>{s.path || '/'}</Link>
        </Breadcrumb>
        <Breadcrumb>
          <Link>{s.name}</Link>
        </Breadcrumb>
      </Breadcrumbs>
      <header className="page-header">
        <h1 id="page-title">
          {s.name} <span className="badge">{template?.name ?? s.template}</span>
          {s.shared && <span className="badge">shared with you</span>}
        </h1>
        <div className="page-actions">
          <ActionMenu
            label={`Actions for ${s.name}`}
            actions={[
              { id: 'request', label: 'Request access…' },
              { id: 'move', label: 'Move to…' },
              { id: 'trash', label: 'Move to trash…', danger: true },
            ]}
            onAction={(a) => setDialog(a as typeof dialog)}
          />
        </div>
      </header>
      {policy.data && <CheckoutBar secret={s} policy={policy.data} onRequest={() => setDialog('request')} />}
      <Tabs
        className="tabs"
        selectedKey={TABS.some((t) => t.id === tab) ? tab : 'overview'}
        onSelectionChange={(k) =>
          navigate(`/secrets/${encodeURIComponent(id)}${k === 'overview' ? '' : `/${String(k)}`}`, { replace: true })
        }
      >
        <TabList className="tab-list" aria-label="Secret">
          {TABS.map((t) => (
            <Tab key={t.id} id={t.id} className="tab">
              {t.label}
            </Tab>
          ))}
        </TabList>
        <TabPanel id="overview" className="tab-panel">
          <FieldsPanel
            secret={s}
            template={template}
            policy={policy.data}
            holdsAccess={holdsAccess}
            onRequest={() => setDialog('request')}
          />
        </TabPanel>
        <TabPanel id="edit" className="tab-panel">
          {templates.data && <SecretEditor secret={s} etag={secret.data.etag} templates={templates.data.items} />}
        </TabPanel>
        <TabPanel id="files" className="tab-panel">
          <FilesPanel secret={s} requireReason={policy.data?.requireReason.value ?? false} />
        </TabPanel>
        <TabPanel id="metadata" className="tab-panel">
          <MetadataPanel nodeId={s.id} />
        </TabPanel>
        <TabPanel id="history" className="tab-panel">
          <HistoryPanel secret={s} etag={secret.data.etag} requireReason={policy.data?.requireReason.value ?? false} />
        </TabPanel>
        <TabPanel id="sharing" className="tab-panel">
          <SharingPanel secret={s} />
        </TabPanel>
        <TabPanel id="access" className="tab-panel">
          <AccessPanel secret={s} policy={policy.data} policyError={policy.error} />
        </TabPanel>
      </Tabs>
      {dialog === 'request' && <RequestAccessDialog secret={s} policy={policy.data} onClose={() => setDialog(null)} />}
      {dialog === 'move' && <MoveSecretDialog secret={s} onClose={() => setDialog(null)} />}
      {dialog === 'trash' && <TrashSecretDialog secret={s} onClose={() => setDialog(null)} />}
    </section>
  );
}
