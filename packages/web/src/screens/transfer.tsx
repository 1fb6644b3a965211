// Import wizard (file -> destination -> dry run report with clashes -> import) and the encrypted
// export.
import type { ImportConflict, ImportFormat, ImportReport } from '@coffer/sdk/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FileTrigger, Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, PageHeader, SelectField } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { guessFormat } from '../lib/format.ts';
import { FolderPicker } from './move-dialog.tsx';

const FORMATS: { id: ImportFormat; label: string }[] = [
  { id: 'csv', label: 'CSV' },
  { id: 'keepass-xml', label: 'KeePass XML (KeePassXC export)' },
  { id: 'bitwarden-json', label: 'Bitwarden JSON (unencrypted)' },
  { id: 'coffer-export', label: 'Coffer export (encrypted)' },
];

function Report({ r }: { r: ImportReport }) {
  return (
    <section className="stack card" aria-labelledby="report-title">
      <h2 id="report-title">{r.dryRun ? 'Dry run: nothing was created' : 'Imported'}</h2>
      <p>
        {r.created} {r.dryRun ? 'would be created' : 'created'}, {r.updated} {r.dryRun ? 'would be updated' : 'updated'}, {r.folders}{' '}
        folders, {r.skipped.length} skipped, {r.clashes.length} name clashes.
      </p>
      {r.clashes.length > 0 && (
        <table className="table">
          <caption>Name clashes ({r.onConflict})</caption>
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Name</th>
              <th scope="col">Folder</th>
              <th scope="col">Clashes with</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {r.clashes.map((c) => (
              <tr key={c.index}>
                <td>{c.index + 1}</td>
                <td>{c.name}</td>
                <td>{c.path || '/'}</td>
                <td>{c.existingIds.length ? `${c.existingIds.length} existing` : `entry ${(c.earlierIndex ?? 0) + 1} of the file`}</td>
                <td>{c.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.skipped.length > 0 && (
        <table className="table">
          <caption>Skipped entries</caption>
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {r.skipped.map((s) => (
              <tr key={s.index}>
                <td>{s.index + 1}</td>
                <td>{s.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.items.length > 0 && (
        <details>
          <summary>{r.items.length} entries</summary>
          <ul>
            {r.items.slice(0, 500).map((i, n) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: report rows in file order
              <li key={n}>
                {i.path || '/'}/{i.name} ({i.template}): {i.outcome}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

export default function TransferScreen() {
  const qc = useQueryClient();
  const [step, setStep] = useState(1);
  const [file, setFile] = useState<{ name: string; content: string } | null>(null);
  const [format, setFormat] = useState<ImportFormat>('csv');
  const [passphrase, setPassphrase] = useState('');
  const [dest, setDest] = useState<{ vaultId: string; folderId: string | null } | null>(null);
  const [onConflict, setOnConflict] = useState<ImportConflict>('skip');
  const [report, setReport] = useState<ImportReport | null>(null);
  const run = useMutation({
    mutationFn: (dryRun: boolean) =>
      api.transfer.import(
        {
          format,
          content: file!.content,
          vaultId: dest!.vaultId,
          ...(dest!.folderId ? { folderId: dest!.folderId } : {}),
          dryRun,
          onConflict,
          ...(format === 'coffer-export' ? { passphrase } : {}),
        },
        { timeoutMs: 600_000 },
      ),
    onSuccess: async (r) => {
      setReport(r);
      setStep(r.dryRun ? 3 : 4);
      if (!r.dryRun) await qc.invalidateQueries({ queryKey: ['secrets'] });
    },
  });
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title="Import and export" />
      <ol className="steps" aria-label="Import steps">
        {['File', 'Destination', 'Dry run', 'Import'].map((s, i) => (
          <li key={s} aria-current={step === i + 1 ? 'step' : undefined}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      {step === 1 && (
        <div className="stack card">
          <FileTrigger
            acceptedFileTypes={['.csv', '.xml', '.json', '.coffer', 'text/csv', 'application/json', 'text/xml']}
            onSelect={async (list) => {
              const f = list?.[0];
              if (!f) return;
              setFile({ name: f.name, content: await f.text() });
              setFormat(guessFormat(f.name));
            }}
          >
            <Button variant="primary">Choose a file</Button>
          </FileTrigger>
          {file && (
            <p>
              {file.name} ({file.content.length.toLocaleString()} characters)
            </p>
          )}
          <SelectField label="Format" value={format} onChange={(v) => setFormat(v as ImportFormat)} options={FORMATS} />
          {format === 'coffer-export' && (
            <Field label="Passphrase of the export" type="password" value={passphrase} onChange={setPassphrase} isRequired />
          )}
          <div>
            <Button variant="primary" isDisabled={!file} onPress={() => setStep(2)}>
              Next
            </Button>
          </div>
        </div>
      )}
      {step === 2 && (
        <div className="stack card">
          <FolderPicker onPick={(vaultId, folderId) => setDest({ vaultId, folderId })} />
          <SelectField
            label="When a name is taken"
            value={onConflict}
            onChange={(v) => setOnConflict(v as ImportConflict)}
            options={[
              { id: 'skip', label: 'Skip the entry' },
              { id: 'update', label: 'Update the existing secret (new version)' },
              { id: 'duplicate', label: 'Create a second one' },
            ]}
          />
          <div className="page-actions">
            <Button onPress={() => setStep(1)}>Back</Button>
            <Button variant="primary" isDisabled={!dest} onPress={() => run.mutate(true)} isPending={run.isPending}>
              Dry run
            </Button>
          </div>
          {run.error && <ErrorState error={run.error} />}
        </div>
      )}
      {step === 3 && report && (
        <div className="stack">
          <Report r={report} />
          <div className="page-actions">
            <Button onPress={() => setStep(2)}>Back</Button>
            <Button variant="primary" onPress={() => run.mutate(false)} isPending={run.isPending}>
              Import now
            </Button>
          </div>
          {run.error && <ErrorState error={run.error} />}
        </div>
      )}
      {step === 4 && report && (
        <div className="stack">
          <Report r={report} />
          <Button
            onPress={() => {
              setStep(1);
              setFile(null);
              run.reset();
              setReport(null);
            }}
          >
            Import another file
          </Button>
        </div>
      )}
      <ExportCard />
    </section>
  );
}

function ExportCard() {
  const [dest, setDest] = useState<{ vaultId: string; folderId: string | null } | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [reason, setReason] = useState('');
  const exp = useMutation({
    mutationFn: async () => {
      const f = await api.transfer.export(
        { vaultId: dest!.vaultId, ...(dest!.folderId ? { folderId: dest!.folderId } : {}), passphrase, ...(reason ? { reason } : {}) },
        { timeoutMs: 600_000 },
      );
      setPassphrase('');
      const url = URL.createObjectURL(new Blob([f.content], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `coffer-export-${new Date().toISOString().slice(0, 10)}.coffer`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      return f.count;
    },
  });
  return (
    <section className="stack card" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p className="muted">
        An encrypted file of what you can reveal below a vault or folder; only its passphrase opens it. Audited as a reveal.
      </p>
      <FolderPicker onPick={(vaultId, folderId) => setDest({ vaultId, folderId })} />
      <Form
        className="page-actions"
        onSubmit={(e) => {
          e.preventDefault();
          exp.mutate();
        }}
      >
        <Field
          label="Passphrase (12+ characters)"
          type="password"
          value={passphrase}
          onChange={setPassphrase}
          isRequired
          autoComplete="new-password"
        />
        <Field label="Reason (when a policy asks)" value={reason} onChange={setReason} />
        <Button type="submit" variant="primary" isDisabled={!dest} isPending={exp.isPending}>
          Export
        </Button>
      </Form>
      {exp.error && <ErrorState error={exp.error} />}
      {exp.data !== undefined &&
        (exp.data === 0 ? <Empty>Nothing to export there.</Empty> : <p role="status">Exported {exp.data} secrets.</p>)}
    </section>
  );
}
