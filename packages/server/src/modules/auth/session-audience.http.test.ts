// A session belongs to the API surface that issued it: a native login's token is refused by the
// PMP and senhasegura surfaces, a senhasegura OAuth token by the native API and PMP, and a refresh
// token only renews through its own surface (migration 0015). API keys are not sessions: one key
// works on every surface that takes keys.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { pmp } from '../../../test/pmp.ts';
import { apiClient, oauthToken } from '../../../test/senhasegura-client.ts';

for (const dialect of dialects) {
  describe(`sessions are bound to the surface that issued them (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    let client: Awaited<ReturnType<typeof apiClient>>;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      client = await apiClient(h, admin);
    });
    after(async () => h.close());

    const native = (token: string) => call(h, 'GET', '/api/v1/auth/whoami', { token });
    const senha = (token: string) =>
      h.app.inject({ method: 'GET', url: '/iso/pam/credential', headers: { authorization: `Bearer ${token}` } });
    const viaPmp = async (token: string) => (await pmp(h, 'GET', '/resources', { token })).body.operation.result.status;

    it('a native session works natively only', async () => {
      assert.equal((await native(admin)).status, 200);
      const s = await senha(admin);
      assert.equal(s.statusCode, 401, s.body);
      assert.equal(await viaPmp(admin), 'Failed');
    });

    it('a senhasegura OAuth token works on senhasegura only', async () => {
      const token = await oauthToken(h, client.clientId, client.clientSecret);
      assert.equal((await senha(token)).statusCode, 200);
      const n = await native(token);
      assert.equal(n.status, 401, n.raw);
      assert.equal(n.body.error.code, 'auth.invalid_token');
      assert.equal(await viaPmp(token), 'Failed');
    });

    it('an API key works on every surface that takes keys', async () => {
      assert.equal((await native(client.clientSecret)).status, 200);
      assert.equal((await senha(client.clientSecret)).statusCode, 200);
      assert.equal(await viaPmp(client.clientSecret), 'Success');
    });

    it('a refresh token renews only through its own surface, and the renewed session keeps the surface', async () => {
      const pair = await login(h, client.user.username, client.user.password);
      const r = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } });
      assert.equal(r.status, 200, r.raw);
      assert.equal((await native(r.body.accessToken)).status, 200);
      assert.equal((await senha(r.body.accessToken)).statusCode, 401);
    });
  });
}
