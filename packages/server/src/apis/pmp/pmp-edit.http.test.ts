// Contract tests of PMP's edit operations (PUT resources/{id}, PUT resources/{id}/accounts/{id}) and
// of PMP's custom-field keys in answers, sent the way public clients send them, on both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiUser, form, PMP, type PmpRes, pmp } from '../../../test/pmp.ts';

/** Python's `str(dict)` of Details, as Cortex XSOAR's PAM360 integration writes INPUT_DATA. */
const pyRepr = (details: Record<string, string>) =>
  `{'operation': {'Details': {${Object.entries(details)
    .map(([k, v]) => `'${k}': '${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(', ')}}}}`;

/** Cortex XSOAR's PAM360 integration: APP_AUTHTOKEN/APP_TYPE headers, requests' form encoding of data={'INPUT_DATA': str(dict)}. */
async function xsoar(h: Harness, token: string, method: 'PUT' | 'GET', path: string, details?: Record<string, string>): Promise<PmpRes> {
  const r = await h.app.inject({
    method,
    url: `${PMP}${path}`,
    headers: {
      APP_AUTHTOKEN: token,
      APP_TYPE: '17',
      ...(details ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(details ? { payload: new URLSearchParams({ INPUT_DATA: pyRepr(details) }).toString() } : {}),
  });
  let body: unknown = r.body;
  try {
    body = JSON.parse(r.body);
  } catch {
    // not JSON
  }
  return { status: r.statusCode, body, raw: r.body } as PmpRes;
}

for (const dialect of dialects) {
  describe(`PMP edit operations and custom-field keys (${dialect})`, () => {
    let h: Harness;
    let api: { id: string; key: string };
    let other: { id: string; key: string };
    let rid: string;
    let aid: string;

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      api = await apiUser(h, admin, 'pmp-edit');
      other = await apiUser(h, admin, 'pmp-edit-other', 'password_user');
      const c = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: 'text/json',
        body: form({
          RESOURCENAME: 'edit-me',
          ACCOUNTNAME: 'root',
          RESOURCETYPE: 'Linux',
          PASSWORD: 'edit-pw',
          NOTES: 'first notes',
          LOCATION: 'Hall A',
          RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'YES' }],
          ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'NO' }],
        }),
      });
      assert.equal(c.body.operation.result.status, 'Success', c.raw);
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'edit-me', ACCOUNTNAME: 'root' },
      });
      rid = ids.body.operation.Details.RESOURCEID;
      aid = ids.body.operation.Details.ACCOUNTID;
    });
    after(async () => h.close());

    it("pv2b/kenny reads a resource's custom fields as PMP names them: CUSTOM FIELD with CUSTOMFIELDLABEL/VALUE/TYPE/COLUMNNAME", async () => {
      const r = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      const d = r.body.operation.Details;
      assert.deepEqual(d['CUSTOM FIELD'], [
        {
          CUSTOMFIELDLABEL: 'Secure Resource',
          CUSTOMFIELDVALUE: 'YES',
          CUSTOMFIELDTYPE: 'Character',
          CUSTOMFIELDCOLUMNNAME: 'COLUMN_CHAR1',
        },
      ]);
      assert.equal(d['RESOURCE CUSTOM FIELDS'], undefined, 'no key of our own beside PMP’s');
      // kenny also reads the resource's policy as PASSWORD POLICY (PMP's reference sample)
      assert.equal(d['PASSWORD POLICY'], 'Strong');
    });

    it("account details carry PMP's CUSTOM FIELD list (PMP's REST reference, GET RESOURCE ACCOUNT DETAILS)", async () => {
      const r = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}`, { token: api.key });
      const d = r.body.operation.Details;
      assert.deepEqual(d['CUSTOM FIELD'], [
        { CUSTOMFIELDLABEL: 'Secure Account', CUSTOMFIELDVALUE: 'NO', CUSTOMFIELDTYPE: 'Character', CUSTOMFIELDCOLUMNNAME: 'COLUMN_CHAR1' },
      ]);
      assert.equal(d['ACCOUNT CUSTOM FIELDS'], undefined);
    });

    it("Cortex XSOAR's pam360-update-resource: PUT resources/{id}, every argument sent, empty ones left as they are", async () => {
      const r = await xsoar(h, api.key, 'PUT', `/resources/${rid}`, {
        RESOURCENAME: 'edited-res',
        RESOURCETYPE: 'Windows',
        RESOURCEDESCRIPTION: 'now windows',
        RESOURCEURL: '',
        RESOURCEPASSWORDPOLICY: 'Medium',
        LOCATION: '',
        DEPARTMENT: 'NOC',
        DNSNAME: 'edited.example.com',
        OWNERNAME: 'secops',
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        operation: { name: 'EDIT RESOURCE', result: { status: 'Success', message: 'Resource edited-res modified successfully.' } },
      });
      const list = await xsoar(h, api.key, 'GET', `/resources/${rid}/accounts`);
      const d = list.body.operation.Details;
      assert.equal(d['RESOURCE NAME'], 'edited-res');
      assert.equal(d['RESOURCE TYPE'], 'Windows');
      assert.equal(d['RESOURCE DESCRIPTION'], 'now windows');
      assert.equal(d['RESOURCE PASSWORD POLICY'], 'Medium');
      assert.equal(d.DEPARTMENT, 'NOC');
      assert.equal(d['DNS NAME'], 'edited.example.com');
      assert.equal(d['RESOURCE OWNER'], 'secops');
      assert.equal(d.LOCATION, 'Hall A', 'an empty LOCATION leaves it as it was');
      // the name lookup follows the rename
      const byName = await pmp(h, 'GET', '/resources/resourcename/edited-res', { token: api.key });
      assert.deepEqual(byName.body.operation.Details, { RESOURCEID: rid });
      // audited by the services, via pmp
      const rows = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'via'])
        .where('action', 'in', ['folder.update', 'metadata.set'])
        .where('via', '=', 'pmp')
        .execute();
      assert.ok(rows.some((x) => x.action === 'folder.update'));
    });

    it("PMP's reference: RESOURCECUSTOMFIELD on edit sets (and an empty CUSTOMVALUE removes) custom fields", async () => {
      const r = await pmp(h, 'PUT', `/resources/${rid}`, {
        token: api.key,
        contentType: 'text/json',
        body: form({
          RESOURCECUSTOMFIELD: [
            { CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: '' },
            { CUSTOMLABEL: 'Rack', CUSTOMVALUE: 'R12' },
          ],
        }),
      });
      assert.equal(r.body.operation.result.status, 'Success', r.raw);
      const list = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      assert.deepEqual(
        list.body.operation.Details['CUSTOM FIELD'].map((c: Record<string, string>) => [c.CUSTOMFIELDLABEL, c.CUSTOMFIELDVALUE]),
        [['Rack', 'R12']],
      );
    });

    it("Cortex XSOAR's pam360-update-account: PUT resources/{id}/accounts/{id} renames, sets notes and the account's policy", async () => {
      const r = await xsoar(h, api.key, 'PUT', `/resources/${rid}/accounts/${aid}`, {
        ACCOUNTNAME: 'admin2',
        NOTES: 'rotated by playbook',
        ACCOUNTPASSWORDPOLICY: 'Low',
        OWNERNAME: 'secops',
      });
      assert.deepEqual(r.body, {
        operation: { name: 'EDIT ACCOUNT', result: { status: 'Success', message: 'Account admin2 modified successfully' } },
      });
      const d = (await xsoar(h, api.key, 'GET', `/resources/${rid}/accounts/${aid}`)).body.operation.Details;
      assert.equal(d['ACCOUNT NAME'], 'admin2');
      assert.equal(d.DESCRIPTION, 'rotated by playbook');
      assert.equal(d['PASSWORD POLICY'], 'Low');
      // the password is untouched, and the new name is what the id lookups answer to
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'edited-res', ACCOUNTNAME: 'admin2' },
      });
      assert.deepEqual(ids.body.operation.Details, { RESOURCEID: rid, ACCOUNTID: aid });
      const pw = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(pw.body.operation.Details.PASSWORD, 'edit-pw');
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['via'])
        .where('action', '=', 'secret.update')
        .where('via', '=', 'pmp')
        .execute();
      assert.ok(audit.length > 0);
    });

    it("PMP's reference: DESCRIPTION (for NOTES) and ACCOUNTCUSTOMFIELD on account edit; other custom fields are kept", async () => {
      const r = await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}`, {
        token: api.key,
        contentType: 'text/json',
        body: form({ DESCRIPTION: 'via DESCRIPTION', ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Owner team', CUSTOMVALUE: 'dba' }] }),
      });
      assert.equal(r.body.operation.result.status, 'Success', r.raw);
      const d = (await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}`, { token: api.key })).body.operation.Details;
      assert.equal(d.DESCRIPTION, 'via DESCRIPTION');
      assert.deepEqual(
        d['CUSTOM FIELD'].map((c: Record<string, string>) => [c.CUSTOMFIELDLABEL, c.CUSTOMFIELDVALUE]),
        [
          ['Secure Account', 'NO'],
          ['Owner team', 'dba'],
        ],
      );
    });

    it('a vault-top resource is renamed as a vault; a hidden custom field is typed Password, never shown, and blocks a custom-field edit', async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: api.key, body: { name: 'native-vault' } });
      assert.equal(v.status, 201, v.raw);
      const sec = await call(h, 'POST', '/api/v1/secrets', {
        token: api.key,
        body: {
          vaultId: v.body.id,
          template: 'host-credential',
          name: 'svc',
          fields: { username: 'svc', password: 'top-pw' },
          customFields: [
            { name: 'PIN', type: 'password', value: 'pin-4321' },
            { name: 'Site', type: 'text', value: 'Lyon' },
          ],
        },
      });
      assert.equal(sec.status, 201, sec.raw);
      // a vault-top resource: its id from the resource list, its account's from the account list
      const all = await pmp(h, 'GET', '/resources', { token: api.key });
      const vr = all.body.operation.Details.find((x: Record<string, string>) => x['RESOURCE NAME'] === 'native-vault')['RESOURCE ID'];
      const accounts = await pmp(h, 'GET', `/resources/${vr}/accounts`, { token: api.key });
      const va = accounts.body.operation.Details['ACCOUNT LIST'][0]['ACCOUNT ID'];
      const details = await pmp(h, 'GET', `/resources/${vr}/accounts/${va}`, { token: api.key });
      assert.deepEqual(details.body.operation.Details['CUSTOM FIELD'], [
        { CUSTOMFIELDLABEL: 'PIN', CUSTOMFIELDVALUE: '', CUSTOMFIELDTYPE: 'Password', CUSTOMFIELDCOLUMNNAME: 'COLUMN_SCHAR1' },
        { CUSTOMFIELDLABEL: 'Site', CUSTOMFIELDVALUE: 'Lyon', CUSTOMFIELDTYPE: 'Character', CUSTOMFIELDCOLUMNNAME: 'COLUMN_CHAR1' },
      ]);
      assert.doesNotMatch(details.raw, /pin-4321/);
      const blocked = await pmp(h, 'PUT', `/resources/${vr}/accounts/${va}`, {
        token: api.key,
        contentType: 'text/json',
        body: form({ ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Site', CUSTOMVALUE: 'Paris' }] }),
      });
      assert.equal(blocked.body.operation.result.status, 'Failed');
      assert.match(blocked.body.operation.result.message, /hidden custom fields/);
      const renamed = await xsoar(h, api.key, 'PUT', `/resources/${vr}`, { RESOURCENAME: 'renamed-vault' });
      assert.equal(renamed.body.operation.result.status, 'Success', renamed.raw);
      const vault = await call(h, 'GET', `/api/v1/vaults/${v.body.id}`, { token: api.key });
      assert.equal(vault.body.name, 'renamed-vault');
    });

    it('hidden and missing resources and accounts answer alike (Failed, HTTP 200); bad input never a 5xx', async () => {
      const hiddenRes = await xsoar(h, other.key, 'PUT', `/resources/${rid}`, { RESOURCENAME: 'taken-over' });
      const missingRes = await xsoar(h, other.key, 'PUT', '/resources/987654', { RESOURCENAME: 'taken-over' });
      const hiddenAcc = await xsoar(h, other.key, 'PUT', `/resources/${rid}/accounts/${aid}`, { ACCOUNTNAME: 'x' });
      const missingAcc = await xsoar(h, other.key, 'PUT', `/resources/${rid}/accounts/987654`, { ACCOUNTNAME: 'x' });
      for (const r of [hiddenRes, missingRes, hiddenAcc, missingAcc]) {
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.operation.result.status, 'Failed', r.raw);
      }
      assert.equal(hiddenRes.body.operation.result.message, missingRes.body.operation.result.message);
      assert.equal(hiddenAcc.body.operation.result.message, missingAcc.body.operation.result.message);
      assert.equal(hiddenRes.body.operation.name, 'EDIT RESOURCE');
      assert.equal(hiddenAcc.body.operation.name, 'EDIT ACCOUNT');
      const still = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      assert.equal(still.body.operation.Details['RESOURCE NAME'], 'edited-res');
      // an account id under another resource id reads like a missing one
      const other2 = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: 'text/json',
        body: form({ RESOURCENAME: 'second', ACCOUNTNAME: 'u', RESOURCETYPE: 'Linux', PASSWORD: 'p' }),
      });
      assert.equal(other2.body.operation.result.status, 'Success');
      const sid = (await pmp(h, 'GET', '/resources/resourcename/second', { token: api.key })).body.operation.Details.RESOURCEID;
      const wrongParent = await pmp(h, 'PUT', `/resources/${sid}/accounts/${aid}`, {
        token: api.key,
        contentType: 'text/json',
        body: form({ ACCOUNTNAME: 'moved' }),
      });
      assert.equal(wrongParent.body.operation.result.status, 'Failed');
      assert.equal(wrongParent.body.operation.result.message, missingAcc.body.operation.result.message);
      const bad = [
        await pmp(h, 'PUT', `/resources/${rid}`, { token: api.key, contentType: 'text/json', body: form({ RESOURCENAME: 'a/b' }) }),
        await pmp(h, 'PUT', `/resources/${rid}`, { token: api.key, contentType: 'text/json', body: form({ RESOURCENAME: 'Second' }) }),
        await pmp(h, 'PUT', `/resources/${rid}`, { token: api.key, contentType: 'text/json', body: 'INPUT_DATA={"operation":{' }),
        await pmp(h, 'PUT', `/resources/${rid}`, {
          token: api.key,
          contentType: 'text/json',
          body: form({ RESOURCECUSTOMFIELD: [{ CUSTOMVALUE: 'no label' }] }),
        }),
        await pmp(h, 'PUT', `/resources/${rid}`, { token: api.key, contentType: 'text/json', body: form({}) }),
        await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}`, {
          token: api.key,
          contentType: 'text/json',
          body: form({ ACCOUNTNAME: 'x'.repeat(400) }),
        }),
        await pmp(h, 'PUT', `/resources/${'9'.repeat(30)}/accounts/1.5`, {
          token: api.key,
          contentType: 'text/json',
          body: form({ NOTES: 'n' }),
        }),
      ];
      for (const r of bad) {
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.operation.result.status, 'Failed', r.raw);
        assert.equal(r.body.operation.Details, undefined);
      }
      assert.match(bad[1]?.body.operation.result.message, /already exists/);
    });
  });
}
