// An in-memory rotation target (accounts and their passwords) and connectors to it that fail on
// cue: per call, `unreachable` (no answer, nothing done), `lost_reply` (done, but the answer is
// lost), `crash` (the calling process dies before the target acts: the call never returns) and
// `crash_after` (it dies after the target acted). One target, one connector per "process".
import type { RotationKind } from '../src/db/schema-rotation.ts';
import { type ChangeInput, ConnectorError, type Credential, type RemoteConnector } from '../src/modules/rotation/connector.ts';

export type Fault = 'none' | 'unreachable' | 'lost_reply' | 'crash' | 'crash_after';

export interface FakeTarget {
  accounts: Map<string, string>;
  /** Changes applied, in order (for checks; the values are test data). */
  log: string[];
  connector(opts: { faults?: Fault[]; onCrash?: () => void; kind?: RotationKind }): RemoteConnector & { calls: number };
}

const never = () => new Promise<never>(() => {});

export function fakeTarget(): FakeTarget {
  const accounts = new Map<string, string>();
  const log: string[] = [];
  return {
    accounts,
    log,
    connector({ faults = [], onCrash, kind = 'postgres' }) {
      let calls = 0;
      let dead = false;
      const nextFault = (): Fault => faults[calls++] ?? 'none';
      async function around<T>(ep: { port: number }, act: () => T): Promise<T> {
        if (dead) return never();
        if (ep.port === 9) throw new ConnectorError('unreachable', 'The target did not answer.');
        const f = nextFault();
        if (f === 'crash') {
          dead = true;
          onCrash?.();
          return never();
        }
        if (f === 'unreachable') throw new ConnectorError('unreachable', 'The target did not answer.');
        const r = act();
        if (f === 'crash_after') {
          dead = true;
          onCrash?.();
          return never();
        }
        if (f === 'lost_reply') throw new ConnectorError('timeout', 'The target did not answer in time.');
        return r;
      }
      const c = {
        kind,
        field: 'password' as const,
        defaultPort: 5432,
        get calls() {
          return calls;
        },
        verify: (ep: { port: number }, cred: Credential) => around(ep, () => ({ ok: accounts.get(cred.username) === cred.secret })),
        change: (ep: { port: number }, input: ChangeInput) =>
          around(ep, () => {
            const acting = input.privileged ?? input.account;
            if (accounts.get(acting.username) !== acting.secret) throw new ConnectorError('refused', 'The target refused the login.');
            accounts.set(input.account.username, input.next);
            log.push(input.account.username);
            return {};
          }),
      };
      return c;
    },
  };
}
