// The audit trail: filterable, paginated by cursor, with the chain verification and an export.
import type { AuditRecord } from '@coffer/sdk/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading, PageHeader, SelectField, when } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { type AuditFilters, auditPageQuery, auditVerifyQuery, noAuditFilters, toAuditQuery } from '../lib/queries.ts';

const VIAS = ['any', 'web', 'native', 'pmp', 'senhasegura', 'secretserver', 'passwork', 'passbolt'];

type Filters = AuditFilters;
const none = noAuditFilters;
const toQuery = toAuditQuery;

export default function AuditScreen() {
  const [draft, setDraft] = useState<Filters>(none);
  const [applied, setApplied] = useState<Filters>(none);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useQuery({ ...auditPageQuery(applied, cursor), placeholderData: (prev) => prev });
  const verify = useQuery(auditVerifyQuery);
  const exporting = useMutation({
    mutationFn: async () => {
      const lines: string[] = [];
      for await (const r of api.audit.export(await toQuery(applied))) lines.push(JSON.stringify(r));
      const url = URL.createObjectURL(new Blob([`${lines.join('\n')}\n`], { type: 'application/jsonl' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `coffer-audit-${new Date().toISOString().slice(0, 10)}.jsonl`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      return lines.length;
    },
  });
  const set = (k: keyof Filters) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="Audit trail">
        <Button onPress={() => exporting.mutate()} isPending={exporting.isPending}>
          Export (JSON lines)
        </Button>
      </PageHeader>
      <section aria-labelledby="verify-title" className="card stack">
        <h2 id="verify-title">Chain verification</h2>
        {verify.isPending && <Loading label="Verifying the chain" />}
        {verify.isError && <ErrorState error={verify.error} onRetry={() => verify.refetch()} />}
        {verify.data &&
          (verify.data.ok ? (
            <p role="status">
              <span className="badge ok">intact</span> {verify.data.records.toLocaleString()} records checked up to #{verify.data.lastSeq}
              {verify.data.macsChecked ? ', MACs verified' : ', MACs not checked'}; {verify.data.checkpoints} signed checkpoints.
            </p>
          ) : (
            <p role="alert">
              <span className="badge bad">broken</span> First bad record: <strong>#{verify.data.firstBad?.seq}</strong> (
              {verify.data.firstBad?.kind}): {verify.data.firstBad?.message}
            </p>
          ))}
        <Button variant="quiet" onPress={() => verify.refetch()}>
          Verify again
        </Button>
      </section>
      <Form
        className="filters"
        aria-label="Filter the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
          setCursors([undefined]);
        }}
      >
        <Field label="Actor (username)" value={draft.actor} onChange={set('actor')} />
        <Field label="Action" description="e.g. secret.reveal or secret.*" value={draft.action} onChange={set('action')} />
        <Field label="Object id" value={draft.object} onChange={set('object')} />
        <SelectField
          label="API used"
          value={draft.via}
          onChange={set('via')}
          options={VIAS.map((v) => ({ id: v, label: v === 'any' ? 'Any' : v }))}
        />
        <Field label="From" type="datetime-local" value={draft.from} onChange={set('from')} />
        <Field label="To" type="datetime-local" value={draft.to} onChange={set('to')} />
        <Button type="submit" variant="primary">
          Apply
        </Button>
        <Button
          onPress={() => {
            setDraft(none);
            setApplied(none);
            setCursors([undefined]);
          }}
        >
          Clear
        </Button>
      </Form>
      {exporting.error && <ErrorState error={exporting.error} />}
      {exporting.data !== undefined && <p role="status">Exported {exporting.data} records.</p>}
      {page.isPending && <Loading label="Loading records" />}
      {page.isError && <ErrorState error={page.error} onRetry={() => page.refetch()} />}
      {page.data && page.data.items.length === 0 && <Empty>No record matches.</Empty>}
      {page.data && page.data.items.length > 0 && <AuditTable items={page.data.items} />}
      <div className="page-actions">
        <Button isDisabled={cursors.length <= 1} onPress={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </Button>
        <span className="muted">Page {cursors.length}</span>
        <Button isDisabled={!page.data?.nextCursor} onPress={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}>
          Older
        </Button>
      </div>
    </section>
  );
}

function AuditTable({ items }: { items: AuditRecord[] }) {
  return (
    <table className="table audit-table">
      <caption className="visually-hidden">Audit records, newest first</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Object</th>
          <th scope="col">API used</th>
          <th scope="col">Outcome</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {items.map((r) => (
          <tr key={r.seq}>
            <td>{r.seq}</td>
            <td>{when(r.time)}</td>
            <td>{r.actorName ?? r.actorKind}</td>
            <td className="mono">{r.action}</td>
            <td className="mono">{r.objectType ? `${r.objectType} ${r.objectId ?? ''}` : '—'}</td>
            <td>{r.via}</td>
            <td>
              <span className={`badge ${r.outcome === 'success' ? 'ok' : 'bad'}`}>{r.outcome}</span>
            </td>
            <td>{r.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
