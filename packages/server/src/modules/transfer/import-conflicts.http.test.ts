// Import never silently duplicates: name clashes are reported, and skipped (default), updated or
// duplicated as asked; importing the same file twice changes nothing the second time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';

const CSV = [
  'name,username,password,url,notes,folder,tags',
  'Gmail,alice,pw-gmail-1,https://mail.google.com,,Personal,mail',
  'Bank,bob,pw-bank-1,https://bank.example.com,,Finance,',
  'Router,admin,pw-router-1,,,Home,',
  'router ,root,pw-router-2,,,Home,',
].join('\n');

interface Listed {
  id: string;
  name: string;
  path: string;
  username: string;
  url: string;
  tags: string[];
  version: number;
  customFields: Array<{ name: string; type: string; value: string | null }>;
}

for (const dialect of dialects) {
  describe(`import name clashes [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof createUser>>;

    const newVault = async (name: string) => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `${name} ${dialect}` } });
      assert.equal(v.status, 201, v.raw);
      return v.body.id as string;
    };
    const list = async (vaultId: string): Promise<Listed[]> => {
      const r = await call(h, 'GET', `/api/v1/secrets?vaultId=${vaultId}&limit=500`, { token: owner.token });
      assert.equal(r.status, 200, r.raw);
      return r.body.items;
    };
    const reveal = async (id: string) => {
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: owner.token, body: {} });
      assert.equal(r.status, 200, r.raw);
      return r.body.values as Record<string, string>;
    };
    const importFile = async (body: Record<string, unknown>) => {
      const r = await call(h, 'POST', '/api/v1/import', { token: owner.token, body: { format: 'csv', ...body } });
      assert.equal(r.status, 200, r.raw);
      return r.body;
    };
    const snapshot = async (vaultId: string) =>
      (await list(vaultId)).map((s) => `${s.path}|${s.name}|v${s.version}|${s.username}|${s.tags.join(';')}`).sort();

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
    });
    after(async () => h.close());

    it('importing the same file twice changes nothing the second time; the dry run names every clash', async () => {
      const v = await newVault('Twice');
      const first = await importFile({ content: CSV, vaultId: v });
      assert.equal(first.onConflict, 'skip', 'skip is the default');
      assert.deepEqual([first.created, first.updated], [3, 0]);
      // a name repeated inside the file (case and spaces aside) is a clash too, not a second secret
      assert.deepEqual(first.skipped, [{ index: 3, reason: 'repeats the name of entry 2 in the same folder' }]);
      assert.deepEqual(first.clashes, [{ index: 3, name: 'router', path: '/Home', existingIds: [], earlierIndex: 2, outcome: 'skipped' }]);
      const before = await snapshot(v);

      const dry = await importFile({ content: CSV, vaultId: v, dryRun: true });
      assert.deepEqual([dry.created, dry.updated, dry.folders, dry.items.length], [0, 0, 0, 0]);
      const ids = new Map((await list(v)).map((s) => [s.name, s.id]));
      assert.deepEqual(
        dry.clashes.map((c: { index: number; path: string; existingIds: string[]; outcome: string }) => [
          c.index,
          c.path,
          c.existingIds,
          c.outcome,
        ]),
        [
          [0, '/Personal', [ids.get('Gmail')], 'skipped'],
          [1, '/Finance', [ids.get('Bank')], 'skipped'],
          [2, '/Home', [ids.get('Router')], 'skipped'],
          [3, '/Home', [ids.get('Router')], 'skipped'],
        ],
      );
      assert.equal(dry.skipped.length, 4);
      assert.ok(!JSON.stringify(dry).includes('pw-'), 'no value in the report');

      const second = await importFile({ content: CSV, vaultId: v });
      assert.deepEqual([second.created, second.updated, second.folders, second.skipped.length], [0, 0, 0, 4]);
      assert.deepEqual(await snapshot(v), before, 'nothing changed: no secret, no version, no folder');

      // the same names in other spellings clash as well (NFKC, spaces, case)
      const variants = 'name,password,folder\n  GMAIL ,x,personal\nＢａｎｋ,y,FINANCE\n';
      const third = await importFile({ content: variants, vaultId: v, dryRun: true });
      assert.deepEqual(
        third.clashes.map((c: { name: string; outcome: string }) => [c.name, c.outcome]),
        [
          ['GMAIL', 'skipped'],
          ['Ｂａｎｋ', 'skipped'],
        ],
      );
    });

    it('update writes a new version of the existing secret, audited as an update; what the file leaves empty is kept', async () => {
      const v = await newVault('Update');
      await importFile({ content: CSV, vaultId: v });
      const old = (await list(v)).find((s) => s.name === 'Gmail') as Listed;
      const custom = await call(h, 'PATCH', `/api/v1/secrets/${old.id}`, {
        token: owner.token,
        body: { customFields: [{ name: 'PIN', type: 'password', value: 'pin-kept-1' }], description: 'kept text' },
      });
      assert.equal(custom.status, 200, custom.raw);
      const updateCsv =
        'name,username,password,url,notes,folder,tags\nGMAIL,alice2,pw-gmail-2,,,Personal,"mail,new"\nNew one,n,pw-n,,,Personal,\n';

      const dry = await importFile({ content: updateCsv, vaultId: v, onConflict: 'update', dryRun: true });
      assert.deepEqual([dry.created, dry.updated], [1, 1]);
      assert.deepEqual(
        dry.items.map((i: { name: string; outcome: string; id?: string }) => [i.name, i.outcome, i.id]),
        [
          ['GMAIL', 'updated', old.id],
          ['New one', 'created', undefined],
        ],
      );
      assert.equal((await list(v)).find((s) => s.id === old.id)?.version, 2, 'a dry run writes nothing');

      const r = await importFile({ content: updateCsv, vaultId: v, onConflict: 'update' });
      assert.deepEqual([r.created, r.updated, r.skipped.length], [1, 1, 0]);
      assert.deepEqual(r.clashes, [{ index: 0, name: 'GMAIL', path: '/Personal', existingIds: [old.id], outcome: 'updated' }]);
      const now = (await list(v)).find((s) => s.id === old.id) as Listed;
      assert.equal(now.name, 'Gmail', 'the existing secret keeps its name');
      assert.equal(now.version, 3);
      assert.equal(now.username, 'alice2');
      assert.equal(now.url, 'https://mail.google.com', 'an empty column keeps the value');
      assert.deepEqual(now.tags.sort(), ['mail', 'new']);
      assert.deepEqual(now.customFields, [{ name: 'PIN', type: 'password', value: null }]);
      const values = await reveal(old.id);
      assert.equal(values.password, 'pw-gmail-2');
      assert.equal(values['custom:PIN'], 'pin-kept-1', 'custom fields the file lacks are kept');
      const full = await call(h, 'GET', `/api/v1/secrets/${old.id}`, { token: owner.token });
      assert.equal(full.body.description, 'kept text');
      // the old value stays in the history, like after any update
      const hist = await call(h, 'GET', `/api/v1/secrets/${old.id}/history`, { token: owner.token });
      assert.deepEqual(
        hist.body.items.map((x: { version: number; action: string }) => [x.version, x.action]),
        [
          [3, 'import'],
          [2, 'update'],
          [1, 'import'],
        ],
      );
      const v1 = await call(h, 'POST', `/api/v1/secrets/${old.id}/history/1/reveal`, { token: owner.token, body: {} });
      assert.equal(v1.body.values.password, 'pw-gmail-1');
      // audited like an update of that secret, besides the import's own record
      const audit = await call(h, 'GET', `/api/v1/audit?action=secret.update&object=${old.id}&limit=10`, { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      const rec = audit.body.items.find((x: { details: { via?: string } }) => x.details?.via === 'import');
      assert.ok(rec, 'a secret.update record for the imported update');
      assert.equal(rec.actorId, owner.id);
      assert.equal(rec.details.version, 3);
      assert.ok(!JSON.stringify(audit.body).includes('pw-gmail'), 'no value in the audit trail');

      // the same file again with update: the values are the same, but an update is an update
      const again = await importFile({ content: updateCsv, vaultId: v, onConflict: 'update' });
      assert.deepEqual([again.created, again.updated], [0, 2]);
    });

    it('update leaves ambiguous names alone; duplicate keeps today’s behaviour; trashed secrets do not clash', async () => {
      const v = await newVault('Modes');
      for (const pw of ['a', 'b']) {
        const r = await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: { vaultId: v, template: 'web-login', name: 'Twin', fields: { password: pw } },
        });
        assert.equal(r.status, 201, r.raw);
      }
      const up = await importFile({ content: 'name,password\ntwin,c\n', vaultId: v, onConflict: 'update' });
      assert.deepEqual([up.created, up.updated], [0, 0]);
      assert.deepEqual(up.skipped, [{ index: 0, reason: '2 secrets with this name in the folder: none updated' }]);
      assert.equal(up.clashes[0].existingIds.length, 2);

      const dup = await importFile({ content: 'name,password\ntwin,c\ntwin,d\n', vaultId: v, onConflict: 'duplicate' });
      assert.deepEqual([dup.created, dup.updated, dup.skipped.length], [2, 0, 0]);
      assert.deepEqual(
        dup.clashes.map((c: { index: number; outcome: string; earlierIndex?: number }) => [c.index, c.outcome, c.earlierIndex]),
        [
          [0, 'duplicated', undefined],
          [1, 'duplicated', 0],
        ],
      );
      assert.equal((await list(v)).filter((s) => s.name.toLowerCase() === 'twin').length, 4);

      const solo = (
        await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: { vaultId: v, template: 'web-login', name: 'Solo', fields: { password: 'x' } },
        })
      ).body.id as string;
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${solo}`, { token: owner.token })).status, 204);
      const afterTrash = await importFile({ content: 'name,password\nSolo,y\n', vaultId: v });
      assert.deepEqual([afterTrash.created, afterTrash.clashes.length], [1, 0]);
    });

    it('rejects an unknown onConflict with 400', async () => {
      const v = await newVault('Bad mode');
      const r = await call(h, 'POST', '/api/v1/import', {
        token: owner.token,
        body: { format: 'csv', content: CSV, vaultId: v, onConflict: 'merge' },
      });
      assert.equal(r.status, 400, r.raw);
      assert.equal(r.body.error.code, 'validation.failed');
    });
  });
}
