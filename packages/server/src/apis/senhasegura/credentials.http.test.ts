// senhasegura PAM Core contract (seed 004 + the public API reference), over real HTTP (inject) on
// both dialects: OAuth2 client credentials, credentials (list, get by id / identifier /
// username@hostname, create-or-update, deactivate, reactivate), SSH keys, the envelope and codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';

// biome-ignore lint/suspicious/noExplicitAny: a parsed answer body
function assertEnvelope(body: any, status: number, error: boolean) {
  assert.equal(body.response.status, status);
  assert.equal(body.response.error, error);
  assert.equal(body.response.erro, error);
  assert.equal(typeof body.response.message, 'string');
  assert.equal(body.response.mensagem, body.response.message);
  assert.equal(body.response.error_code, error ? 1 : 0);
  assert.equal(typeof body.response.detail, 'string');
}

for (const dialect of dialects) {
  describe(`senhasegura credentials [${dialect}]`, () => {
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

    it('OAuth2 client credentials: form body or Basic; a wrong secret, id or grant is refused in the envelope', async () => {
      const r = await form(h, 'POST', '/iso/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      });
      const body = JSON.parse(r.body);
      assert.equal(body.token_type, 'Bearer');
      assert.ok(body.expires_in > 0);
      assert.match(body.access_token, /^cfs_/);
      assert.equal(r.headers['cache-control'], 'no-store');
      const basic = await h.app.inject({
        method: 'POST',
        url: '/iso/oauth2/token',
        payload: 'grant_type=client_credentials',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        },
      });
      assert.equal(basic.statusCode, 200, basic.body);
      // the integer id of the key works as client_id too
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'api_key', client.clientId);
      assert.equal(
        (
          await form(h, 'POST', '/iso/oauth2/token', {
            client_id: String(num),
            client_secret: client.clientSecret,
            grant_type: 'client_credentials',
          })
        ).statusCode,
        200,
      );
      const bads: Array<Record<string, string>> = [
        { client_id: client.clientId, client_secret: `${client.clientSecret.slice(0, -2)}xx` },
        { client_id: 'key_nope', client_secret: client.clientSecret },
        { client_id: client.clientId, client_secret: token }, // a session is no client secret
        { client_id: client.clientId },
      ];
      for (const bad of bads) {
        const x = await form(h, 'POST', '/iso/oauth2/token', { grant_type: 'client_credentials', ...bad });
        assert.equal(x.statusCode, 401, x.body);
        const b = JSON.parse(x.body);
        assertEnvelope(b, 401, true);
        assert.equal(b.error, 'invalid_client');
        assert.ok(!x.body.includes(client.clientSecret));
      }
      const grant = await form(h, 'POST', '/iso/oauth2/token', {
        grant_type: 'password',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      });
      assert.equal(grant.statusCode, 400);
      assert.equal(JSON.parse(grant.body).error, 'unsupported_grant_type');
      const junk = await h.app.inject({
        method: 'POST',
        url: '/iso/oauth2/token',
        payload: '{not json',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(junk.statusCode, 400);
      assertEnvelope(JSON.parse(junk.body), 400, true);
    });

    it('a missing or wrong bearer token answers 401 in the envelope, on /iso and /api/pam', async () => {
      for (const url of ['/iso/pam/credential', '/api/pam/credential', '/iso/pam/credential/1', '/iso/pam/key/1']) {
        const variants: Array<Record<string, string>> = [
          {},
          { authorization: 'Bearer cfs_wrongwrongwrongwrongwrongwrongwrongwrongwro' },
          { authorization: 'Basic abc' },
        ];
        for (const headers of variants) {
          const r = await get(url, headers);
          assert.equal(r.status, 401, `${url} ${JSON.stringify(headers)}: ${r.raw}`);
          assertEnvelope(r.body, 401, true);
          assert.equal(r.body.exception.code, r.body.response.message.startsWith('1001') ? 1001 : 1002);
        }
      }
    });

    let id = '';
    it('creates with a form body (201, changed "true"), then the same again is 200 changed "false", a change is 200 "true"', async () => {
      const fields = {
        identifier: 'exampleuser01ws',
        hostname: 'exampledevice01',
        ip: '172.10.20.30',
        type: 'Local User',
        username: 'exampleuser01',
        content: 'secret@2504',
        tags: 'robot,test',
        additional: 'CREDADD01',
        port: '22',
        model: 'Ubuntu',
        domain: '',
        expiration: '2021-01-16 17:31:39',
      };
      const r = await form(h, 'POST', '/iso/pam/credential', fields, bearer());
      assert.equal(r.statusCode, 201, r.body);
      const body = JSON.parse(r.body);
      assertEnvelope(body, 201, false);
      assert.equal(body.response.changed, 'true');
      assert.match(body.credential.id, /^\d+$/);
      id = body.credential.id;
      const same = await form(
        h,
        'POST',
        '/iso/pam/credential',
        {
          identifier: 'exampleuser01ws',
          hostname: 'exampledevice01',
          ip: '172.10.20.30',
          username: 'exampleuser01',
          type: 'Local User',
          port: '22',
          model: 'Ubuntu',
        },
        bearer(),
      );
      assert.equal(same.statusCode, 200, same.body);
      assert.equal(JSON.parse(same.body).response.changed, 'false');
      assert.equal(JSON.parse(same.body).credential.id, id);
      const changed = await call(h, 'POST', '/iso/pam/credential', {
        headers: bearer(),
        body: {
          identifier: 'exampleuser01ws',
          hostname: 'exampledevice01',
          ip: '172.10.20.30',
          username: 'exampleuser01',
          content: 'secret@2504',
          port: 2222,
        },
      });
      assert.equal(changed.status, 200, changed.raw);
      assert.equal(changed.body.response.changed, 'true');
    });

    it('reads one by id, identifier, username@hostname (also unencoded, with ?credential=), as a reveal', async () => {
      const byId = await get(`/iso/pam/credential/${id}`);
      assert.equal(byId.status, 200, byId.raw);
      assertEnvelope(byId.body, 200, false);
      assert.equal(byId.body.response.message, `Credential ${id}`);
      const c = byId.body.credential;
      assert.equal(c.id, id);
      assert.equal(c.username, 'exampleuser01');
      assert.equal(c.password, 'secret@2504');
      assert.equal(c.content, 'secret@2504');
      assert.equal(c.hostname, 'exampledevice01');
      assert.equal(c.ip, '172.10.20.30');
      assert.equal(c.port, '2222');
      assert.equal(c.model, 'Ubuntu');
      assert.equal(c.additional, 'CREDADD01');
      assert.equal(c.tag, 'exampleuser01ws');
      assert.equal(c.parent_credential, null);
      assert.equal(c.expiration_time, '2021-01-16T17:31:39');
      for (const url of [
        '/iso/pam/credential/exampleuser01ws',
        '/iso/pam/credential/exampleuser01ws?credential=exampleuser01ws',
        `/iso/pam/credential/${id}?credential=${id}`,
        '/iso/pam/credential/exampleuser01@exampledevice01',
        '/iso/pam/credential/exampleuser01%40exampledevice01',
        '/iso/pam/credential?credential=exampleuser01ws',
        '/api/pam/credential/exampleuser01@exampledevice01',
        `/api/pam/credential/${id}`,
      ]) {
        const r = await get(url);
        assert.equal(r.status, 200, `${url}: ${r.raw}`);
        assert.equal(r.body.credential.id, id, url);
        assert.equal(r.body.credential.password, 'secret@2504', url);
      }
      const audit = await call(h, 'GET', '/api/v1/audit?action=secret.reveal&limit=5', { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      const rec = audit.body.items.find((x: { action: string }) => x.action === 'secret.reveal');
      assert.ok(rec, audit.raw);
      assert.equal(rec.via, 'senhasegura');
    });

    it('a username holding an @ resolves (split at the last @)', async () => {
      const r = await call(h, 'POST', '/iso/pam/credential', {
        headers: bearer(),
        body: { hostname: 'mail01', ip: '10.0.0.9', username: 'svc@corp.example', content: 'pw-1' },
      });
      assert.equal(r.status, 201, r.raw);
      const got = await get('/iso/pam/credential/svc@corp.example@mail01');
      assert.equal(got.status, 200, got.raw);
      assert.equal(got.body.credential.username, 'svc@corp.example');
      // no identifier: the key is hostname + ip + username
      const upd = await call(h, 'POST', '/iso/pam/credential', {
        headers: bearer(),
        body: { hostname: 'mail01', ip: '10.0.0.9', username: 'svc@corp.example', content: 'pw-2' },
      });
      assert.equal(upd.status, 200, upd.raw);
      assert.equal(upd.body.credential.id, r.body.credential.id);
    });

    it('lists with the seed fields, at /credential and /credential/, on both prefixes', async () => {
      for (const url of ['/iso/pam/credential', '/iso/pam/credential/', '/api/pam/credential']) {
        const r = await get(url);
        assert.equal(r.status, 200, r.raw);
        assertEnvelope(r.body, 200, false);
        assert.match(r.body.response.message, /^\d+ credentials? found$/);
        const one = r.body.credentials.find((x: { id: string }) => x.id === id);
        assert.ok(one, r.raw);
        assert.equal(one.identifier, 'exampleuser01ws');
        assert.equal(one.username, 'exampleuser01');
        assert.equal(one.hostname, 'exampledevice01');
        assert.equal(one.management_ip, '172.10.20.30');
        assert.equal(one.type, 'Local User');
        assert.equal(one.type_code, '1');
        assert.equal(one.device_model, 'Ubuntu');
        assert.equal(one.expiration, '2021-01-16 17:31:39');
        assert.match(one.change, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        assert.equal(one.view, null);
        assert.equal(one.automatic_change, '0');
        assert.equal('password' in one, false, 'a list is not a reveal');
      }
    });

    it('unknown ids and names answer 400 with 1007 and exception, never 404 or 5xx', async () => {
      for (const url of [
        '/iso/pam/credential/999999',
        '/iso/pam/credential/nobody@nowhere',
        '/iso/pam/credential/no-such-identifier',
        '/api/pam/credential/0',
      ]) {
        const r = await get(url);
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
        assertEnvelope(r.body, 400, true);
        assert.equal(r.body.response.message, '1007: Credential not found');
        assert.deepEqual(r.body.exception, { code: 1007, message: '1007: Credential not found', detail: null });
      }
      const key = await get('/iso/pam/key/999999');
      assert.equal(key.status, 400);
      assert.equal(key.body.exception.code, 1015);
      const route = await get('/iso/pam/nothing-here');
      assert.equal(route.status, 404);
      assertEnvelope(route.body, 404, true);
    });

    it('malformed bodies answer the envelope (400), never a 5xx', async () => {
      const cases: Array<[string, string]> = [
        ['application/json', '{"hostname": '],
        ['application/json', '[1,2]'],
        ['application/json', '{"__proto__": {"x": 1}}'],
        ['application/x-www-form-urlencoded', 'ip=1.2.3.4&username=u'], // no hostname
        ['application/x-www-form-urlencoded', 'hostname=h&username=u'], // no ip
        ['application/x-www-form-urlencoded', 'hostname=h&ip=1.2.3.4&username=u&expiration=tomorrow'],
        ['application/x-www-form-urlencoded', 'hostname=h&ip=1.2.3.4&username=u&port=ssh'],
        ['application/json', '{"hostname": {"a": 1}, "ip": "1", "username": "u"}'],
      ];
      for (const [type, payload] of cases) {
        const r = await h.app.inject({
          method: 'POST',
          url: '/iso/pam/credential',
          payload,
          headers: { 'content-type': type, ...bearer() },
        });
        assert.equal(r.statusCode, 400, `${payload}: ${r.body}`);
        assertEnvelope(JSON.parse(r.body), 400, true);
      }
      const noHost = await form(h, 'POST', '/iso/pam/credential', { ip: '1.2.3.4', username: 'u' }, bearer());
      assert.equal(JSON.parse(noHost.body).exception.code, 1004);
    });

    it('deactivates (JSON Content-Type with a form body accepted), then 400 on an inactive one; reactivates', async () => {
      const del = await h.app.inject({
        method: 'DELETE',
        url: '/iso/pam/credential/exampleuser01ws',
        payload: 'identifier=exampleuser01ws',
        headers: { 'content-type': 'application/json', ...bearer() },
      });
      assert.equal(del.statusCode, 200, del.body);
      assertEnvelope(JSON.parse(del.body), 200, false);
      assert.equal(JSON.parse(del.body).response.message, 'Credential successfully deactivated');
      const gone = await get(`/iso/pam/credential/${id}`);
      assert.equal(gone.status, 400);
      assert.equal(gone.body.exception.code, 1007);
      const twice = await call(h, 'DELETE', `/iso/pam/credential/${id}`, { headers: bearer() });
      assert.equal(twice.status, 400, twice.raw);
      assert.equal(twice.body.exception.code, 1007);
      assert.equal((await call(h, 'DELETE', '/iso/pam/credential/no-such', { headers: bearer() })).status, 400);
      const react = await call(h, 'PUT', `/iso/pam/credential/${id}`, { headers: bearer() });
      assert.equal(react.status, 200, react.raw);
      assert.equal(react.body.response.message, 'Credential successfully activated');
      assert.equal((await get(`/iso/pam/credential/${id}`)).body.credential.password, 'secret@2504', 'history kept');
      assert.equal((await call(h, 'PUT', `/iso/pam/credential/${id}`, { headers: bearer() })).status, 400, 'already active');
    });

    it('a credential the API user may not see answers exactly like a missing one', async () => {
      const vault = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: `hidden-${dialect}` } });
      assert.equal(vault.status, 201, vault.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: vault.body.id,
          template: 'host-credential',
          name: 'hidden-one',
          fields: { username: 'root', host: 'secret-host', password: 'top' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      for (const url of [`/iso/pam/credential/${num}`, '/iso/pam/credential/hidden-one', '/iso/pam/credential/root@secret-host']) {
        const r = await get(url);
        assert.equal(r.status, 400, url);
        assert.deepEqual(r.body.exception, { code: 1007, message: '1007: Credential not found', detail: null });
        assert.ok(!r.raw.includes('top'));
      }
      const list = await get('/iso/pam/credential');
      assert.ok(!list.body.credentials.some((x: { id: string }) => x.id === String(num)));
    });

    it('a credential gated by approval answers the product error, not the value', async () => {
      const vault = await call(h, 'POST', '/api/v1/vaults', {
        token: admin,
        body: { name: `gated-${dialect}`, policy: { approval: { required: true } } },
      });
      assert.equal(vault.status, 201, vault.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: vault.body.id,
          template: 'host-credential',
          name: 'gated-one',
          fields: { username: 'g', host: 'gh', password: 'gated-value' },
        },
      });
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: vault.body.id, principalType: 'user', principalId: client.user.id, level: 'reveal' },
      });
      assert.equal(g.status, 201, g.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      const r = await get(`/iso/pam/credential/${num}`);
      assert.equal(r.status, 403, r.raw);
      assert.equal(r.body.exception.code, 1021);
      assert.ok(!r.raw.includes('gated-value'));
      assertEnvelope(r.body, 403, true);
    });

    it('no client secret, access token or password reaches the log', () => {
      const logs = h.logs();
      for (const canary of [client.clientSecret, token, 'secret@2504', 'CREDADD01']) assert.ok(!logs.includes(canary), 'leaked to the log');
    });

    it('SSH keys: GET /iso/pam/key/{id}; a password credential is 1016', async () => {
      const vaults = await call(h, 'GET', '/api/v1/vaults', { token: client.user.token });
      const vaultId = vaults.body.items.find((v: { name: string; id: string }) => v.name === 'senhasegura').id;
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: client.user.token,
        body: {
          vaultId,
          template: 'ssh-key',
          name: 'deploy-key',
          tags: ['tag1', 'tag2'],
          fields: {
            username: 'jsilva',
            host: 'API-Testing',
            'private-key': '-----BEGIN KEY-----\nabc\n-----END KEY-----',
            'public-key': 'ssh-ed25519 AAAA',
          },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      const r = await get(`/iso/pam/key/${num}`);
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.response.message, `Key ${num}`);
      assert.equal(r.body.key.id, String(num));
      assert.equal(r.body.key.key_name, 'deploy-key');
      assert.equal(r.body.key.username, 'jsilva');
      assert.match(r.body.key.private_key, /BEGIN KEY/);
      assert.equal(r.body.key.public_key, 'ssh-ed25519 AAAA');
      assert.deepEqual(r.body.key.tags, ['tag1', 'tag2']);
      assert.deepEqual(r.body.key.devices, [{ hostname: 'API-Testing', ip: '' }]);
      const notKey = await get(`/iso/pam/key/${id}`);
      assert.equal(notKey.status, 400);
      assert.equal(notKey.body.exception.code, 1016);
      assert.ok(!notKey.raw.includes('secret@2504'));
    });
  });
}
