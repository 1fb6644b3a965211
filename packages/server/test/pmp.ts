// Helpers of the PMP contract tests: API users with keys, and raw PMP requests as PMP clients send them.
import { ADMIN, call, type Harness } from './harness.ts';

export const PMP = '/restapi/json/v1';

export interface PmpRes {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a PMP answer, read field by field by the tests
  body: any;
  raw: string;
}

/** A user (kind api unless `human`) with an API key bound to 127.0.0.1; returns its id and key. */
export async function apiUser(
  h: Pick<Harness, 'app'>,
  admin: string,
  username: string,
  role: 'administrator' | 'password_administrator' | 'password_user' = 'password_administrator',
): Promise<{ id: string; key: string }> {
  const u = await call(h, 'POST', '/api/v1/users', { token: admin, body: { username, kind: 'api', role } });
  if (u.status !== 201) throw new Error(`user: ${u.status} ${u.raw}`);
  const k = await call(h, 'POST', `/api/v1/users/${u.body.id}/api-keys`, {
    token: admin,
    body: {
      name: `${username}-key`,
      allowedCidrs: ['127.0.0.1/32'],
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currentPassword: ADMIN.password,
    },
  });
  if (k.status !== 201) throw new Error(`key: ${k.status} ${k.raw}`);
  return { id: u.body.id, key: k.body.key };
}

/** One PMP request: the token in the AUTHTOKEN header (or `query: true`: in the URL), a raw body as given. */
export async function pmp(
  h: Pick<Harness, 'app'>,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { token?: string; tokenInQuery?: boolean; body?: string; contentType?: string; query?: Record<string, string>; ip?: string } = {},
): Promise<PmpRes> {
  const q = new URLSearchParams(opts.query ?? {});
  if (opts.token && opts.tokenInQuery) q.set('AUTHTOKEN', opts.token);
  const qs = q.toString();
  const headers: Record<string, string> = {};
  if (opts.token && !opts.tokenInQuery) headers.AUTHTOKEN = opts.token;
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const r = await h.app.inject({
    method,
    url: `${PMP}${path}${qs ? `?${qs}` : ''}`,
    headers,
    ...(opts.body !== undefined ? { payload: opts.body } : {}),
    ...(opts.ip ? { remoteAddress: opts.ip } : {}),
  });
  let body: unknown = r.body;
  try {
    body = JSON.parse(r.body);
  } catch {
    // not JSON
  }
  return { status: r.statusCode, body, raw: r.body };
}

/** `INPUT_DATA=<json>` as a form body (what PMP clients send, usually labelled text/json). */
export const form = (details: Record<string, unknown>) =>
  `INPUT_DATA=${encodeURIComponent(JSON.stringify({ operation: { Details: details } }))}`;
export const inputData = (details: Record<string, unknown>) => JSON.stringify({ operation: { Details: details } });
