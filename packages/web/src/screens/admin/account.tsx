// The signed-in user's own account: API keys, TOTP.
import type { ApiKey } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, ErrorState, Field, Loading } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { myKeysQuery } from '../../lib/queries.ts';
import { useMe } from '../../lib/session.tsx';
import { KeyTable, NewKeyDialog } from './api-users.tsx';

export function AccountPanel() {
  const me = useMe();
  const qc = useQueryClient();
  const keys = useQuery(myKeysQuery);
  const [creating, setCreating] = useState(false);
  const revoke = useMutation({
    mutationFn: (k: ApiKey) => api.apiKeys.revoke(k.id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <div className="grid-2">
      <section className="stack" aria-labelledby="my-keys">
        <h2 id="my-keys">My API keys</h2>
        <p className="muted">
          Signed in as <strong>{me.user.username}</strong> ({me.user.role.replace('_', ' ')}).
        </p>
        {keys.isPending && <Loading />}
        {keys.isError && <ErrorState error={keys.error} />}
        {keys.data && <KeyTable keys={keys.data.items} onRevoke={(k) => revoke.mutate(k)} />}
        <div>
          <Button onPress={() => setCreating(true)}>New API key</Button>
        </div>
        {creating && <NewKeyDialog userId={null} onClose={() => setCreating(false)} />}
      </section>
      <Totp />
    </div>
  );
}

function Totp() {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const begin = useMutation({ mutationFn: () => api.totp.begin({ currentPassword: password }), onSuccess: () => setPassword('') });
  const confirm = useMutation({ mutationFn: () => api.totp.confirm(code.trim()) });
  return (
    <section className="stack" aria-labelledby="totp-title">
      <h2 id="totp-title">Two-factor sign-in (TOTP)</h2>
      {confirm.data ? (
        <div className="secret-key" role="alert">
          <p>
            <strong>TOTP is on. Your recovery codes, shown this once</strong> (each works once):
          </p>
          <ul className="mono">
            {confirm.data.recoveryCodes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </div>
      ) : begin.data ? (
        <Form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            confirm.mutate();
          }}
        >
          <p>Add this key to your authenticator app, then enter the code it shows.</p>
          <code className="mono secret-key">{begin.data.secret}</code>
          <Field label="Code" value={code} onChange={setCode} isRequired inputMode="numeric" autoComplete="one-time-code" />
          {confirm.error && <ErrorState error={confirm.error} />}
          <Button type="submit" variant="primary" isPending={confirm.isPending}>
            Turn on
          </Button>
        </Form>
      ) : (
        <Form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            begin.mutate();
          }}
        >
          <Field label="Your password" type="password" value={password} onChange={setPassword} isRequired autoComplete="current-password" />
          {begin.error && <ErrorState error={begin.error} />}
          <Button type="submit" isPending={begin.isPending}>
            Set up TOTP
          </Button>
        </Form>
      )}
    </section>
  );
}
