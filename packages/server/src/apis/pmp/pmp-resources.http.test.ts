// Contract tests of PMP's resources, accounts and passwords (seed 001), over real HTTP on both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiUser, form, inputData, pmp } from '../../../test/pmp.ts';

const TEXT_JSON = 'text/json';

for (const dialect of dialects) {
  describe(`PMP resources, accounts, passwords (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    let api: { id: string; key: string };
    let other: { id: string; key: string };
    let rid: string;
    let aid: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      api = await apiUser(h, admin, 'pmp-api');
      other = await apiUser(h, admin, 'pmp-other', 'password_user');
    });
    after(async () => h.close());

    it('an empty list: totalRows 0 and no Details', async () => {
      const r = await pmp(h, 'GET', '/resources', { token: api.key, tokenInQuery: true });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        operation: { name: 'GET RESOURCES', result: { status: 'Success', message: 'Resources fetched successfully' }, totalRows: 0 },
      });
    });

    it('creates a resource from a form body labelled text/json (custom fields at the top of Details)', async () => {
      const r = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: TEXT_JSON,
        body: form({
          RESOURCENAME: 'Windows Server',
          ACCOUNTNAME: 'Administrator',
          RESOURCETYPE: 'Windows',
          PASSWORD: 'Test123#@!+&x',
          NOTES: 'Testing API',
          RESOURCEURL: 'http://windowsserver/adminconsole',
          DNSNAME: 'win1.example.com',
          LOCATION: 'Plaza',
          DEPARTMENT: 'Finance',
          RESOURCEDESCRIPTION: 'Servers for the API',
          RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'YES' }],
          ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'NO' }],
        }),
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        operation: {
          name: 'CREATE RESOURCE',
          result: { status: 'Success', message: 'Resource Windows Server has been added successfully' },
        },
      });
      const again = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: TEXT_JSON,
        body: form({ RESOURCENAME: 'windows server', ACCOUNTNAME: 'x', RESOURCETYPE: 'Windows', PASSWORD: 'p' }),
      });
      assert.equal(again.body.operation.result.status, 'Failed');
      assert.match(again.body.operation.result.message, /already exists/);
    });

    it('lists resources with string ids and a numeric totalRows', async () => {
      const r = await pmp(h, 'GET', '/resources', { token: `${api.key}\n`, tokenInQuery: true });
      const op = r.body.operation;
      assert.equal(op.result.status, 'Success');
      assert.equal(op.totalRows, 1);
      const [row] = op.Details;
      assert.match(row['RESOURCE ID'], /^[1-9]\d*$/);
      assert.equal(row['RESOURCE NAME'], 'Windows Server');
      assert.equal(row['RESOURCE TYPE'], 'Windows');
      assert.equal(row['RESOURCE DESCRIPTION'], 'Servers for the API');
      assert.equal(row.NOOFACCOUNTS, '1');
      rid = row['RESOURCE ID'];
    });

    it('lists the accounts of a resource with its details', async () => {
      const r = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      const op = r.body.operation;
      assert.equal(op.name, 'GET RESOURCE ACCOUNTLIST');
      assert.equal(op.result.message, 'Resource details with account list fetched successfully');
      assert.equal(op.Details['RESOURCE ID'], rid);
      assert.equal(op.Details['DNS NAME'], 'win1.example.com');
      assert.equal(op.Details.LOCATION, 'Plaza');
      assert.equal(op.Details['RESOURCE URL'], 'http://windowsserver/adminconsole');
      assert.deepEqual(
        op.Details['CUSTOM FIELD'].map((c: Record<string, string>) => [c.CUSTOMFIELDLABEL, c.CUSTOMFIELDVALUE]),
        [['Secure Resource', 'YES']],
      );
      const [acc] = op.Details['ACCOUNT LIST'];
      assert.equal(acc['ACCOUNT NAME'], 'Administrator');
      assert.equal(acc['PASSWORD STATUS'], '****');
      assert.match(acc['ACCOUNT ID'], /^[1-9]\d*$/);
      assert.equal(acc.PASSWDID, acc['ACCOUNT ID']);
      aid = acc['ACCOUNT ID'];
    });

    it('reads account details', async () => {
      const r = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}`, { token: api.key });
      const op = r.body.operation;
      assert.equal(op.name, 'GET RESOURCE ACCOUNT DETAILS');
      assert.equal(op.Details.DESCRIPTION, 'Testing API');
      assert.equal(op.Details.PASSWDID, aid);
      assert.deepEqual(
        op.Details['CUSTOM FIELD'].map((c: Record<string, string>) => [c.CUSTOMFIELDLABEL, c.CUSTOMFIELDVALUE]),
        [['Secure Account', 'NO']],
      );
    });

    it('reads the password (the form-decoded value), header or query token, INPUT_DATA in the query', async () => {
      const r = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, {
        token: api.key,
        tokenInQuery: true,
        contentType: TEXT_JSON,
        query: { INPUT_DATA: inputData({ REASON: 'Need the password to Login Windows Server' }) },
      });
      assert.deepEqual(r.body, {
        operation: {
          name: 'GET PASSWORD',
          result: { status: 'Success', message: 'Password fetched successfully' },
          Details: { PASSWORD: 'Test123#@!+&x' },
        },
      });
    });

    it('one secret, three ways: native reveal and PMP give the same value, audited with via', async () => {
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'windows server', ACCOUNTNAME: 'administrator' },
      });
      assert.deepEqual(ids.body.operation.Details, { RESOURCEID: rid, ACCOUNTID: aid });
      assert.equal(ids.body.operation.name, 'GET_RESOURCEACCOUNTID');
      const byPath = await pmp(
        h,
        'GET',
        `/resources/resourcename/${encodeURIComponent('Windows Server')}/accounts/accountname/Administrator`,
        {
          token: api.key,
        },
      );
      assert.equal(byPath.body.operation.name, 'GET_RESOURCEACCOUNTNAME');
      assert.deepEqual(byPath.body.operation.Details, { RESOURCEID: rid, ACCOUNTID: aid });
      const res = await pmp(h, 'GET', `/resources/resourcename/${encodeURIComponent('Windows Server')}`, { token: api.key });
      assert.deepEqual(res.body.operation.Details, { RESOURCEID: rid });
      // the native API, with the same key as a bearer token
      const found = await call(h, 'GET', '/api/v1/lookup/pmp?resourceName=Windows%20Server&accountName=Administrator', { token: api.key });
      const native = await call(h, 'POST', `/api/v1/secrets/${found.body.accountId}/reveal`, { token: api.key, body: {} });
      assert.equal(native.body.values.password, 'Test123#@!+&x');
      const rows = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'via', 'object_id'])
        .where('action', '=', 'secret.reveal')
        .where('object_id', '=', found.body.accountId)
        .execute();
      const vias = new Set(rows.map((x) => x.via));
      assert.ok(vias.has('pmp') && vias.has('native'), JSON.stringify(rows));
    });

    it('a secret the API user may not see is absent from lists and answers like a missing one', async () => {
      const list = await pmp(h, 'GET', '/resources', { token: other.key });
      assert.deepEqual(list.body.operation, {
        name: 'GET RESOURCES',
        result: { status: 'Success', message: 'Resources fetched successfully' },
        totalRows: 0,
      });
      const hidden = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: other.key });
      const missing = await pmp(h, 'GET', `/resources/${rid}/accounts/999999/password`, { token: other.key });
      assert.equal(hidden.status, 200);
      assert.equal(hidden.body.operation.result.status, 'Failed');
      assert.equal(hidden.body.operation.result.message, missing.body.operation.result.message);
      const lookup = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: other.key,
        query: { RESOURCENAME: 'Windows Server', ACCOUNTNAME: 'Administrator' },
      });
      assert.equal(lookup.body.operation.result.status, 'Failed');
      assert.equal(lookup.body.operation.Details, undefined);
    });

    it('changes a password LOCAL (lenient INPUT_DATA as in the seed, parameters in the query, empty body); REMOTE fails clearly', async () => {
      const r = await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}/password`, {
        token: api.key,
        contentType: TEXT_JSON,
        query: { INPUT_DATA: '{operation:{Details:{NEWPASSWORD:Test12345$,RESETTYPE:LOCAL,REASON:test}}}' },
      });
      assert.deepEqual(r.body, {
        operation: { name: 'CHANGE PASSWORD', result: { status: 'Success', message: 'Password changed successfully' } },
      });
      const read = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(read.body.operation.Details.PASSWORD, 'Test12345$');
      const remote = await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}/password`, {
        token: api.key,
        contentType: 'application/x-www-form-urlencoded',
        body: form({ NEWPASSWORD: 'x', RESETTYPE: 'REMOTE', REASON: 'r' }),
      });
      assert.equal(remote.body.operation.result.status, 'Failed');
      // REMOTE needs a rotation target (modules/rotation/rotation.http.test.ts has one that works)
      assert.match(remote.body.operation.result.message, /no rotation target/);
    });

    it('adds accounts (ACCOUNTLIST) from a raw JSON body', async () => {
      const r = await pmp(h, 'POST', `/resources/${rid}/accounts`, {
        token: api.key,
        contentType: 'application/json',
        body: inputData({
          ACCOUNTLIST: [
            { ACCOUNTNAME: 'backup', PASSWORD: 'b-pass', NOTES: 'n' },
            { ACCOUNTNAME: 'svc', PASSWORD: 's-pass' },
          ],
        }),
      });
      assert.equal(r.body.operation.name, 'ADD ACCOUNTS');
      assert.equal(r.body.operation.result.status, 'Success');
      assert.deepEqual(r.body.operation.Details, [
        { backup: { STATUS: 'Account added successfully' } },
        { svc: { STATUS: 'Account added successfully' } },
      ]);
      const list = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      assert.deepEqual(
        list.body.operation.Details['ACCOUNT LIST'].map((a: Record<string, string>) => a['ACCOUNT NAME']),
        ['Administrator', 'backup', 'svc'],
      );
    });

    it('generates a password by policy', async () => {
      const r = await pmp(h, 'GET', '/passwords/generate', { token: api.key, query: { INPUT_DATA: inputData({ POLICY: 'Strong' }) } });
      assert.equal(r.body.operation.result.status, 'Success');
      assert.equal(r.body.operation.Details.PASSWORD.length, 16);
      const bad = await pmp(h, 'GET', '/passwords/generate', { token: api.key, query: { INPUT_DATA: inputData({ POLICY: 'Nope' }) } });
      assert.equal(bad.body.operation.result.status, 'Failed');
    });

    it('bad input: wrong token, malformed INPUT_DATA, unknown ids, unknown route — PMP envelope, HTTP 200', async () => {
      const cases = [
        await pmp(h, 'GET', '/resources', { token: 'cfk_not-a-real-key-000000' }),
        await pmp(h, 'GET', '/resources'),
        await pmp(h, 'POST', '/resources', { token: api.key, contentType: TEXT_JSON, body: 'INPUT_DATA={"operation":{' }),
        await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key, query: { INPUT_DATA: '{[' } }),
        await pmp(h, 'GET', '/resources/999999/accounts', { token: api.key }),
        await pmp(h, 'GET', '/resources/abc/accounts/1', { token: api.key }),
        await pmp(h, 'GET', '/nothing/here', { token: api.key }),
        await pmp(h, 'POST', '/resources', { token: api.key, contentType: TEXT_JSON, body: form({ RESOURCENAME: 'x' }) }),
        await pmp(h, 'POST', '/resources', { token: api.key, contentType: TEXT_JSON, body: form({ __proto__: { a: 1 }, constructor: 1 }) }),
      ];
      for (const r of cases) {
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.operation.result.status, 'Failed', r.raw);
        assert.equal(typeof r.body.operation.result.message, 'string');
        assert.equal(r.body.operation.Details, undefined);
      }
      assert.match(cases[0]?.body.operation.result.message, /AUTHTOKEN/);
      assert.match(cases[4]?.body.operation.result.message, /does not exist/);
      assert.match(cases[2]?.body.operation.result.message, /INPUT_DATA/);
      // the form parser lives only in the PMP surface
      const native = await h.app.inject({
        method: 'POST',
        url: '/api/v1/vaults',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'name=x',
      });
      assert.equal(native.statusCode, 415);
    });

    it('a policy that requires a reason: Failed without REASON, the reason (and TICKETID) audited with it', async () => {
      const found = await call(h, 'GET', '/api/v1/lookup/pmp?resourceName=Windows%20Server&accountName=Administrator', { token: api.key });
      const p = await call(h, 'PATCH', `/api/v1/folders/${found.body.resourceId}`, {
        token: api.key,
        body: { policy: { requireReason: true } },
      });
      assert.equal(p.status, 200, p.raw);
      const list = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      assert.equal(list.body.operation.Details['ACCOUNT LIST'][0].ISREASONREQUIRED, 'true');
      const without = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(without.body.operation.result.status, 'Failed');
      assert.match(without.body.operation.result.message, /reason/i);
      const withReason = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, {
        token: api.key,
        query: { INPUT_DATA: inputData({ REASON: 'Patch night', TICKETID: '7' }) },
      });
      assert.equal(withReason.body.operation.result.status, 'Success');
      const rows = await h.database.db
        .selectFrom('audit_log')
        .select(['reason', 'via'])
        .where('action', '=', 'secret.reveal')
        .where('object_id', '=', found.body.accountId)
        .where('reason', 'is not', null)
        .execute();
      assert.ok(
        rows.some((r) => r.reason === 'Patch night [ticket 7]' && r.via === 'pmp'),
        JSON.stringify(rows),
      );
    });

    it('deletes a resource', async () => {
      const r = await pmp(h, 'DELETE', `/resources/${rid}`, { token: api.key, contentType: TEXT_JSON });
      assert.deepEqual(r.body, {
        operation: { name: 'DELETE RESOURCE', result: { status: 'Success', message: 'Resources deleted successfully.' } },
      });
      const list = await pmp(h, 'GET', '/resources', { token: api.key });
      assert.equal(list.body.operation.totalRows, 0);
      const gone = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      assert.equal(gone.body.operation.result.status, 'Failed');
    });
  });
}
