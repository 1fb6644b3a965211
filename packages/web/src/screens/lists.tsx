// Search as you type with the API's filters, the "shared with me" inbox, and the trash.
import type { Secret } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useEffect, useState } from 'react';
import { Input, Label, SearchField } from 'react-aria-components';
import { SecretList } from '../components/secret-list.tsx';
import { Button, Checkbox, ConfirmDialog, ErrorState, Field, PageHeader, SelectField } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { templatesQuery } from '../lib/queries.ts';

/** A value that settles `ms` after the last change (search as you type without a request per key). */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function SearchScreen() {
  const [q, setQ] = useState('');
  const [tag, setTag] = useState('');
  const [template, setTemplate] = useState('any');
  const [expiring, setExpiring] = useState(false);
  const [includeShared, setIncludeShared] = useState(true);
  const templates = useQuery(templatesQuery);
  const dq = useDeferredValue(useDebounced(q.trim(), 200));
  const dtag = useDebounced(tag.trim(), 300);
  const [horizon] = useState(() => new Date(Date.now() + 30 * 86_400_000).toISOString());
  const filter = {
    ...(dq ? { q: dq } : {}),
    ...(dtag ? { tag: dtag } : {}),
    ...(template !== 'any' ? { template } : {}),
    ...(expiring ? { expiringBefore: horizon } : {}),
    includeShared,
    sort: 'name' as const,
  };
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="Search" />
      <search className="filters">
        <SearchField className="search-field wide" value={q} onChange={setQ} autoFocus>
          <Label>Search secrets</Label>
          <Input placeholder="Name, user name, host, URL, tag, folder…" />
        </SearchField>
        <Field label="Tag" value={tag} onChange={setTag} />
        <SelectField
          label="Template"
          value={template}
          onChange={setTemplate}
          options={[{ id: 'any', label: 'Any template' }, ...(templates.data?.items ?? []).map((t) => ({ id: t.slug, label: t.name }))]}
        />
        <Checkbox isSelected={expiring} onChange={setExpiring}>
          Expiring within 30 days
        </Checkbox>
        <Checkbox isSelected={includeShared} onChange={setIncludeShared}>
          Include secrets shared with me
        </Checkbox>
      </search>
      <SecretList filter={filter} label="Search results" empty="No secret matches these filters." />
    </section>
  );
}

export function SharedScreen() {
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="Shared with me" />
      <p className="muted">Secrets other people shared with you directly.</p>
      <SecretList
        source="shared"
        filter={{ sort: 'updated' }}
        label="Secrets shared with me"
        empty="Nothing has been shared with you yet."
      />
    </section>
  );
}

export function TrashScreen() {
  const qc = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [purging, setPurging] = useState<Secret | null>(null);
  const act = useMutation({
    mutationFn: async ({ s, purge }: { s: Secret; purge: boolean }) => {
      if (purge) await api.secrets.purge(s.id);
      else await api.secrets.restore(s.id);
    },
    onSuccess: async () => {
      setPurging(null);
      await qc.invalidateQueries({ queryKey: ['secrets'] });
    },
    onError: (e) => {
      setPurging(null);
      setError(e);
    },
  });
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="Trash" />
      <p className="muted">Deleted secrets you can restore. Purging deletes one for good (needs manage access).</p>
      {error !== null && <ErrorState error={error} />}
      <SecretList
        source="trash"
        filter={{ sort: 'updated' }}
        label="Secrets in the trash"
        empty="The trash is empty."
        actions={(s) => (
          <span className="row-actions">
            <Button variant="quiet" onPress={() => act.mutate({ s, purge: false })} aria-label={`Restore ${s.name}`}>
              Restore
            </Button>
            <Button variant="quiet" className="danger-text" onPress={() => setPurging(s)} aria-label={`Purge ${s.name}`}>
              Purge
            </Button>
          </span>
        )}
      />
      {purging && (
        <ConfirmDialog
          title="Purge for good"
          confirmLabel="Purge"
          onConfirm={() => act.mutate({ s: purging, purge: true })}
          onClose={() => setPurging(null)}
          isPending={act.isPending}
        >
          <p>Delete “{purging.name}”, its history and its files for good? This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
