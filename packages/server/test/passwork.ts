// A Passwork API client for the contract tests, speaking as the Passwork connectors do: an API
// key (a Coffer API key of the user) exchanged at POST /api/v4/auth/login/{apiKey} for a token
// sent as Passwork-Auth; values base64-encoded; attachments base64 twice with the connectors' hash.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { call, createUser, type Harness, type Res } from './harness.ts';

export const PW = '/api/v4';

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The connectors' attachment hash: SHA-256 of the bytes read as Latin-1 and encoded in UTF-8. */
export const connectorHash = (bytes: Buffer) =>
  createHash('sha256')
    .update(Buffer.from(bytes.toString('latin1'), 'utf8'))
    .digest('hex');
export const encodeFile = (bytes: Buffer) => Buffer.from(bytes.toString('base64')).toString('base64');
export const decodeFile = (data: string) => Buffer.from(Buffer.from(data, 'base64').toString('latin1'), 'base64');

/** A Coffer API key for a user (the Passwork "API key"). */
export async function apiKeyFor(h: Harness, user: { token: string; password: string }, name = 'passwork'): Promise<string> {
  const k = await call(h, 'POST', '/api/v1/me/api-keys', {
    token: user.token,
    body: { name, currentPassword: user.password, allowedCidrs: ['127.0.0.1'], expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  });
  assert.equal(k.status, 201, k.raw);
  return k.body.key as string;
}

/** A request as the connectors send it: JSON body, Passwork-Auth header. */
export function pw(
  h: Harness,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  return call(h, method, `${PW}${path}`, {
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    headers: { ...(opts.token ? { 'passwork-auth': opts.token } : {}), ...opts.headers },
  });
}

export async function pwLogin(h: Harness, apiKey: string, useMasterPassword = false) {
  const r = await pw(h, 'POST', `/auth/login/${apiKey}`, { body: { useMasterPassword } });
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.body.status, 'success');
  return r.body.data as { token: string; refreshToken: string };
}

/** A user with an API key and a Passwork session. */
export async function passworkUser(h: Harness, admin: string, role: 'password_administrator' | 'password_user' = 'password_administrator') {
  const user = await createUser(h, admin, role);
  const apiKey = await apiKeyFor(h, user);
  const { token, refreshToken } = await pwLogin(h, apiKey);
  return { ...user, apiKey, pwToken: token, pwRefresh: refreshToken };
}

/** Asserts Passwork's error envelope. */
export function assertError(r: Res, status: number, code?: string) {
  assert.equal(r.status, status, r.raw);
  assert.equal(r.body.status, 'error', r.raw);
  assert.equal(typeof r.body.code, 'string');
  assert.equal(typeof r.body.data?.errorMessage, 'string', r.raw);
  if (code) assert.equal(r.body.code, code, r.raw);
}
