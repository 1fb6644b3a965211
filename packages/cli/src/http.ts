import { CliError, env, ServerError, UsageError } from './cli.ts';

/** GET /api/v1/sys/seal-status (contracts/sys SealStatus). */
export interface SealStatus {
  initialized: boolean;
  sealed: boolean;
  mode: 'keyfile' | 'shamir' | null;
  threshold: number | null;
  shares: number | null;
  progress: number;
  /** Only in the answer to the first share: what a reset of this progress needs. */
  nonce?: string;
}

/** GET /api/v1/sys/keyring (contracts/sys KeyringStatus). */
export interface KeyringStatus {
  activeTerm: number;
  terms: number[];
  reencryption: {
    status: 'idle' | 'pending' | 'running' | 'done' | 'incomplete';
    targetTerm: number | null;
    processed: number;
    total: number;
    percent: number;
    /** Values that failed their integrity check (absent from servers before it was reported). */
    failed?: number;
  };
}

export const DEFAULT_URL = 'http://127.0.0.1:7300';
const TIMEOUT_MS = 30_000;

/** The server's base URL: --url, else COFFER_URL, else the default; without a trailing slash. */
export function serverUrl(flagValue: string | undefined): string {
  const raw = flagValue ?? env('COFFER_URL') ?? DEFAULT_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`the server URL "${raw}" is not a valid URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`the server URL must start with http:// or https://, got "${raw}"`);
  if (u.username || u.password || u.search || u.hash) {
    throw new UsageError('the server URL must not contain credentials, a query or a fragment');
  }
  return u.toString().replace(/\/+$/, '');
}

function describeFetchFailure(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { message?: string; code?: string; errors?: Array<{ message?: string }> } };
  if (err?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const c = err?.cause;
  return c?.message || c?.errors?.[0]?.message || c?.code || err?.message || String(e);
}

/**
 * One JSON request to the native API. Redirects are refused (a token is never re-sent elsewhere);
 * an error envelope becomes a ServerError.
 */
export async function api<T>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new CliError(`cannot reach Coffer at ${base}: ${describeFetchFailure(e)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      throw new ServerError(res.status, e.code, e.message, typeof e.requestId === 'string' ? e.requestId : 'unknown');
    }
    throw new CliError(`HTTP ${res.status} ${res.statusText} from ${base}${path}`);
  }
  if (body === undefined) throw new CliError(`the answer of ${base}${path} is not JSON: is this a Coffer server?`);
  return body as T;
}

/** `Sealed: yes  Progress: 1/3  Mode: shamir` */
export function sealStatusLine(s: SealStatus): string {
  if (!s.initialized) return `Initialized: no  Sealed: ${s.sealed ? 'yes' : 'no'}`;
  const parts = [`Sealed: ${s.sealed ? 'yes' : 'no'}`];
  if (s.sealed) parts.push(`Progress: ${s.progress}/${s.threshold ?? '?'}`);
  parts.push(`Mode: ${s.mode ?? 'unknown'}`);
  return parts.join('  ');
}
