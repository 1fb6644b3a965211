// Versions: who changed which fields, a comparison of two versions (which fields differ between
// them, never values), and restore.
import type { Secret } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Empty, ErrorState, Loading, SelectField, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { changedBetween } from '../../lib/format.ts';
import { historyQuery } from '../../lib/queries.ts';

export function HistoryPanel({ secret, etag }: { secret: Secret; etag: string; requireReason: boolean }) {
  const qc = useQueryClient();
  const history = useQuery(historyQuery(secret.id));
  const [a, setA] = useState<string | null>(null);
  const [b, setB] = useState<string | null>(null);
  const restore = useMutation({
    mutationFn: (v: number) => api.secrets.restoreVersion(secret.id, v, { ifMatch: etag }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['secret', secret.id] });
      await qc.invalidateQueries({ queryKey: ['history', secret.id] });
    },
  });
  if (history.isPending) return <Loading label="Loading history" />;
  if (history.isError) return <ErrorState error={history.error} onRetry={() => history.refetch()} />;
  const versions = history.data.items;
  if (versions.length === 0) return <Empty>No history.</Empty>;
  const options = versions.map((v) => ({ id: String(v.version), label: `Version ${v.version}` }));
  const from = a ?? String(versions.at(-1)?.version ?? 1);
  const to = b ?? String(secret.version);
  const diff = changedBetween(versions, Number(from), Number(to));
  return (
    <div className="stack">
      <section aria-labelledby="compare-title" className="card stack">
        <h2 id="compare-title">Compare versions</h2>
        <div className="page-actions">
          <SelectField label="From" value={from} onChange={setA} options={options} />
          <SelectField label="To" value={to} onChange={setB} options={options} />
        </div>
        <p aria-live="polite">
          {from === to ? 'The same version.' : diff.length === 0 ? 'No field changed between these versions.' : 'Changed fields: '}
          {from !== to &&
            diff.map((f) => (
              <span key={f} className="tag">
                {f}
              </span>
            ))}
        </p>
      </section>
      {restore.error && <ErrorState error={restore.error} />}
      <table className="table">
        <caption className="visually-hidden">Versions of {secret.name}</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">What</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Changed fields</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{v.action}</td>
              <td>{v.byUsername ?? v.changedBy ?? '—'}</td>
              <td>{when(v.changedAt)}</td>
              <td>
                {v.changedFields.length
                  ? v.changedFields.map((f) => (
                      <span key={f} className="tag">
                        {f}
                      </span>
                    ))
                  : '—'}
              </td>
              <td>
                {v.version !== secret.version && (
                  <Button variant="quiet" onPress={() => restore.mutate(v.version)} aria-label={`Restore version ${v.version}`}>
                    Restore
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
