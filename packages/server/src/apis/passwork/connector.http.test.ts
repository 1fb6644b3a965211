// The Passwork Python connector's flow (seed 000), step by step as it sends it: login with an API
// key -> master key options -> user info -> search -> get with attachments (hash checked as the
// connector checks it) -> inbox -> add -> delete -> logout; and the JS connector's session
// handling (version before login, refresh on apiSessionExpired with an empty Passwork-Auth).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import {
  apiKeyFor,
  assertError,
  b64,
  connectorHash,
  decodeFile,
  encodeFile,
  PW,
  passworkUser,
  pw,
  pwLogin,
  unb64,
} from '../../../test/passwork.ts';
import { manualClock } from '../../lib/clock.ts';

for (const dialect of dialects) {
  describe(`Passwork: the Python connector's flow [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof passworkUser>>;
    let vaultId: string;
    let folderId: string;
    const canary = `pw-canary-${randomBytes(8).toString('hex')}-ü€`;
    // a binary file: its bytes >= 0x80 make the connectors' hash differ from a plain SHA-256
    const binary = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xc3, 0xa9, 0xff, 0xfe, 10, 13, 0x41]);
    let secretId: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await passworkUser(h, admin);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Infra ${randomBytes(3).toString('hex')}` } });
      vaultId = v.body.id;
      const f = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId, name: 'Servers' } });
      folderId = f.body.id;
      // a password made natively, with a custom field and a file, to be read the connector's way
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId,
          folderId,
          template: 'web-login',
          name: 'db-admin',
          description: 'primary database',
          tags: ['prod', 'db'],
          color: 'green',
          fields: { url: 'https://db.example.com', username: 'dba', password: canary, notes: 'rotate monthly' },
          customFields: [
            { name: 'Port', type: 'text', value: '5432' },
            { name: 'Second password', type: 'password', value: 'second-secret' },
          ],
        },
      });
      assert.equal(s.status, 201, s.raw);
      secretId = s.body.id;
      const up = await h.app.inject({
        method: 'POST',
        url: `/api/v1/secrets/${secretId}/attachments`,
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream', 'x-filename': 'blob.bin' },
        payload: binary,
      });
      assert.equal(up.statusCode, 201, up.body);
    });
    after(async () => h?.close());

    it('logs in with the API key and answers the token pair', async () => {
      const r = await h.app.inject({
        method: 'POST',
        url: `${PW}/auth/login/${owner.apiKey}`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ useMasterPassword: false }),
      });
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json();
      assert.equal(body.status, 'success');
      assert.match(body.data.token, /^[A-Za-z0-9_-]{10,200}$/);
      assert.match(body.data.refreshToken, /^[A-Za-z0-9_-]{10,200}$/);
      assert.equal(typeof body.data.tokenTtl, 'number');
      assert.equal(body.data.user.login, owner.username);
      // the Go client logs in with no body at all
      const bare = await h.app.inject({ method: 'POST', url: `${PW}/auth/login/${owner.apiKey}` });
      assert.equal(bare.statusCode, 200, bare.body);
    });

    it('answers master key options as an object, empty in clear mode; and user info', async () => {
      const mk = await pw(h, 'GET', '/user/get-master-key-options', { token: owner.pwToken });
      assert.equal(mk.status, 200);
      assert.deepEqual(mk.body, { status: 'success', data: {} });
      const info = await pw(h, 'GET', '/user/info', { token: owner.pwToken });
      assert.equal(info.status, 200);
      assert.equal(info.body.data.login, owner.username);
      assert.equal(info.body.data.useMasterPassword, false);
    });

    it("searches with the connector's parameters, and finds the password without its value", async () => {
      const r = await pw(h, 'POST', '/passwords/search', {
        token: owner.pwToken,
        body: { query: 'db-admin', tags: [], colors: [], vaultId: null, includeShared: false, includeShortcuts: false },
      });
      assert.equal(r.status, 200, r.raw);
      assert.deepEqual(
        r.body.data.map((p: { id: string }) => p.id),
        [secretId],
      );
      const item = r.body.data[0];
      assert.equal(item.name, 'db-admin');
      assert.equal(item.login, 'dba');
      assert.equal(item.folderId, folderId);
      assert.equal(item.color, 4, 'green is colour 4');
      assert.deepEqual(item.tags.sort(), ['db', 'prod']);
      assert.equal(item.cryptedPassword, '', 'a list reveals nothing');
      assert.ok(!r.raw.includes(b64(canary)));
      // by tag (any of them), by colour as the connector sends it (numbers or strings), by vault
      for (const body of [{ tags: ['prod'] }, { tags: ['nope', 'db'] }, { colors: [4] }, { colors: ['4'] }, { vaultId, query: '' }]) {
        const f = await pw(h, 'POST', '/passwords/search', { token: owner.pwToken, body });
        assert.equal(f.status, 200, f.raw);
        assert.deepEqual(
          f.body.data.map((p: { id: string }) => p.id),
          [secretId],
          JSON.stringify(body),
        );
      }
      const none = await pw(h, 'POST', '/passwords/search', { token: owner.pwToken, body: { query: 'no-such-thing' } });
      assert.deepEqual(none.body, { status: 'success', data: [] });
    });

    it('gets the password whole: value, custom fields and attachments decode as the connector decodes them', async () => {
      const r = await pw(h, 'GET', `/passwords/${secretId}`, { token: owner.pwToken });
      assert.equal(r.status, 200, r.raw);
      const p = r.body.data;
      // the keys pypasswork reads with [] (a missing one raises)
      for (const k of [
        'vaultId',
        'id',
        'name',
        'login',
        'description',
        'cryptedPassword',
        'url',
        'attachments',
        'color',
        'tags',
        'path',
        'isFavorite',
        'access',
        'accessCode',
      ])
        assert.ok(k in p, k);
      assert.equal(unb64(p.cryptedPassword), canary);
      assert.equal(p.description, 'primary database');
      assert.equal(p.url, 'https://db.example.com');
      assert.deepEqual(
        p.path.map((x: { type: string; name: string; id: string }) => [x.type, x.id]),
        [
          ['vault', vaultId],
          ['folder', folderId],
        ],
      );
      const customs = Object.fromEntries(
        p.custom.map((c: { name: string; value: string; type: string }) => [unb64(c.name), [unb64(c.type), unb64(c.value)]]),
      );
      assert.deepEqual(customs, {
        notes: ['password', 'rotate monthly'],
        Port: ['text', '5432'],
        'Second password': ['password', 'second-secret'],
      });
      // the vault, as get_password reads it next: no key material in clear mode
      const v = await pw(h, 'GET', `/vaults/${p.vaultId}`, { token: owner.pwToken });
      assert.equal(v.status, 200);
      assert.equal(v.body.data.vaultPasswordCrypted, '');
      // each attachment: base64 twice, and the hash the connector recomputes
      assert.equal(p.attachments.length, 1);
      const a = await pw(h, 'GET', `/passwords/${secretId}/attachment/${p.attachments[0].id}`, { token: owner.pwToken });
      assert.equal(a.status, 200, a.raw);
      const bytes = decodeFile(a.body.data.encryptedData);
      assert.deepEqual(bytes, binary);
      assert.equal(a.body.data.hash, connectorHash(bytes));
      assert.equal(a.body.data.name, 'blob.bin');
      assert.equal(unb64(a.body.data.encryptedKey), 'a'.repeat(32));
    });

    it('each read is one audited reveal through this API', async () => {
      const recs = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'via', 'outcome', 'details'])
        .where('object_id', '=', secretId)
        .where('action', '=', 'secret.reveal')
        .execute();
      assert.ok(recs.length >= 1);
      assert.ok(recs.every((r) => r.via === 'passwork' && r.outcome === 'success'));
      assert.ok(recs.every((r) => !String(r.details).includes(canary)));
    });

    it('adds a password as add_password sends it (custom fields, attachments, colour "3"), reads it back, deletes it', async () => {
      const file = Buffer.concat([Buffer.from('<svg>'), randomBytes(300), Buffer.from('</svg>')]);
      const fields = {
        name: 'test',
        url: 'https://passwork.com',
        login: 'PassLogin',
        description: 'Password for testing',
        folderId: null,
        shortcutId: null,
        tags: [],
        snapshot: null,
        color: '3',
        custom: [
          { name: b64('Additional login 1'), value: b64('PassLogin1'), type: b64('text') },
          { name: b64('Additional password 1'), value: b64('password1'), type: b64('password') },
          { name: b64('TOTP 1'), value: b64('JBSWY3DPEHPK3PXP'), type: b64('totp') },
        ],
        attachments: [{ encryptedKey: b64('a'.repeat(32)), encryptedData: encodeFile(file), hash: connectorHash(file), name: 'file1.svg' }],
        vaultId,
        cryptedPassword: b64('password'),
      };
      const add = await pw(h, 'POST', '/passwords', { token: owner.pwToken, body: fields });
      assert.equal(add.status, 200, add.raw);
      const id = add.body.data.id;
      assert.equal(add.body.data.name, 'test');
      assert.equal(add.body.data.color, 3);
      assert.equal(unb64(add.body.data.cryptedPassword), 'password');
      const got = await pw(h, 'GET', `/passwords/${id}`, { token: owner.pwToken });
      assert.equal(unb64(got.body.data.cryptedPassword), 'password');
      assert.deepEqual(
        got.body.data.custom.map((c: { name: string; type: string; value: string }) => [unb64(c.name), unb64(c.type), unb64(c.value)]),
        [
          ['Additional login 1', 'text', 'PassLogin1'],
          ['Additional password 1', 'password', 'password1'],
          ['TOTP 1', 'totp', 'JBSWY3DPEHPK3PXP'],
        ],
      );
      const a = await pw(h, 'GET', `/passwords/${id}/attachment/${got.body.data.attachments[0].id}`, { token: owner.pwToken });
      assert.deepEqual(decodeFile(a.body.data.encryptedData), file);
      assert.equal(a.body.data.hash, connectorHash(file));
      // natively: a web-login secret with the file as itself
      const native = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: owner.token, body: {} });
      assert.equal(native.body.values.password, 'password');
      // an item without a name gets one
      const unnamed = await pw(h, 'POST', '/passwords', {
        token: owner.pwToken,
        body: { name: '', login: 'svc', url: 'https://app.example.org/login', vaultId, cryptedPassword: b64('x') },
      });
      assert.equal(unnamed.status, 200, unnamed.raw);
      assert.equal(unnamed.body.data.name, 'svc@app.example.org');
      // delete as delete_password sends it (no body), then it reads as missing
      const del = await pw(h, 'DELETE', `/passwords/${id}`, { token: owner.pwToken });
      assert.equal(del.status, 200, del.raw);
      assert.equal(del.body.status, 'success');
      assertError(await pw(h, 'GET', `/passwords/${id}`, { token: owner.pwToken }), 404, 'passwordNull');
      // with the JS connector's {snapshot} body on DELETE
      const del2 = await pw(h, 'DELETE', `/passwords/${unnamed.body.data.id}`, { token: owner.pwToken, body: { snapshot: 'x' } });
      assert.equal(del2.status, 200, del2.raw);
    });

    it('refuses an attachment whose hash does not match its content', async () => {
      const file = Buffer.from('content');
      const r = await pw(h, 'POST', '/passwords', {
        token: owner.pwToken,
        body: {
          name: 'bad-hash',
          vaultId,
          cryptedPassword: b64('p'),
          attachments: [{ name: 'x.txt', encryptedKey: '', encryptedData: encodeFile(file), hash: 'f'.repeat(64) }],
        },
      });
      assertError(r, 400, 'attachmentHashMismatch');
      const s = await pw(h, 'POST', '/passwords/search', { token: owner.pwToken, body: { query: 'bad-hash' } });
      assert.deepEqual(s.body.data, [], 'nothing stored');
    });

    it('reads the inbox: a password shared natively, listed, opened whole (and then seen)', async () => {
      const recipient = await passworkUser(h, admin, 'password_user');
      const share = await call(h, 'POST', `/api/v1/secrets/${secretId}/shares`, {
        token: owner.token,
        body: { userId: recipient.id, level: 'reveal' },
      });
      assert.equal(share.status, 201, share.raw);
      const count = await pw(h, 'GET', '/sharing/inbox/count', { token: recipient.pwToken });
      assert.deepEqual(count.body, { status: 'success', data: 1 });
      const unseen = await pw(h, 'GET', '/sharing/inbox/notifications/count', { token: recipient.pwToken });
      assert.equal(unseen.body.data, 1);
      const list = await pw(h, 'GET', '/sharing/inbox/list', { token: recipient.pwToken });
      assert.equal(list.status, 200, list.raw);
      assert.equal(list.body.data.length, 1);
      const item = list.body.data[0];
      assert.equal(item.password.id, secretId);
      assert.equal(item.viewed, false);
      assert.equal(item.from.name, owner.username);
      assert.ok(!list.raw.includes(b64(canary)), 'the list reveals nothing');
      // the Python connector opens it with a POST and no body; the JS one with GET
      const opened = await pw(h, 'POST', `/sharing/inbox/${item.id}`, { token: recipient.pwToken });
      assert.equal(opened.status, 200, opened.raw);
      assert.equal(unb64(opened.body.data.password.cryptedPassword), canary);
      assert.ok(opened.body.data.cryptedKey, 'clients test cryptedKey to take the modern path');
      const att = opened.body.data.password.attachments[0];
      const file = await pw(h, 'GET', `/passwords/${opened.body.data.password.id}/attachment/${att.id}`, { token: recipient.pwToken });
      assert.equal(file.status, 200, file.raw);
      assert.deepEqual(decodeFile(file.body.data.encryptedData), binary);
      const again = await pw(h, 'GET', `/sharing/inbox/${item.id}`, { token: recipient.pwToken });
      assert.equal(again.status, 200);
      const seen = await pw(h, 'GET', '/sharing/inbox/notifications/count', { token: recipient.pwToken });
      assert.equal(seen.body.data, 0);
      const listed = await pw(h, 'GET', '/sharing/inbox/list', { token: recipient.pwToken });
      assert.equal(listed.body.data[0].viewed, true);
      // someone else's inbox item answers like a missing one
      assertError(await pw(h, 'GET', `/sharing/inbox/${item.id}`, { token: owner.pwToken }), 404, 'inboxPasswordNull');
      // mark-as-viewed answers JSON
      const mark = await pw(h, 'POST', '/sharing/inbox/notifications/mark-as-viewed', { token: recipient.pwToken });
      assert.deepEqual(mark.body, { status: 'success', data: true });
    });

    it('logs out (JSON answer); the token is then refused with apiSessionExpired', async () => {
      const { token } = await pwLogin(h, owner.apiKey);
      const out = await pw(h, 'POST', '/auth/logout', { token });
      assert.equal(out.status, 200, out.raw);
      assert.deepEqual(out.body, { status: 'success', data: null });
      assertError(await pw(h, 'GET', '/user/info', { token }), 401, 'apiSessionExpired');
    });

    it('refuses a wrong API key with 401, a session token as API key too, and keeps them out of the log', async () => {
      const wrong = `cfk_${'x'.repeat(43)}`;
      assertError(await pw(h, 'POST', `/auth/login/${wrong}`, { body: { useMasterPassword: false } }), 401, 'invalidApiKey');
      assertError(await pw(h, 'POST', `/auth/login/${owner.pwToken}`, { body: {} }), 401, 'invalidApiKey');
      assertError(await pw(h, 'POST', '/auth/login/short', { body: {} }), 401, 'invalidApiKey');
      const logs = h.logs();
      assert.ok(!logs.includes(owner.apiKey), 'the API key never reaches the log');
      assert.ok(!logs.includes(wrong));
      assert.ok(logs.includes('/api/v4/auth/login/[redacted]'));
    });
  });

  describe(`Passwork: the JS connector's session handling [${dialect}]`, () => {
    let h: Harness;
    const clock = manualClock(Date.now());
    before(async () => {
      h = await startHarness(dialect, { clock, config: { session: { idleSeconds: 600, absoluteSeconds: 3600, refreshSeconds: 7200 } } });
    });
    after(async () => h?.close());

    it('answers the version before login; refreshes a live token; an idle one needs a new login (ADR 0009)', async () => {
      const v = await pw(h, 'GET', '/info/version', { headers: { 'passwork-auth': '' } });
      assert.equal(v.status, 200, v.raw);
      assert.equal(v.body.data.legacySupport, false);
      assert.match(v.body.data.version, /^6\./);
      const admin = await adminToken(h);
      const user = await createUser(h, admin, 'password_user');
      const key = await apiKeyFor(h, user);
      const { token, refreshToken } = await pwLogin(h, key);
      assert.equal((await pw(h, 'GET', '/user/info', { token })).status, 200);
      clock.advance(300_000);
      // as the JS connector refreshes: both tokens in the path, an empty Passwork-Auth header
      const r = await pw(h, 'POST', `/auth/refreshToken/${token}/${refreshToken}`, { headers: { 'passwork-auth': '' } });
      assert.equal(r.status, 200, r.raw);
      assert.notEqual(r.body.data.token, token);
      assert.equal(r.body.data.tokenTtl, 600);
      assert.equal((await pw(h, 'GET', '/user/info', { token: r.body.data.token })).status, 200);
      assertError(await pw(h, 'GET', '/user/info', { token }), 401, 'apiSessionExpired');
      // single use: the same refresh token again is refused (and its family revoked)
      assertError(await pw(h, 'POST', `/auth/refreshToken/${token}/${refreshToken}`), 401, 'invalidRefreshToken');
      assertError(await pw(h, 'GET', '/user/info', { token: r.body.data.token }), 401, 'apiSessionExpired');
      // idle past its limit: the code the JS connector reacts to; a refresh does not revive it
      const again = await pwLogin(h, key);
      clock.advance(601_000);
      assertError(await pw(h, 'GET', '/user/info', { token: again.token }), 401, 'apiSessionExpired');
      assertError(await pw(h, 'POST', `/auth/refreshToken/${again.token}/${again.refreshToken}`), 401, 'invalidRefreshToken');
      const fresh = await pwLogin(h, key);
      assert.equal((await pw(h, 'GET', '/user/info', { token: fresh.token })).status, 200);
      assert.ok(!h.logs().includes(refreshToken), 'refresh tokens never reach the log');
    });
  });
}
