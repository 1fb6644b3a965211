// A Secret Server client for the contract tests, speaking as the product's clients do: the
// OAuth2 password grant as a form, Bearer tokens, JSON bodies (any key case), query strings in
// the `filter.*` / `paging.*` forms, multipart uploads.
import assert from 'node:assert/strict';
import { call, createUser, type Harness, type Res } from './harness.ts';

export const SS = '/SecretServer';
export const SS_API = `${SS}/api/v1`;

/** POST /SecretServer/oauth2/token with a form body. */
export async function ssTokenRequest(h: Pick<Harness, 'app'>, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const r = await h.app.inject({
    method: 'POST',
    url: `${SS}/oauth2/token`,
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null, headers: r.headers, raw: r.body };
}

/** The password grant: the access token (and the whole answer). */
export async function ssLogin(h: Pick<Harness, 'app'>, username: string, password: string) {
  const r = await ssTokenRequest(h, { grant_type: 'password', username, password });
  assert.equal(r.status, 200, r.raw);
  return r.body as { access_token: string; refresh_token: string; expires_in: number; token_type: string };
}

/** One Secret Server API call (path relative to /SecretServer/api/v1). */
export function ss(
  h: Pick<Harness, 'app'>,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  return call(h, method, `${SS_API}${path}`, {
    ...(body !== undefined ? { body } : {}),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
  });
}

/** A multipart/form-data upload of one file part named `file`. */
export async function ssUpload(h: Pick<Harness, 'app'>, path: string, token: string, filename: string, content: Buffer | string) {
  const boundary = '----coffer-test-boundary-7d1f';
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const r = await h.app.inject({
    method: 'PUT',
    url: `${SS_API}${path}`,
    payload,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  let body: unknown = r.body;
  try {
    body = r.body ? JSON.parse(r.body) : null;
  } catch {
    // raw
  }
  return { status: r.statusCode, body, raw: r.body, headers: r.headers };
}

/** A user with the role, signed in through Secret Server's token endpoint. */
export async function ssUser(h: Harness, admin: string, role: Parameters<typeof createUser>[2] = 'password_administrator') {
  const u = await createUser(h, admin, role);
  const t = await ssLogin(h, u.username, u.password);
  return { ...u, ss: t.access_token, ssRefresh: t.refresh_token };
}

/** The integer id Secret Server clients see for a Coffer object. */
export function num(h: Harness, kind: 'secret' | 'folder' | 'vault' | 'user', id: string): Promise<number> {
  return h.coffer.services.numbering.numberOf(h.database.db, kind, id);
}

/** A vault (top folder) and a folder in it, made natively, with a grant to the user on the vault. */
export async function ssTree(
  h: Harness,
  admin: string,
  userId: string,
  level = 'edit',
  vaultName = `vault-${Math.random().toString(36).slice(2, 8)}`,
) {
  const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: vaultName } });
  assert.equal(v.status, 201, v.raw);
  const f = await call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: v.body.id, name: 'Servers' } });
  assert.equal(f.status, 201, f.raw);
  const g = await call(h, 'POST', '/api/v1/grants', {
    token: admin,
    body: { nodeId: v.body.id, principalType: 'user', principalId: userId, level },
  });
  assert.equal(g.status, 201, g.raw);
  return {
    vaultId: v.body.id as string,
    vaultName,
    folderId: f.body.id as string,
    vaultNum: await num(h, 'vault', v.body.id),
    folderNum: await num(h, 'folder', f.body.id),
  };
}
