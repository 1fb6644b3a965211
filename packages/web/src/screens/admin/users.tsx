// Users: roles, lockouts (unlock), disable/enable, password reset, create. Gated changes answer
// an admin request (dual control) instead of acting.
import type { Role, User } from '@coffer/sdk/client';
import { isPendingApproval } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { ActionMenu, Button, ConfirmDialog, Empty, ErrorState, Field, Loading, Modalog, SelectField, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { usersQuery } from '../../lib/queries.ts';

export const ROLES: { id: Role; label: string }[] = [
  { id: 'administrator', label: 'Administrator' },
  { id: 'password_administrator', label: 'Password administrator' },
  { id: 'password_auditor', label: 'Password auditor' },
  { id: 'password_user', label: 'Password user' },
];

/** What a gated call answered, in words. */
export function outcome(r: unknown, done: string): string {
  return isPendingApproval(r) ? `Waiting for another administrator's approval (request ${r.request.id}).` : done;
}

export function UsersPanel() {
  const qc = useQueryClient();
  const users = useQuery(usersQuery('human'));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<{ user: User; what: 'role' | 'password' } | null>(null);
  const [message, setMessage] = useState('');
  const [deleting, setDeleting] = useState<User | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['users'] });
  const act = useMutation({
    mutationFn: async ({ user, action }: { user: User; action: string }) => {
      if (action === 'unlock') {
        await api.users.unlock(user.id);
        return `${user.username} unlocked.`;
      }
      if (action === 'disable') return outcome(await api.users.disable(user.id), `${user.username} disabled.`);
      if (action === 'enable') return outcome(await api.users.enable(user.id), `${user.username} enabled.`);
      if (action === 'delete') return outcome(await api.users.delete(user.id), `${user.username} deleted.`);
      return '';
    },
    onSuccess: async (m) => {
      setDeleting(null);
      setMessage(m);
      await refresh();
    },
    onError: () => setDeleting(null),
  });
  return (
    <div className="stack">
      <div className="page-actions">
        <Button variant="primary" onPress={() => setCreating(true)}>
          New user
        </Button>
      </div>
      <p role="status" aria-live="polite">
        {message}
      </p>
      {act.error && <ErrorState error={act.error} />}
      {users.isPending && <Loading label="Loading users" />}
      {users.isError && <ErrorState error={users.error} onRetry={() => users.refetch()} />}
      {users.data && users.data.items.length === 0 && <Empty>No users.</Empty>}
      {users.data && users.data.items.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">TOTP</th>
              <th scope="col">Last login</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((u) => (
              <tr key={u.id}>
                <td>
                  <strong>{u.username}</strong>
                  <br />
                  <small className="muted">{[u.firstName, u.lastName].filter(Boolean).join(' ') || u.email}</small>
                </td>
                <td>
                  {ROLES.find((r) => r.id === u.role)?.label}
                  {u.allPasswords && <span className="badge warn">all passwords</span>}
                </td>
                <td>
                  <span className={`badge ${u.status === 'active' ? 'ok' : 'bad'}`}>{u.status}</span>
                  {u.loginActivity?.locked && (
                    <span className="badge bad">
                      locked{u.loginActivity.hardLocked ? '' : ` until ${when(u.loginActivity.lockedUntil)}`} (
                      {u.loginActivity.failedLogins} failures)
                    </span>
                  )}
                </td>
                <td>{u.totpEnabled ? 'on' : 'off'}</td>
                <td>{when(u.loginActivity?.lastLoginAt)}</td>
                <td>
                  <ActionMenu
                    label={`Actions for ${u.username}`}
                    actions={[
                      { id: 'role', label: 'Change role…' },
                      { id: 'password', label: 'Set a temporary password…' },
                      ...(u.loginActivity?.locked ? [{ id: 'unlock', label: 'Unlock' }] : []),
                      u.status === 'active' ? { id: 'disable', label: 'Disable', danger: true } : { id: 'enable', label: 'Enable' },
                      { id: 'delete', label: 'Delete', danger: true },
                    ]}
                    onAction={(a) =>
                      a === 'role' || a === 'password'
                        ? setEditing({ user: u, what: a })
                        : a === 'delete'
                          ? setDeleting(u)
                          : act.mutate({ user: u, action: a })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete user"
          confirmLabel="Delete"
          onConfirm={() => act.mutate({ user: deleting, action: 'delete' })}
          onClose={() => setDeleting(null)}
          isPending={act.isPending}
        >
          <p>Delete “{deleting.username}”? Their sessions and API keys end, and the account cannot be restored.</p>
        </ConfirmDialog>
      )}
      {creating && <CreateUserDialog kind="human" onClose={() => setCreating(false)} onDone={setMessage} />}
      {editing && <EditUserDialog user={editing.user} what={editing.what} onClose={() => setEditing(null)} onDone={setMessage} />}
    </div>
  );
}

export function CreateUserDialog({ kind, onClose, onDone }: { kind: 'human' | 'api'; onClose: () => void; onDone: (m: string) => void }) {
  const qc = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('password_user');
  const [boundHost, setBoundHost] = useState('');
  const m = useMutation({
    mutationFn: () =>
      api.users.create({
        username: username.trim(),
        kind,
        role,
        ...(kind === 'human' ? { password, ...(email ? { email } : {}) } : boundHost ? { boundHost: boundHost.trim() } : {}),
      }),
    onSuccess: async (r) => {
      onDone(outcome(r, `${username} created.`));
      await qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
  });
  return (
    <Modalog title={kind === 'human' ? 'New user' : 'New API user'} isOpen onClose={onClose}>
      <Form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Username" value={username} onChange={setUsername} isRequired autoFocus />
        {kind === 'human' ? (
          <>
            <Field
              label="Temporary password"
              description="At least 15 characters; they choose their own at the first sign-in"
              type="password"
              value={password}
              onChange={setPassword}
              isRequired
              autoComplete="new-password"
            />
            <Field label="E-mail" type="email" value={email} onChange={setEmail} />
          </>
        ) : (
          <Field
            label="Bound to host"
            description="A host name or address: its keys work only from there (optional)"
            value={boundHost}
            onChange={setBoundHost}
          />
        )}
        <SelectField label="Role" value={role} onChange={(v) => setRole(v as Role)} options={ROLES} />
        {m.error && <ErrorState error={m.error} />}
        <div className="dialog-actions">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isPending={m.isPending}>
            Create
          </Button>
        </div>
      </Form>
    </Modalog>
  );
}

function EditUserDialog({
  user,
  what,
  onClose,
  onDone,
}: {
  user: User;
  what: 'role' | 'password';
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const qc = useQueryClient();
  const [role, setRole] = useState<Role>(user.role);
  const [password, setPassword] = useState('');
  const m = useMutation({
    mutationFn: async () =>
      what === 'role'
        ? outcome(await api.users.update(user.id, { role }), `${user.username} is now ${role.replace('_', ' ')}.`)
        : outcome(await api.users.resetPassword(user.id, password), `A temporary password is set for ${user.username}.`),
    onSuccess: async (msg) => {
      onDone(msg);
      await qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
  });
  return (
    <Modalog title={what === 'role' ? `Role of ${user.username}` : `Temporary password for ${user.username}`} isOpen onClose={onClose}>
      <Form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        {what === 'role' ? (
          <SelectField label="Role" value={role} onChange={(v) => setRole(v as Role)} options={ROLES} />
        ) : (
          <Field
            label="Temporary password"
            type="password"
            value={password}
            onChange={setPassword}
            isRequired
            autoComplete="new-password"
            autoFocus
          />
        )}
        <p className="muted">This ends the user's sessions and keys.</p>
        {m.error && <ErrorState error={m.error} />}
        <div className="dialog-actions">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isPending={m.isPending}>
            Save
          </Button>
        </div>
      </Form>
    </Modalog>
  );
}
