import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';

const MISSING = 'sec_0000000000zzzzzzzzzzzzzzzz';
const MISSING_FOLDER = 'fld_0000000000zzzzzzzzzzzzzzzz';

interface ItemResult {
  index: number;
  ok: boolean;
  id?: string;
  grantId?: string;
  error?: { code: string; message: string; details?: Array<{ path: string; message: string }> };
}

for (const dialect of dialects) {
  describe(`bulk operations on secrets [${dialect}]`, () => {
    let h: Harness;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let other: Awaited<ReturnType<typeof createUser>>;
    let target: Awaited<ReturnType<typeof createUser>>;
    const ids = {} as Record<'vault' | 'a' | 'b' | 'otherVault' | 'otherFolder' | 'invisible' | 'viewOnly', string>;

    async function secret(token: string, vaultId: string, name: string, folderId?: string) {
      const r = await call(h, 'POST', '/api/v1/secrets', {
        token,
        body: { vaultId, ...(folderId ? { folderId } : {}), template: 'secure-note', name, fields: { notes: `note of ${name}` } },
      });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    }
    const parentOf = async (id: string) => {
      const s = await h.database.db
        .selectFrom('secrets')
        .select(['parent_node_id', 'deleted_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { parent: s.parent_node_id, deleted: s.deleted_at !== null };
    };
    const okIndexes = (results: ItemResult[]) => results.filter((r) => r.ok).map((r) => r.index);

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      other = await createUser(h, admin, 'password_administrator');
      target = await createUser(h, admin, 'password_user');
      ids.vault = (await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: 'Owner vault' } })).body.id;
      ids.a = (await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: ids.vault, name: 'A' } })).body.id;
      ids.b = (await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: ids.vault, name: 'B' } })).body.id;
      // the other user's vault: invisible to the owner, except one secret shared at view
      ids.otherVault = (await call(h, 'POST', '/api/v1/vaults', { token: other.token, body: { name: 'Other vault' } })).body.id;
      ids.otherFolder = (
        await call(h, 'POST', '/api/v1/folders', { token: other.token, body: { vaultId: ids.otherVault, name: 'X' } })
      ).body.id;
      ids.invisible = await secret(other.token, ids.otherVault, 'theirs');
      ids.viewOnly = await secret(other.token, ids.otherVault, 'theirs, shared');
      const sh = await call(h, 'POST', `/api/v1/secrets/${ids.viewOnly}/shares`, {
        token: other.token,
        body: { userId: owner.id, level: 'view' },
      });
      assert.equal(sh.status, 201, sh.raw);
    });
    after(async () => h.close());

    it('creates 50 items independently: exactly the valid ones exist, errors point at their index', async () => {
      const items: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 50; i++) {
        items.push({ vaultId: ids.vault, folderId: ids.a, template: 'secure-note', name: `bulk-${i}`, fields: { notes: `n${i}` } });
      }
      const bad: Record<number, { code: string; path?: string }> = {
        3: { code: 'validation.failed', path: '/template' },
        17: { code: 'validation.failed', path: '/fields/port' },
        29: { code: 'not_found' },
        30: { code: 'not_found' },
        44: { code: 'validation.failed', path: '/fields/notes' },
      };
      items[3] = { ...items[3], template: 'no-such-template' };
      items[17] = {
        ...items[17],
        template: 'database-account',
        fields: { host: 'h', port: 'abc', database: 'd', username: 'u', password: 'p' },
      };
      items[29] = { ...items[29], vaultId: ids.otherVault, folderId: ids.otherFolder }; // exists, invisible
      items[30] = { ...items[30], folderId: MISSING_FOLDER }; // does not exist
      items[44] = { ...items[44], fields: {} }; // required note missing
      const r = await call(h, 'POST', '/api/v1/secrets/bulk/create', { token: owner.token, body: { items } });
      assert.equal(r.status, 200, r.raw);
      const results = r.body.results as ItemResult[];
      assert.deepEqual(
        results.map((x) => x.index),
        items.map((_, i) => i),
      );
      assert.equal(r.body.succeeded, 45);
      assert.equal(r.body.failed, 5);
      for (const [i, want] of Object.entries(bad)) {
        const got = results[Number(i)] as ItemResult;
        assert.equal(got.ok, false, `item ${i}`);
        assert.equal(got.id, undefined);
        assert.equal(got.error?.code, want.code, `item ${i}: ${JSON.stringify(got.error)}`);
        if (want.path)
          assert.ok(
            got.error?.details?.some((d) => d.path === want.path),
            `item ${i}: ${JSON.stringify(got.error)}`,
          );
      }
      assert.equal(results[29]?.error?.message, 'No such folder.');
      assert.deepEqual(results[29]?.error, results[30]?.error, 'an invisible folder reads like a missing one');
      const rows = await h.database.db
        .selectFrom('secrets')
        .select(['id', 'name', 'parent_node_id'])
        .where('name', 'like', 'bulk-%')
        .execute();
      const expected = items.map((_, i) => `bulk-${i}`).filter((_, i) => !(i in bad));
      assert.deepEqual(rows.map((x) => x.name).sort(), expected.sort());
      for (const x of results.filter((y) => y.ok)) assert.ok(rows.some((row) => row.id === x.id && row.parent_node_id === ids.a));
      // each item has its own audit record, plus one summary
      const audit = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', 'in', ['secret.create', 'secret.bulk_create'])
        .execute();
      assert.equal(audit.filter((a) => a.action === 'secret.create' && a.outcome === 'success').length, 45 + 2);
      assert.equal(audit.filter((a) => a.action === 'secret.create' && a.outcome !== 'success').length, 5);
      const summary = audit.filter((a) => a.action === 'secret.bulk_create');
      assert.equal(summary.length, 1);
      assert.deepEqual(JSON.parse(summary[0]?.details ?? '{}'), { items: 50, succeeded: 45, failed: 5 });
      for (const a of audit) assert.ok(!JSON.stringify(a).includes('note of'), 'no values in the audit trail');
    });

    it('refuses a body over 1000 items, or with a structurally invalid item, as a whole', async () => {
      const item = (i: number) => ({ vaultId: ids.vault, template: 'secure-note', name: `over-${i}`, fields: { notes: 'n' } });
      const tooMany = await call(h, 'POST', '/api/v1/secrets/bulk/create', {
        token: owner.token,
        body: { items: Array.from({ length: 1001 }, (_, i) => item(i)) },
      });
      assert.equal(tooMany.status, 400, tooMany.raw);
      assert.equal(tooMany.body.error.code, 'validation.failed');
      const items = Array.from({ length: 10 }, (_, i) => item(i)) as Array<Record<string, unknown>>;
      items[6] = { ...items[6], owner: 'usr_x', name: 'x' }; // mass assignment
      const extra = await call(h, 'POST', '/api/v1/secrets/bulk/create', { token: owner.token, body: { items } });
      assert.equal(extra.status, 400);
      assert.match(extra.body.error.details[0].path, /\/items\/6/);
      const empty = await call(h, 'POST', '/api/v1/secrets/bulk/create', { token: owner.token, body: { items: [] } });
      assert.equal(empty.status, 400);
      const ids1001 = Array.from({ length: 1001 }, (_, i) => `sec_${String(i).padStart(26, '0')}`);
      for (const [url, body] of [
        ['/api/v1/secrets/bulk/delete', { ids: ids1001 }],
        ['/api/v1/secrets/bulk/move', { ids: ids1001, vaultId: ids.vault }],
        ['/api/v1/secrets/bulk/share', { ids: ids1001, userId: target.id, level: 'view' }],
        ['/api/v1/secrets/bulk/delete', { ids: [MISSING, MISSING] }],
        ['/api/v1/secrets/bulk/delete', { ids: [ids.vault] }],
      ] as const) {
        const r = await call(h, 'POST', url, { token: owner.token, body });
        assert.equal(r.status, 400, `${url} ${body.ids.length}: ${r.raw}`);
      }
      const rows = await h.database.db.selectFrom('secrets').select('id').where('name', 'like', 'over-%').execute();
      assert.equal(rows.length, 0, 'nothing of a refused body was created');
    });

    it('moves visible secrets; invisible and missing ids fail alike; view-only is forbidden', async () => {
      const s1 = await secret(owner.token, ids.vault, 'mv-1', ids.a);
      const s2 = await secret(owner.token, ids.vault, 'mv-2');
      const r = await call(h, 'POST', '/api/v1/secrets/bulk/move', {
        token: owner.token,
        body: { ids: [s1, ids.invisible, MISSING, s2, ids.viewOnly], vaultId: ids.vault, folderId: ids.b },
      });
      assert.equal(r.status, 200, r.raw);
      const results = r.body.results as ItemResult[];
      assert.deepEqual(okIndexes(results), [0, 3]);
      assert.equal(results[0]?.id, s1);
      assert.equal(results[1]?.error?.code, 'not_found');
      assert.deepEqual(results[1]?.error, results[2]?.error, 'invisible == missing');
      assert.equal(results[4]?.error?.code, 'forbidden');
      assert.equal((await parentOf(s1)).parent, ids.b);
      assert.equal((await parentOf(s2)).parent, ids.b);
      assert.equal((await parentOf(ids.invisible)).parent, ids.otherVault, 'untouched');
      assert.equal((await parentOf(ids.viewOnly)).parent, ids.otherVault, 'untouched');
      const get = await call(h, 'GET', `/api/v1/secrets/${s1}`, { token: owner.token });
      assert.equal(get.body.path, '/B');
      // to the vault top; and a target the caller cannot see fails every item alike
      const top = await call(h, 'POST', '/api/v1/secrets/bulk/move', {
        token: owner.token,
        body: { ids: [s1], vaultId: ids.vault, folderId: null },
      });
      assert.deepEqual(okIndexes(top.body.results), [0]);
      assert.equal((await parentOf(s1)).parent, ids.vault);
      const hidden = await call(h, 'POST', '/api/v1/secrets/bulk/move', {
        token: owner.token,
        body: { ids: [s1, s2], vaultId: ids.otherVault, folderId: ids.otherFolder },
      });
      const missing = await call(h, 'POST', '/api/v1/secrets/bulk/move', {
        token: owner.token,
        body: { ids: [s1, s2], vaultId: ids.otherVault, folderId: MISSING_FOLDER },
      });
      assert.deepEqual(hidden.body, missing.body);
      assert.equal(hidden.body.failed, 2);
      assert.equal((await parentOf(s2)).parent, ids.b);
    });

    it('trashes visible secrets; invisible and missing ids fail alike; view-only is forbidden', async () => {
      const s1 = await secret(owner.token, ids.vault, 'del-1', ids.a);
      const s2 = await secret(owner.token, ids.vault, 'del-2', ids.b);
      const r = await call(h, 'POST', '/api/v1/secrets/bulk/delete', {
        token: owner.token,
        body: { ids: [ids.invisible, s1, ids.viewOnly, MISSING, s2] },
      });
      assert.equal(r.status, 200, r.raw);
      const results = r.body.results as ItemResult[];
      assert.deepEqual(okIndexes(results), [1, 4]);
      assert.deepEqual(results[0]?.error, results[3]?.error, 'invisible == missing');
      assert.deepEqual(results[0]?.error, { code: 'not_found', message: 'No such secret.' });
      assert.equal(results[2]?.error?.code, 'forbidden');
      assert.equal((await parentOf(s1)).deleted, true);
      assert.equal((await parentOf(s2)).deleted, true);
      assert.equal((await parentOf(ids.invisible)).deleted, false);
      assert.equal((await parentOf(ids.viewOnly)).deleted, false);
      const again = await call(h, 'POST', '/api/v1/secrets/bulk/delete', { token: owner.token, body: { ids: [s1] } });
      assert.deepEqual(again.body.results[0].error, results[3]?.error, 'already trashed reads as missing');
      const trash = await call(h, 'GET', '/api/v1/trash', { token: owner.token });
      const trashed = trash.body.items.map((s: { id: string }) => s.id);
      assert.ok(trashed.includes(s1) && trashed.includes(s2));
    });

    it('shares visible secrets; invisible and missing ids fail alike; below manage is forbidden', async () => {
      const s1 = await secret(owner.token, ids.vault, 'share-1', ids.a);
      const s2 = await secret(owner.token, ids.vault, 'share-2');
      const r = await call(h, 'POST', '/api/v1/secrets/bulk/share', {
        token: owner.token,
        body: { ids: [s1, MISSING, ids.invisible, ids.viewOnly, s2], userId: target.id, level: 'view' },
      });
      assert.equal(r.status, 200, r.raw);
      const results = r.body.results as ItemResult[];
      assert.deepEqual(okIndexes(results), [0, 4]);
      assert.match(String(results[0]?.grantId), /^gra_/);
      assert.equal(results[4]?.id, s2);
      assert.equal(results[1]?.error?.code, 'not_found');
      assert.deepEqual(results[1]?.error, results[2]?.error, 'invisible == missing');
      assert.equal(results[3]?.error?.code, 'forbidden');
      const inbox = await call(h, 'GET', '/api/v1/shared-with-me', { token: target.token });
      assert.deepEqual(inbox.body.items.map((s: { id: string }) => s.id).sort(), [s1, s2].sort());
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${ids.invisible}`, { token: target.token })).status, 404);
      const noUser = await call(h, 'POST', '/api/v1/secrets/bulk/share', {
        token: owner.token,
        body: { ids: [s1], userId: 'usr_0000000000zzzzzzzzzzzzzzzz', level: 'view' },
      });
      assert.equal(noUser.body.results[0].error.code, 'not_found');
      const audit = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'secret.bulk_share')
        .where('outcome', '=', 'success')
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        audit.map((a) => JSON.parse(a.details ?? '{}')),
        [
          { items: 5, succeeded: 2, failed: 3 },
          { items: 1, succeeded: 0, failed: 1 },
        ],
      );
    });

    it('needs a signed-in user', async () => {
      const r = await call(h, 'POST', '/api/v1/secrets/bulk/delete', { body: { ids: [MISSING] } });
      assert.equal(r.status, 401);
    });
  });
}
