// Shares: grants made on the secret itself, to a user found by exact username.
import type { Level, Secret } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading, SelectField, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { grantsQuery } from '../../lib/queries.ts';
import { useMe } from '../../lib/session.tsx';

export const LEVELS: { id: Level; label: string }[] = [
  { id: 'list', label: 'List (see it exists)' },
  { id: 'view', label: 'View (metadata)' },
  { id: 'reveal', label: 'Reveal (values)' },
  { id: 'edit', label: 'Edit' },
  { id: 'manage', label: 'Manage (share, grant)' },
];

export function SharingPanel({ secret }: { secret: Secret }) {
  const qc = useQueryClient();
  const me = useMe();
  const grants = useQuery(grantsQuery(secret.id));
  const [username, setUsername] = useState('');
  const [level, setLevel] = useState<Level>('view');
  const [expires, setExpires] = useState('');
  const [names, setNames] = useState<Record<string, string>>({});
  const share = useMutation({
    mutationFn: async () => {
      const user = await api.users.lookup(username.trim());
      setNames((n) => ({ ...n, [user.id]: user.username }));
      return api.secrets.share(secret.id, { userId: user.id, level, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) });
    },
    onSuccess: async () => {
      setUsername('');
      await qc.invalidateQueries({ queryKey: ['grants', secret.id] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.grants.delete(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['grants', secret.id] }),
  });
  const who = (id: string) => (id === me.user.userId ? `${me.user.username} (you)` : (names[id] ?? id));
  return (
    <div className="stack">
      <Form
        className="page-actions"
        aria-label="Share this secret"
        onSubmit={(e) => {
          e.preventDefault();
          share.mutate();
        }}
      >
        <Field label="Share with (exact username)" value={username} onChange={setUsername} isRequired />
        <SelectField label="Level" value={level} onChange={(v) => setLevel(v as Level)} options={LEVELS} />
        <Field label="Until (optional)" type="datetime-local" value={expires} onChange={setExpires} />
        <Button type="submit" variant="primary" isPending={share.isPending}>
          Share
        </Button>
      </Form>
      {share.error && <ErrorState error={share.error} />}
      {revoke.error && <ErrorState error={revoke.error} />}
      {grants.isPending && <Loading />}
      {grants.isError && <ErrorState error={grants.error} />}
      {grants.data && grants.data.items.length === 0 && <Empty>Not shared with anyone directly.</Empty>}
      {grants.data && grants.data.items.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Shares of {secret.name}</caption>
          <thead>
            <tr>
              <th scope="col">With</th>
              <th scope="col">Level</th>
              <th scope="col">Until</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {grants.data.items.map((g) => (
              <tr key={g.id}>
                <td>
                  {g.principalType === 'group' ? 'Group ' : ''}
                  {who(g.principalId)}
                </td>
                <td>{g.level}</td>
                <td>{g.expiresAt ? when(g.expiresAt) : 'no end'}</td>
                <td>
                  <Button
                    variant="quiet"
                    className="danger-text"
                    onPress={() => revoke.mutate(g.id)}
                    aria-label={`Stop sharing with ${who(g.principalId)}`}
                  >
                    Stop sharing
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
