// The web UI's side of the HTTP tests: requests to /ui as the UI's script sends them (X-Coffer-UI,
// the session cookie, X-CSRF-Token on unsafe methods), through the real server (inject).
import type { Harness, Res } from './harness.ts';

export interface UiSession {
  /** `name=value` for the Cookie header. */
  cookie: string;
  /** The whole Set-Cookie line the server sent. */
  setCookie: string;
  csrfToken: string;
  // biome-ignore lint/suspicious/noExplicitAny: the WebSession answer, read field by field by the tests
  body: any;
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One request as the UI sends it; `session` adds the cookie and (unsafe methods) the CSRF token. */
export async function ui(
  h: Pick<Harness, 'app'>,
  method: Method,
  url: string,
  opts: { session?: Pick<UiSession, 'cookie' | 'csrfToken'>; body?: unknown; headers?: Record<string, string>; uiHeader?: false } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (opts.uiHeader !== false) headers['x-coffer-ui'] = '1';
  if (opts.session) {
    headers.cookie = opts.session.cookie;
    if (!['GET', 'HEAD'].includes(method)) headers['x-csrf-token'] = opts.session.csrfToken;
  }
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await h.app.inject({
    method,
    url,
    headers: { ...headers, ...opts.headers },
    ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
  });
  let body: unknown = r.body;
  try {
    body = r.body.length ? JSON.parse(r.body) : null;
  } catch {
    // not JSON
  }
  return { status: r.statusCode, body, headers: r.headers as Record<string, unknown>, raw: r.body };
}

/** The Set-Cookie header lines of an answer. */
export function setCookies(r: Pick<Res, 'headers'>): string[] {
  const v = r.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

/** Signs in through POST /ui/session; throws unless 200 with a cookie. */
export async function uiLogin(
  h: Pick<Harness, 'app'>,
  username: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<UiSession> {
  const r = await ui(h, 'POST', '/ui/session', { body: { username, password, ...extra } });
  const [setCookie] = setCookies(r);
  if (r.status !== 200 || !setCookie) throw new Error(`web sign-in failed: ${r.status} ${r.raw}`);
  return { cookie: setCookie.split(';')[0] as string, setCookie, csrfToken: r.body.csrfToken, body: r.body };
}
