// Canary scan through the Passwork API (SECURITY.md, "Canary scan"): passwords, custom fields and
// files written and read through it, the API key in the login path, the tokens it buys (also in
// the refresh path), a malformed body holding a password — then every form of each canary
// (base64 included, the form Passwork carries values in) is searched in the logs (debug level),
// every audit record, every answer that is not a password read, and the raw store: 0 hits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNoCanary, canary, type Scan, value } from '../../../test/canary.ts';
import { adminToken, call, createUser, dialects, startHarness } from '../../../test/harness.ts';
import { apiKeyFor, b64, connectorHash, encodeFile, PW, pw, pwLogin, unb64 } from '../../../test/passwork.ts';

for (const dialect of dialects) {
  describe(`secret values and credentials never leak through the Passwork API [${dialect}]`, () => {
    it('writes, reads, tokens and mistakes leave no canary in logs, records, answers or the store', async () => {
      const h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      try {
        const admin = await adminToken(h);
        const user = await createUser(h, admin, 'password_administrator');
        const key = await apiKeyFor(h, user);
        const session = await pwLogin(h, key);
        const V = {
          created: value('pw-create'),
          custom: value('pw-custom'),
          file: value('pw-file'),
          edited: value('pw-edit'),
          malformed: value('pw-malformed'),
        };
        const answers: Scan[] = [];
        const note = (where: string, text: string) => answers.push({ where, text });
        const vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: user.token, body: { name: 'Canary' } })).body.id;
        const file = Buffer.from(`file: ${V.file}`);
        const add = await pw(h, 'POST', '/passwords', {
          token: session.token,
          body: {
            vaultId,
            name: 'canary',
            login: 'svc',
            cryptedPassword: b64(V.created),
            custom: [{ name: b64('PIN'), value: b64(V.custom), type: b64('password') }],
            attachments: [{ name: 'c.txt', encryptedKey: b64('a'.repeat(32)), encryptedData: encodeFile(file), hash: connectorHash(file) }],
          },
        });
        assert.equal(add.status, 200, add.raw);
        const id = add.body.data.id;
        const edit = await pw(h, 'PUT', `/passwords/${id}`, {
          token: session.token,
          body: { cryptedPassword: b64(V.edited), snapshot: b64(V.created) },
        });
        assert.equal(edit.status, 200, edit.raw);
        const got = await pw(h, 'GET', `/passwords/${id}`, { token: session.token });
        assert.equal(unb64(got.body.data.cryptedPassword), V.edited);
        note('search', (await pw(h, 'POST', '/passwords/search', { token: session.token, body: { query: 'canary' } })).raw);
        note('vault list', (await pw(h, 'GET', `/vaults/${vaultId}/passwords`, { token: session.token })).raw);
        note('recent', (await pw(h, 'GET', '/passwords/recent', { token: session.token })).raw);
        const bad = await h.app.inject({
          method: 'POST',
          url: `${PW}/passwords`,
          headers: { 'passwork-auth': session.token, 'content-type': 'application/json' },
          payload: `{"vaultId":"${vaultId}","cryptedPassword":"${V.malformed}"`,
        });
        assert.equal(bad.statusCode, 400, bad.body);
        note('malformed', bad.body);
        // a wrong key, then the refresh with both tokens in the path
        note('wrong key', (await pw(h, 'POST', `/auth/login/${key.slice(0, -4)}abcd`, { body: {} })).raw);
        const refreshed = await pw(h, 'POST', `/auth/refreshToken/${session.token}/${session.refreshToken}`);
        assert.equal(refreshed.status, 200, refreshed.raw);
        note('logout', (await pw(h, 'POST', '/auth/logout', { token: refreshed.body.data.token })).raw);

        const canaries = [
          ...Object.entries(V).map(([k, v]) => canary(k, v)),
          canary('API key', key),
          canary('access token', session.token),
          canary('refresh token', session.refreshToken),
          canary('refreshed token', refreshed.body.data.token),
        ];
        await assertNoCanary(h, canaries, answers, ['passwork']);
        assert.ok(h.logs().includes('/api/v4/auth/refreshToken/[redacted]'));
      } finally {
        await h.close();
      }
    });
  });
}
