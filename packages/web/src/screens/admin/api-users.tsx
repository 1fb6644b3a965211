// API users (bound to a host) and their keys: each key has an expiry and the addresses it may be
// used from; the key itself is shown once.
import type { ApiKey, User } from '@coffer/sdk/client';
import { isPendingApproval } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Checkbox, Empty, ErrorState, Field, Loading, Modalog, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { usersQuery } from '../../lib/queries.ts';
import { CreateUserDialog } from './users.tsx';

export function KeyTable({ keys, onRevoke }: { keys: ApiKey[]; onRevoke: (k: ApiKey) => void }) {
  if (keys.length === 0) return <Empty>No keys.</Empty>;
  return (
    <table className="table">
      <caption className="visually-hidden">API keys</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">From</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k.id}>
            <td>
              {k.name} {k.revoked && <span className="badge bad">revoked</span>}
            </td>
            <td className="mono">{k.allowedCidrs.join(', ')}</td>
            <td>{when(k.expiresAt)}</td>
            <td>{when(k.lastUsedAt)}</td>
            <td>
              {!k.revoked && (
                <Button variant="quiet" className="danger-text" onPress={() => onRevoke(k)} aria-label={`Revoke ${k.name}`}>
                  Revoke
                </Button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Creates a key (for `userId`, or for yourself); re-authenticates; shows the key once. */
export function NewKeyDialog({ userId, onClose }: { userId: string | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [cidrs, setCidrs] = useState('');
  const [days, setDays] = useState('90');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [any, setAny] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const m = useMutation({
    mutationFn: async () => {
      const input = {
        name: name.trim(),
        allowedCidrs: cidrs
          .split(/[\s,]+/)
          .map((c) => c.trim())
          .filter(Boolean),
        expiresAt: new Date(Date.now() + Math.max(1, Number(days) || 90) * 86_400_000).toISOString(),
        currentPassword: password,
        ...(code ? { totpCode: code } : {}),
        ...(any ? { allowAnyAddress: true } : {}),
      };
      const r = userId ? await api.apiKeys.createForUser(userId, input) : await api.apiKeys.createForMe(input);
      setPassword('');
      if (isPendingApproval(r)) return `Waiting for another administrator's approval (${r.request.id}); execute it from Admin requests.`;
      setShown(r.key);
      return null;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <Modalog title="New API key" isOpen onClose={onClose}>
      {shown ? (
        <div className="stack">
          <div className="secret-key" role="alert">
            <p>
              <strong>The key, shown this once.</strong> Store it now: only a keyed hash is kept.
            </p>
            <code className="mono" data-testid="new-api-key">
              {shown}
            </code>
          </div>
          <Button
            variant="primary"
            onPress={() => {
              setShown(null);
              onClose();
            }}
          >
            I have stored it
          </Button>
        </div>
      ) : (
        <Form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            m.mutate();
          }}
        >
          <Field label="Name" value={name} onChange={setName} isRequired autoFocus />
          <Field
            label="Used from"
            description="Addresses or networks, e.g. 10.0.0.15 or 10.0.0.0/24"
            value={cidrs}
            onChange={setCidrs}
            isRequired
          />
          <Checkbox isSelected={any} onChange={setAny}>
            Allow every address (0.0.0.0/0)
          </Checkbox>
          <Field label="Expires in (days)" value={days} onChange={setDays} inputMode="numeric" isRequired />
          <Field label="Your password" type="password" value={password} onChange={setPassword} isRequired autoComplete="current-password" />
          <Field label="Authentication code (with TOTP)" value={code} onChange={setCode} autoComplete="one-time-code" />
          {m.data && <p role="status">{m.data}</p>}
          {m.error && <ErrorState error={m.error} />}
          <div className="dialog-actions">
            <Button onPress={onClose}>Cancel</Button>
            <Button type="submit" variant="primary" isPending={m.isPending}>
              Create key
            </Button>
          </div>
        </Form>
      )}
    </Modalog>
  );
}

/** An API user's keys, loaded when opened (a list of users never waits on one request per user). */
function ApiUserKeys({ user }: { user: User }) {
  const [open, setOpen] = useState(false);
  return (
    <section className="card stack" aria-label={`API user ${user.username}`}>
      <h2>
        {user.username} <span className="badge">{user.role.replace('_', ' ')}</span>
        {user.status !== 'active' && <span className="badge bad">{user.status}</span>}
      </h2>
      <p className="muted">{user.boundHost ? `Bound to host ${user.boundHost}: its keys work only from there.` : 'Not bound to a host.'}</p>
      <div>
        <Button onPress={() => setOpen((o) => !o)} aria-expanded={open}>
          {open ? 'Hide keys' : 'Show keys'}
        </Button>
      </div>
      {open && <Keys user={user} />}
    </section>
  );
}

function Keys({ user }: { user: User }) {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys', user.id], queryFn: () => api.apiKeys.listForUser(user.id) });
  const [creating, setCreating] = useState(false);
  const revoke = useMutation({
    mutationFn: (k: ApiKey) => api.apiKeys.revoke(k.id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <div className="stack">
      {keys.isPending && <Loading />}
      {keys.isError && <ErrorState error={keys.error} />}
      {keys.data && <KeyTable keys={keys.data.items} onRevoke={(k) => revoke.mutate(k)} />}
      {revoke.error && <ErrorState error={revoke.error} />}
      <div>
        <Button onPress={() => setCreating(true)}>New key for {user.username}</Button>
      </div>
      {creating && <NewKeyDialog userId={user.id} onClose={() => setCreating(false)} />}
    </div>
  );
}

export function ApiUsersPanel() {
  const users = useQuery(usersQuery('api'));
  const [creating, setCreating] = useState(false);
  const [message, setMessage] = useState('');
  return (
    <div className="stack">
      <div className="page-actions">
        <Button variant="primary" onPress={() => setCreating(true)}>
          New API user
        </Button>
      </div>
      <p role="status">{message}</p>
      {users.isPending && <Loading />}
      {users.isError && <ErrorState error={users.error} />}
      {users.data && users.data.items.length === 0 && <Empty>No API users yet.</Empty>}
      {users.data?.items.map((u) => (
        <ApiUserKeys key={u.id} user={u} />
      ))}
      {creating && <CreateUserDialog kind="api" onClose={() => setCreating(false)} onDone={setMessage} />}
    </div>
  );
}
