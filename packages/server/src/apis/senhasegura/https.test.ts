// senhasegura over real HTTPS with a listening server (self-signed certificate): the OAuth2 token,
// then a credential created and read back, as a client on the network would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient } from '../../../test/senhasegura-client.ts';
import { httpsSend, startTlsApp } from '../../../test/tls-app.ts';

const send = async (port: number, method: string, url: string, body?: string, headers: Record<string, string> = {}) => {
  const r = await httpsSend(port, method, url, body, headers);
  return { status: r.status, body: r.json };
};

const dialect = dialects[0] ?? 'sqlite';
describe(`senhasegura over HTTPS [${dialect}]`, () => {
  let h: Harness;
  let closeTls: () => Promise<void> = async () => {};
  let port = 0;
  let clientId = '';
  let clientSecret = '';

  before(async () => {
    h = await startHarness(dialect);
    const admin = await adminToken(h);
    ({ clientId, clientSecret } = await apiClient(h, admin));
    ({ port, close: closeTls } = await startTlsApp(h));
  });
  after(async () => {
    await closeTls();
    await h.close();
  });

  it('token, create, read back, 1007 on an unknown one', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const t = await send(
      port,
      'POST',
      '/iso/oauth2/token',
      new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
      form,
    );
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const auth = { authorization: `Bearer ${t.body.access_token}` };
    const c = await send(
      port,
      'POST',
      '/iso/pam/credential',
      'hostname=tls-host&ip=10.9.8.7&username=deploy&content=tls-pw&identifier=tls-cred',
      { ...form, ...auth },
    );
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const r = await send(port, 'GET', '/iso/pam/credential/deploy@tls-host', undefined, auth);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.credential.password, 'tls-pw');
    const api = await send(port, 'GET', `/api/pam/credential/${c.body.credential.id}`, undefined, auth);
    assert.equal(api.body.credential.content, 'tls-pw');
    const miss = await send(port, 'GET', '/iso/pam/credential/404404', undefined, auth);
    assert.equal(miss.status, 400);
    assert.equal(miss.body.exception.code, 1007);
  });

  it('protected information as senhasegura-rs sends it (JSON create, GET by id, DELETE, then 1024)', async () => {
    const t = await send(
      port,
      'POST',
      '/iso/oauth2/token',
      new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    const auth = { authorization: `Bearer ${t.body.access_token}` };
    const body = JSON.stringify({ name: 'tls-info', content: 'tls-content', identifier: 'TLSINFO', type: 'access credential' });
    const c = await send(port, 'POST', '/iso/pam/info', body, { 'content-type': 'application/json', ...auth });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.info.content, 'tls-content');
    const r = await send(port, 'GET', `/iso/pam/info/${c.body.info.id}`, undefined, auth);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.info.id, r.body.info.tag, r.body.info.content], [c.body.info.id, 'TLSINFO', 'tls-content']);
    const d = await send(port, 'DELETE', `/iso/pam/info/${c.body.info.id}`, undefined, auth);
    assert.equal(d.status, 200, JSON.stringify(d.body));
    const gone = await send(port, 'GET', `/iso/pam/info/${c.body.info.id}`, undefined, auth);
    assert.equal(gone.status, 400);
    assert.equal(gone.body.exception.code, 1024);
  });
});
