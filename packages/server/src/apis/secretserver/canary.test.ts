// Canary scan through the Secret Server API (SECURITY.md, "Canary scan"): passwords written and read
// (create in both key cases, PUT, PATCH general, a file upload), generated SSH keys and passphrases,
// the credentials its clients use (the password in the token form, the access and refresh tokens,
// a TOTP code in the OTP header) and the usual mistakes (a malformed body holding a password, a
// wrong password) — then every form of each canary is searched in the logs (debug level), every
// audit record, every answer that is not a read of that value, and the raw store: 0 hits allowed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNoCanary, canary, type Scan, value } from '../../../test/canary.ts';
import { adminToken, createUser, dialects, startHarness } from '../../../test/harness.ts';
import { ss, ssTokenRequest, ssTree, ssUpload } from '../../../test/secretserver.ts';

for (const dialect of dialects) {
  describe(`secret values and credentials never leak through the Secret Server API [${dialect}]`, () => {
    it('writes, reads, tokens and mistakes leave no canary in logs, records, answers or the store', async () => {
      const h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      try {
        const admin = await adminToken(h);
        const u = await createUser(h, admin, 'password_administrator');
        const t = await ssTree(h, admin, u.id);
        const V = {
          create: value('ss-create'),
          pascal: value('ss-pascal'),
          put: value('ss-put'),
          patch: value('ss-patch'),
          file: value('ss-file'),
          malformed: value('ss-malformed'),
          wrongPassword: value('ss-wrong-password'),
        };
        const answers: Scan[] = [];
        const note = (where: string, text: string) => answers.push({ where, text });

        const tok = await ssTokenRequest(h, { grant_type: 'password', username: u.username, password: u.password });
        assert.equal(tok.status, 200, tok.raw);
        const bad = await ssTokenRequest(h, { grant_type: 'password', username: u.username, password: V.wrongPassword });
        note('bad grant', bad.raw);
        const refreshed = await ssTokenRequest(h, { grant_type: 'refresh_token', refresh_token: tok.body.refresh_token });
        assert.equal(refreshed.status, 200, refreshed.raw);
        const token = refreshed.body.access_token as string;

        const c1 = await ss(h, 'POST', '/secrets', token, {
          name: 'c1',
          folderId: t.folderNum,
          secretTemplateId: 9002,
          items: [
            { slug: 'host', itemValue: 'h' },
            { slug: 'username', itemValue: 'u' },
            { slug: 'password', itemValue: V.create },
          ],
        });
        assert.equal(c1.status, 200, c1.raw);
        const c2 = await ss(h, 'POST', '/secrets', token, {
          Name: 'c2',
          FolderId: t.folderNum,
          SecretTemplateId: 9005,
          Items: [{ Slug: 'notes', ItemValue: V.pascal }],
          SshKeyArgs: { GenerateSshKeys: true, GeneratePassphrase: true },
        });
        assert.equal(c2.status, 200, c2.raw);
        const generated = c2.body.items.find((i: { slug: string }) => i.slug === 'passphrase').itemValue as string;
        const pem = (
          await h.app.inject({
            method: 'GET',
            url: `/SecretServer/api/v1/secrets/${c2.body.id}/fields/private-key`,
            headers: { authorization: `Bearer ${token}` },
          })
        ).body;
        const keyBody = pem.split('\n')[1] as string;
        const got = (await ss(h, 'GET', `/secrets/${c1.body.id}`, token)).body;
        for (const i of got.items) if (i.slug === 'password') i.itemValue = V.put;
        const put = await ss(h, 'PUT', `/secrets/${c1.body.id}`, token, got);
        assert.equal(put.status, 200, put.raw);
        const patch = await ss(h, 'PATCH', `/secrets/${c1.body.id}/general`, token, {
          data: { secretFields: [{ slug: 'password', dirty: true, value: V.patch }] },
        });
        assert.equal(patch.status, 200, patch.raw);
        const up = await ssUpload(h, `/secrets/${c1.body.id}/fields/private-key`, token, 'id_rsa', `key ${V.file}\n`);
        assert.equal(up.status, 200, up.raw);
        note('upload answer', up.raw);
        note('search', (await ss(h, 'GET', '/secrets?filter.searchText=c', token)).raw);
        note('search-total', (await ss(h, 'GET', '/secrets/search-total', token)).raw);
        const malformed = await h.app.inject({
          method: 'POST',
          url: '/SecretServer/api/v1/secrets',
          payload: `{"name":"m","items":[{"slug":"password","itemValue":"${V.malformed}"}]`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        });
        assert.equal(malformed.statusCode, 400, malformed.body);
        note('malformed', malformed.body);
        const wrongField = await ss(h, 'POST', '/secrets', token, {
          name: 'x',
          folderId: t.folderNum,
          secretTemplateId: 9002,
          items: [{ slug: 'no-such', itemValue: V.malformed }],
        });
        note('wrong field', wrongField.raw);

        const canaries = [
          ...Object.entries(V).map(([k, v]) => canary(k, v)),
          canary('password of the token form', u.password),
          canary('access token', token),
          canary('refresh token', refreshed.body.refresh_token),
          canary('generated passphrase', generated),
          canary('generated private key', keyBody.slice(0, 40)),
        ];
        await assertNoCanary(h, canaries, answers, ['secretserver']);
      } finally {
        await h.close();
      }
    });
  });
}
