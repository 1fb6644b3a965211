// Key rotation: a new key term, and the background re-encryption's progress.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ProgressBar } from 'react-aria-components';
import { Button, ErrorState, Loading } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { keyringQuery } from '../../lib/queries.ts';

export function KeyringPanel() {
  const qc = useQueryClient();
  const ring = useQuery({
    ...keyringQuery,
    refetchInterval: (q) => (q.state.data && ['pending', 'running'].includes(q.state.data.reencryption.status) ? 1000 : false),
  });
  const rotate = useMutation({ mutationFn: () => api.sys.rotateKey(), onSuccess: (r) => qc.setQueryData(['keyring'], r) });
  if (ring.isPending) return <Loading />;
  if (ring.isError) return <ErrorState error={ring.error} onRetry={() => ring.refetch()} />;
  const r = ring.data.reencryption;
  return (
    <div className="stack card">
      <p>
        Active key term: <strong>{ring.data.activeTerm}</strong> (terms in use: {ring.data.terms.join(', ')})
      </p>
      <ProgressBar
        className="stack"
        value={r.percent}
        aria-label="Re-encryption"
        valueLabel={`${r.processed} of ${r.total} values (${r.percent.toFixed(0)} %)`}
      >
        {({ valueText }) => (
          <>
            <span>
              Re-encryption {r.status}
              {r.targetTerm !== null ? ` to term ${r.targetTerm}` : ''}: {valueText}
              {r.failed > 0 ? `, ${r.failed} failed their integrity check` : ''}
            </span>
            <div className="progress-bar">
              <div className="progress-fill" style={{ width: `${r.percent}%` }} />
            </div>
          </>
        )}
      </ProgressBar>
      {rotate.error && <ErrorState error={rotate.error} />}
      <div>
        <Button
          variant="primary"
          onPress={() => rotate.mutate()}
          isPending={rotate.isPending}
          isDisabled={r.status === 'running' || r.status === 'pending'}
        >
          Rotate the key
        </Button>
      </div>
      <p className="muted">New writes use the new term at once; older values are re-encrypted in the background.</p>
    </div>
  );
}
