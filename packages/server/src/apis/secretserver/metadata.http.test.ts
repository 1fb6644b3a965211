// Secret Server metadata (seed 003's pysecretserver calls, with their exact bodies), over real HTTP
// on both dialects: create, the `{dirty, value}` update, search by item and type, fields and
// sections, delete — on folders (vaults too), secrets and users; typed values; the error shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { num, ss, ssLogin, ssTree, ssUser } from '../../../test/secretserver.ts';
import { BUILTIN_TEMPLATE_IDS } from './template-ids.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed answers
type Json = any;

const ITEM_KEYS = [
  'metadataItemDataId',
  'metadataFieldTypeName',
  'metadataFieldDataType',
  'metadataType',
  'metadataTypeName',
  'itemId',
  'metadataFieldId',
  'metadataFieldName',
  'metadataFieldSectionId',
  'metadataFieldSectionName',
  'metadataFieldTypeId',
  'createUserId',
  'createUserName',
  'createDateTime',
  'sortOrder',
  'valueString',
  'valueBit',
  'valueNumber',
  'valueDateTime',
  'valueInt',
  'valueUserDisplayName',
];

function assertError(r: { status: number; body: Json; raw: string }) {
  assert.equal(r.status, 400, r.raw);
  assert.equal(typeof r.body.errorCode, 'string');
  assert.equal(typeof r.body.message, 'string');
}

for (const dialect of dialects) {
  describe(`Secret Server metadata [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let u: Awaited<ReturnType<typeof ssUser>>;
    let t: Awaited<ReturnType<typeof ssTree>>;
    let secretNum = 0;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      u = await ssUser(h, admin);
      t = await ssTree(h, admin, u.id);
      const s = await ss(h, 'POST', '/secrets', u.ss, {
        name: 'meta',
        folderId: t.folderNum,
        secretTemplateId: BUILTIN_TEMPLATE_IDS['secure-note'],
        items: [{ slug: 'notes', itemValue: 'n' }],
      });
      secretNum = s.body.id;
    });
    after(async () => h.close());

    it("the seed's folder flow: create, update with {dirty, value}, list by item and type, delete", async () => {
      const created = await ss(h, 'POST', `/metadata/folder/${t.folderNum}`, u.ss, {
        data: {
          fieldDataType: 'string',
          metadataFieldName: 'Customer Code',
          metadataFieldSectionName: 'Customer Details',
          valueString: 'TST',
        },
      });
      assert.equal(created.status, 200, created.raw);
      assert.deepEqual(Object.keys(created.body).sort(), [...ITEM_KEYS].sort());
      assert.equal(created.body.itemId, t.folderNum);
      assert.equal(created.body.valueString, 'TST');
      assert.equal(created.body.metadataType, 'Folder');
      assert.equal(created.body.metadataFieldDataType, 'String');
      assert.equal(created.body.metadataFieldName, 'Customer Code');
      assert.equal(created.body.metadataFieldSectionName, 'Customer Details');
      assert.equal(created.body.createUserId, await num(h, 'user', u.id));
      assert.match(created.body.createDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+$/);
      const dataId = created.body.metadataItemDataId;
      const updated = await ss(h, 'PATCH', `/metadata/folder/${t.folderNum}`, u.ss, {
        data: { metadataItemDataId: dataId, valueString: { dirty: true, value: 'XXX' } },
      });
      assert.equal(updated.status, 200, updated.raw);
      assert.equal(updated.body.valueString, 'XXX');
      assert.equal(updated.body.metadataItemDataId, dataId);
      assert.equal(updated.body.metadataFieldId, created.body.metadataFieldId);
      // pysecretserver: GET /metadata/?filter.itemId=…&filter.metadataType=folder, then ['records']
      const list = await ss(h, 'GET', `/metadata/?filter.itemId=${t.folderNum}&filter.metadataType=folder`, u.ss);
      assert.equal(list.status, 200, list.raw);
      assert.deepEqual(
        list.body.records.map((r: Json) => [r.metadataItemDataId, r.valueString]),
        [[dataId, 'XXX']],
      );
      const onlyField = await ss(
        h,
        'GET',
        `/metadata?filter.itemId=${t.folderNum}&filter.metadataType=Folder&filter.metadataFieldId=${created.body.metadataFieldId}`,
        u.ss,
      );
      assert.equal(onlyField.body.records.length, 1);
      // the native view of the same metadata
      const native = await call(h, 'GET', `/api/v1/metadata?nodeId=${t.folderId}`, { token: u.token });
      assert.deepEqual(
        native.body.items.map((m: Json) => [m.section, m.name, m.value]),
        [['Customer Details', 'Customer Code', 'XXX']],
      );
      const del = await ss(h, 'DELETE', `/metadata/folder/${t.folderNum}/${dataId}`, u.ss);
      assert.equal(del.status, 200, del.raw);
      assert.deepEqual(del.body, { success: true });
      assert.equal((await ss(h, 'GET', `/metadata?filter.itemId=${t.folderNum}&filter.metadataType=folder`, u.ss)).body.records.length, 0);
      assertError(await ss(h, 'DELETE', `/metadata/folder/${t.folderNum}/${dataId}`, u.ss));
    });

    it('typed values on a secret and a vault: Number, Boolean, DateTime, User; fields and sections list what is in use', async () => {
      const post = (type: string, id: number, data: Json) => ss(h, 'POST', `/metadata/${type}/${id}`, u.ss, { data });
      const n = await post('Secret', secretNum, {
        fieldDataType: 'Number',
        metadataFieldName: 'Port',
        metadataFieldSectionName: 'Network',
        valueNumber: 22,
      });
      assert.equal(n.status, 200, n.raw);
      assert.equal(n.body.valueNumber, 22);
      assert.equal(n.body.metadataType, 'Secret');
      const b = await post('secret', secretNum, {
        fieldDataType: 'boolean',
        metadataFieldName: 'Prod',
        metadataFieldSectionName: 'Network',
        valueBit: true,
      });
      assert.equal(b.body.valueBit, true);
      const d = await post('secret', secretNum, {
        fieldDataType: 'DateTime',
        metadataFieldName: 'Review',
        metadataFieldSectionName: 'Audit',
        valueDateTime: '2031-01-15T00:00:00',
      });
      assert.equal(d.status, 200, d.raw);
      assert.equal(d.body.valueDateTime, '2031-01-15T00:00:00');
      const userNum = await num(h, 'user', u.id);
      const usr = await post('secret', secretNum, {
        fieldDataType: 'User',
        metadataFieldName: 'Owner',
        metadataFieldSectionName: 'Audit',
        valueInt: userNum,
      });
      assert.equal(usr.status, 200, usr.raw);
      assert.equal(usr.body.valueInt, userNum);
      const v = await post('folder', t.vaultNum, {
        fieldDataType: 'string',
        metadataFieldName: 'Tier',
        metadataFieldSectionName: 'Network',
        valueString: 'gold',
      });
      assert.equal(v.status, 200, v.raw);
      // the same field on another item shares the field id
      const again = await post('folder', t.folderNum, { metadataFieldId: v.body.metadataFieldId, valueString: 'silver' });
      assert.equal(again.status, 200, again.raw);
      assert.equal(again.body.metadataFieldName, 'Tier');
      assert.equal(again.body.metadataFieldId, v.body.metadataFieldId);
      const fields = await ss(h, 'GET', '/metadata/fields', u.ss);
      assert.equal(fields.status, 200, fields.raw);
      const names = fields.body.records.map((f: Json) => `${f.metadataFieldSectionName}/${f.metadataFieldName}:${f.fieldDataType}`).sort();
      assert.deepEqual(names, [
        'Audit/Owner:User',
        'Audit/Review:DateTime',
        'Network/Port:Number',
        'Network/Prod:Boolean',
        'Network/Tier:String',
      ]);
      for (const f of fields.body.records) assert.equal(typeof f.metadataFieldSectionId, 'number');
      const sections = await ss(h, 'GET', `/metadata/field-sections/?filter.itemId=${secretNum}`, u.ss);
      assert.deepEqual(sections.body.records.map((s: Json) => s.metadataFieldSectionName).sort(), ['Audit', 'Network']);
      const ofSecret = await ss(h, 'GET', `/metadata/field-sections?filter.itemId=${secretNum}&filter.metadataType=secret`, u.ss);
      assert.deepEqual(ofSecret.body.records.map((s: Json) => s.metadataFieldSectionName).sort(), ['Audit', 'Network']);
      // wrong types answer 400
      for (const data of [
        { fieldDataType: 'Number', metadataFieldName: 'X', metadataFieldSectionName: 'S', valueNumber: 'abc' },
        { fieldDataType: 'Boolean', metadataFieldName: 'Y', metadataFieldSectionName: 'S', valueBit: 'maybe' },
        { fieldDataType: 'DateTime', metadataFieldName: 'Z', metadataFieldSectionName: 'S', valueDateTime: 'soon' },
        { fieldDataType: 'User', metadataFieldName: 'W', metadataFieldSectionName: 'S', valueInt: 987654 },
        { fieldDataType: 'Colour', metadataFieldName: 'V', metadataFieldSectionName: 'S', valueString: 'x' },
        { fieldDataType: 'string', metadataFieldSectionName: 'S', valueString: 'no name' },
        { fieldDataType: 'string', metadataFieldName: 'bad\u001b[2J', metadataFieldSectionName: 'S', valueString: 'x' },
        { fieldDataType: 'string', metadataFieldName: 'N', metadataFieldSectionName: 'S' },
      ]) {
        assertError(await post('secret', secretNum, data));
      }
      assertError(await ss(h, 'POST', `/metadata/planet/${secretNum}`, u.ss, { data: { valueString: 'x' } }));
      assertError(await ss(h, 'POST', `/metadata/secret/${secretNum}`, u.ss, { data: 'x' }));
    });

    it("users: an administrator writes a user's metadata, the user reads their own, another user reads it like a missing one", async () => {
      const adminSs = (await ssLogin(h, 'admin', 'admin-password-canary-7f3a')).access_token;
      const userNum = await num(h, 'user', u.id);
      const w = await ss(h, 'POST', `/metadata/user/${userNum}`, adminSs, {
        data: { fieldDataType: 'string', metadataFieldName: 'Cost centre', metadataFieldSectionName: 'HR', valueString: 'CC-42' },
      });
      assert.equal(w.status, 200, w.raw);
      assert.equal(w.body.metadataType, 'User');
      assert.equal(w.body.itemId, userNum);
      const own = await ss(h, 'GET', `/metadata?filter.itemId=${userNum}&filter.metadataType=User`, u.ss);
      assert.deepEqual(
        own.body.records.map((r: Json) => r.valueString),
        ['CC-42'],
      );
      // a user does not change their own (administrators do)
      assertError(
        await ss(h, 'PATCH', `/metadata/user/${userNum}`, u.ss, {
          data: { metadataItemDataId: w.body.metadataItemDataId, valueString: { dirty: true, value: 'mine' } },
        }),
      );
      const other = await ssUser(h, admin, 'password_user');
      const hidden = await ss(h, 'GET', `/metadata?filter.itemId=${userNum}&filter.metadataType=User`, other.ss);
      const unknown = await ss(h, 'GET', '/metadata?filter.itemId=987654&filter.metadataType=User', other.ss);
      assertError(hidden);
      assert.deepEqual(hidden.body, unknown.body);
      // nor does another user see a secret's metadata or its fields in the catalog
      assert.deepEqual(
        (await ss(h, 'GET', `/metadata?filter.itemId=${secretNum}&filter.metadataType=secret`, other.ss)).body,
        (await ss(h, 'GET', '/metadata?filter.itemId=987655&filter.metadataType=secret', other.ss)).body,
      );
      const catalog = await ss(h, 'GET', '/metadata/fields', other.ss);
      assert.equal(catalog.body.records.length, 0, 'no field of what they cannot see');
    });
  });
}
