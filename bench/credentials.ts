// The credentials every scenario uses: an administrator session, an API key bound to 127.0.0.1
// (created with the administrator's password, expiring in 30 days) and a second session, each
// checked by whoami to authenticate as it should.
import { api, expect } from './api.ts';

export async function benchCredentials(baseUrl: string, adminPassword: string): Promise<{ apiKey: string; session: string }> {
  const adminSession = expect<{ accessToken: string }>(
    'admin login',
    await api(baseUrl, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: adminPassword } }),
    200,
  ).accessToken;
  const apiKey = expect<{ key: string }>(
    'create API key',
    await api(baseUrl, 'POST', '/api/v1/me/api-keys', {
      token: adminSession,
      body: {
        name: 'bench',
        allowedCidrs: ['127.0.0.1'],
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        currentPassword: adminPassword,
      },
    }),
    201,
  ).key;
  const session = expect<{ accessToken: string }>(
    'login',
    await api(baseUrl, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: adminPassword } }),
    200,
  ).accessToken;
  const who = expect<{ authMethod: string }>('whoami (API key)', await api(baseUrl, 'GET', '/api/v1/auth/whoami', { token: apiKey }), 200);
  if (who.authMethod !== 'apikey') throw new Error(`whoami with the API key answered authMethod ${who.authMethod}`);
  const who2 = expect<{ authMethod: string }>(
    'whoami (session)',
    await api(baseUrl, 'GET', '/api/v1/auth/whoami', { token: session }),
    200,
  );
  if (who2.authMethod !== 'session') throw new Error(`whoami with the session answered authMethod ${who2.authMethod}`);
  return { apiKey, session };
}
