// PMP's API users are tied to one host ("every API user account should be attached to a single
// endpoint", seed 001): CREATE_USER with ISAPIUSER + HOSTNAME binds the user, and its keys and the
// sessions exchanged from them are accepted only from that host's addresses, whatever the key's
// own allowedCidrs. Both dialects; the last case over real HTTP from two loopback addresses.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiUser, form, PMP, pmp } from '../../../test/pmp.ts';

const TEXT_JSON = 'text/json';

for (const dialect of dialects) {
  describe(`PMP API users bound to their host (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    let adm: { id: string; key: string };

    /** CREATE_USER through PMP, then a key for it that by itself allows every address. */
    async function boundUser(username: string, host: string): Promise<{ id: string; key: string; keyId: string }> {
      const c = await pmp(h, 'POST', '/user', {
        token: adm.key,
        contentType: TEXT_JSON,
        body: form({ USERNAME: username, ROLE: 'Password Administrator', ISAPIUSER: 'true', HOSTNAME: host }),
      });
      assert.equal(c.body.operation.result.status, 'Success', c.raw);
      const users = await call(h, 'GET', '/api/v1/users?kind=api&limit=200', { token: admin });
      const u = users.body.items.find((x: { username: string }) => x.username === username);
      assert.equal(u.boundHost, host, 'the host is kept on the API user');
      const k = await call(h, 'POST', `/api/v1/users/${u.id}/api-keys`, {
        token: admin,
        body: {
          name: `${username}-key`,
          allowedCidrs: ['0.0.0.0/0', '::/0'],
          allowAnyAddress: true,
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          currentPassword: ADMIN.password,
        },
      });
      assert.equal(k.status, 201, k.raw);
      return { id: u.id, key: k.body.key, keyId: k.body.apiKey.id };
    }

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      adm = await apiUser(h, admin, 'pmp-host-admin', 'administrator');
    });
    after(async () => h.close());

    it('HOSTNAME as an address: the key works from that address only, and elsewhere answers like a wrong token', async () => {
      const u = await boundUser('ci-runner', '10.20.30.40');
      const wrongToken = await pmp(h, 'GET', '/resources', { token: 'cfk_not-a-real-key-000000', ip: '10.20.30.40' });
      assert.equal(wrongToken.body.operation.result.status, 'Failed');
      const home = await pmp(h, 'GET', '/resources', { token: u.key, ip: '10.20.30.40' });
      assert.equal(home.body.operation.result.status, 'Success', home.raw);
      assert.equal((await pmp(h, 'GET', '/resources', { token: u.key, ip: '::ffff:10.20.30.40' })).body.operation.result.status, 'Success');
      for (const ip of ['127.0.0.1', '10.20.30.41', '::1']) {
        const away = await pmp(h, 'GET', '/resources', { token: u.key, ip });
        assert.deepEqual(away.body, wrongToken.body, `from ${ip}`);
        assert.equal(away.status, wrongToken.status);
      }
      // the binding is the user's: the native API refuses it from elsewhere too
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u.key, ip: '10.20.30.40' })).status, 200);
      const native = await call(h, 'GET', '/api/v1/auth/whoami', { token: u.key, ip: '127.0.0.1' });
      assert.equal(native.status, 401);
      assert.equal(native.body.error.code, 'auth.invalid_token');
    });

    it('a session exchanged from the key (senhasegura OAuth) is bound to the host as well', async () => {
      const u = await boundUser('oauth-runner', '10.20.30.50');
      const token = (ip: string) =>
        h.app.inject({
          method: 'POST',
          url: '/iso/oauth2/token',
          remoteAddress: ip,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: u.keyId, client_secret: u.key }).toString(),
        });
      assert.notEqual((await token('127.0.0.1')).statusCode, 200, 'no token from another host');
      const ok = await token('10.20.30.50');
      assert.equal(ok.statusCode, 200, ok.body);
      const bearer = JSON.parse(ok.body).access_token as string;
      const list = (ip: string) =>
        h.app.inject({ method: 'GET', url: '/iso/pam/credential', remoteAddress: ip, headers: { authorization: `Bearer ${bearer}` } });
      assert.equal((await list('10.20.30.50')).statusCode, 200);
      const stolen = await list('127.0.0.1');
      assert.notEqual(stolen.statusCode, 200, 'the session taken to another host is refused');
      assert.equal(JSON.parse(stolen.body).response.status, 401);
    });

    it('HOSTNAME as a name binds to the addresses it resolves to; a name that does not resolve accepts nothing', async () => {
      const local = await boundUser('local-runner', 'localhost');
      assert.equal((await pmp(h, 'GET', '/resources', { token: local.key, ip: '127.0.0.1' })).body.operation.result.status, 'Success');
      assert.equal((await pmp(h, 'GET', '/resources', { token: local.key, ip: '10.20.30.40' })).body.operation.result.status, 'Failed');
      // the user is created (PMP takes any host name), but fails closed until the name resolves
      const nowhere = await boundUser('lost-runner', 'coffer-no-such-host.invalid');
      for (const ip of ['127.0.0.1', '10.20.30.40']) {
        assert.equal((await pmp(h, 'GET', '/resources', { token: nowhere.key, ip })).body.operation.result.status, 'Failed');
      }
    });

    it('refuses a HOSTNAME that is no host name, and a host for a human user', async () => {
      for (const host of ['bad host', 'a..b', '-x.example.com', 'x'.repeat(64)]) {
        const r = await pmp(h, 'POST', '/user', {
          token: adm.key,
          contentType: TEXT_JSON,
          body: form({ USERNAME: 'odd-runner', ROLE: 'Password User', ISAPIUSER: 'true', HOSTNAME: host }),
        });
        assert.equal(r.body.operation.result.status, 'Failed', host);
        assert.match(r.body.operation.result.message, /HOSTNAME/);
      }
      const human = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: 'hosted-human', role: 'password_user', password: 'a long and unusual pass phrase 71', boundHost: '10.0.0.1' },
      });
      assert.equal(human.status, 400, human.raw);
      assert.deepEqual(
        human.body.error.details.map((d: { path: string }) => d.path),
        ['/boundHost'],
      );
      const api = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: 'native-runner', kind: 'api', role: 'password_user', boundHost: '2001:db8::7' },
      });
      assert.equal(api.status, 201, api.raw);
      assert.equal(api.body.boundHost, '2001:db8::7');
      const unbound = await call(h, 'GET', `/api/v1/users/${adm.id}`, { token: admin });
      assert.equal(unbound.body.boundHost, null);
    });

    it('over real HTTP: the address that counts is the connection’s own', async () => {
      const u = await boundUser('loop-runner', '127.0.0.2');
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = h.app.server.address() as AddressInfo;
      const get = (localAddress: string) =>
        new Promise<{ status: number; body: { operation: { result: { status: string } } } }>((resolve, reject) => {
          const req = request(
            // the listener is on 127.0.0.1; the client picks its own loopback source address, and a
            // forged X-Forwarded-For changes nothing (no trusted proxy is configured)
            {
              host: '127.0.0.1',
              port,
              localAddress,
              path: `${PMP}/resources`,
              headers: { AUTHTOKEN: u.key, 'x-forwarded-for': '127.0.0.2' },
            },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => {
                text += c.toString('utf8');
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
            },
          );
          req.on('error', reject);
          req.end();
        });
      assert.equal((await get('127.0.0.2')).body.operation.result.status, 'Success');
      assert.equal((await get('127.0.0.1')).body.operation.result.status, 'Failed');
    });
  });
}
