// Before the shell: seal status (and unseal by shares), sign-in with TOTP or a recovery code, and
// the forced password change.
import { isCofferError } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, ErrorState, errorText, Field, Loading } from '../components/ui.tsx';
import { api, signIn } from '../lib/api.ts';
import { useSession } from '../lib/session.tsx';

export function SignInScreen({ notice, username: initialUser }: { notice?: string | undefined; username?: string | undefined }) {
  const seal = useQuery({ queryKey: ['seal-status'], queryFn: () => api.sys.sealStatus() });
  return (
    <main className="center-page">
      <div className="card auth-card">
        <div className="brand-large" aria-hidden="true">
          <Logo /> Coffer
        </div>
        {seal.isPending && <Loading label="Checking the server" />}
        {seal.isError && <ErrorState error={seal.error} onRetry={() => seal.refetch()} />}
        {seal.data && !seal.data.initialized && (
          <p role="alert">This server is not initialised yet: start it once with `npm start` to create the administrator.</p>
        )}
        {seal.data?.initialized && seal.data.sealed && <Unseal status={seal.data} />}
        {seal.data?.initialized && !seal.data.sealed && <SignInForm notice={notice} initialUser={initialUser} />}
      </div>
    </main>
  );
}

export function Logo() {
  return (
    <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true">
      <rect x="3" y="6" width="26" height="20" rx="3" fill="currentColor" />
      <circle cx="16" cy="16" r="5" fill="none" stroke="var(--bg, #fff)" strokeWidth="2" />
    </svg>
  );
}

function SignInForm({ notice, initialUser }: { notice?: string | undefined; initialUser?: string | undefined }) {
  const { adopt } = useSession();
  const [username, setUsername] = useState(initialUser ?? '');
  const [password, setPassword] = useState('');
  const [needsSecond, setNeedsSecond] = useState(false);
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const login = useMutation({
    mutationFn: () =>
      signIn({
        username,
        password,
        ...(needsSecond && code ? (useRecovery ? { recoveryCode: code.trim() } : { totpCode: code.trim() }) : {}),
      }),
    onSuccess: (s) => {
      setPassword('');
      setCode('');
      adopt(s);
    },
    onError: (e) => {
      if (isCofferError(e, 'auth.mfa_required')) setNeedsSecond(true);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  const err = login.error && !isCofferError(login.error, 'auth.mfa_required') ? login.error : null;
  return (
    <Form onSubmit={submit} aria-labelledby="signin-title" className="stack">
      <h1 id="signin-title">Sign in</h1>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Field label="Username" name="username" value={username} onChange={setUsername} isRequired autoComplete="username" autoFocus />
      <Field
        label="Password"
        name="password"
        type="password"
        value={password}
        onChange={setPassword}
        isRequired
        autoComplete="current-password"
      />
      {needsSecond && (
        <>
          <p role="status">{useRecovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your authenticator app.'}</p>
          <Field
            label={useRecovery ? 'Recovery code' : 'Authentication code'}
            name="code"
            value={code}
            onChange={setCode}
            isRequired
            autoComplete="one-time-code"
            inputMode={useRecovery ? 'text' : 'numeric'}
            autoFocus
          />
          <Button variant="quiet" onPress={() => setUseRecovery((v) => !v)}>
            {useRecovery ? 'Use an authentication code' : 'Use a recovery code instead'}
          </Button>
        </>
      )}
      {err && (
        <p className="form-error" role="alert">
          {isCofferError(err, 'auth.invalid_credentials')
            ? 'The username, password or code is wrong, or the account is locked.'
            : errorText(err)}
        </p>
      )}
      <Button type="submit" variant="primary" isPending={login.isPending}>
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </Button>
    </Form>
  );
}

function Unseal({ status }: { status: { threshold: number | null; progress: number; mode: string | null } }) {
  const qc = useQueryClient();
  const [share, setShare] = useState('');
  const [nonce, setNonce] = useState<string | null>(null);
  const enter = useMutation({
    mutationFn: () => api.sys.unseal({ share: share.trim() }),
    onSuccess: (s) => {
      setShare('');
      if (s.nonce) setNonce(s.nonce);
      qc.setQueryData(['seal-status'], s);
    },
  });
  const reset = useMutation({
    mutationFn: () => api.sys.unseal({ reset: true, nonce: nonce ?? '' }),
    onSuccess: (s) => {
      setNonce(null);
      qc.setQueryData(['seal-status'], s);
    },
  });
  if (status.mode !== 'shamir') {
    return (
      <div role="alert" className="stack">
        <h1>Sealed</h1>
        <p>The server is sealed. An operator unseals it with the key file (restart the server) — nothing can be done here.</p>
      </div>
    );
  }
  return (
    <Form
      className="stack"
      aria-labelledby="unseal-title"
      onSubmit={(e) => {
        e.preventDefault();
        enter.mutate();
      }}
    >
      <h1 id="unseal-title">Sealed</h1>
      <p>
        The server is sealed. Key holders enter their shares: {status.progress} of {status.threshold} entered.
      </p>
      <progress max={status.threshold ?? 1} value={status.progress} aria-label="Unseal progress" />
      <Field label="Unseal share" name="share" type="password" value={share} onChange={setShare} isRequired autoComplete="off" />
      {enter.error && <ErrorState error={enter.error} />}
      <Button type="submit" variant="primary" isPending={enter.isPending}>
        Enter share
      </Button>
      {nonce && (
        <Button variant="quiet" onPress={() => reset.mutate()}>
          Discard the shares entered so far
        </Button>
      )}
    </Form>
  );
}

export function ChangePasswordScreen() {
  const { session, signOut } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [code, setCode] = useState('');
  const change = useMutation({
    mutationFn: () => api.users.changeOwnPassword(current, next, code ? { totpCode: code } : {}),
    onSuccess: () => signOut('Password changed. Sign in with the new one.'),
  });
  const mismatch = again.length > 0 && next !== again;
  return (
    <main className="center-page">
      <div className="card auth-card">
        <Form
          className="stack"
          aria-labelledby="pw-title"
          onSubmit={(e) => {
            e.preventDefault();
            if (!mismatch) change.mutate();
          }}
        >
          <h1 id="pw-title">Choose a new password</h1>
          <p>
            {session?.user.username}, your password was set by an administrator. Choose your own before going on: at least 15 characters,
            not a common or breached one.
          </p>
          <Field
            label="Current password"
            type="password"
            value={current}
            onChange={setCurrent}
            isRequired
            autoComplete="current-password"
          />
          <Field label="New password" type="password" value={next} onChange={setNext} isRequired autoComplete="new-password" />
          <Field
            label="New password again"
            type="password"
            value={again}
            onChange={setAgain}
            isRequired
            autoComplete="new-password"
            isInvalid={mismatch}
            validate={() => (mismatch ? 'The two passwords differ' : null)}
          />
          <Field label="Authentication code (if you use TOTP)" value={code} onChange={setCode} autoComplete="one-time-code" />
          {change.error && <ErrorState error={change.error} />}
          <Button type="submit" variant="primary" isPending={change.isPending}>
            Change password
          </Button>
          <Button variant="quiet" onPress={() => signOut()}>
            Sign out
          </Button>
        </Form>
      </div>
    </main>
  );
}
