// Client-side encryption (Passwork's master-password mode): a session that logged in with
// `useMasterPassword` gets master key options, presents the master key's hash, creates a private
// vault with its encrypted vault password and stores items whose values it encrypted itself.
// Coffer stores and returns them as sent and never holds a plaintext value; sessions of one mode
// are refused on items of the other.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { canary, hits, storeScans } from '../../../test/canary.ts';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import {
  aesDecode,
  aesEncode,
  apiKeyFor,
  assertError,
  b64,
  connectorHash,
  masterKeyOf,
  pw,
  pwLogin,
  sha256Hex,
  unb64,
} from '../../../test/passwork.ts';
import { num, ss, ssLogin } from '../../../test/secretserver.ts';
import { convertMasterPasswordVaults } from '../../db/migrations/0023-e2e-schemes.ts';

for (const dialect of dialects) {
  describe(`Passwork with client-side encryption [${dialect}]`, () => {
    let h: Harness;
    let user: Awaited<ReturnType<typeof createUser>>;
    let key: string;
    let token: string;
    let masterKey: string;
    let headers: Record<string, string>;
    let vaultId: string;
    let vaultPassword: string;
    const masterPassword = `master-${randomBytes(6).toString('hex')}`;
    const plain = `cse-plain-${randomBytes(10).toString('hex')}`;
    const fileBytes = Buffer.from(`attachment-plain-${randomBytes(10).toString('hex')}`);

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      user = await createUser(h, admin, 'password_administrator');
      key = await apiKeyFor(h, user);
      token = (await pwLogin(h, key, true)).token;
    });
    after(async () => h?.close());

    it('answers master key options only to a master-password session; pins the master key hash', async () => {
      const mk = await pw(h, 'GET', '/user/get-master-key-options', { token });
      assert.equal(mk.status, 200, mk.raw);
      assert.match(mk.body.data.mkOptions, /^pbkdf:sha256:300000:64:[A-Za-z0-9_-]+$/);
      masterKey = masterKeyOf(mk.body.data.mkOptions, masterPassword);
      headers = { 'passwork-masterhash': sha256Hex(masterKey) };
      const info = await pw(h, 'GET', '/user/info', { token, headers });
      assert.equal(info.body.data.useMasterPassword, true);
      // the same user in clear mode: no options (the Python connector would try to derive a key)
      const clear = await pwLogin(h, key, false);
      assert.deepEqual((await pw(h, 'GET', '/user/get-master-key-options', { token: clear.token })).body.data, {});
      // the same options again on the next master-password login
      const again = await pwLogin(h, key, true);
      assert.equal(
        (await pw(h, 'GET', '/user/get-master-key-options', { token: again.token })).body.data.mkOptions,
        mk.body.data.mkOptions,
      );
      // another master password (another key hash) is refused
      assertError(
        await pw(h, 'GET', '/user/info', { token, headers: { 'passwork-masterhash': sha256Hex('other') } }),
        400,
        'invalidMasterHash',
      );
    });

    it('creates a private vault with its encrypted password, kept opaque', async () => {
      vaultPassword = randomBytes(16).toString('hex');
      const salt = randomBytes(16).toString('hex');
      const add = await pw(h, 'POST', '/vaults', {
        token,
        headers,
        body: {
          name: 'Private',
          passwordCrypted: aesEncode(vaultPassword, masterKey),
          salt,
          passwordHash: sha256Hex(vaultPassword + salt),
          isPrivate: true,
        },
      });
      assert.equal(add.status, 201, add.raw);
      vaultId = add.body.data;
      const v = await pw(h, 'GET', `/vaults/${vaultId}`, { token, headers });
      assert.equal(v.body.data.scope, 'personal');
      assert.equal(aesDecode(v.body.data.vaultPasswordCrypted, masterKey).toString(), vaultPassword);
      assertError(
        await pw(h, 'POST', '/vaults', { token, headers, body: { name: 'Domain', mpCrypted: 'x', salt: 'y', passwordHash: 'z' } }),
        400,
      );
    });

    it('stores an item encrypted by the client and gives it back as sent; the client decrypts it', async () => {
      const itemKey = randomBytes(24).toString('base64');
      const fileKey = randomBytes(24).toString('hex');
      const attachment = {
        name: 'secret.txt',
        encryptedKey: aesEncode(fileKey, itemKey),
        encryptedData: aesEncode(Buffer.from(fileBytes.toString('base64')), fileKey),
        hash: connectorHash(fileBytes),
      };
      const custom = [{ name: aesEncode('PIN', itemKey), value: aesEncode('2468', itemKey), type: aesEncode('password', itemKey) }];
      const add = await pw(h, 'POST', '/passwords', {
        token,
        headers,
        body: {
          vaultId,
          name: 'encrypted item',
          login: 'root',
          url: 'https://vault.example',
          cryptedPassword: aesEncode(plain, itemKey),
          cryptedKey: aesEncode(itemKey, vaultPassword),
          custom,
          attachments: [attachment],
        },
      });
      assert.equal(add.status, 200, add.raw);
      const id = add.body.data.id;
      const got = await pw(h, 'GET', `/passwords/${id}`, { token, headers });
      assert.equal(got.status, 200, got.raw);
      const p = got.body.data;
      const k = aesDecode(p.cryptedKey, vaultPassword).toString();
      assert.equal(k, itemKey);
      assert.equal(aesDecode(p.cryptedPassword, k).toString(), plain);
      assert.deepEqual(p.custom, custom);
      const a = await pw(h, 'GET', `/passwords/${id}/attachment/${p.attachments[0].id}`, { token, headers });
      assert.equal(a.status, 200, a.raw);
      assert.deepEqual({ ...a.body.data, id: undefined }, { ...attachment, id: undefined });
      const fk = aesDecode(a.body.data.encryptedKey, k).toString();
      const bytes = Buffer.from(aesDecode(a.body.data.encryptedData, fk).toString(), 'base64');
      assert.deepEqual(bytes, fileBytes);
      // found by its clear metadata
      const s = await pw(h, 'POST', '/passwords/search', { token, headers, body: { query: 'encrypted' } });
      assert.deepEqual(
        s.body.data.map((x: { id: string }) => x.id),
        [id],
      );
      // natively: a client-encrypted item whose value is the client's ciphertext, never the plaintext
      const native = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: user.token, body: {} });
      assert.equal(native.status, 200);
      assert.ok(!JSON.stringify(native.body).includes(plain));
      assert.equal(JSON.parse(native.body.values.payload).cryptedPassword, p.cryptedPassword);
      // the same vault kind as every end-to-end encrypted vault: the scheme is Passwork's (ADR 0026)
      const vault = await call(h, 'GET', `/api/v1/vaults/${vaultId}`, { token: user.token });
      assert.equal(vault.body.encryption, 'e2e');
      assert.equal(vault.body.e2eScheme, 'master-password');
      const secret = await call(h, 'GET', `/api/v1/secrets/${id}`, { token: user.token });
      assert.equal(secret.body.e2e, true);
      assert.equal(secret.body.e2eScheme, 'master-password');
      assert.equal(native.body.e2eScheme, 'master-password');
      // what needs the server to read or make a value is refused, before anything is written
      const e2eRefused = async (r: Promise<{ status: number; body: { error?: { code?: string } } }>) => {
        const x = await r;
        assert.equal(x.status, 409, JSON.stringify(x.body));
        assert.equal(x.body.error?.code, 'secret.e2e_unsupported');
      };
      await e2eRefused(call(h, 'PATCH', `/api/v1/secrets/${id}`, { token: user.token, body: { fields: { payload: 'plain-by-mistake' } } }));
      await e2eRefused(
        call(h, 'PATCH', `/api/v1/secrets/${id}`, {
          token: user.token,
          body: { fields: { payload: JSON.stringify({ cryptedPassword: 'hunter2-in-clear', cryptedKey: '', custom: null }) } },
        }),
      );
      await e2eRefused(
        call(h, 'POST', '/api/v1/secrets', {
          token: user.token,
          body: { vaultId, name: 'clear login', template: 'web-login', fields: { username: 'u', password: 'p' } },
        }),
      );
      await e2eRefused(call(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: user.token, body: {} }));
      await e2eRefused(call(h, 'POST', '/api/v1/export', { token: user.token, body: { vaultId, passphrase: 'a long passphrase here' } }));
      // an API that hands out values in clear gets none of it (Secret Server); an API of OpenPGP
      // messages does not see it at all (Passbolt lists only OpenPGP vaults: passbolt/resources tests)
      const ssToken = (await ssLogin(h, user.username, user.password)).access_token;
      const ssRead = await ss(h, 'GET', `/secrets/${await num(h, 'secret', id)}`, ssToken);
      assert.ok(ssRead.status >= 400 && ssRead.status < 500, ssRead.raw);
      assert.ok(!ssRead.raw.includes(p.cryptedPassword));
      // its files too are what the client made: a file in clear under the media type is refused
      const uploadNative = (name: string, content: string) =>
        h.app.inject({
          method: 'POST',
          url: `/api/v1/secrets/${id}/attachments?name=${name}&contentType=application/vnd.coffer.client-encrypted%2Bjson`,
          headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/octet-stream' },
          payload: Buffer.from(content),
        });
      const clearFile = await uploadNative('clear.txt', 'a plaintext file');
      assert.equal(clearFile.statusCode, 409, clearFile.body);
      assert.equal(JSON.parse(clearFile.body).error.code, 'secret.e2e_unsupported');
      const mislabelled = await uploadNative('fake.json', JSON.stringify({ encryptedKey: 'k', encryptedData: 'plain data', hash: 'h' }));
      assert.equal(mislabelled.statusCode, 409, mislabelled.body);
      const k2 = aesEncode('file-key', itemKey);
      const good = await uploadNative(
        'ok.json',
        JSON.stringify({ encryptedKey: k2, encryptedData: aesEncode('ZGF0YQ==', 'file-key'), hash: 'h' }),
      );
      assert.equal(good.statusCode, 201, good.body);
      assert.equal((await uploadNative('plain.bin', 'x')).statusCode, 409);
      // no OpenPGP readers or messages for it
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${id}/readers`, { token: user.token })).status, 409);
      // such a vault is made only by a Passwork client, with its key material: not natively
      const native2 = await call(h, 'POST', '/api/v1/vaults', {
        token: user.token,
        body: { name: 'mp by hand', encryption: 'e2e', e2eScheme: 'master-password' },
      });
      assert.equal(native2.status, 400, native2.raw);
      // a client-encrypted item lives nowhere else
      const serverVault = (await call(h, 'POST', '/api/v1/vaults', { token: user.token, body: { name: 'server kind' } })).body.id;
      const misplaced = await call(h, 'POST', '/api/v1/secrets', {
        token: user.token,
        body: { vaultId: serverVault, name: 'x', template: 'client-encrypted', fields: { payload: native.body.values.payload } },
      });
      assert.equal(misplaced.status, 400, misplaced.raw);
      // nothing was stored by the refusals: the value is still the client's
      const again = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: user.token, body: {} });
      assert.equal(again.body.values.payload, native.body.values.payload);
      // a rename keeps the encrypted parts; a new value replaces only the value
      await pw(h, 'PUT', `/passwords/${id}`, { token, headers, body: { name: 'renamed item' } });
      const newValue = aesEncode('new-plain', itemKey);
      await pw(h, 'PUT', `/passwords/${id}`, { token, headers, body: { cryptedPassword: newValue } });
      const after = (await pw(h, 'GET', `/passwords/${id}`, { token, headers })).body.data;
      assert.equal(after.name, 'renamed item');
      assert.equal(after.cryptedPassword, newValue);
      assert.equal(after.cryptedKey, p.cryptedKey);
      assert.deepEqual(after.custom, custom);
      // no plaintext anywhere in the store
      assert.deepEqual(hits([canary('plaintext', plain), canary('file', fileBytes.toString())], await storeScans(h)), []);
    });

    it('migration 0023 turns a client-encrypted vault the old code made into an E2E vault of the master-password scheme', async () => {
      const items = (await pw(h, 'GET', `/vaults/${vaultId}/passwords`, { token, headers })).body.data as Array<{ id: string }>;
      assert.ok(items.length > 0);
      // the store as the code before 0023 left it: a server vault carrying the client's key material
      const db = h.database.db;
      await db.updateTable('vaults').set({ encryption: 'server', e2e_scheme: null }).where('id', '=', vaultId).execute();
      await db.updateTable('secrets').set({ e2e: 0 }).where('vault_id', '=', vaultId).execute();
      // and a server vault whose metadata merely looks alike but holds another kind of secret stays one
      const other = (await pw(h, 'POST', '/vaults', { token: (await pwLogin(h, key, false)).token, body: { name: 'Lookalike' } })).body
        .data;
      await pw(h, 'POST', '/passwords', {
        token: (await pwLogin(h, key, false)).token,
        body: { vaultId: other, name: 'c', cryptedPassword: b64('c') },
      });
      await db
        .insertInto('metadata')
        .values({
          node_id: other,
          section: 'Passwork',
          name: 'vaultPasswordCrypted',
          type: 'string',
          value: 'x',
          updated_by: null,
          updated_at: 0,
        })
        .execute();
      await convertMasterPasswordVaults(db as never);
      const v = await db.selectFrom('vaults').select(['encryption', 'e2e_scheme']).where('id', '=', vaultId).executeTakeFirstOrThrow();
      assert.deepEqual({ ...v }, { encryption: 'e2e', e2e_scheme: 'master-password' });
      const kinds = await db.selectFrom('secrets').select('e2e').where('vault_id', '=', vaultId).execute();
      assert.deepEqual(new Set(kinds.map((k) => Number(k.e2e))), new Set([2]));
      const o = await db.selectFrom('vaults').select(['encryption', 'e2e_scheme']).where('id', '=', other).executeTakeFirstOrThrow();
      assert.deepEqual({ ...o }, { encryption: 'server', e2e_scheme: null });
      // and the client reads its items as before
      assert.equal((await pw(h, 'GET', `/passwords/${items[0]?.id}`, { token, headers })).status, 200);
    });

    it('keeps the modes apart: clear sessions are refused on encrypted items and vaults, and the other way round', async () => {
      const clear = await pwLogin(h, key, false);
      const items = await pw(h, 'GET', `/vaults/${vaultId}/passwords`, { token: clear.token });
      const id = items.body.data[0].id;
      assertError(await pw(h, 'GET', `/passwords/${id}`, { token: clear.token }), 400, 'vaultEncryptionMismatch');
      assertError(
        await pw(h, 'POST', '/passwords', { token: clear.token, body: { vaultId, name: 'x', cryptedPassword: b64('x') } }),
        400,
        'vaultEncryptionMismatch',
      );
      const clearVault = (await pw(h, 'POST', '/vaults', { token: clear.token, body: { name: 'Clear' } })).body.data;
      const clearItem = await pw(h, 'POST', '/passwords', {
        token: clear.token,
        body: { vaultId: clearVault, name: 'c', cryptedPassword: b64('c') },
      });
      assert.equal(unb64(clearItem.body.data.cryptedPassword), 'c');
      assertError(await pw(h, 'GET', `/passwords/${clearItem.body.data.id}`, { token, headers }), 400, 'vaultEncryptionMismatch');
      assertError(
        await pw(h, 'POST', '/passwords', { token, headers, body: { vaultId: clearVault, name: 'x', cryptedPassword: 'abc' } }),
        400,
        'vaultEncryptionMismatch',
      );
    });
  });
}
