// The contract every remote rotation connector meets (PostgreSQL, MariaDB/MySQL, SSH password,
// SSH key), the error they throw, and the outbound guard every target passes before a connection.
import type { RotationKind } from '../../db/schema-rotation.ts';
import { AppError } from '../../lib/app-error.ts';
import { checkHost, type Resolver, systemResolver, type TargetPolicy } from '../webhooks/target.ts';

/** An account on the target. `secret` is a password, or an OpenSSH private key (kind `key`). Never logged. */
export interface Credential {
  username: string;
  secret: string;
  type: 'password' | 'key';
}

/** Where to connect: the address that passed the guard (never re-resolved), port, options. */
export interface Endpoint {
  /** The host as configured (for messages; connections use `address`). */
  host: string;
  address: string;
  port: number;
  /** Non-secret connector options: `database` (PostgreSQL), `accountHost` (MySQL). */
  options: Readonly<Record<string, string>>;
  /** SSH: the pinned host key fingerprint (`SHA256:…`), or null on first use. */
  hostKey: string | null;
  /** Upper bound of one connector call; below the journal's lease. */
  timeoutMs: number;
}

/**
 * The outcome of a login with a credential. `rejected`: the target answered that the credential is
 * wrong (positive evidence). Anything that is not an answer (no route, timeout, protocol error)
 * is thrown as a ConnectorError: the caller must not conclude anything from it.
 */
export type VerifyResult = { ok: boolean; hostKey?: string };

export interface ChangeInput {
  /** The account whose secret changes, with its current secret. */
  account: Credential;
  /** The new secret (a password, or an OpenSSH private key for `ssh-key`). */
  next: string;
  /** Changes it instead of the account itself when given. */
  privileged: Credential | null;
}

export interface ChangeResult {
  hostKey?: string;
  /** What `finish` needs after promotion (the old public key to remove); never a secret. */
  cleanup?: Record<string, string>;
}

/**
 * One way to change a secret where it is used. Calls are outside any database transaction. A
 * connector never puts a password or key into an error message, a log line, a process argument
 * or a result; errors are ConnectorErrors with a code and a generic message.
 */
export interface RemoteConnector {
  readonly kind: RotationKind;
  /** The secret's field that holds what changes. */
  readonly field: 'password' | 'private-key';
  readonly defaultPort: number;
  /**
   * Logs in with the credential (`ok`), or learns that the target refuses it (`!ok`). The
   * privileged account is given for targets where a login alone proves nothing (PostgreSQL under
   * `trust`): the connector may check the stored verifier through it instead.
   */
  verify(ep: Endpoint, cred: Credential, privileged: Credential | null): Promise<VerifyResult>;
  /** Sets the new secret on the target (idempotent: setting it twice is harmless). */
  change(ep: Endpoint, input: ChangeInput): Promise<ChangeResult>;
  /** After promotion: removes what the old secret still opens (an old SSH key). Idempotent. */
  finish?(ep: Endpoint, input: { account: Credential; privileged: Credential | null; cleanup: Record<string, string> }): Promise<void>;
  /** A new secret other than a generated password (`ssh-key`: a new key pair). */
  generate?(): string;
}

export type ConnectorErrorCode = 'unreachable' | 'timeout' | 'host_key_mismatch' | 'refused' | 'failed' | 'unverifiable';

/** A connector's failure: a code and a fixed message, never text from the target. */
export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  constructor(code: ConnectorErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConnectorError';
    this.code = code;
  }
}

/** Runs `fn` with a deadline; the error on expiry is a ConnectorError('timeout'). */
export async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new ConnectorError('timeout', 'The target did not answer in time.'));
    }, ms);
  });
  try {
    return await Promise.race([fn(ac.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The outbound guard: the target's host resolves only to addresses webhooks may reach (public
 * ones, or those COFFER_WEBHOOK_ALLOWED_TARGETS lists). Checked when a target is saved and again
 * before every connection; connections use the checked address (no DNS rebinding).
 */
export async function checkedAddress(host: string, policy: TargetPolicy, resolve: Resolver = systemResolver): Promise<string> {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const r = await checkHost(h, policy, resolve);
  if (!('refused' in r)) return r.address;
  if (r.refused === 'unresolved')
    throw new AppError('rotation.target_refused', `The host name ${h} of the rotation target does not resolve.`);
  throw new AppError(
    'rotation.target_refused',
    `The rotation target resolves to ${r.address} (${r.why}); rotation may reach such addresses only when COFFER_WEBHOOK_ALLOWED_TARGETS lists them.`,
  );
}

/** Connectors by kind. */
export function createRemoteConnectors(list: RemoteConnector[]) {
  const byKind = new Map<string, RemoteConnector>();
  for (const c of list) {
    if (byKind.has(c.kind)) throw new Error(`remote connector ${c.kind} registered twice`);
    byKind.set(c.kind, c);
  }
  return {
    get(kind: string): RemoteConnector {
      const c = byKind.get(kind);
      if (!c) throw new AppError('conflict', `No rotation connector of kind "${kind}" is available.`);
      return c;
    },
    kinds: () => [...byKind.keys()] as RotationKind[],
  };
}
export type RemoteConnectors = ReturnType<typeof createRemoteConnectors>;
