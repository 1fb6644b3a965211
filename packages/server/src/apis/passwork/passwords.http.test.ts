// Passwords through the Passwork API beyond the connector's basics: edit (PUT with a snapshot, as
// the Go and JS clients send it), move, copy, recent, favourites, search by URL, the passwords of a
// vault or folder in Passwork's order, files added and removed, custom fields round trip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertError, b64, connectorHash, decodeFile, encodeFile, passworkUser, pw, unb64 } from '../../../test/passwork.ts';

for (const dialect of dialects) {
  describe(`Passwork passwords [${dialect}]`, () => {
    let h: Harness;
    let u: Awaited<ReturnType<typeof passworkUser>>;
    let vaultId: string;
    let otherVault: string;
    let folderId: string;

    const add = async (body: Record<string, unknown>) => {
      const r = await pw(h, 'POST', '/passwords', { token: u.pwToken, body: { vaultId, cryptedPassword: b64('pw'), ...body } });
      assert.equal(r.status, 200, r.raw);
      return r.body.data;
    };

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      u = await passworkUser(h, admin);
      const suffix = randomBytes(3).toString('hex');
      vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: u.token, body: { name: `Main ${suffix}` } })).body.id;
      otherVault = (await call(h, 'POST', '/api/v1/vaults', { token: u.token, body: { name: `Other ${suffix}` } })).body.id;
      folderId = (await call(h, 'POST', '/api/v1/folders', { token: u.token, body: { vaultId, name: 'Web' } })).body.id;
    });
    after(async () => h?.close());

    it('edits as the Go client sends it (every field, the same vault and folder) and answers what it sent', async () => {
      const p = await add({
        name: 'provider-test-entry',
        folderId,
        login: 'provider-test-user',
        url: 'https://login.com',
        color: 1,
        tags: ['test', 'foo', 'bar'],
      });
      assert.equal(p.folderId, folderId);
      assert.equal(p.color, 1);
      assert.equal(p.tags.length, 3);
      const r = await pw(h, 'PUT', `/passwords/${p.id}`, {
        token: u.pwToken,
        body: {
          name: 'provider-test-entry-changed',
          vaultId,
          folderId,
          login: 'provider-test-user-changed',
          cryptedPassword: 'cHJvdmlkZXItdGVzdC1wYXNzd29yZC1jaGFuZ2Vk',
          description: 'provider-test-description-changed',
          url: 'https://login-changed.com',
          color: 2,
          tags: ['changed', 'bar'],
          snapshot: 'opaque-client-snapshot',
        },
      });
      assert.equal(r.status, 200, r.raw);
      const e = r.body.data;
      assert.equal(e.id, p.id);
      assert.equal(e.name, 'provider-test-entry-changed');
      assert.equal(e.login, 'provider-test-user-changed');
      assert.equal(e.cryptedPassword, 'cHJvdmlkZXItdGVzdC1wYXNzd29yZC1jaGFuZ2Vk');
      assert.equal(e.color, 2);
      assert.deepEqual(e.tags.sort(), ['bar', 'changed']);
      const got = await pw(h, 'GET', `/passwords/${p.id}`, { token: u.pwToken });
      assert.equal(unb64(got.body.data.cryptedPassword), 'provider-test-password-changed');
      assert.equal(got.body.data.description, 'provider-test-description-changed');
      // a rename alone keeps the value; the version history has both changes
      const rename = await pw(h, 'PUT', `/passwords/${p.id}`, { token: u.pwToken, body: { name: 'renamed' } });
      assert.equal(rename.body.data.name, 'renamed');
      assert.equal(rename.body.data.cryptedPassword, '', 'not sent, not revealed');
      const again = await pw(h, 'GET', `/passwords/${p.id}`, { token: u.pwToken });
      assert.equal(unb64(again.body.data.cryptedPassword), 'provider-test-password-changed');
      const history = await call(h, 'GET', `/api/v1/secrets/${p.id}/history`, { token: u.token });
      assert.ok(history.body.items.length >= 3, history.raw);
    });

    it('custom fields round-trip; a field named after the template (notes, otp) lands in it', async () => {
      const p = await add({
        name: 'with-customs',
        custom: [
          { name: b64('notes'), value: b64('a note'), type: b64('text') },
          { name: b64('PIN'), value: b64('1234'), type: b64('password') },
        ],
      });
      const native = await call(h, 'POST', `/api/v1/secrets/${p.id}/reveal`, { token: u.token, body: {} });
      assert.equal(native.body.values.notes, 'a note');
      assert.equal(native.body.values['custom:PIN'], '1234');
      const got = await pw(h, 'GET', `/passwords/${p.id}`, { token: u.pwToken });
      const sent = got.body.data.custom;
      // edit: the client sends back what it read, one changed
      const changed = sent.map((c: { name: string; value: string; type: string }) =>
        unb64(c.name) === 'PIN' ? { ...c, value: b64('9999') } : c,
      );
      await pw(h, 'PUT', `/passwords/${p.id}`, { token: u.pwToken, body: { custom: changed } });
      const after = await call(h, 'POST', `/api/v1/secrets/${p.id}/reveal`, { token: u.token, body: {} });
      assert.equal(after.body.values['custom:PIN'], '9999');
      assert.equal(after.body.values.notes, 'a note');
      assertError(
        await pw(h, 'PUT', `/passwords/${p.id}`, {
          token: u.pwToken,
          body: { custom: [{ name: 'not base64!', value: b64('x'), type: b64('text') }] },
        }),
        400,
        'validationError',
      );
    });

    it('edits a secret of another template: its fields come back as custom fields and go back to their place', async () => {
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: u.token,
        body: {
          vaultId,
          template: 'database-account',
          name: 'pg',
          fields: { host: 'db01', port: '5432', username: 'app', password: 'old' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const got = (await pw(h, 'GET', `/passwords/${s.body.id}`, { token: u.pwToken })).body.data;
      assert.equal(got.login, 'app');
      assert.equal(unb64(got.cryptedPassword), 'old');
      const customs = got.custom.map((c: { name: string; value: string; type: string }) => ({
        ...c,
        value: unb64(c.name) === 'port' ? b64('6432') : c.value,
      }));
      // as the Go client edits: every field sent, url empty (this template has none)
      const r = await pw(h, 'PUT', `/passwords/${s.body.id}`, {
        token: u.pwToken,
        body: { name: 'pg', vaultId, login: 'app', url: '', cryptedPassword: b64('new'), custom: customs },
      });
      assert.equal(r.status, 200, r.raw);
      const native = await call(h, 'GET', `/api/v1/secrets/${s.body.id}`, { token: u.token });
      assert.equal(native.body.template, 'database-account');
      assert.deepEqual(native.body.fields, { host: 'db01', port: '6432', username: 'app' });
      assert.deepEqual(native.body.customFields, [], 'no duplicate of a template field');
      const values = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, { token: u.token, body: {} });
      assert.equal(values.body.values.password, 'new');
      // an API key secret: its value is the "secret" field
      const k = await call(h, 'POST', '/api/v1/secrets', {
        token: u.token,
        body: { vaultId, template: 'api-key', name: 'token', fields: { 'key-id': 'AKIA', secret: 's3' } },
      });
      assert.equal(unb64((await pw(h, 'GET', `/passwords/${k.body.id}`, { token: u.pwToken })).body.data.cryptedPassword), 's3');
      await pw(h, 'PUT', `/passwords/${k.body.id}`, { token: u.pwToken, body: { cryptedPassword: b64('s4') } });
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${k.body.id}/reveal`, { token: u.token, body: {} })).body.values.secret, 's4');
      // a note has no password field to write
      const n = await call(h, 'POST', '/api/v1/secrets', {
        token: u.token,
        body: { vaultId, template: 'secure-note', name: 'note', fields: { notes: 'x' } },
      });
      assertError(
        await pw(h, 'PUT', `/passwords/${n.body.id}`, { token: u.pwToken, body: { cryptedPassword: b64('y') } }),
        400,
        'validationError',
      );
    });

    it('lists a vault and a folder in name order, without values', async () => {
      for (const name of ['zeta', 'Alpha', 'beta']) await add({ name: `sort-${name}`, folderId });
      const r = await pw(h, 'GET', `/folders/${folderId}/passwords`, { token: u.pwToken });
      assert.equal(r.status, 200, r.raw);
      const names = r.body.data.map((p: { name: string }) => p.name).filter((n: string) => n.startsWith('sort-'));
      assert.deepEqual(names, ['sort-Alpha', 'sort-beta', 'sort-zeta']);
      assert.ok(r.body.data.every((p: { cryptedPassword: string }) => p.cryptedPassword === ''));
      const top = await pw(h, 'GET', `/vaults/${vaultId}/passwords`, { token: u.pwToken });
      assert.ok(
        top.body.data.every((p: { folderId: string | null }) => p.folderId === null),
        'only the vault top',
      );
    });

    it('searches by URL (the host and its subdomains)', async () => {
      const a = await add({ name: 'gitlab', url: 'https://gitlab.example.net/users/sign_in' });
      await add({ name: 'elsewhere', url: 'https://example.org' });
      const r = await pw(h, 'POST', '/passwords/searchByUrl', {
        token: u.pwToken,
        body: { url: 'https://gitlab.example.net/x', includeShared: false },
      });
      assert.equal(r.status, 200, r.raw);
      assert.deepEqual(
        r.body.data.map((p: { id: string }) => p.id),
        [a.id],
      );
      assertError(await pw(h, 'POST', '/passwords/searchByUrl', { token: u.pwToken, body: {} }), 400, 'validationError');
    });

    it('marks favourites and lists them; lists recently viewed, newest first', async () => {
      const a = await add({ name: 'fav-a' });
      const b = await add({ name: 'fav-b' });
      assert.deepEqual((await pw(h, 'POST', `/passwords/${b.id}/favorite`, { token: u.pwToken })).body, { status: 'success', data: true });
      await pw(h, 'POST', `/passwords/${a.id}/favorite`, { token: u.pwToken });
      await pw(h, 'POST', `/passwords/${a.id}/unfavorite`, { token: u.pwToken });
      const favs = await pw(h, 'GET', '/passwords/favorite', { token: u.pwToken });
      assert.deepEqual(
        favs.body.data.map((p: { id: string }) => p.id),
        [b.id],
      );
      assert.equal(favs.body.data[0].isFavorite, true);
      assert.equal((await pw(h, 'GET', `/passwords/${b.id}`, { token: u.pwToken })).body.data.isFavorite, true);
      await pw(h, 'GET', `/passwords/${a.id}`, { token: u.pwToken });
      await pw(h, 'GET', `/passwords/${b.id}`, { token: u.pwToken });
      const recent = await pw(h, 'GET', '/passwords/recent', { token: u.pwToken });
      const ids = recent.body.data.map((p: { id: string }) => p.id);
      assert.deepEqual(ids.slice(0, 2), [b.id, a.id]);
      assert.ok(recent.body.data.every((p: { cryptedPassword: string }) => p.cryptedPassword === ''));
      assertError(await pw(h, 'POST', '/passwords/sec_nope/favorite', { token: u.pwToken }), 404, 'passwordNull');
    });

    it('moves to another vault and folder; copies with value and files into another vault', async () => {
      const file = randomBytes(2000);
      const p = await add({
        name: 'movable',
        custom: [{ name: b64('Token'), value: b64('tkn'), type: b64('password') }],
        attachments: [{ name: 'key.bin', encryptedKey: '', encryptedData: encodeFile(file), hash: connectorHash(file) }],
      });
      const moved = await pw(h, 'POST', `/passwords/${p.id}/move`, {
        token: u.pwToken,
        body: { passwordId: p.id, vaultTo: otherVault, folderTo: null },
      });
      assert.equal(moved.status, 200, moved.raw);
      assert.equal(moved.body.data.vaultId, otherVault);
      assert.equal(moved.body.data.folderId, null);
      const copy = await pw(h, 'POST', `/passwords/${p.id}/copy`, { token: u.pwToken, body: { vaultTo: vaultId, folderTo: folderId } });
      assert.equal(copy.status, 200, copy.raw);
      const c = copy.body.data;
      assert.notEqual(c.id, p.id);
      assert.equal(c.vaultId, vaultId);
      assert.equal(c.folderId, folderId);
      const got = await pw(h, 'GET', `/passwords/${c.id}`, { token: u.pwToken });
      assert.equal(unb64(got.body.data.cryptedPassword), 'pw');
      assert.deepEqual(
        got.body.data.custom.map((x: { name: string; value: string }) => [unb64(x.name), unb64(x.value)]),
        [['Token', 'tkn']],
      );
      const att = await pw(h, 'GET', `/passwords/${c.id}/attachment/${got.body.data.attachments[0].id}`, { token: u.pwToken });
      assert.deepEqual(decodeFile(att.body.data.encryptedData), file);
      assertError(await pw(h, 'POST', `/passwords/${p.id}/move`, { token: u.pwToken, body: {} }), 400, 'validationError');
      assertError(await pw(h, 'POST', `/passwords/${p.id}/move`, { token: u.pwToken, body: { vaultTo: 'vlt_nope' } }), 404);
    });

    it('a user who reaches only a folder adds and reads passwords there', async () => {
      const admin = await adminToken(h);
      const member = await passworkUser(h, admin, 'password_user');
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: u.token,
        body: { nodeId: folderId, principalType: 'user', principalId: member.id, level: 'edit' },
      });
      assert.equal(g.status, 201, g.raw);
      const r = await pw(h, 'POST', '/passwords', {
        token: member.pwToken,
        body: { vaultId, folderId, name: 'by-member', cryptedPassword: b64('m') },
      });
      assert.equal(r.status, 200, r.raw);
      assert.equal(unb64((await pw(h, 'GET', `/passwords/${r.body.data.id}`, { token: member.pwToken })).body.data.cryptedPassword), 'm');
      const v = await pw(h, 'GET', `/vaults/${vaultId}`, { token: member.pwToken });
      assert.equal(v.status, 200, v.raw);
      assertError(
        await pw(h, 'POST', '/passwords', { token: member.pwToken, body: { vaultId, name: 'top', cryptedPassword: b64('m') } }),
        403,
        'accessDenied',
      );
    });

    it('adds and removes a file as the JS connector does', async () => {
      const p = await add({ name: 'files' });
      const file = Buffer.from('line one\nligne deux: é\n');
      const up = await pw(h, 'POST', `/passwords/${p.id}/attachment`, {
        token: u.pwToken,
        body: { name: 'notes.txt', encryptedKey: b64('a'.repeat(32)), encryptedData: encodeFile(file), hash: connectorHash(file) },
      });
      assert.equal(up.status, 200, up.raw);
      const got = await pw(h, 'GET', `/passwords/${p.id}/attachment/${up.body.data.id}`, { token: u.pwToken });
      assert.deepEqual(decodeFile(got.body.data.encryptedData), file);
      const del = await pw(h, 'DELETE', `/passwords/${p.id}/attachment/${up.body.data.id}`, { token: u.pwToken });
      assert.equal(del.status, 200, del.raw);
      assertError(await pw(h, 'GET', `/passwords/${p.id}/attachment/${up.body.data.id}`, { token: u.pwToken }), 404, 'attachmentNull');
    });
  });
}
