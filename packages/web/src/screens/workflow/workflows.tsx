// Access workflows: my requests (live), the approver inbox, checkouts, and administrative
// dual-control requests.
import type { AccessRequest, AdminRequest } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form, Link } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading, Modalog, PageHeader, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { inboxQuery, LIVE_MS, myRequestsListQuery, visibleCheckoutsQuery } from '../../lib/queries.ts';
import { useMe } from '../../lib/session.tsx';
import { remaining, useNow } from '../secret/checkout-bar.tsx';
import { AdminRequestsPanel } from './admin-requests.tsx';

const titles: Record<string, string> = {
  requests: 'My access requests',
  inbox: 'Approvals waiting for me',
  checkouts: 'Checkouts',
  'admin-requests': 'Administrative requests',
};

export default function Workflows({ tab }: { tab: string }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title={titles[tab] ?? 'Workflows'} />
      {tab === 'requests' && <MyRequests />}
      {tab === 'inbox' && <Inbox />}
      {tab === 'checkouts' && <Checkouts />}
      {tab === 'admin-requests' && <AdminRequestsPanel />}
      {!titles[tab] && <Empty>Unknown page.</Empty>}
    </section>
  );
}

export function stateBadge(state: string, label: string) {
  const cls =
    state === 'approved' || state === 'checked_out' || state === 'executed'
      ? 'ok'
      : state === 'waiting_for_approval'
        ? 'warn'
        : state === 'rejected' || state === 'revoked'
          ? 'bad'
          : '';
  return <span className={`badge ${cls}`}>{label}</span>;
}

function RequestTable({
  items,
  actions,
  caption,
}: {
  items: AccessRequest[];
  actions: (r: AccessRequest) => React.ReactNode;
  caption: string;
}) {
  return (
    <table className="table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Secret</th>
          <th scope="col">Requester</th>
          <th scope="col">For</th>
          <th scope="col">Reason</th>
          <th scope="col">Window</th>
          <th scope="col">State</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {items.map((r) => (
          <tr key={r.id}>
            <td>
              <Link href={`/secrets/${encodeURIComponent(r.secretId)}`}>{r.secretName}</Link>
            </td>
            <td>{r.requesterName ?? r.requesterId}</td>
            <td>{r.action}</td>
            <td>{r.reason}</td>
            <td>
              {when(r.startAt)} – {when(r.endAt)}
            </td>
            <td>
              {stateBadge(r.state, r.stateLabel)}
              {r.approvals.length > 0 && (
                <small className="muted">
                  {' '}
                  {r.approvals.filter((a) => a.decision === 'approve').length}/{r.approvalsRequired} approvals
                  {r.comment ? ` — “${r.comment}”` : ''}
                </small>
              )}
            </td>
            <td>{actions(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MyRequests() {
  const qc = useQueryClient();
  // live state: refetched while the page is open (approvals happen elsewhere)
  const list = useQuery(myRequestsListQuery);
  const cancel = useMutation({
    mutationFn: (id: string) => api.accessRequests.cancel(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['access-requests'] }),
  });
  const checkout = useMutation({
    mutationFn: (r: AccessRequest) => api.checkouts.start(r.secretId, { requestId: r.id, reason: r.reason }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['access-requests'] });
      await qc.invalidateQueries({ queryKey: ['checkouts'] });
    },
  });
  if (list.isPending) return <Loading label="Loading your requests" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  return (
    <div className="stack">
      <p className="muted" aria-live="polite">
        Updated every {LIVE_MS / 1000} seconds. Request access from a secret's page.
      </p>
      {(cancel.error || checkout.error) && <ErrorState error={cancel.error ?? checkout.error} />}
      {list.data.items.length === 0 ? (
        <Empty>You have no access requests.</Empty>
      ) : (
        <RequestTable
          caption="My access requests"
          items={list.data.items}
          actions={(r) => (
            <>
              {r.state === 'approved' && r.action === 'checkout' && (
                <Button variant="primary" onPress={() => checkout.mutate(r)}>
                  Check out
                </Button>
              )}
              {(r.state === 'waiting_for_approval' || r.state === 'approved') && (
                <Button variant="quiet" onPress={() => cancel.mutate(r.id)} aria-label={`Cancel the request for ${r.secretName}`}>
                  Cancel
                </Button>
              )}
            </>
          )}
        />
      )}
    </div>
  );
}

function Inbox() {
  const qc = useQueryClient();
  const list = useQuery(inboxQuery);
  const [deciding, setDeciding] = useState<{ r: AccessRequest; approve: boolean } | null>(null);
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: ({ r, approve }: { r: AccessRequest; approve: boolean }) =>
      approve ? api.accessRequests.approve(r.id, comment ? { comment } : {}) : api.accessRequests.reject(r.id, comment ? { comment } : {}),
    onSuccess: async () => {
      setDeciding(null);
      setComment('');
      await qc.invalidateQueries({ queryKey: ['access-requests'] });
    },
  });
  if (list.isPending) return <Loading label="Loading the approvals" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  return (
    <div className="stack">
      {list.data.items.length === 0 ? (
        <Empty>Nothing is waiting for your approval.</Empty>
      ) : (
        <RequestTable
          caption="Requests waiting for my approval"
          items={list.data.items}
          actions={(r) => (
            <>
              <Button
                variant="primary"
                onPress={() => setDeciding({ r, approve: true })}
                aria-label={`Approve ${r.requesterName ?? ''} for ${r.secretName}`}
              >
                Approve
              </Button>
              <Button
                variant="quiet"
                className="danger-text"
                onPress={() => setDeciding({ r, approve: false })}
                aria-label={`Reject ${r.requesterName ?? ''} for ${r.secretName}`}
              >
                Reject
              </Button>
            </>
          )}
        />
      )}
      <Modalog
        title={deciding?.approve ? 'Approve the request' : 'Reject the request'}
        isOpen={deciding !== null}
        onClose={() => setDeciding(null)}
      >
        <Form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (deciding) decide.mutate(deciding);
          }}
        >
          <p>
            {deciding?.r.requesterName} asks to {deciding?.r.action} “{deciding?.r.secretName}”: {deciding?.r.reason}
          </p>
          <Field label="Comment (audited)" value={comment} onChange={setComment} autoFocus />
          {decide.error && <ErrorState error={decide.error} />}
          <div className="dialog-actions">
            <Button onPress={() => setDeciding(null)}>Cancel</Button>
            <Button type="submit" variant={deciding?.approve ? 'primary' : 'danger'} isPending={decide.isPending}>
              {deciding?.approve ? 'Approve' : 'Reject'}
            </Button>
          </div>
        </Form>
      </Modalog>
    </div>
  );
}

function Checkouts() {
  const qc = useQueryClient();
  const me = useMe();
  const now = useNow();
  const isAdmin = me.user.role === 'administrator';
  const list = useQuery(visibleCheckoutsQuery);
  const [forcing, setForcing] = useState<{ secretId: string; holder: string } | null>(null);
  const [reason, setReason] = useState('');
  const checkin = useMutation({
    mutationFn: ({ secretId, reason: r }: { secretId: string; reason?: string }) => api.checkouts.checkin(secretId, r ? { reason: r } : {}),
    onSuccess: async () => {
      setForcing(null);
      setReason('');
      await qc.invalidateQueries({ queryKey: ['checkouts'] });
      await qc.invalidateQueries({ queryKey: ['access-requests'] });
    },
  });
  if (list.isPending) return <Loading label="Loading checkouts" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  const active = list.data.items.filter((c) => c.active);
  return (
    <div className="stack">
      {checkin.error && <ErrorState error={checkin.error} />}
      {active.length === 0 ? (
        <Empty>No secret is checked out.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Active checkouts</caption>
          <thead>
            <tr>
              <th scope="col">Secret</th>
              <th scope="col">Holder</th>
              <th scope="col">Since</th>
              <th scope="col">Time left</th>
              <th scope="col">Reason</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {active.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={`/secrets/${encodeURIComponent(c.secretId)}`}>{c.secretName}</Link>
                </td>
                <td>{c.holderId === me.user.userId ? 'you' : (c.holderName ?? c.holderId)}</td>
                <td>{when(c.startedAt)}</td>
                <td>{remaining(c.endsAt, now)}</td>
                <td>{c.reason ?? '—'}</td>
                <td>
                  {c.holderId === me.user.userId ? (
                    <Button
                      variant="primary"
                      onPress={() => checkin.mutate({ secretId: c.secretId })}
                      aria-label={`Check in ${c.secretName}`}
                    >
                      Check in
                    </Button>
                  ) : (
                    isAdmin && (
                      <Button variant="danger" onPress={() => setForcing({ secretId: c.secretId, holder: c.holderName ?? c.holderId })}>
                        Force check-in
                      </Button>
                    )
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Modalog title="Force check-in" isOpen={forcing !== null} onClose={() => setForcing(null)} role="alertdialog">
        <p>End {forcing?.holder}'s checkout now? The reason is audited.</p>
        <Field label="Reason" value={reason} onChange={setReason} isRequired autoFocus />
        <div className="dialog-actions">
          <Button onPress={() => setForcing(null)}>Cancel</Button>
          <Button
            variant="danger"
            isDisabled={!reason.trim()}
            onPress={() => forcing && checkin.mutate({ secretId: forcing.secretId, reason: reason.trim() })}
          >
            Force check-in
          </Button>
        </div>
      </Modalog>
    </div>
  );
}

export type { AdminRequest };
