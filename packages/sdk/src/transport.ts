// The one place that talks HTTP: credentials, timeouts, error envelopes, and the refresh of an
// expired session. Invariants:
// - a token or key is only ever sent to the configured base URL: redirects are never followed;
// - a failed request is retried at most once, and only after a refresh caused by its own
//   401 auth.invalid_token; concurrent failures share one refresh (a refresh token is single use,
//   and reusing one makes the server revoke the whole session family);
// - error messages name the method and path, never the query string, a credential or a body.
import { CofferError, CofferTransportError, type ErrorCode, type ErrorDetail } from './errors.ts';
import type { TokenPair } from './types.ts';

/** The subset of the fetch API the SDK needs; pass your own to add proxies, tracing or mocks. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  token?: string | undefined;
  refreshToken?: string | undefined;
  apiKey?: string | undefined;
  onTokens?: ((tokens: TokenPair) => void | Promise<void>) | undefined;
  fetch?: FetchLike | undefined;
  timeoutMs?: number | undefined;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

export interface Call {
  method: Method;
  /** Path below the base URL, starting with `/`; ids already encoded (see `seg`). */
  path: string;
  query?: object | undefined;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is; must be re-readable (a call may be sent twice, around a refresh). */
  rawBody?: { content: Uint8Array | ArrayBuffer | Blob | string; contentType: string } | undefined;
  headers?: Record<string, string> | undefined;
  /**
   * `user` (default): send the session token, else the API key; refresh on expiry.
   * `apikey`: send the API key only. `public`: send no credential at all.
   */
  auth?: 'user' | 'apikey' | 'public';
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number | undefined;
}

/** How the body of a successful answer is read: all as text, all as bytes, or left as a stream. */
export type ReadMode = 'text' | 'bytes' | 'stream';

/** A successful answer. */
export interface Answer {
  status: number;
  headers: Headers;
  /** The body text (`text` mode, and every error answer). */
  text: string;
  /** The body (`bytes` mode). */
  bytes: Uint8Array | null;
  /** The unread body (streaming calls). */
  stream: ReadableStream<Uint8Array> | null;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Encodes one path segment (an id, a version). */
export function seg(v: string | number): string {
  return encodeURIComponent(String(v));
}

/** `http://host:7300/` -> `http://host:7300`; refuses what cannot be a Coffer base URL. */
export function normalizeBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TypeError('baseUrl is not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError('baseUrl must start with http:// or https://');
  if (u.username || u.password || u.search || u.hash) throw new TypeError('baseUrl must not contain credentials, a query or a fragment');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

function queryString(q: object | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q) as [string, QueryValue][]) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, String(item));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

function describeCause(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string; errors?: Array<{ message?: string }> } } | undefined;
  const c = err?.cause;
  return c?.code || c?.message || c?.errors?.[0]?.message || err?.message || String(e);
}

export function createTransport(opts: TransportOptions) {
  const base = normalizeBaseUrl(opts.baseUrl);
  const doFetch: FetchLike = opts.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const state = { accessToken: opts.token, refreshToken: opts.refreshToken, apiKey: opts.apiKey };
  let refreshing: Promise<TokenPair> | undefined;

  function credential(call: Call): { bearer: string | undefined; session: boolean } {
    const mode = call.auth ?? 'user';
    if (mode === 'public') return { bearer: undefined, session: false };
    if (mode === 'apikey') return { bearer: state.apiKey, session: false };
    if (state.accessToken) return { bearer: state.accessToken, session: true };
    return { bearer: state.apiKey, session: false };
  }

  /** One HTTP exchange. Reads the whole body, unless `stream` mode and the answer is a success. */
  async function roundTrip(call: Call, bearer: string | undefined, mode: ReadMode): Promise<Answer> {
    const where = `${call.method} ${call.path}`;
    const limitMs = call.timeoutMs ?? timeoutMs;
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let body: string | Uint8Array | ArrayBuffer | Blob | undefined;
    if (call.rawBody) {
      headers['content-type'] = call.rawBody.contentType;
      body = call.rawBody.content;
    } else if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limitMs);
    const fail = (e: unknown): never => {
      if (timedOut)
        throw new CofferTransportError('timeout', `Coffer at ${base} did not answer ${where} within ${limitMs} ms`, { cause: e });
      throw new CofferTransportError('network', `Cannot reach Coffer at ${base} (${where}): ${describeCause(e)}`, { cause: e });
    };
    try {
      let res: Response;
      try {
        res = await doFetch(`${base}${call.path}${queryString(call.query)}`, {
          method: call.method,
          headers,
          ...(body !== undefined ? { body: body as RequestInit['body'] } : {}),
          redirect: 'manual',
          signal: controller.signal,
        });
      } catch (e) {
        return fail(e);
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => {});
        throw new CofferTransportError('protocol', `Coffer at ${base} redirected ${where}; redirects are not followed`, {
          status: res.status,
        });
      }
      const answer: Answer = { status: res.status, headers: res.headers, text: '', bytes: null, stream: null };
      // a streamed body is no longer under the timeout once the answer has started
      if (mode === 'stream' && res.ok) return { ...answer, stream: res.body };
      try {
        if (mode === 'bytes' && res.ok) return { ...answer, bytes: new Uint8Array(await res.arrayBuffer()) };
        return { ...answer, text: await res.text() };
      } catch (e) {
        return fail(e);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  function toError(call: Call, a: Answer): Error {
    let body: unknown;
    try {
      body = a.text ? JSON.parse(a.text) : undefined;
    } catch {
      body = undefined;
    }
    const e = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown } } | undefined)?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      const retry = Number(a.headers.get('retry-after'));
      return new CofferError({
        code: e.code as ErrorCode,
        message: e.message,
        status: a.status,
        requestId: typeof e.requestId === 'string' ? e.requestId : (a.headers.get('x-request-id') ?? 'unknown'),
        ...(Array.isArray(e.details) ? { details: e.details as ErrorDetail[] } : {}),
        ...(a.headers.has('retry-after') && Number.isFinite(retry) ? { retryAfter: retry } : {}),
      });
    }
    return new CofferTransportError('protocol', `HTTP ${a.status} from ${base} (${call.method} ${call.path}) without a Coffer error body`, {
      status: a.status,
    });
  }

  async function adopt(pair: TokenPair): Promise<void> {
    state.accessToken = pair.accessToken;
    state.refreshToken = pair.refreshToken;
    await opts.onTokens?.(pair);
  }

  /** Exchanges the refresh token for new tokens; concurrent callers share one exchange. */
  function refresh(): Promise<TokenPair> {
    refreshing ??= (async () => {
      const used = state.refreshToken;
      if (!used) throw new Error('Coffer SDK: no refresh token is known to this client');
      try {
        const pair = await json<TokenPair>({ method: 'POST', path: '/api/v1/auth/refresh', body: { refreshToken: used }, auth: 'public' });
        await adopt(pair);
        return pair;
      } catch (e) {
        // a refused refresh token is dead (used, expired or revoked): never send it again
        if (e instanceof CofferError && e.status === 401 && state.refreshToken === used) state.refreshToken = undefined;
        throw e;
      }
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  /** Sends the call; on 401 auth.invalid_token of a session token, refreshes once and retries once. */
  async function perform(call: Call, mode: ReadMode): Promise<Answer> {
    const first = credential(call);
    let a = await roundTrip(call, first.bearer, mode);
    if (a.status === 401 && first.session) {
      const err = toError(call, a);
      if (!(err instanceof CofferError) || err.code !== 'auth.invalid_token') throw err;
      // another call may have refreshed (or the caller logged in) while this one was in flight
      if (state.accessToken === first.bearer) {
        if (!state.refreshToken) throw err;
        await refresh();
      }
      const second = credential(call);
      if (!second.bearer || second.bearer === first.bearer) throw err;
      a = await roundTrip(call, second.bearer, mode);
    }
    if (a.status < 200 || a.status >= 300) throw toError(call, a);
    return a;
  }

  /** A call answered with JSON (or nothing, for 204). */
  async function json<T>(call: Call): Promise<T> {
    return (await jsonWithHeaders<T>(call)).body;
  }

  async function jsonWithHeaders<T>(call: Call): Promise<{ body: T; headers: Headers }> {
    const a = await perform(call, 'text');
    if (a.status === 204 || a.text === '') return { body: undefined as T, headers: a.headers };
    try {
      return { body: JSON.parse(a.text) as T, headers: a.headers };
    } catch {
      throw new CofferTransportError(
        'protocol',
        `The answer of ${base} to ${call.method} ${call.path} is not JSON: is this a Coffer server?`,
        {
          status: a.status,
        },
      );
    }
  }

  /** A call answered with JSON lines, parsed one by one as they arrive. */
  async function* jsonLines<T>(call: Call): AsyncGenerator<T, void, undefined> {
    const a = await perform({ ...call, headers: { accept: 'application/jsonl, application/json', ...call.headers } }, 'stream');
    if (!a.stream) return;
    // typed for both Node's and the DOM's stream typings (the SDK also runs in the web UI)
    const reader = a.stream.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
    const parse = (line: string): T => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new CofferTransportError('protocol', `A line of ${call.method} ${call.path} is not JSON`);
      }
    };
    let buf = '';
    try {
      for (;;) {
        const chunk = await reader.read().catch((e: unknown) => {
          throw new CofferTransportError('network', `The answer of ${base} to ${call.method} ${call.path} broke off: ${describeCause(e)}`, {
            cause: e,
          });
        });
        if (chunk.done) break;
        buf += chunk.value;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) yield parse(line);
          nl = buf.indexOf('\n');
        }
      }
      if (buf.trim()) yield parse(buf.trim());
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  return {
    base,
    perform,
    json,
    jsonWithHeaders,
    jsonLines,
    refresh,
    adopt,
    /** Forgets the session tokens (after a logout); an API key, if any, stays. */
    forgetSession(): void {
      state.accessToken = undefined;
      state.refreshToken = undefined;
    },
    hasApiKey: (): boolean => state.apiKey !== undefined,
  };
}

export type Transport = ReturnType<typeof createTransport>;
