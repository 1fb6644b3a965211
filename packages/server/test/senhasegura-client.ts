// A senhasegura API client for the contract tests: an API user with an API key (client id and
// secret), form requests as the Ansible collection sends them, the OAuth2 token.
import assert from 'node:assert/strict';
import { call, createUser, type Harness } from './harness.ts';

export async function apiClient(h: Harness, admin: string) {
  const user = await createUser(h, admin, 'password_administrator');
  const k = await call(h, 'POST', '/api/v1/me/api-keys', {
    token: user.token,
    body: {
      name: 'senhasegura',
      currentPassword: user.password,
      allowedCidrs: ['127.0.0.1'],
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    },
  });
  assert.equal(k.status, 201, k.raw);
  return { user, clientId: k.body.apiKey.id as string, clientSecret: k.body.key as string };
}

/** POST with a form body, as the Ansible collection and `curl -d` send it. */
export function form(
  h: Harness,
  method: 'POST' | 'DELETE' | 'PUT',
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return h.app.inject({
    method,
    url,
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

export async function oauthToken(h: Harness, clientId: string, clientSecret: string): Promise<string> {
  const r = await form(h, 'POST', '/iso/oauth2/token', {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  });
  assert.equal(r.statusCode, 200, r.body);
  return JSON.parse(r.body).access_token;
}
