// Vaults and folders: the vault list, and a folder's subfolders and secrets with their actions
// (create, rename, move by menu, break inheritance, delete). Moving by drag is in the tree.
import type { Folder, Vault } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Breadcrumb, Breadcrumbs, Form, Input, Label, Link, SearchField } from 'react-aria-components';
import { SecretList } from '../components/secret-list.tsx';
import { ActionMenu, Button, Checkbox, Empty, ErrorState, Field, Loading, Modalog, PageHeader } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { browseFilter, folderQuery, foldersQuery, vaultQuery, vaultsQuery } from '../lib/queries.ts';
import { navigate } from '../lib/router.tsx';
import { MoveFolderDialog } from './move-dialog.tsx';

const vaultHref = (v: string) => `/vaults/${encodeURIComponent(v)}`;
const folderHref = (v: string, f: string) => `${vaultHref(v)}/folders/${encodeURIComponent(f)}`;

export function VaultsHome() {
  const vaults = useQuery(vaultsQuery);
  const [creating, setCreating] = useState(false);
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="Vaults">
        <Button variant="primary" onPress={() => setCreating(true)}>
          New vault
        </Button>
      </PageHeader>
      {vaults.isPending && <Loading label="Loading vaults" />}
      {vaults.isError && <ErrorState error={vaults.error} onRetry={() => vaults.refetch()} />}
      {vaults.data && vaults.data.items.length === 0 && <Empty>No vaults yet. Create one to keep your first secrets.</Empty>}
      {vaults.data && vaults.data.items.length > 0 && (
        <ul className="card-grid">
          {vaults.data.items.map((v) => (
            <li key={v.id} className="card vault-card">
              <Link href={vaultHref(v.id)} className="vault-link">
                {v.name}
              </Link>
              <p className="muted">{v.description || 'No description'}</p>
              <span className="badge">{v.myLevel ?? 'no access'}</span>
            </li>
          ))}
        </ul>
      )}
      <NameDialog
        title="New vault"
        isOpen={creating}
        onClose={() => setCreating(false)}
        withDescription
        submit={async (name, description) => {
          const v = await api.vaults.create({ name, ...(description ? { description } : {}) });
          navigate(vaultHref(v.id));
        }}
        invalidate={[['vaults']]}
      />
    </section>
  );
}

export function Browse({ vaultId, folderId }: { vaultId: string; folderId: string | null }) {
  const qc = useQueryClient();
  // all four in parallel: nothing here waits for another answer
  const vault = useQuery(vaultQuery(vaultId));
  const folder = useQuery({ ...folderQuery(folderId ?? ''), enabled: folderId !== null });
  const children = useQuery(foldersQuery(vaultId, folderId));
  const [q, setQ] = useState('');
  const [dialog, setDialog] = useState<null | 'folder' | 'rename' | 'move' | 'delete' | 'inherit'>(null);

  const filter = browseFilter(vaultId, folderId, q);
  const title = folderId ? (folder.data?.name ?? '…') : (vault.data?.name ?? '…');
  const f = folder.data;
  const invalidateTree = () => qc.invalidateQueries({ queryKey: ['folders'] });

  const menu = folderId
    ? [
        { id: 'rename', label: 'Rename…' },
        { id: 'move', label: 'Move to…' },
        { id: 'inherit', label: f?.inheritPermissions ? 'Break inheritance…' : 'Restore inheritance…' },
        { id: 'delete', label: 'Delete folder…', danger: true },
      ]
    : [
        { id: 'rename', label: 'Rename vault…' },
        { id: 'delete', label: 'Delete vault…', danger: true },
      ];
  const error = vault.error ?? folder.error;
  return (
    <section className="page" aria-labelledby="page-title">
      <Breadcrumbs className="breadcrumbs">
        <Breadcrumb>
          <Link href="/vaults">Vaults</Link>
        </Breadcrumb>
        <Breadcrumb>
          <Link href={vaultHref(vaultId)}>{vault.data?.name ?? '…'}</Link>
        </Breadcrumb>
        {f && (
          <Breadcrumb>
            <Link>{f.path}</Link>
          </Breadcrumb>
        )}
      </Breadcrumbs>
      <PageHeader title={title}>
        <Button
          variant="primary"
          onPress={() =>
            navigate(`/new-secret?vault=${encodeURIComponent(vaultId)}${folderId ? `&folder=${encodeURIComponent(folderId)}` : ''}`)
          }
        >
          New secret
        </Button>
        <Button onPress={() => setDialog('folder')}>New folder</Button>
        <ActionMenu label={`Actions for ${title}`} actions={menu} onAction={(id) => setDialog(id as typeof dialog)} />
      </PageHeader>
      {error && <ErrorState error={error} />}
      {f && !f.inheritPermissions && <p className="notice">This folder does not inherit permissions from above.</p>}
      <h2 className="section-title">Folders</h2>
      {children.isPending && <Loading label="Loading folders" />}
      {children.isError && <ErrorState error={children.error} onRetry={() => children.refetch()} />}
      {children.data && children.data.items.length === 0 && <Empty>No folders here.</Empty>}
      {children.data && children.data.items.length > 0 && (
        <ul className="folder-chips">
          {children.data.items.map((c: Folder) => (
            <li key={c.id}>
              <Link href={folderHref(vaultId, c.id)} className="folder-chip">
                <span className="tree-icon folder" aria-hidden="true" />
                {c.name}
              </Link>
            </li>
          ))}
        </ul>
      )}
      <div className="list-toolbar">
        <h2 className="section-title">Secrets</h2>
        <SearchField className="search-field" value={q} onChange={setQ} aria-label="Filter secrets in this folder">
          <Label className="visually-hidden">Filter</Label>
          <Input placeholder="Filter by name, user, host…" />
        </SearchField>
      </div>
      <SecretList filter={filter} label={`Secrets in ${title}`} empty={q ? 'No secret matches.' : 'No secrets here yet.'} />

      <NameDialog
        title="New folder"
        isOpen={dialog === 'folder'}
        onClose={() => setDialog(null)}
        submit={async (name) => {
          await api.folders.create({ vaultId, parentId: folderId, name });
        }}
        invalidate={[['folders']]}
      />
      <NameDialog
        title={folderId ? 'Rename folder' : 'Rename vault'}
        initial={title}
        isOpen={dialog === 'rename'}
        onClose={() => setDialog(null)}
        submit={async (name) => {
          if (folderId) await api.folders.update(folderId, { name });
          else await api.vaults.update(vaultId, { name });
        }}
        invalidate={[['folders'], ['folder'], ['vault'], ['vaults']]}
      />
      {f && dialog === 'move' && <MoveFolderDialog folder={f} onClose={() => setDialog(null)} />}
      {dialog === 'inherit' && f && <InheritDialog folder={f} onClose={() => setDialog(null)} onDone={invalidateTree} />}
      {dialog === 'delete' && <DeleteDialog vault={vault.data} folder={f} onClose={() => setDialog(null)} />}
    </section>
  );
}

export function NameDialog({
  title,
  isOpen,
  onClose,
  submit,
  initial = '',
  withDescription,
  invalidate,
}: {
  title: string;
  isOpen: boolean;
  onClose: () => void;
  submit: (name: string, description: string) => Promise<void>;
  initial?: string;
  withDescription?: boolean;
  invalidate: string[][];
}) {
  const qc = useQueryClient();
  const [name, setName] = useState(initial);
  const [description, setDescription] = useState('');
  const m = useMutation({
    mutationFn: () => submit(name.trim(), description.trim()),
    onSuccess: async () => {
      for (const k of invalidate) await qc.invalidateQueries({ queryKey: k });
      setName('');
      setDescription('');
      onClose();
    },
  });
  return (
    <Modalog title={title} isOpen={isOpen} onClose={onClose}>
      <Form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Name" value={name} onChange={setName} isRequired autoFocus />
        {withDescription && <Field label="Description" value={description} onChange={setDescription} />}
        {m.error && <ErrorState error={m.error} />}
        <div className="dialog-actions">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isPending={m.isPending}>
            Save
          </Button>
        </div>
      </Form>
    </Modalog>
  );
}

function InheritDialog({ folder, onClose, onDone }: { folder: Folder; onClose: () => void; onDone: () => void }) {
  const qc = useQueryClient();
  const breaking = folder.inheritPermissions;
  const [policyToo, setPolicyToo] = useState(true);
  const m = useMutation({
    mutationFn: () =>
      api.folders.update(
        folder.id,
        breaking
          ? { inheritPermissions: false, ...(policyToo ? { inheritPolicy: false } : {}) }
          : { inheritPermissions: true, inheritPolicy: true },
      ),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['folder', folder.id] });
      onDone();
      onClose();
    },
  });
  return (
    <Modalog title={breaking ? 'Break inheritance' : 'Restore inheritance'} isOpen onClose={onClose} role="alertdialog">
      <p>
        {breaking
          ? `Grants made on the folders and vault above “${folder.name}” will no longer apply to it or below it. Only grants made here (and administrators with the all-passwords scope) will.`
          : `“${folder.name}” will receive the grants and policy of the folders above it again.`}
      </p>
      {breaking && (
        <Checkbox isSelected={policyToo} onChange={setPolicyToo}>
          Also stop inheriting the access policy
        </Checkbox>
      )}
      {m.error && <ErrorState error={m.error} />}
      <div className="dialog-actions">
        <Button onPress={onClose}>Cancel</Button>
        <Button variant={breaking ? 'danger' : 'primary'} onPress={() => m.mutate()} isPending={m.isPending}>
          {breaking ? 'Break inheritance' : 'Restore inheritance'}
        </Button>
      </div>
    </Modalog>
  );
}

function DeleteDialog({ vault, folder, onClose }: { vault: Vault | undefined; folder: Folder | undefined; onClose: () => void }) {
  const qc = useQueryClient();
  const [recursive, setRecursive] = useState(false);
  const m = useMutation({
    mutationFn: async () => {
      if (folder) await api.folders.delete(folder.id, { recursive });
      else if (vault) await api.vaults.delete(vault.id, { recursive });
    },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['folders'] });
      await qc.invalidateQueries({ queryKey: ['vaults'] });
      onClose();
      navigate(folder?.parentId ? folderHref(folder.vaultId, folder.parentId) : folder ? vaultHref(folder.vaultId) : '/vaults');
    },
  });
  const what = folder ? `folder “${folder.name}”` : `vault “${vault?.name ?? ''}”`;
  return (
    <Modalog title="Delete" isOpen onClose={onClose} role="alertdialog">
      <p>Delete the {what}?</p>
      <Checkbox isSelected={recursive} onChange={setRecursive}>
        Also delete what is inside (its secrets go to the trash)
      </Checkbox>
      {m.error && <ErrorState error={m.error} />}
      <div className="dialog-actions">
        <Button onPress={onClose}>Cancel</Button>
        <Button variant="danger" onPress={() => m.mutate()} isPending={m.isPending}>
          Delete
        </Button>
      </div>
    </Modalog>
  );
}
