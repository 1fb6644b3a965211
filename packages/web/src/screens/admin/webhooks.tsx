// Webhooks: create (the signing secret shown once), enable/disable, test, delivery log, delete.

import { webhookEventTypes } from '@coffer/contracts/webhooks';
import type { SubscribableEventType, Webhook } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Checkbox, Empty, ErrorState, Field, Loading, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { webhooksQuery } from '../../lib/queries.ts';

const EVENTS = webhookEventTypes.filter((e) => e !== 'ping') as SubscribableEventType[];

function Deliveries({ hook }: { hook: Webhook }) {
  const d = useQuery({
    queryKey: ['deliveries', hook.id],
    queryFn: () => api.webhooks.deliveries(hook.id, { limit: 20 }),
    refetchInterval: 5000,
  });
  if (d.isPending) return <Loading />;
  if (d.isError) return <ErrorState error={d.error} />;
  if (d.data.items.length === 0) return <Empty>No deliveries yet.</Empty>;
  return (
    <table className="table">
      <caption className="visually-hidden">Deliveries of {hook.url}</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">State</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last status</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      <tbody>
        {d.data.items.map((x) => (
          <tr key={x.id}>
            <td className="mono">{x.eventType}</td>
            <td>
              <span className={`badge ${x.state === 'delivered' ? 'ok' : x.state === 'failed' ? 'bad' : 'warn'}`}>{x.state}</span>
            </td>
            <td>{x.attempts}</td>
            <td>
              {x.lastStatus ?? '—'} {x.lastError ? <small className="muted">{x.lastError}</small> : null}
            </td>
            <td>{when(x.deliveredAt ?? x.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function WebhooksPanel() {
  const qc = useQueryClient();
  const hooks = useQuery(webhooksQuery);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<Set<SubscribableEventType>>(new Set(EVENTS));
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['webhooks'] });
  const create = useMutation({
    mutationFn: () => api.webhooks.create({ url: url.trim(), events: [...events] }),
    onSuccess: (r) => {
      setSecret(r.secret);
      setUrl('');
      return refresh();
    },
  });
  const act = useMutation({
    mutationFn: async ({ h, what }: { h: Webhook; what: 'toggle' | 'test' | 'delete' }) => {
      if (what === 'toggle') await api.webhooks.update(h.id, { enabled: !h.enabled });
      if (what === 'test') await api.webhooks.test(h.id);
      if (what === 'delete') await api.webhooks.delete(h.id);
    },
    onSuccess: async () => {
      await refresh();
      await qc.invalidateQueries({ queryKey: ['deliveries'] });
    },
  });
  return (
    <div className="stack">
      <Form
        className="stack card"
        aria-label="New webhook"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label="Target URL" type="url" value={url} onChange={setUrl} isRequired />
        <fieldset className="page-actions">
          <legend>Events</legend>
          {EVENTS.map((ev) => (
            <Checkbox
              key={ev}
              isSelected={events.has(ev)}
              onChange={(v) => {
                const n = new Set(events);
                if (v) n.add(ev);
                else n.delete(ev);
                setEvents(n);
              }}
            >
              {ev}
            </Checkbox>
          ))}
        </fieldset>
        <Button type="submit" variant="primary" isPending={create.isPending}>
          Add webhook
        </Button>
        {create.error && <ErrorState error={create.error} />}
      </Form>
      {secret && (
        <div className="secret-key" role="alert">
          <p>
            <strong>The signing secret, shown this once:</strong>
          </p>
          <code className="mono">{secret}</code> <Button onPress={() => setSecret(null)}>I have stored it</Button>
        </div>
      )}
      {act.error && <ErrorState error={act.error} />}
      {hooks.isPending && <Loading />}
      {hooks.isError && <ErrorState error={hooks.error} />}
      {hooks.data && hooks.data.items.length === 0 && <Empty>No webhooks.</Empty>}
      {hooks.data?.items.map((h) => (
        <section key={h.id} className="card stack" aria-label={`Webhook ${h.url}`}>
          <h2 className="mono">{h.url}</h2>
          <p>
            <span className={`badge ${h.enabled ? 'ok' : 'bad'}`}>{h.enabled ? 'enabled' : 'disabled'}</span> {h.events.join(', ')}
          </p>
          <div className="page-actions">
            <Button onPress={() => act.mutate({ h, what: 'toggle' })}>{h.enabled ? 'Disable' : 'Enable'}</Button>
            <Button onPress={() => act.mutate({ h, what: 'test' })}>Send a test</Button>
            <Button onPress={() => setOpen(open === h.id ? null : h.id)} aria-expanded={open === h.id}>
              Delivery log
            </Button>
            <Button variant="quiet" className="danger-text" onPress={() => act.mutate({ h, what: 'delete' })}>
              Delete
            </Button>
          </div>
          {open === h.id && <Deliveries hook={h} />}
        </section>
      ))}
    </div>
  );
}
