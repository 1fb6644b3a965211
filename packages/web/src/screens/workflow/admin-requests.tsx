// Dual control: administrative operations that another administrator approves, then the
// requester executes once (an API key request re-authenticates; the key is shown once).
import type { AdminRequest } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading, Modalog, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { adminRequestsQuery } from '../../lib/queries.ts';
import { useMe } from '../../lib/session.tsx';
import { stateBadge } from './workflows.tsx';

export function AdminRequestsPanel() {
  const qc = useQueryClient();
  const me = useMe();
  const mine = useQuery(adminRequestsQuery('mine'));
  const pending = useQuery(adminRequestsQuery('pending'));
  const [executing, setExecuting] = useState<AdminRequest | null>(null);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [shownKey, setShownKey] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['admin-requests'] });
  const decide = useMutation({
    mutationFn: ({ id, how }: { id: string; how: 'approve' | 'reject' | 'cancel' }) => api.adminRequests[how](id),
    onSuccess: refresh,
  });
  const execute = useMutation({
    mutationFn: (r: AdminRequest) =>
      api.adminRequests.execute(r.id, password ? { currentPassword: password, ...(code ? { totpCode: code } : {}) } : {}),
    onSuccess: async (res) => {
      setExecuting(null);
      setPassword('');
      setCode('');
      const key = res.apiKey?.key;
      if (key) setShownKey(key);
      await refresh();
    },
  });
  const table = (items: AdminRequest[], caption: string, own: boolean) => (
    <table className="table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">What</th>
          <th scope="col">Requester</th>
          <th scope="col">Reason</th>
          <th scope="col">State</th>
          <th scope="col">Expires</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {items.map((r) => (
          <tr key={r.id}>
            <td>{r.summary}</td>
            <td>{r.requesterName ?? r.requesterId}</td>
            <td>{r.reason ?? '—'}</td>
            <td>{stateBadge(r.state, r.stateLabel)}</td>
            <td>{when(r.expiresAt)}</td>
            <td>
              {!own && r.state === 'waiting_for_approval' && r.requesterId !== me.user.userId && (
                <>
                  <Button variant="primary" onPress={() => decide.mutate({ id: r.id, how: 'approve' })}>
                    Approve
                  </Button>
                  <Button variant="quiet" className="danger-text" onPress={() => decide.mutate({ id: r.id, how: 'reject' })}>
                    Reject
                  </Button>
                </>
              )}
              {own && r.state === 'approved' && (
                <Button variant="primary" onPress={() => setExecuting(r)}>
                  Execute
                </Button>
              )}
              {own && (r.state === 'waiting_for_approval' || r.state === 'approved') && (
                <Button variant="quiet" onPress={() => decide.mutate({ id: r.id, how: 'cancel' })}>
                  Cancel
                </Button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <div className="stack">
      <p className="muted">
        While more than one administrator exists, actions that would let one administrator alone reach secret values wait for another
        administrator's approval; then their requester executes them once.
      </p>
      {(decide.error || execute.error) && <ErrorState error={decide.error ?? execute.error} />}
      {shownKey && (
        <div className="secret-key" role="alert">
          <p>
            <strong>The new API key, shown this once:</strong>
          </p>
          <code className="mono">{shownKey}</code>
          <Button onPress={() => setShownKey(null)}>I have stored it</Button>
        </div>
      )}
      <h2>Waiting for my approval</h2>
      {pending.isPending && <Loading />}
      {pending.isError && <ErrorState error={pending.error} />}
      {pending.data &&
        (pending.data.items.length === 0 ? (
          <Empty>Nothing waits for you.</Empty>
        ) : (
          table(pending.data.items, 'Waiting for my approval', false)
        ))}
      <h2>My requests</h2>
      {mine.isPending && <Loading />}
      {mine.isError && <ErrorState error={mine.error} />}
      {mine.data &&
        (mine.data.items.length === 0 ? (
          <Empty>You have filed no administrative request.</Empty>
        ) : (
          table(mine.data.items, 'My administrative requests', true)
        ))}
      <Modalog title="Execute the request" isOpen={executing !== null} onClose={() => setExecuting(null)}>
        <Form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (executing) execute.mutate(executing);
          }}
        >
          <p>{executing?.summary}</p>
          <p className="muted">An API key is minted now and needs your password (and code, with TOTP).</p>
          <Field
            label="Your password (for API keys)"
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
          />
          <Field label="Authentication code (with TOTP)" value={code} onChange={setCode} autoComplete="one-time-code" />
          <div className="dialog-actions">
            <Button onPress={() => setExecuting(null)}>Cancel</Button>
            <Button type="submit" variant="primary" isPending={execute.isPending}>
              Execute
            </Button>
          </div>
        </Form>
      </Modalog>
    </div>
  );
}
