// Canary scan through the compatibility APIs (SECURITY.md, "Canary scan"): passwords written and
// read through PMP and senhasegura (create, add accounts, change LOCAL, create-or-update), the
// credentials those clients use (a PMP AUTHTOKEN in the header and in the query string, an OAuth2
// client secret and the access token it buys), and the usual mistakes (a malformed INPUT_DATA
// holding a password, a wrong token) — then every form of each canary is searched in the logs
// (debug level), every audit record, every answer that is not a password read, and the raw store:
// 0 hits allowed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNoCanary, canary, type Scan, value } from '../../test/canary.ts';
import { adminToken, call, dialects, startHarness } from '../../test/harness.ts';
import { apiUser, form, inputData, pmp } from '../../test/pmp.ts';

const TEXT_JSON = 'text/json';

for (const dialect of dialects) {
  describe(`secret values and API credentials never leak through the compatibility APIs [${dialect}]`, () => {
    it('PMP and senhasegura writes, reads, tokens and mistakes leave no canary in logs, records, answers or the store', async () => {
      const h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      try {
        const admin = await adminToken(h);
        const api = await apiUser(h, admin, 'automation');
        const keys = await call(h, 'GET', `/api/v1/users/${api.id}/api-keys`, { token: admin });
        const keyId = keys.body.items[0].id as string;
        const V = {
          pmpCreate: value('pmp-create'),
          pmpAdded: value('pmp-added'),
          pmpChanged: value('pmp-changed'),
          pmpMalformed: value('pmp-malformed'),
          senhaCreate: value('senha-create'),
          senhaUpdate: value('senha-update'),
          senhaJson: value('senha-json'),
        };
        /** Answers that must not carry a value (password reads are checked for the value instead). */
        const answers: Scan[] = [];
        const note = (where: string, text: string) => answers.push({ where, text });

        // PMP: a resource with an account, another account, a LOCAL change; the token in the header and the query
        const created = await pmp(h, 'POST', '/resources', {
          token: api.key,
          contentType: TEXT_JSON,
          body: form({ RESOURCENAME: 'canary-host', ACCOUNTNAME: 'root', RESOURCETYPE: 'Linux', PASSWORD: V.pmpCreate }),
        });
        assert.equal(created.body.operation.result.status, 'Success', created.raw);
        note('PMP create', created.raw);
        const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
          token: api.key,
          tokenInQuery: true,
          query: { RESOURCENAME: 'canary-host', ACCOUNTNAME: 'root' },
        });
        note('PMP lookup', ids.raw);
        const { RESOURCEID: rid, ACCOUNTID: aid } = ids.body.operation.Details;
        const added = await pmp(h, 'POST', `/resources/${rid}/accounts`, {
          token: api.key,
          contentType: 'application/json',
          body: inputData({ ACCOUNTLIST: [{ ACCOUNTNAME: 'svc', PASSWORD: V.pmpAdded }] }),
        });
        note('PMP add accounts', added.raw);
        const changed = await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}/password`, {
          token: api.key,
          tokenInQuery: true,
          contentType: TEXT_JSON,
          body: form({ NEWPASSWORD: V.pmpChanged, RESETTYPE: 'LOCAL', REASON: 'rotation' }),
        });
        assert.equal(changed.body.operation.result.status, 'Success', changed.raw);
        note('PMP change', changed.raw);
        const read = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key, tokenInQuery: true });
        assert.equal(read.body.operation.Details.PASSWORD, V.pmpChanged, 'the read works (so the scan is not vacuous)');
        for (const path of ['/resources', `/resources/${rid}/accounts`, `/resources/${rid}/accounts/${aid}`]) {
          note(`PMP ${path}`, (await pmp(h, 'GET', path, { token: api.key })).raw);
        }
        const malformed = await pmp(h, 'POST', '/resources', {
          token: api.key,
          contentType: TEXT_JSON,
          body: `INPUT_DATA=${encodeURIComponent(`{"operation":{"Details":{"PASSWORD":"${V.pmpMalformed}"`)}`,
        });
        assert.equal(malformed.body.operation.result.status, 'Failed');
        note('PMP malformed', malformed.raw);
        const wrong = await pmp(h, 'GET', '/resources', { token: `${api.key.slice(0, -4)}AAAA`, tokenInQuery: true });
        assert.equal(wrong.body.operation.result.status, 'Failed');
        note('PMP wrong token', wrong.raw);

        // senhasegura: the OAuth2 exchange, create (form), update (JSON), read
        const tok = await h.app.inject({
          method: 'POST',
          url: '/iso/oauth2/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: keyId, client_secret: api.key }).toString(),
        });
        assert.equal(tok.statusCode, 200, tok.body);
        const accessToken = tok.json().access_token as string;
        const auth = { authorization: `Bearer ${accessToken}` };
        const c1 = await h.app.inject({
          method: 'POST',
          url: '/iso/pam/credential',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ hostname: 'web09', ip: '10.0.0.9', username: 'deploy', content: V.senhaCreate }).toString(),
        });
        assert.equal(c1.statusCode, 201, c1.body);
        note('senhasegura create', c1.body);
        const c2 = await h.app.inject({
          method: 'POST',
          url: '/api/pam/credential',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify({ hostname: 'web09', ip: '10.0.0.9', username: 'deploy', content: V.senhaUpdate }),
        });
        assert.equal(c2.statusCode, 200, c2.body);
        note('senhasegura update', c2.body);
        const got = await h.app.inject({ method: 'GET', url: '/iso/pam/credential/deploy@web09', headers: auth });
        assert.equal(got.json().credential.password, V.senhaUpdate);
        note('senhasegura list', (await h.app.inject({ method: 'GET', url: '/iso/pam/credential', headers: auth })).body);
        const bad = await h.app.inject({
          method: 'POST',
          url: '/iso/pam/credential',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: `{"hostname":"web10","content":"${V.senhaJson}"`,
        });
        assert.ok(bad.statusCode >= 400 && bad.statusCode < 500, bad.body);
        note('senhasegura malformed', bad.body);

        const canaries = [
          ...Object.entries(V).map(([k, v]) => canary(k, v)),
          canary('PMP AUTHTOKEN / client secret', api.key),
          canary('senhasegura access token', accessToken),
        ];
        await assertNoCanary(h, canaries, answers, ['pmp', 'senhasegura']);
      } finally {
        await h.close();
      }
    });
  });
}
