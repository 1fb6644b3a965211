// The Passwork routes' response schemas (schemas.ts), over real HTTP (inject) on both dialects:
// every route under /api/v4 declares its success and error answers with closed shapes, and what a
// handler or the error renderer produced leaves the server unchanged (the serializer, which drops
// what a schema does not name, dropped nothing) — for every route, successes and errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness } from '../../../test/harness.ts';
import { apiKeyFor, b64, connectorHash, encodeFile, PW, pw, pwLogin } from '../../../test/passwork.ts';
import { assertAnswersKept, schemaProblems, startWatched, type WatchedAnswer, type WatchedRoute } from '../../../test/schema-watch.ts';
import { ERROR_STATUSES } from './schemas.ts';

const ours = (url: string) => url.startsWith(`${PW}/`);

for (const dialect of dialects) {
  describe(`Passwork response schemas [${dialect}]`, () => {
    let h: Harness;
    let routes: WatchedRoute[];
    let answers: WatchedAnswer[];

    before(async () => {
      ({ h, routes, answers } = await startWatched(dialect, ours));
    });
    after(async () => h.close());

    it('every route under /api/v4 has a 200 or 201 and every error status, each a closed object', () => {
      assert.ok(routes.length >= 49, `routes seen: ${routes.length}`);
      assert.deepEqual(schemaProblems(routes, ERROR_STATUSES), []);
    });

    it('every route answers through its schema and loses nothing, successes and errors alike', async () => {
      const admin = await adminToken(h);
      const owner = await createUser(h, admin, 'password_administrator');
      const friend = await createUser(h, admin, 'password_user');
      const key = await apiKeyFor(h, owner);
      const { token, refreshToken } = await pwLogin(h, key);
      const friendToken = (await pwLogin(h, await apiKeyFor(h, friend))).token;
      const ok = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, t = token) => {
        const r = await pw(h, method, path, { token: t, ...(body !== undefined ? { body } : {}) });
        assert.ok(r.status < 300, `${method} ${path}: ${r.raw}`);
        return r.body.data;
      };
      await ok('GET', '/info/version');
      await ok('GET', '/info/settings');
      await ok('GET', '/user/info');
      await ok('GET', '/user/get-master-key-options');
      const vaultId = await ok('POST', '/vaults', { name: 'Schemas' });
      const other = await ok('POST', '/vaults', { name: 'Schemas 2' });
      await ok('PUT', `/vaults/${other}`, { name: 'Schemas two' });
      await ok('GET', '/vaults/list');
      await ok('GET', '/vaults/domain');
      await ok('GET', `/vaults/${vaultId}`);
      const f = await ok('POST', '/folders', { vaultId, name: 'F' });
      const g = await ok('POST', '/folders', { vaultId, name: 'G', parentId: f.id });
      await ok('GET', `/folders/${f.id}`);
      await ok('GET', `/folders/${f.id}/children`);
      await ok('PUT', `/folders/${g.id}`, { name: 'G2', parentId: f.id });
      await ok('POST', `/folders/${g.id}/move`, { vaultTo: vaultId, folderTo: null });
      await ok('POST', '/folders/search', { query: 'G2' });
      await ok('GET', `/vaults/${vaultId}/folders`);
      const file = Buffer.from('schema file');
      const p = await ok('POST', '/passwords', {
        vaultId,
        folderId: f.id,
        name: 'schemas',
        login: 'u',
        url: 'https://schemas.example',
        cryptedPassword: b64('pw'),
        tags: ['t'],
        color: 2,
        custom: [{ name: b64('c'), value: b64('v'), type: b64('text') }],
        attachments: [{ name: 'f.txt', encryptedKey: '', encryptedData: encodeFile(file), hash: connectorHash(file) }],
      });
      const full = await ok('GET', `/passwords/${p.id}`);
      await ok('PUT', `/passwords/${p.id}`, { name: 'schemas2', cryptedPassword: b64('pw2') });
      await ok('POST', '/passwords/search', { query: 'schemas' });
      await ok('POST', '/passwords/searchByUrl', { url: 'https://schemas.example' });
      await ok('POST', `/passwords/${p.id}/favorite`);
      await ok('GET', '/passwords/favorite');
      await ok('GET', '/passwords/favorites');
      await ok('POST', `/passwords/${p.id}/unfavorite`);
      await ok('GET', '/passwords/recent');
      await ok('GET', `/vaults/${vaultId}/passwords`);
      await ok('GET', `/folders/${f.id}/passwords`);
      await ok('GET', '/vaults/tags');
      await ok('GET', `/vaults/${vaultId}/tags`);
      await ok('GET', '/vaults/colors');
      await ok('GET', `/vaults/${vaultId}/colors`);
      const att = await ok('POST', `/passwords/${p.id}/attachment`, {
        name: 'g.txt',
        encryptedKey: '',
        encryptedData: encodeFile(file),
        hash: connectorHash(file),
      });
      await ok('GET', `/passwords/${p.id}/attachment/${full.attachments[0].id}`);
      await ok('DELETE', `/passwords/${p.id}/attachment/${att.id}`);
      const copy = await ok('POST', `/passwords/${p.id}/copy`, { vaultTo: other, folderTo: null });
      await ok('POST', `/passwords/${copy.id}/move`, { vaultTo: vaultId, folderTo: null });
      await ok('DELETE', `/passwords/${copy.id}`);
      // the inbox
      const share = await call(h, 'POST', `/api/v1/secrets/${p.id}/shares`, {
        token: owner.token,
        body: { userId: friend.id, level: 'reveal' },
      });
      assert.equal(share.status, 201);
      await ok('GET', '/sharing/inbox/list', undefined, friendToken);
      await ok('GET', '/sharing/inbox/count', undefined, friendToken);
      await ok('GET', '/sharing/inbox/notifications/count', undefined, friendToken);
      await ok('GET', `/sharing/inbox/${share.body.id}`, undefined, friendToken);
      await ok('POST', `/sharing/inbox/${share.body.id}`, undefined, friendToken);
      await ok('POST', '/sharing/inbox/notifications/mark-as-viewed', undefined, friendToken);
      // errors: not found, validation, auth, conflict
      assert.equal((await pw(h, 'GET', '/passwords/sec_nope', { token })).status, 404);
      assert.equal((await pw(h, 'POST', '/passwords', { token, body: {} })).status, 400);
      assert.equal((await pw(h, 'GET', '/vaults/list')).status, 401);
      assert.equal((await pw(h, 'DELETE', `/vaults/${vaultId}`, { token })).status, 409);
      await ok('DELETE', `/folders/${g.id}`);
      await ok('DELETE', `/passwords/${p.id}`);
      await ok('DELETE', `/vaults/${other}`);
      // sessions last: refresh, then logout
      const refreshed = await ok('POST', `/auth/refreshToken/${token}/${refreshToken}`);
      await ok('POST', '/auth/logout', undefined, refreshed.token);

      assertAnswersKept(routes, answers, [200, 201, 400, 401, 404, 409]);
    });
  });
}
