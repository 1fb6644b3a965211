import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { isDate, MAX_FIELDS_PER_NODE } from './metadata.service.ts';

describe('metadata dates', () => {
  it('takes real calendar days written YYYY-MM-DD only', () => {
    for (const ok of ['2024-02-29', '2023-12-31', '0001-01-01', '9999-12-31']) assert.equal(isDate(ok), true, ok);
    for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-1-01', '20240101', '2024-01-01T00:00:00Z', ''])
      assert.equal(isDate(bad), false, bad);
  });
});

for (const dialect of dialects) {
  describe(`metadata fields on vaults, folders and secrets [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let viewer: Awaited<ReturnType<typeof createUser>>;
    let outsider: Awaited<ReturnType<typeof createUser>>;
    const ids = { vault: '', folder: '', secret: '' };

    const put = (token: string, body: Record<string, unknown>) => call(h, 'PUT', '/api/v1/metadata', { token, body });
    const get = (token: string, nodeId: string) => call(h, 'GET', `/api/v1/metadata?nodeId=${nodeId}`, { token });
    const del = (token: string, body: Record<string, unknown>) => call(h, 'DELETE', '/api/v1/metadata', { token, body });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      viewer = await createUser(h, admin, 'password_user');
      outsider = await createUser(h, admin, 'password_user');
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Meta ${dialect}` } });
      ids.vault = v.body.id;
      const f = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: ids.vault, name: 'Servers' } });
      ids.folder = f.body.id;
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId: ids.vault,
          folderId: ids.folder,
          template: 'unix-account',
          name: 'web01',
          fields: { host: 'web01', username: 'root', password: 'pw' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      ids.secret = s.body.id;
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: ids.vault, principalType: 'user', principalId: viewer.id, level: 'view' },
      });
      assert.equal(g.status, 201, g.raw);
    });
    after(async () => h?.close());

    it('stores typed values in sections and returns them typed', async () => {
      const fields = [
        { section: 'Ownership', name: 'Owner', type: 'user', value: owner.id },
        { section: 'Ownership', name: 'Cost centre', type: 'string', value: 'CC-17 / Ops' },
        { section: 'Lifecycle', name: 'Retire on', type: 'date', value: '2027-02-28' },
        { section: 'Lifecycle', name: 'Replicas', type: 'number', value: 2.5 },
        { section: 'Lifecycle', name: 'Critical', type: 'boolean', value: false },
      ];
      for (const f of fields) {
        const r = await put(owner.token, { nodeId: ids.secret, ...f });
        assert.equal(r.status, 200, r.raw);
        assert.deepEqual({ ...r.body, updatedAt: null }, { nodeId: ids.secret, ...f, updatedBy: owner.id, updatedAt: null });
      }
      const list = await get(viewer.token, ids.secret);
      assert.equal(list.status, 200, list.raw);
      assert.deepEqual(
        list.body.items.map((i: Record<string, unknown>) => [i.section, i.name, i.type, i.value]),
        [
          ['Lifecycle', 'Critical', 'boolean', false],
          ['Lifecycle', 'Replicas', 'number', 2.5],
          ['Lifecycle', 'Retire on', 'date', '2027-02-28'],
          ['Ownership', 'Cost centre', 'string', 'CC-17 / Ops'],
          ['Ownership', 'Owner', 'user', owner.id],
        ],
      );
      // folders and vaults take metadata too
      for (const nodeId of [ids.folder, ids.vault]) {
        const r = await put(owner.token, { nodeId, section: 'General', name: 'Site', type: 'string', value: 'FRA1' });
        assert.equal(r.status, 200, r.raw);
        assert.deepEqual(
          (await get(viewer.token, nodeId as string)).body.items.map((i: { value: unknown }) => i.value),
          ['FRA1'],
        );
      }
      // clear text by design (documented): the stored value is the value
      const row = await h.database.db
        .selectFrom('metadata')
        .selectAll()
        .where('node_id', '=', ids.secret as string)
        .where('name', '=', 'Cost centre')
        .executeTakeFirstOrThrow();
      assert.equal(row.value, 'CC-17 / Ops');
    });

    it('overwrites a field (type and value) and deletes it', async () => {
      const r = await put(owner.token, { nodeId: ids.secret, section: 'Lifecycle', name: 'Replicas', type: 'string', value: 'three' });
      assert.equal(r.status, 200, r.raw);
      const items = (await get(owner.token, ids.secret as string)).body.items;
      assert.deepEqual(
        items.filter((i: { name: string }) => i.name === 'Replicas').map((i: { type: string; value: unknown }) => [i.type, i.value]),
        [['string', 'three']],
      );
      const d = await del(owner.token, { nodeId: ids.secret, section: 'Lifecycle', name: 'Replicas' });
      assert.equal(d.status, 204, d.raw);
      assert.equal((await del(owner.token, { nodeId: ids.secret, section: 'Lifecycle', name: 'Replicas' })).status, 404);
      assert.equal((await get(owner.token, ids.secret as string)).body.items.length, items.length - 1);
    });

    it('checks every value against its type', async () => {
      const base = { nodeId: ids.secret, section: 'Checks', name: 'x' };
      const bad: Array<[string, unknown]> = [
        ['number', '5'],
        ['number', true],
        ['boolean', 'true'],
        ['boolean', 1],
        ['string', 5],
        ['string', false],
        ['date', '2023-02-29'],
        ['date', '2024-01-01T00:00:00Z'],
        ['date', 20240101],
        ['user', 'usr_00000000000000000000000000'],
        ['user', ids.vault],
        ['user', 'admin'],
        ['user', 7],
        ['colour', 'red'],
      ];
      for (const [type, value] of bad) {
        const r = await put(owner.token, { ...base, type, value });
        assert.equal(r.status, 400, `${type} ${JSON.stringify(value)}: ${r.raw}`);
        assert.equal(r.body.error.code, 'validation.failed');
      }
      for (const body of [
        { ...base, type: 'string', value: 'x', extra: 1 },
        { ...base, type: 'string' },
        { ...base, name: '', type: 'string', value: 'x' },
        { ...base, name: '   ', type: 'string', value: 'x' },
        { ...base, section: 'a\nb', type: 'string', value: 'x' },
        { ...base, type: 'string', value: 'x'.repeat(2001) },
        { ...base, nodeId: 'not-an-id', type: 'string', value: 'x' },
        { ...base, type: 'number', value: null },
      ]) {
        const r = await put(owner.token, body);
        assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.raw}`);
      }
      assert.equal(
        (await get(owner.token, ids.secret as string)).body.items.filter((i: { section: string }) => i.section === 'Checks').length,
        0,
      );
    });

    it('needs view to read and edit to change; an invisible node reads like a missing one', async () => {
      const field = { nodeId: ids.secret, section: 'Ownership', name: 'Cost centre' };
      const viewerPut = await put(viewer.token, { ...field, type: 'string', value: 'hijack' });
      assert.equal(viewerPut.status, 403, viewerPut.raw);
      assert.equal((await del(viewer.token, field)).status, 403);
      assert.equal((await put(viewer.token, { ...field, nodeId: ids.folder, type: 'string', value: 'x' })).status, 403);
      const strip = (r: Awaited<ReturnType<typeof call>>) => ({ status: r.status, ...r.body.error, requestId: null });
      for (const [real, missing] of [
        [ids.secret, 'sec_00000000000000000000000000'],
        [ids.folder, 'fld_00000000000000000000000000'],
        [ids.vault, 'vlt_00000000000000000000000000'],
      ] as Array<[string, string]>) {
        const seen = await get(outsider.token, real);
        assert.equal(seen.status, 404, seen.raw);
        assert.deepEqual(strip(seen), strip(await get(outsider.token, missing)));
        const w = await put(outsider.token, { ...field, nodeId: real, type: 'string', value: 'x' });
        assert.deepEqual(strip(w), strip(await put(outsider.token, { ...field, nodeId: missing, type: 'string', value: 'x' })));
        assert.equal((await del(outsider.token, { ...field, nodeId: real })).status, 404);
      }
      assert.equal((await get(owner.token, 'usr_00000000000000000000000000')).status, 404);
      const kept = (await get(owner.token, ids.secret as string)).body.items.find((i: { name: string }) => i.name === 'Cost centre');
      assert.equal(kept.value, 'CC-17 / Ops', 'nothing changed');
      const denied = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'metadata.set')
        .where('outcome', '=', 'denied')
        .where('actor_id', '=', viewer.id)
        .execute();
      assert.ok(denied.length >= 2, 'denials are audited');
      const ok = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'metadata.set')
        .where('outcome', '=', 'success')
        .where('object_id', '=', ids.secret as string)
        .execute();
      assert.ok(ok.length >= 5);
      assert.deepEqual(Object.keys(JSON.parse(ok[0]?.details as string)).sort(), ['created', 'name', 'nodeType', 'section', 'type']);
    });

    it(`holds at most ${MAX_FIELDS_PER_NODE} fields per node`, async () => {
      const nodeId = ids.folder as string;
      const have = (await get(owner.token, nodeId)).body.items.length;
      for (let i = have; i < MAX_FIELDS_PER_NODE; i++) {
        const r = await put(owner.token, { nodeId, section: 'Bulk', name: `f${i}`, type: 'number', value: i });
        assert.equal(r.status, 200, r.raw);
      }
      const over = await put(owner.token, { nodeId, section: 'Bulk', name: 'one too many', type: 'number', value: 1 });
      assert.equal(over.status, 409, over.raw);
      const overwrite = await put(owner.token, { nodeId, section: 'Bulk', name: `f${have}`, type: 'number', value: -1 });
      assert.equal(overwrite.status, 200, 'an existing field can still change');
    });

    it('purging a secret deletes its metadata', async () => {
      assert.ok(
        (
          await h.database.db
            .selectFrom('metadata')
            .select('name')
            .where('node_id', '=', ids.secret as string)
            .execute()
        ).length > 0,
      );
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.secret}`, { token: owner.token })).status, 204);
      assert.equal((await get(owner.token, ids.secret as string)).status, 404, 'a trashed secret has no reachable metadata');
      assert.equal((await call(h, 'DELETE', `/api/v1/trash/${ids.secret}`, { token: owner.token })).status, 204);
      assert.deepEqual(
        await h.database.db
          .selectFrom('metadata')
          .select('name')
          .where('node_id', '=', ids.secret as string)
          .execute(),
        [],
      );
    });
  });
}
