// Attachments: upload with progress, download (a reveal: audited, with a reason when asked).
import type { Secret } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { FileTrigger, ProgressBar } from 'react-aria-components';
import { Button, Empty, ErrorState, Loading, when } from '../../components/ui.tsx';
import { api, withUploadProgress } from '../../lib/api.ts';
import { filesQuery } from '../../lib/queries.ts';
import { useReasonPrompt } from './fields.tsx';

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function FilesPanel({ secret, requireReason }: { secret: Secret; requireReason: boolean }) {
  const qc = useQueryClient();
  const files = useQuery(filesQuery(secret.id));
  const [progress, setProgress] = useState<{ name: string; sent: number; total: number } | null>(null);
  const { ask, dialog } = useReasonPrompt();
  const reason = useRef<string | null>(null);
  const upload = useMutation({
    mutationFn: async (file: File) => {
      setProgress({ name: file.name, sent: 0, total: file.size });
      return withUploadProgress(
        (sent, total) => setProgress({ name: file.name, sent, total }),
        () =>
          api.attachments.upload(secret.id, file, {
            name: file.name,
            ...(file.type ? { contentType: file.type } : {}),
            timeoutMs: 600_000,
          }),
      );
    },
    onSettled: () => setProgress(null),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['attachments', secret.id] });
      await qc.invalidateQueries({ queryKey: ['secret', secret.id] });
    },
  });
  const download = useMutation({
    mutationFn: async (a: { id: string; name: string }) => {
      if (requireReason && !reason.current) {
        reason.current = await ask();
        if (!reason.current) return;
      }
      const file = await api.attachments.download(secret.id, a.id, reason.current ? { reason: reason.current } : {});
      const url = URL.createObjectURL(new Blob([file.content as BlobPart]));
      const link = document.createElement('a');
      link.href = url;
      link.download = file.name || a.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.attachments.delete(secret.id, id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['attachments', secret.id] }),
  });
  return (
    <div className="stack">
      <div className="page-actions">
        <FileTrigger onSelect={(list) => list?.[0] && upload.mutate(list[0])}>
          <Button variant="primary" isDisabled={upload.isPending}>
            Upload a file
          </Button>
        </FileTrigger>
      </div>
      {progress && (
        <ProgressBar
          className="stack"
          value={progress.sent}
          maxValue={progress.total || 1}
          aria-label={`Uploading ${progress.name}`}
          valueLabel={`${size(progress.sent)} of ${size(progress.total)}`}
        >
          {({ percentage, valueText }) => (
            <>
              <span>
                Uploading {progress.name}: {valueText}
              </span>
              <div className="progress-bar">
                <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
              </div>
            </>
          )}
        </ProgressBar>
      )}
      {upload.error && <ErrorState error={upload.error} />}
      {download.error && <ErrorState error={download.error} />}
      {remove.error && <ErrorState error={remove.error} />}
      {files.isPending && <Loading label="Loading files" />}
      {files.isError && <ErrorState error={files.error} onRetry={() => files.refetch()} />}
      {files.data && files.data.items.length === 0 && <Empty>No files attached.</Empty>}
      {files.data && files.data.items.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Files of {secret.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
              <th scope="col">Added</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {files.data.items.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{a.contentType}</td>
                <td>{size(a.size)}</td>
                <td>{when(a.createdAt)}</td>
                <td>
                  <Button variant="quiet" onPress={() => download.mutate(a)} aria-label={`Download ${a.name}`}>
                    Download
                  </Button>
                  <Button variant="quiet" className="danger-text" onPress={() => remove.mutate(a.id)} aria-label={`Delete ${a.name}`}>
                    Delete
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {dialog}
    </div>
  );
}
