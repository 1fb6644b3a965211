// What public senhasegura clients send and read, request by request, on both dialects. Each case
// names the client whose wire behaviour it reproduces (read from its public source or the public
// API reference; no code of theirs is used here).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';

// biome-ignore lint/suspicious/noExplicitAny: a parsed answer body
type Body = any;

/** The shape senhasegura-rs deserializes an error into: response{status (an HTTP status), message, error}, exception{code, message, detail|null}. */
function assertApiError(body: Body, status: number, code: number) {
  assert.equal(body.code, status);
  assert.equal(body.response.status, status);
  assert.equal(typeof body.response.message, 'string');
  assert.equal(body.response.error, true);
  assert.equal(body.response.erro, true);
  assert.equal(body.response.error_code, 1);
  assert.equal(body.response.cod_erro, 1);
  assert.equal(body.exception.code, code);
  assert.equal(body.exception.message, body.response.message);
  assert.ok(body.exception.detail === null || typeof body.exception.detail === 'string');
}

for (const dialect of dialects) {
  describe(`senhasegura public clients [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let client: Awaited<ReturnType<typeof apiClient>>;
    let token: string;
    const bearer = () => ({ authorization: `Bearer ${token}` });
    const get = (url: string, headers: Record<string, string> = bearer()) => call(h, 'GET', url, { headers });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      client = await apiClient(h, admin);
      token = await oauthToken(h, client.clientId, client.clientSecret);
    });
    after(async () => h.close());

    it('token: the oauth2 crate (senhasegura-rs/-js), External Secrets and dsmcli (Go) read an integer expires_in, a Bearer token_type, JSON', async () => {
      // client_id/client_secret in the form body (oauth2 AuthType::RequestBody; Go url.Values)
      const r = await form(h, 'POST', '/iso/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      });
      assert.equal(r.statusCode, 200, r.body); // ESO refuses anything but 200
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const b = JSON.parse(r.body);
      assert.equal(b.token_type.toLowerCase(), 'bearer');
      assert.ok(Number.isInteger(b.expires_in) && b.expires_in > 0, `expires_in ${b.expires_in}`); // Go: int
      assert.equal(typeof b.access_token, 'string');
      // an error is RFC 6749 JSON the oauth2 crate parses (`error` text), with the status dsmcli reads
      const bad = await form(h, 'POST', '/iso/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: 'x'.repeat(40),
      });
      assert.equal(bad.statusCode, 401);
      const e = JSON.parse(bad.body);
      assert.equal(e.error, 'invalid_client');
      assert.equal(typeof e.error_description, 'string');
      assert.equal(e.response.error, true);
    });

    let id = '';
    it('Ansible senhasegura_credential: a form POST (parent_password an int, tags comma-joined), 201 then changed "false"', async () => {
      const fields = {
        ip: '192.168.10.10',
        hostname: 'example-001',
        type: 'Local User',
        username: 'ansible',
        identifier: 'example_credential',
        content: 'your_secret_password',
        tags: 'ansible,example',
        additional: 'Created by Ansible',
      };
      const r = await form(h, 'POST', '/iso/pam/credential', fields, bearer());
      assert.equal(r.statusCode, 201, r.body);
      id = JSON.parse(r.body).credential.id;
      assert.match(id, /^\d+$/);
      const { content: _pw, ...noPassword } = fields;
      const again = await form(h, 'POST', '/iso/pam/credential', noPassword, bearer());
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(JSON.parse(again.body).response.changed, 'false');
      const parent = await form(
        h,
        'POST',
        '/iso/pam/credential',
        { ...fields, identifier: 'child_cred', username: 'ansible-child', parent_password: id },
        bearer(),
      );
      assert.equal(parent.statusCode, 201, parent.body);
    });

    it('Ansible senhasegura_credential_info: GET /iso/pam/credential/{id}?credential={id} with a JSON Content-Type and no body', async () => {
      for (const ref of [id, 'example_credential']) {
        const r = await h.app.inject({
          method: 'GET',
          url: `/iso/pam/credential/${ref}?credential=${ref}`,
          headers: { 'content-type': 'application/json', ...bearer() },
        });
        assert.equal(r.statusCode, 200, r.body);
        const b = JSON.parse(r.body);
        assert.equal(b.credential.id, id);
        assert.equal(b.credential.password, 'your_secret_password');
        assert.equal(b.credential.content, 'your_secret_password');
      }
    });

    it('JSON clients (requests json=, fetch): nested settings objects of the create-or-update reference are accepted', async () => {
      const r = await call(h, 'POST', '/iso/pam/credential', {
        headers: bearer(),
        body: {
          username: 'svc_app',
          hostname: 'API-Testing',
          ip: '128.0.0.1',
          password: 'InitialP@ss123',
          tags: ['production', 'critical'],
          port: 22,
          execution_settings: { parent_credential: 'cred2', automatic_change: true, change_plugin: 'SSH' },
          session_settings: { SSH: true, RDP: false, macros: [{ remote_app: 'MySQL', connectivity: 'SSH' }] },
          additional_settings: [{ criticality: 'High', notes: 'Credential to be used only in network A' }],
          jit_settings: { jit: false },
        },
      });
      assert.equal(r.status, 201, r.raw);
      const got = await get(`/api/pam/credential/${r.body.credential.id}`);
      assert.equal(got.status, 200, got.raw);
      assert.equal(got.body.credential.password, 'InitialP@ss123');
      assert.deepEqual(got.body.credential.tags, ['production', 'critical']);
      assert.equal(got.body.credential.port, '22');
    });

    it('custody release (API reference; the Python/TypeScript A2A clients call it after every read): DELETE .../credential/custody/{id}', async () => {
      await get(`/iso/pam/credential/${id}`);
      for (const url of [`/iso/pam/credential/custody/${id}`, `/api/pam/credential/custody/${id}`]) {
        const r = await call(h, 'DELETE', url, { headers: bearer() });
        assert.equal(r.status, 200, `${url}: ${r.raw}`);
        assert.equal(r.body.response.message, `Credential custody ${id} released`);
        assert.equal(r.body.response.error, false);
      }
      const none = await call(h, 'DELETE', '/iso/pam/credential/custody/999999', { headers: bearer() });
      assert.equal(none.status, 400, none.raw);
      assertApiError(none.body, 400, 1007);
    });

    it("custody release under a checkout policy: the caller's checkout is checked in; another user's is 400 1018", async () => {
      const vault = await call(h, 'POST', '/api/v1/vaults', {
        token: admin,
        body: { name: `custody-${dialect}`, policy: { checkout: { exclusive: true } } },
      });
      assert.equal(vault.status, 201, vault.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: vault.body.id,
          template: 'host-credential',
          name: 'held',
          fields: { username: 'c', host: 'ch', password: 'held-pw' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: vault.body.id, principalType: 'user', principalId: client.user.id, level: 'reveal' },
      });
      assert.equal(g.status, 201, g.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      // the API user checks it out (native workflow), reads it here, releases it here
      const co = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/checkout`, { token: client.user.token, body: {} });
      assert.ok([200, 201].includes(co.status), co.raw);
      assert.equal((await get(`/iso/pam/credential/${num}`)).body.credential.password, 'held-pw');
      const rel = await call(h, 'DELETE', `/iso/pam/credential/custody/${num}`, { headers: bearer() });
      assert.equal(rel.status, 200, rel.raw);
      assert.equal(rel.body.response.message, `Credential custody ${num} released`);
      const mine = await call(h, 'GET', `/api/v1/checkouts?scope=mine&secretId=${s.body.id}`, { token: client.user.token });
      assert.equal(mine.status, 200, mine.raw);
      assert.equal(mine.body.items.length, 0, 'checked in');
      // held by the administrator: not in this user's custody
      const other = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/checkout`, { token: admin, body: {} });
      assert.ok([200, 201].includes(other.status), other.raw);
      const not = await call(h, 'DELETE', `/api/pam/credential/custody/${num}`, { headers: bearer() });
      assert.equal(not.status, 400, not.raw);
      assertApiError(not.body, 400, 1018);
      assert.equal(not.body.response.message, '1018: The credential is not in the user custody');
    });

    it('Ansible senhasegura_device absent: DELETE /iso/pam/device/{hostname} with a form body; 200, then 400 (JSON)', async () => {
      const dev = await form(
        h,
        'POST',
        '/iso/pam/device',
        { ip: '192.168.10.30', hostname: 'windows-001', type: 'Server', vendor: 'Microsoft', model: 'Windows Server', site: 'On-premises' },
        bearer(),
      );
      assert.equal(dev.statusCode, 201, dev.body);
      const del = await form(h, 'DELETE', '/iso/pam/device/windows-001', { device: 'windows-001' }, bearer());
      assert.equal(del.statusCode, 200, del.body);
      assert.equal(JSON.parse(del.body).response.message, 'Device successfully deactivated');
      const again = await form(h, 'DELETE', '/iso/pam/device/windows-001', { device: 'windows-001' }, bearer());
      assert.equal(again.statusCode, 400, again.body);
      assertApiError(JSON.parse(again.body), 400, 1011);
    });

    it('Ansible senhasegura_credential absent: DELETE with a JSON label and a form body; 200, then 400 with a JSON body', async () => {
      const send = () =>
        h.app.inject({
          method: 'DELETE',
          url: '/iso/pam/credential/child_cred',
          payload: 'identifier=child_cred',
          headers: { 'content-type': 'application/json', ...bearer() },
        });
      const first = await send();
      assert.equal(first.statusCode, 200, first.body);
      const second = await send();
      assert.equal(second.statusCode, 400, second.body);
      assertApiError(JSON.parse(second.body), 400, 1007);
    });

    it('every route answers the senhasegura envelope for bad input: never a 5xx, never the native envelope', async () => {
      const long = 'x'.repeat(5000);
      const cases: Array<{ method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; type?: string; payload?: string }> = [
        { method: 'GET', url: `/iso/pam/credential/${long}` },
        { method: 'GET', url: `/iso/pam/key/${long}` },
        { method: 'GET', url: '/iso/pam/credential/99999999999999999999' },
        { method: 'GET', url: '/iso/pam/credential/-1' },
        { method: 'GET', url: `/iso/pam/credential?credential=${long}` },
        { method: 'GET', url: '/iso/pam/device/%00' },
        { method: 'DELETE', url: `/iso/pam/credential/${long}` },
        { method: 'PUT', url: `/iso/pam/device/${long}` },
        { method: 'DELETE', url: `/iso/pam/credential/custody/${long}` },
        {
          method: 'POST',
          url: '/iso/pam/credential',
          type: 'application/json',
          payload: '{"hostname":"h","ip":"1","username":"u","content":{"a":1}}',
        },
        { method: 'POST', url: '/iso/pam/credential', type: 'application/json', payload: `{"hostname":"${long}","ip":"1","username":"u"}` },
        { method: 'POST', url: '/iso/pam/credential', type: 'application/json', payload: '"just text"' },
        {
          method: 'POST',
          url: '/iso/pam/credential',
          type: 'application/json',
          payload: '{"hostname":"h","ip":"1","username":"u","tags":[{"a":1}]}',
        },
        { method: 'POST', url: '/iso/pam/device', type: 'application/json', payload: '{"hostname":"a/b","ip":"1"}' },
        { method: 'POST', url: '/iso/pam/device', type: 'application/json', payload: '{"hostname":["a","b"],"ip":"1"}' },
        { method: 'POST', url: '/iso/pam/device', type: 'text/plain', payload: 'garbage=%E0%A4%A' },
        { method: 'POST', url: '/iso/oauth2/token', type: 'application/json', payload: '{"client_id":{"x":1}}' },
        {
          method: 'POST',
          url: '/iso/oauth2/token',
          type: 'application/x-www-form-urlencoded',
          payload: `client_id=a&client_secret=${long}`,
        },
      ];
      for (const c of cases) {
        const r = await h.app.inject({
          method: c.method,
          url: c.url,
          headers: { ...bearer(), ...(c.type ? { 'content-type': c.type } : {}) },
          ...(c.payload !== undefined ? { payload: c.payload } : {}),
        });
        const label = `${c.method} ${c.url.slice(0, 60)} ${c.payload?.slice(0, 60) ?? ''}`;
        assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${label}: ${r.statusCode} ${r.body.slice(0, 300)}`);
        const b = JSON.parse(r.body);
        assert.equal(b.response?.status, r.statusCode, `${label}: ${r.body.slice(0, 300)}`);
        assert.equal(b.response.error, true, label);
        assert.equal(typeof b.exception?.code, 'number', label);
        assert.equal('error' in b && typeof b.error === 'object', false, `${label}: the native envelope`);
      }
    });

    it("a token of another API user sees none of the first one's credentials; a revoked key's token answers 401 1002", async () => {
      const other = await apiClient(h, admin);
      const otherToken = await oauthToken(h, other.clientId, other.clientSecret);
      const missing = await get('/iso/pam/credential/999999', { authorization: `Bearer ${otherToken}` });
      for (const [method, url] of [
        ['GET', `/iso/pam/credential/${id}`],
        ['GET', '/iso/pam/credential/example_credential'],
        ['GET', '/iso/pam/credential/ansible@example-001'],
        ['DELETE', `/iso/pam/credential/${id}`],
        ['PUT', `/iso/pam/credential/${id}`],
        ['DELETE', `/iso/pam/credential/custody/${id}`],
      ] as const) {
        const r = await call(h, method, url, { headers: { authorization: `Bearer ${otherToken}` } });
        assert.equal(r.status, 400, `${method} ${url}: ${r.raw}`);
        assert.deepEqual(r.body, missing.body, `${method} ${url}`);
      }
      const key = await get(`/iso/pam/key/${id}`, { authorization: `Bearer ${otherToken}` });
      const keyMissing = await get('/iso/pam/key/999999', { authorization: `Bearer ${otherToken}` });
      assert.deepEqual(key.body, keyMissing.body);
      const list = await get('/iso/pam/credential', { authorization: `Bearer ${otherToken}` });
      assert.equal(list.status, 200, list.raw);
      assert.ok(!list.body.credentials.some((x: { id: string }) => x.id === id));
      // the key revoked: its access token stops working
      const rev = await call(h, 'DELETE', `/api/v1/api-keys/${other.clientId}`, { token: other.user.token });
      assert.ok([200, 204].includes(rev.status), rev.raw);
      const after = await get('/iso/pam/credential', { authorization: `Bearer ${otherToken}` });
      assert.equal(after.status, 401, after.raw);
      assertApiError(after.body, 401, 1002);
    });
  });
}
