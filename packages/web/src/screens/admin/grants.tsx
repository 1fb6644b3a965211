// Grants on a vault or folder: to a user or a group, at a level, optionally until a time.
import type { Level } from '@coffer/sdk/client';
import { isPendingApproval } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading, SelectField, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { groupsQuery, usersQuery } from '../../lib/queries.ts';
import { FolderPicker } from '../move-dialog.tsx';
import { LEVELS } from '../secret/sharing.tsx';

export function GrantsPanel() {
  const qc = useQueryClient();
  const [node, setNode] = useState<string | null>(null);
  const grants = useQuery({ queryKey: ['grants', node], queryFn: () => api.grants.list(node!), enabled: node !== null });
  const groups = useQuery(groupsQuery);
  const users = useQuery(usersQuery('all'));
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [principal, setPrincipal] = useState('');
  const [level, setLevel] = useState<Level>('view');
  const [until, setUntil] = useState('');
  const [message, setMessage] = useState('');
  const add = useMutation({
    mutationFn: async () => {
      const principalId = kind === 'user' ? (await api.users.lookup(principal.trim())).id : principal;
      const r: unknown = await api.grants.create({
        nodeId: node!,
        principalType: kind,
        principalId,
        level,
        ...(until ? { expiresAt: new Date(until).toISOString() } : {}),
      });
      return isPendingApproval(r) ? `Waiting for another administrator's approval (${r.request.id}).` : 'Granted.';
    },
    onSuccess: (m) => {
      setMessage(m);
      return qc.invalidateQueries({ queryKey: ['grants', node] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.grants.delete(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['grants', node] }),
  });
  const nameOf = (type: string, id: string) =>
    type === 'group'
      ? `group ${groups.data?.items.find((g) => g.id === id)?.name ?? id}`
      : (users.data?.items.find((u) => u.id === id)?.username ?? id);
  return (
    <div className="grid-2">
      <section className="stack" aria-labelledby="grant-node">
        <h2 id="grant-node">Vault or folder</h2>
        <FolderPicker onPick={(v, f) => setNode(f ?? v)} />
      </section>
      <section className="stack" aria-labelledby="grant-list">
        <h2 id="grant-list">Grants made here</h2>
        {!node && <Empty>Choose a vault or folder.</Empty>}
        {node && grants.isPending && <Loading />}
        {grants.isError && <ErrorState error={grants.error} />}
        {grants.data && grants.data.items.length === 0 && <Empty>No grants made here (inherited ones apply).</Empty>}
        {grants.data && grants.data.items.length > 0 && (
          <table className="table">
            <caption className="visually-hidden">Grants</caption>
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Level</th>
                <th scope="col">Until</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {grants.data.items.map((g) => (
                <tr key={g.id}>
                  <td>{nameOf(g.principalType, g.principalId)}</td>
                  <td>{g.level}</td>
                  <td>{g.expiresAt ? when(g.expiresAt) : 'no end'}</td>
                  <td>
                    <Button variant="quiet" className="danger-text" onPress={() => revoke.mutate(g.id)}>
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {node && (
          <Form
            className="stack card"
            aria-label="New grant"
            onSubmit={(e) => {
              e.preventDefault();
              add.mutate();
            }}
          >
            <SelectField
              label="To a"
              value={kind}
              onChange={(v) => {
                setKind(v as 'user' | 'group');
                setPrincipal('');
              }}
              options={[
                { id: 'user', label: 'User' },
                { id: 'group', label: 'Group' },
              ]}
            />
            {kind === 'user' ? (
              <Field label="Username" value={principal} onChange={setPrincipal} isRequired />
            ) : (
              <SelectField
                label="Group"
                value={principal || null}
                onChange={setPrincipal}
                options={(groups.data?.items ?? []).map((g) => ({ id: g.id, label: g.name }))}
              />
            )}
            <SelectField label="Level" value={level} onChange={(v) => setLevel(v as Level)} options={LEVELS} />
            <Field label="Until (optional)" type="datetime-local" value={until} onChange={setUntil} />
            <Button type="submit" variant="primary" isPending={add.isPending}>
              Grant
            </Button>
            <p role="status">{message}</p>
            {(add.error || revoke.error) && <ErrorState error={add.error ?? revoke.error} />}
          </Form>
        )}
      </section>
    </div>
  );
}
