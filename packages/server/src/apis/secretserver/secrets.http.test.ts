// Secret Server secrets (seed 003 and the product's REST reference), over real HTTP on both
// dialects: the full secret shape, by path, a field's value, search in both filter forms with
// paging and totals, search-total, lookup, create with camelCase or PascalCase keys (fields by
// slug, by id with an empty slug, padding items ignored), update, PATCH general, delete, and bad
// input answering `{errorCode, message}` (never a 5xx).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { num, ss, ssTree, ssUser } from '../../../test/secretserver.ts';
import { BUILTIN_TEMPLATE_IDS } from './template-ids.ts';

const UNIX = BUILTIN_TEMPLATE_IDS['unix-account'] as number;
const WEB = BUILTIN_TEMPLATE_IDS['web-login'] as number;
// fields of the Unix account template: host, port, username, password, private key, notes
const F = { host: UNIX * 100 + 1, username: UNIX * 100 + 3, password: UNIX * 100 + 4, notes: UNIX * 100 + 6 };

// biome-ignore lint/suspicious/noExplicitAny: parsed answers
type Json = any;

function assertError(r: { status: number; body: Json; raw: string }, status = 400) {
  assert.equal(r.status, status, r.raw);
  assert.equal(typeof r.body.errorCode, 'string', r.raw);
  assert.equal(typeof r.body.message, 'string', r.raw);
}

for (const dialect of dialects) {
  describe(`Secret Server secrets [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let u: Awaited<ReturnType<typeof ssUser>>;
    let t: Awaited<ReturnType<typeof ssTree>>;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    let web01 = 0;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      u = await ssUser(h, admin);
      t = await ssTree(h, admin, u.id);
      const r = await ss(h, 'POST', '/secrets', u.ss, {
        name: 'web01 root',
        folderId: t.folderNum,
        secretTemplateId: UNIX,
        siteId: 1,
        items: [
          { fieldId: F.host, itemValue: 'web01.example.com' },
          { fieldId: F.username, itemValue: 'root' },
          { fieldId: F.password, itemValue: password },
          { fieldId: F.notes, itemValue: 'Initial Notes Value', slug: 'notes' },
        ],
      });
      assert.equal(r.status, 200, r.raw);
      web01 = r.body.id;
    });
    after(async () => h.close());

    it('GET /secrets/{id}: the seed shape, every item with fileAttachmentId, timestamps without zone, the values', async () => {
      const r = await ss(h, 'GET', `/secrets/${web01}`, u.ss);
      assert.equal(r.status, 200, r.raw);
      const s = r.body;
      for (const k of ['id', 'name', 'secretTemplateId', 'secretTemplateName', 'folderId', 'siteId', 'active', 'checkedOut', 'items']) {
        assert.ok(k in s, k);
      }
      for (const k of ['requiresComment', 'requiresApprovalForAccess', 'checkOutEnabled', 'isRestricted', 'enableInheritPermissions']) {
        assert.equal(typeof s[k], 'boolean', k);
      }
      assert.equal(s.id, web01);
      assert.equal(s.folderId, t.folderNum);
      assert.equal(s.secretTemplateId, UNIX);
      assert.equal(s.secretTemplateName, 'Unix account (SSH)');
      assert.equal(s.active, true);
      assert.equal(s.lastHeartBeatCheck, '0001-01-01T00:00:00');
      assert.equal(s.lastPasswordChangeAttempt, '0001-01-01T00:00:00');
      assert.equal(s.checkOutUserId, -1);
      for (const item of s.items) {
        for (const k of [
          'itemId',
          'fieldId',
          'fieldName',
          'slug',
          'fieldDescription',
          'itemValue',
          'filename',
          'isFile',
          'isNotes',
          'isPassword',
        ]) {
          assert.ok(k in item, k);
        }
        assert.ok('fileAttachmentId' in item);
        assert.equal(item.fileAttachmentId, null);
        assert.equal(typeof item.itemId, 'number');
      }
      const bySlug = Object.fromEntries(s.items.map((i: Json) => [i.slug, i]));
      assert.equal(bySlug.password.itemValue, password);
      assert.equal(bySlug.password.isPassword, true);
      assert.equal(bySlug.password.fieldId, F.password);
      assert.equal(bySlug.username.itemValue, 'root');
      assert.equal(bySlug.notes.itemValue, 'Initial Notes Value');
      assert.equal(bySlug.notes.isNotes, true);
      assert.equal(bySlug['private-key'].isFile, true);
      // the same secret natively: one Coffer secret, one value
      const native = await call(
        h,
        'POST',
        `/api/v1/secrets/${await h.coffer.services.numbering.idOf(h.database.db, 'secret', String(web01))}/reveal`,
        {
          token: u.token,
          body: {},
        },
      );
      assert.equal(native.body.values.password, password);
    });

    it('by path: \\ or / separators, URL-encoded either way, as the SDKs send it', async () => {
      for (const p of [
        `\\${t.vaultName}\\Servers\\web01 root`,
        `/${t.vaultName}/Servers/web01 root`,
        `${t.vaultName}/servers/WEB01 ROOT`,
      ]) {
        const r = await ss(h, 'GET', `/secrets/0?secretPath=${encodeURIComponent(p)}`, u.ss);
        assert.equal(r.status, 200, `${p}: ${r.raw}`);
        assert.equal(r.body.id, web01);
      }
      const missing = await ss(h, 'GET', `/secrets/0?secretPath=${encodeURIComponent(`\\${t.vaultName}\\Servers\\nope`)}`, u.ss);
      assertError(missing);
      assertError(await ss(h, 'GET', '/secrets/0', u.ss));
    });

    it("a field's value: a JSON string (GET /secrets/{id}/fields/{slug}); an unknown slug or id answers the error shape", async () => {
      const r = await ss(h, 'GET', `/secrets/${web01}/fields/password`, u.ss);
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body, password);
      assert.equal((await ss(h, 'GET', `/secrets/${web01}/fields/username`, u.ss)).body, 'root');
      assertError(await ss(h, 'GET', `/secrets/${web01}/fields/nope`, u.ss));
      assertError(await ss(h, 'GET', `/secrets/999999/fields/password`, u.ss));
    });

    it('search: filter.* and paging.filter.* forms, take/skip and paging.take/paging.skip, totals, hasNext', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await ss(h, 'POST', '/secrets', u.ss, {
          Name: `batch-${i}`,
          FolderID: t.folderNum,
          SecretTemplateID: WEB,
          Items: [
            { FieldID: 0, Slug: 'url', ItemValue: `https://app${i}.example.com` },
            { Slug: 'username', ItemValue: `svc${i}` },
            { Slug: 'password', ItemValue: `batch-pw-${i}` },
          ],
        });
        assert.equal(r.status, 200, r.raw);
      }
      const first = await ss(h, 'GET', `/secrets?filter.searchText=batch&filter.folderId=${t.folderNum}&take=2&skip=0`, u.ss);
      assert.equal(first.status, 200, first.raw);
      assert.equal(first.body.total, 5);
      assert.equal(first.body.records.length, 2);
      assert.equal(first.body.hasNext, true);
      assert.equal(first.body.take, 2);
      const last = await ss(
        h,
        'GET',
        `/secrets?paging.filter.searchText=batch&paging.filter.folderId=${t.folderNum}&paging.take=2&paging.skip=4`,
        u.ss,
      );
      assert.equal(last.body.total, 5);
      assert.equal(last.body.records.length, 1);
      assert.equal(last.body.hasNext, false);
      assert.equal(last.body.skip, 4);
      const names = new Set([...first.body.records, ...last.body.records].map((x: Json) => x.name));
      assert.equal(names.size, 3);
      const rec = first.body.records[0];
      for (const k of [
        'id',
        'name',
        'secretTemplateId',
        'secretTemplateName',
        'folderId',
        'siteId',
        'active',
        'checkedOut',
        'createDate',
      ]) {
        assert.ok(k in rec, k);
      }
      assert.match(rec.createDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
      assert.equal(rec.secretTemplateId, WEB);
      // no values in a search record
      assert.ok(!JSON.stringify(first.body).includes('batch-pw-'));
      // doNotCalculateTotal still pages
      const lazy = await ss(
        h,
        'GET',
        `/secrets?paging.filter.searchText=batch&paging.filter.doNotCalculateTotal=true&paging.take=30&&paging.skip=0`,
        u.ss,
      );
      assert.equal(lazy.status, 200, lazy.raw);
      assert.equal(lazy.body.records.length, 5);
      // search-total: a bare integer, and python-tss-sdk uses it as take
      const total = await ss(h, 'GET', `/secrets/search-total?filter.folderId=${t.folderNum}`, u.ss);
      assert.equal(total.status, 200);
      assert.equal(total.raw, '6');
      const all = await ss(h, 'GET', `/secrets?filter.folderId=${t.folderNum}&take=${total.raw}`, u.ss);
      assert.equal(all.body.records.length, 6);
    });

    it('search: folder with and without includeSubFolders (a vault is a top folder), template, exact match on a field, extended fields', async () => {
      const top = await ss(h, 'GET', `/secrets?filter.folderId=${t.vaultNum}`, u.ss);
      assert.equal(top.body.total, 0, 'nothing directly in the vault');
      const sub = await ss(h, 'GET', `/secrets?filter.folderId=${t.vaultNum}&filter.includeSubFolders=true`, u.ss);
      assert.equal(sub.body.total, 6);
      const byTemplate = await ss(h, 'GET', `/secrets?filter.secretTemplateId=${UNIX}`, u.ss);
      assert.deepEqual(
        byTemplate.body.records.map((x: Json) => x.id),
        [web01],
      );
      // tss-sdk-go: searchField + isExactMatch; "batch-1" must not match batch-10…, nor a username holding it
      const exact = await ss(
        h,
        'GET',
        '/secrets?paging.filter.searchText=BATCH-1&paging.filter.searchField=Name&paging.filter.isExactMatch=true',
        u.ss,
      );
      assert.deepEqual(
        exact.body.records.map((x: Json) => x.name),
        ['batch-1'],
      );
      const byUser = await ss(h, 'GET', '/secrets?filter.searchText=svc3&filter.searchField=username&filter.isExactMatch=true', u.ss);
      assert.deepEqual(
        byUser.body.records.map((x: Json) => x.name),
        ['batch-3'],
      );
      const ext = await ss(
        h,
        'GET',
        '/secrets?filter.searchText=batch-2&filter.extendedFields=Username&filter.extendedFields=Password&filter.extendedFields=URL',
        u.ss,
      );
      assert.deepEqual(ext.body.records[0].extendedFields, [
        { name: 'Username', value: 'svc2' },
        { name: 'URL', value: 'https://app2.example.com' },
      ]);
      const lookup = await ss(h, 'GET', `/secrets/lookup?filter.searchText=batch-4`, u.ss);
      assert.deepEqual(lookup.body.records, [{ id: lookup.body.records[0].id, value: 'batch-4' }]);
    });

    it('create: the answer is the new secret; a name, folder or template the client gets wrong answers 400', async () => {
      const r = await ss(h, 'POST', '/secrets/', u.ss, {
        name: 'created',
        folderId: t.vaultNum,
        secretTemplateId: UNIX,
        items: [
          { fieldId: F.host, slug: '', itemValue: 'h1' },
          { fieldId: F.username, itemValue: 'u1' },
          { itemId: 0, fieldId: 0, slug: '', itemValue: '' },
          { fieldId: UNIX * 100 + 5, itemValue: '*** Not Valid For Display ***' },
        ],
      });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.folderId, t.vaultNum);
      assert.equal(r.body.name, 'created');
      const key = r.body.items.find((i: Json) => i.slug === 'private-key');
      assert.equal(key.fileAttachmentId, null, 'the placeholder is no file');
      const bad: Array<[unknown, string]> = [
        [{ name: 'x', folderId: t.folderNum, secretTemplateId: 123456 }, 'unknown template'],
        [{ name: 'x', folderId: 987654, secretTemplateId: UNIX }, 'unknown folder'],
        [{ name: 'x', secretTemplateId: UNIX }, 'no folder'],
        [{ name: '', folderId: t.folderNum, secretTemplateId: UNIX }, 'empty name'],
        [{ name: 'a\u001b[31mred', folderId: t.folderNum, secretTemplateId: UNIX }, 'hostile name'],
        [{ name: { x: 1 }, folderId: t.folderNum, secretTemplateId: UNIX }, 'name object'],
        [{ name: 'x', folderId: 'abc', secretTemplateId: UNIX }, 'folderId text'],
        [{ name: 'x', folderId: t.folderNum, secretTemplateId: UNIX, items: 'nope' }, 'items text'],
        [{ name: 'x', folderId: t.folderNum, secretTemplateId: UNIX, items: [{ slug: 'no-such-field', itemValue: 'v' }] }, 'unknown slug'],
        [{ name: 'x', folderId: t.folderNum, secretTemplateId: UNIX, items: [{ slug: 'host', itemValue: { a: 1 } }] }, 'value object'],
        [{ name: 'x', folderId: t.folderNum, secretTemplateId: UNIX, items: [{ slug: 'host', itemValue: '' }] }, 'required host missing'],
        [[1, 2], 'a list'],
        [{ name: 'x', folderId: t.folderNum, secretTemplateId: UNIX, __Proto__: { admin: true } }, 'prototype key'],
      ];
      for (const [body, what] of bad) {
        const x = await ss(h, 'POST', '/secrets', u.ss, body);
        assertError(x);
        assert.ok(x.status < 500, what);
      }
      const junk = await h.app.inject({
        method: 'POST',
        url: '/SecretServer/api/v1/secrets',
        payload: '{"name": ',
        headers: { authorization: `Bearer ${u.ss}`, 'content-type': 'application/json' },
      });
      assert.equal(junk.statusCode, 400, junk.body);
      assert.equal(typeof JSON.parse(junk.body).message, 'string');
    });

    it('update: PUT the secret back with a new name and password; a move by folderId; the template cannot change', async () => {
      const got = (await ss(h, 'GET', `/secrets/${web01}`, u.ss)).body;
      got.name = 'web01 root (renamed)';
      for (const i of got.items) if (i.slug === 'password') i.itemValue = 'rotated-by-put';
      const r = await ss(h, 'PUT', `/secrets/${web01}`, u.ss, got);
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.name, 'web01 root (renamed)');
      assert.equal((await ss(h, 'GET', `/secrets/${web01}/fields/password`, u.ss)).body, 'rotated-by-put');
      const moved = await ss(h, 'PUT', `/secrets/${web01}`, u.ss, { ...got, FolderId: t.vaultNum });
      assert.equal(moved.status, 200, moved.raw);
      assert.equal(moved.body.folderId, t.vaultNum);
      assertError(await ss(h, 'PUT', `/secrets/${web01}`, u.ss, { ...got, secretTemplateId: WEB }));
      assertError(await ss(h, 'PUT', `/secrets/${web01}`, u.ss, { ...got, sshKeyArgs: { generateSshKeys: true } }));
      assertError(await ss(h, 'PUT', '/secrets/424242', u.ss, got));
    });

    it('PATCH /secrets/{id}/general: Data.SecretFields[{Slug, Dirty, Value}] (only dirty ones), the name', async () => {
      const r = await ss(h, 'PATCH', `/secrets/${web01}/general`, u.ss, {
        Data: {
          SecretFields: [
            { Slug: 'password', Dirty: true, Value: 'patched-pw' },
            { Slug: 'username', Dirty: false, Value: 'ignored' },
          ],
          Name: { Dirty: true, Value: 'web01 patched' },
        },
      });
      assert.equal(r.status, 200, r.raw);
      const s = (await ss(h, 'GET', `/secrets/${web01}`, u.ss)).body;
      assert.equal(s.name, 'web01 patched');
      const bySlug = Object.fromEntries(s.items.map((i: Json) => [i.slug, i.itemValue]));
      assert.equal(bySlug.password, 'patched-pw');
      assert.equal(bySlug.username, 'root');
      assertError(
        await ss(h, 'PATCH', `/secrets/${web01}/general`, u.ss, { data: { secretFields: [{ slug: 'nope', dirty: true, value: 'x' }] } }),
      );
      assertError(await ss(h, 'PATCH', `/secrets/${web01}/general`, u.ss, { data: 'x' }));
    });

    it('delete: answers {id, objectType, responseCodes}; reads then answer 400 like an unknown id', async () => {
      const c = await ss(h, 'POST', '/secrets', u.ss, {
        name: 'to delete',
        folderId: t.folderNum,
        secretTemplateId: WEB,
        items: [{ slug: 'password', itemValue: 'x' }],
      });
      const d = await ss(h, 'DELETE', `/secrets/${c.body.id}`, u.ss);
      assert.equal(d.status, 200, d.raw);
      assert.deepEqual(d.body, { id: c.body.id, objectType: 'Secret', responseCodes: [] });
      const gone = await ss(h, 'GET', `/secrets/${c.body.id}`, u.ss);
      const unknown = await ss(h, 'GET', '/secrets/31337', u.ss);
      assertError(gone);
      assert.deepEqual(gone.body, unknown.body);
      assertError(await ss(h, 'DELETE', `/secrets/${c.body.id}`, u.ss));
    });

    it('another user: a secret they may not see is absent from search and answers exactly like an unknown id', async () => {
      const other = await ssUser(h, admin, 'password_user');
      const list = await ss(h, 'GET', '/secrets?filter.searchText=web01', other.ss);
      assert.equal(list.status, 200);
      assert.equal(list.body.total, 0);
      const hidden = await ss(h, 'GET', `/secrets/${web01}`, other.ss);
      const unknown = await ss(h, 'GET', '/secrets/31338', other.ss);
      assertError(hidden);
      assert.deepEqual(hidden.body, unknown.body);
      assert.deepEqual((await ss(h, 'GET', `/secrets/${web01}/fields/password`, other.ss)).body, unknown.body);
      assert.deepEqual((await ss(h, 'PUT', `/secrets/${web01}`, other.ss, { name: 'x' })).body, unknown.body);
      assert.deepEqual((await ss(h, 'DELETE', `/secrets/${web01}`, other.ss)).body, unknown.body);
      // a view-only grant: metadata natively, but no values here (a read of a secret is a reveal)
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: t.vaultId, principalType: 'user', principalId: other.id, level: 'view' },
      });
      assert.equal(g.status, 201, g.raw);
      assert.equal((await ss(h, 'GET', '/secrets?filter.searchText=web01', other.ss)).body.total, 1);
      const denied = await ss(h, 'GET', `/secrets/${web01}`, other.ss);
      assertError(denied);
      assert.ok(!denied.raw.includes('patched-pw'));
      assert.equal(
        await num(h, 'secret', (await h.coffer.services.numbering.idOf(h.database.db, 'secret', String(web01))) as string),
        web01,
      );
    });
  });
}
