// The browser session: who is signed in, the forced password change, and the idle lock. Locking
// signs out on the server and drops every cached answer (values, lists) from memory.
import type { WebSession } from '@coffer/contracts/web';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { currentSession, forgetSession, onSessionLost, signOut } from './api.ts';
import { prefetchRoute } from './prefetch.tsx';

export type SessionState =
  | { kind: 'loading' }
  | { kind: 'error'; error: unknown }
  | { kind: 'signed-out'; notice?: string; username?: string }
  | { kind: 'signed-in'; session: WebSession };

interface SessionApi {
  state: SessionState;
  session: WebSession | null;
  adopt(s: WebSession): void;
  signOut(notice?: string): Promise<void>;
  lock(): Promise<void>;
  reload(): void;
}

const Ctx = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const c = useContext(Ctx);
  if (!c) throw new Error('useSession outside SessionProvider');
  return c;
}

/** The signed-in session (inside the shell only). */
export function useMe(): WebSession {
  const s = useSession().session;
  if (!s) throw new Error('no session');
  return s;
}

const INPUT_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    void attempt;
    currentSession().then(
      (s) => {
        if (!live) return;
        if (s && !s.mustChangePassword) prefetchRoute(qc, location.pathname);
        setState(s ? { kind: 'signed-in', session: s } : { kind: 'signed-out' });
      },
      (error: unknown) => live && setState({ kind: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [attempt, qc]);

  const end = useCallback(
    (notice: string | undefined, username: string | undefined) => {
      qc.clear();
      setState({ kind: 'signed-out', ...(notice ? { notice } : {}), ...(username ? { username } : {}) });
    },
    [qc],
  );

  const username = state.kind === 'signed-in' ? state.session.user.username : undefined;

  // a 401 from any call while signed in: the server ended the session (idle, revoked, password
  // changed elsewhere). Answers still arriving after a sign-out or lock are ignored.
  const live = useRef(false);
  live.current = state.kind === 'signed-in';
  useEffect(
    () =>
      onSessionLost(() => {
        if (!live.current) return;
        live.current = false;
        forgetSession();
        end('Your session ended. Sign in again.', username);
      }),
    [end, username],
  );

  const api = useMemo<SessionApi>(
    () => ({
      state,
      session: state.kind === 'signed-in' ? state.session : null,
      adopt: (s) => {
        if (!s.mustChangePassword) prefetchRoute(qc, location.pathname);
        setState({ kind: 'signed-in', session: s });
      },
      signOut: async (notice) => {
        live.current = false;
        await signOut().catch(() => {});
        end(notice, undefined);
      },
      lock: async () => {
        live.current = false;
        end('Locked. Sign in again to go on.', username);
        await signOut().catch(() => {});
      },
      reload: () => {
        setState({ kind: 'loading' });
        setAttempt((a) => a + 1);
      },
    }),
    [state, end, username, qc],
  );

  return (
    <Ctx.Provider value={api}>
      {state.kind === 'signed-in' && <IdleLock seconds={state.session.idleSeconds} onIdle={api.lock} />}
      {children}
    </Ctx.Provider>
  );
}

/** Locks after `seconds` without user input (the server also refuses the cookie after as long without requests). */
function IdleLock({ seconds, onIdle }: { seconds: number; onIdle: () => void }) {
  const last = useRef(Date.now());
  useEffect(() => {
    const touch = () => {
      last.current = Date.now();
    };
    for (const e of INPUT_EVENTS) window.addEventListener(e, touch, { passive: true, capture: true });
    const timer = window.setInterval(() => {
      if (Date.now() - last.current >= seconds * 1000) onIdle();
    }, 1000);
    return () => {
      for (const e of INPUT_EVENTS) window.removeEventListener(e, touch, { capture: true });
      window.clearInterval(timer);
    };
  }, [seconds, onIdle]);
  return null;
}
