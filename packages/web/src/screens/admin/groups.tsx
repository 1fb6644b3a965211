import type { Group } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { groupsQuery, usersQuery } from '../../lib/queries.ts';
import { outcome } from './users.tsx';

export function GroupsPanel() {
  const qc = useQueryClient();
  const groups = useQuery(groupsQuery);
  const users = useQuery(usersQuery('all'));
  const [name, setName] = useState('');
  const [member, setMember] = useState<Record<string, string>>({});
  const [message, setMessage] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: ['groups'] });
  const create = useMutation({
    mutationFn: () => api.groups.create({ name: name.trim() }),
    onSuccess: () => {
      setName('');
      return refresh();
    },
  });
  const add = useMutation({
    mutationFn: async (g: Group) => {
      const u = await api.users.lookup((member[g.id] ?? '').trim());
      return outcome(await api.groups.addMember(g.id, u.id), `${u.username} added to ${g.name}.`);
    },
    onSuccess: (m) => {
      setMessage(m);
      return refresh();
    },
  });
  const remove = useMutation({ mutationFn: ({ g, u }: { g: Group; u: string }) => api.groups.removeMember(g.id, u), onSuccess: refresh });
  const del = useMutation({ mutationFn: (g: Group) => api.groups.delete(g.id), onSuccess: refresh });
  const nameOf = (id: string) => users.data?.items.find((u) => u.id === id)?.username ?? id;
  return (
    <div className="stack">
      <Form
        className="page-actions"
        aria-label="New group"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label="New group" value={name} onChange={setName} isRequired />
        <Button type="submit" variant="primary" isPending={create.isPending}>
          Create
        </Button>
      </Form>
      <p role="status">{message}</p>
      {(create.error || add.error || remove.error || del.error) && (
        <ErrorState error={create.error ?? add.error ?? remove.error ?? del.error} />
      )}
      {groups.isPending && <Loading />}
      {groups.isError && <ErrorState error={groups.error} />}
      {groups.data && groups.data.items.length === 0 && <Empty>No groups yet.</Empty>}
      <div className="card-grid">
        {groups.data?.items.map((g) => (
          <section key={g.id} className="card stack" aria-label={`Group ${g.name}`}>
            <h2>{g.name}</h2>
            <ul>
              {g.members.map((u) => (
                <li key={u}>
                  {nameOf(u)}{' '}
                  <Button variant="quiet" onPress={() => remove.mutate({ g, u })} aria-label={`Remove ${nameOf(u)} from ${g.name}`}>
                    Remove
                  </Button>
                </li>
              ))}
              {g.members.length === 0 && <li className="muted">No members</li>}
            </ul>
            <Form
              className="page-actions"
              onSubmit={(e) => {
                e.preventDefault();
                add.mutate(g);
              }}
            >
              <Field
                label="Add member (username)"
                value={member[g.id] ?? ''}
                onChange={(v) => setMember({ ...member, [g.id]: v })}
                isRequired
              />
              <Button type="submit">Add</Button>
            </Form>
            <Button variant="quiet" className="danger-text" onPress={() => del.mutate(g)}>
              Delete group
            </Button>
          </section>
        ))}
      </div>
    </div>
  );
}
