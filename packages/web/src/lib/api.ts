// The one place the UI talks to the server. Everything goes through the typed SDK over the `/ui`
// surface (the native routes, mounted again behind the session cookie); only the session itself
// (`/ui/session`) is plain fetch. The CSRF token lives in this module's memory: never in storage,
// a URL or the DOM. The session cookie is HttpOnly: script never sees it.
import type { WebSession } from '@coffer/contracts/web';
import { CofferError, createClient, type FetchLike } from '@coffer/sdk/client';
import { CSRF_HEADER, UI_HEADER } from './headers.ts';
import { visibleAnswer } from './visible.ts';

let csrfToken: string | null = null;
const listeners = new Set<(e: CofferError) => void>();

/** Called when any call answers 401: the session is over (idle, revoked, signed out elsewhere). */
export function onSessionLost(fn: (e: CofferError) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let uploadProgress: ((sent: number, total: number) => void) | null = null;

/**
 * Runs `fn` (an SDK upload) with `onProgress` told of the bytes sent: fetch cannot report upload
 * progress, so while it runs a Blob body goes out through XMLHttpRequest instead (same headers,
 * same cookie, same CSRF token).
 */
export async function withUploadProgress<T>(onProgress: (sent: number, total: number) => void, fn: () => Promise<T>): Promise<T> {
  uploadProgress = onProgress;
  try {
    return await fn();
  } finally {
    uploadProgress = null;
  }
}

function xhrFetch(url: string, init: RequestInit, headers: Headers, onProgress: (sent: number, total: number) => void): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(init.method ?? 'POST', url);
    headers.forEach((v, k) => {
      xhr.setRequestHeader(k, v);
    });
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      const h = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) h.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers: h }));
    };
    xhr.onerror = () => reject(new TypeError('network error'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    init.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(init.body as Blob);
  });
}

/** fetch for the SDK: same-origin cookie, the UI header, the CSRF token on unsafe methods; text made visible (lib/visible.ts). */
export const uiFetch: FetchLike = async (url, init) => {
  const headers = new Headers(init.headers);
  headers.set(UI_HEADER, '1');
  const method = (init.method ?? 'GET').toUpperCase();
  if (!SAFE.has(method) && csrfToken) headers.set(CSRF_HEADER, csrfToken);
  const res = await visibleAnswer(
    url,
    uploadProgress && init.body instanceof Blob
      ? await xhrFetch(url, init, headers, uploadProgress)
      : await fetch(url, { ...init, headers, credentials: 'same-origin', cache: 'no-store' }),
  );
  if (res.status === 401 && !url.includes('/ui/session')) {
    const copy = res.clone();
    void copy
      .json()
      .then((body: unknown) => {
        const b = body as { error?: { code?: string; message?: string; requestId?: string } };
        const e = new CofferError({
          code: (b.error?.code ?? 'auth.required') as CofferError['code'],
          message: b.error?.message ?? 'Signed out',
          status: 401,
          requestId: b.error?.requestId ?? '',
        });
        for (const l of listeners) l(e);
      })
      .catch(() => {});
  }
  return res;
};

export const api = createClient({ baseUrl: `${location.origin}/ui`, fetch: uiFetch });
export type Api = typeof api;

async function sessionCall(method: 'GET' | 'POST' | 'DELETE', body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { [UI_HEADER]: '1', accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers[CSRF_HEADER] = csrfToken;
  return fetch(`${location.origin}/ui/session`, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function errorOf(res: Response): Promise<CofferError> {
  let b: { error?: { code?: string; message?: string; requestId?: string } } = {};
  // the envelope, when there is one
  try {
    b = (await res.json()) as typeof b;
  } catch {
    // not the envelope
  }
  return new CofferError({
    code: (b.error?.code ?? 'internal') as CofferError['code'],
    message: b.error?.message ?? `HTTP ${res.status}`,
    status: res.status,
    requestId: b.error?.requestId ?? res.headers.get('x-request-id') ?? '',
    ...(res.headers.has('retry-after') ? { retryAfter: Number(res.headers.get('retry-after')) } : {}),
  });
}

function adopt(s: WebSession): WebSession {
  csrfToken = s.csrfToken;
  return s;
}

/** The live session, or null when there is none (the UI shows the sign-in). */
export async function currentSession(): Promise<WebSession | null> {
  const res = await sessionCall('GET');
  // 401: no live session; 503: sealed (nobody can be signed in; the sign-in screen shows the seal)
  if (res.status === 401 || res.status === 503) {
    // read the refusal to its end: an unread body keeps the request open in the browser
    await res.text().catch(() => '');
    csrfToken = null;
    return null;
  }
  if (!res.ok) throw await errorOf(res);
  return adopt((await res.json()) as WebSession);
}

export interface SignIn {
  username: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
}

/** Signs in: the server sets the HttpOnly cookie and answers the session (with its CSRF token). */
export async function signIn(input: SignIn): Promise<WebSession> {
  const res = await sessionCall('POST', input);
  if (!res.ok) throw await errorOf(res);
  return adopt((await res.json()) as WebSession);
}

/** Ends the session on the server and forgets the CSRF token. */
export async function signOut(): Promise<void> {
  try {
    const res = await sessionCall('DELETE');
    await res.text().catch(() => '');
  } finally {
    csrfToken = null;
  }
}

/** Forgets the CSRF token without a request (the server already ended the session). */
export function forgetSession(): void {
  csrfToken = null;
}
