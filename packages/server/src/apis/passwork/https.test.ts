// Passwork over real HTTPS with a listening server (self-signed certificate), as the Python
// connector on the network does it: login with the API key, add a password with a file, search,
// read it whole, read the file back, delete, logout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiKeyFor, b64, connectorHash, decodeFile, encodeFile, unb64 } from '../../../test/passwork.ts';
import { httpsSend, startTlsApp } from '../../../test/tls-app.ts';

const send = async (port: number, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await httpsSend(port, method, `/api/v4${url}`, body === undefined ? undefined : JSON.stringify(body), {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...headers,
  });
  return { status: r.status, body: r.json };
};

const dialect = dialects[0] ?? 'sqlite';
describe(`Passwork over HTTPS [${dialect}]`, () => {
  let h: Harness;
  let closeTls: () => Promise<void> = async () => {};
  let port = 0;
  let key = '';
  let vaultId = '';

  before(async () => {
    h = await startHarness(dialect);
    const admin = await adminToken(h);
    const user = await createUser(h, admin, 'password_administrator');
    key = await apiKeyFor(h, user);
    vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: user.token, body: { name: 'TLS' } })).body.id;
    ({ port, close: closeTls } = await startTlsApp(h));
  });
  after(async () => {
    await closeTls();
    await h.close();
  });

  it('login, add with a file, search, get, file, delete, logout', async () => {
    const v = await send(port, 'GET', '/info/version');
    assert.equal(v.status, 200);
    const login = await send(port, 'POST', `/auth/login/${key}`, { useMasterPassword: false });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const auth = { 'passwork-auth': login.body.data.token };
    const file = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x41]);
    const add = await send(
      port,
      'POST',
      '/passwords',
      {
        vaultId,
        name: 'tls-item',
        login: 'svc',
        cryptedPassword: b64('tls-pw'),
        attachments: [{ name: 'k.bin', encryptedKey: '', encryptedData: encodeFile(file), hash: connectorHash(file) }],
      },
      auth,
    );
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const found = await send(
      port,
      'POST',
      '/passwords/search',
      { query: 'tls-item', tags: [], colors: [], vaultId: null, includeShared: false, includeShortcuts: false },
      auth,
    );
    assert.deepEqual(
      found.body.data.map((p: { id: string }) => p.id),
      [add.body.data.id],
    );
    const got = await send(port, 'GET', `/passwords/${add.body.data.id}`, undefined, auth);
    assert.equal(unb64(got.body.data.cryptedPassword), 'tls-pw');
    const a = await send(port, 'GET', `/passwords/${add.body.data.id}/attachment/${got.body.data.attachments[0].id}`, undefined, auth);
    assert.deepEqual(decodeFile(a.body.data.encryptedData), file);
    assert.equal(a.body.data.hash, connectorHash(file));
    const del = await send(port, 'DELETE', `/passwords/${add.body.data.id}`, undefined, auth);
    assert.equal(del.status, 200);
    const out = await send(port, 'POST', '/auth/logout', undefined, auth);
    assert.equal(out.status, 200);
    assert.equal((await send(port, 'GET', '/user/info', undefined, auth)).body.code, 'apiSessionExpired');
  });
});
