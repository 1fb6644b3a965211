// Contract tests of PMP's public clients: each request is sent the way a real third-party client
// sends it (named in the comment), and each answer is read the way that client reads it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiUser, form, PMP, type PmpRes, pmp } from '../../../test/pmp.ts';

/** A request with exactly these headers and this raw URL/body (no helper encoding). */
async function raw(h: Harness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, body?: string) {
  const r = await h.app.inject({ method, url, headers, ...(body !== undefined ? { payload: body } : {}) });
  let parsed: unknown = r.body;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    // not JSON
  }
  return { status: r.statusCode, body: parsed, raw: r.body } as PmpRes;
}

/** Python's repr of a str: single quotes, or double quotes when it holds a single quote and no double. */
const pyStr = (v: string) =>
  v.includes("'") && !v.includes('"') ? `"${v.replace(/\\/g, '\\\\')}"` : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** Python's `str(dict)`, as scripts write INPUT_DATA = f'{query}'. */
const pyRepr = (details: Record<string, string>) =>
  `{'operation': {'Details': {${Object.entries(details)
    .map(([k, v]) => `${pyStr(k)}: ${pyStr(v)}`)
    .join(', ')}}}}`;

for (const dialect of dialects) {
  describe(`PMP as its public clients call it (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    let api: { id: string; key: string };
    let other: { id: string; key: string };
    let rid: string;
    let aid: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      api = await apiUser(h, admin, 'pmp-clients');
      other = await apiUser(h, admin, 'pmp-clients-other', 'password_user');
      const c = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: 'text/json',
        body: form({ RESOURCENAME: 'db-server 1', ACCOUNTNAME: 'root', RESOURCETYPE: 'Linux', PASSWORD: 'initial-pw' }),
      });
      assert.equal(c.body.operation.result.status, 'Success', c.raw);
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'db-server 1', ACCOUNTNAME: 'root' },
      });
      rid = ids.body.operation.Details.RESOURCEID;
      aid = ids.body.operation.Details.ACCOUNTID;
    });
    after(async () => h.close());

    it("ManageEngine's Ansible lookup (passwordmanagerpro.py): APP_AUTHTOKEN in the query, ids by name, then getResourceAccountDetails", async () => {
      const headers = { 'content-type': 'application/json' };
      const ids = await raw(
        h,
        'GET',
        `${PMP}/resources/getResourceIdAccountId?APP_AUTHTOKEN=${api.key}&APP_NAME=Ansible&RESOURCENAME=db-server%201&ACCOUNTNAME=root`,
        headers,
      );
      assert.equal(ids.body.operation.result.status, 'Success', ids.raw);
      assert.deepEqual(ids.body.operation.Details, { RESOURCEID: rid, ACCOUNTID: aid });
      const d = await raw(
        h,
        'GET',
        `${PMP}/resources/getResourceAccountDetails?APP_AUTHTOKEN=${api.key}&APP_NAME=ANSIBLE&RESOURCEID=${rid}&ACCOUNTID=${aid}`,
        headers,
      );
      assert.equal(d.status, 200);
      assert.equal(d.body.operation.result.status, 'Success', d.raw);
      assert.equal(d.body.operation.Details.RESOURCEDETAILS['RESOURCE NAME'], 'db-server 1');
      // the lookup json.loads() the account details: a JSON document inside a string
      assert.equal(typeof d.body.operation.Details.ACCOUNTDETAILS, 'string');
      const account = JSON.parse(d.body.operation.Details.ACCOUNTDETAILS);
      assert.equal(account.PASSWORD, 'initial-pw');
      assert.equal(account.PASSWORD_REASON, undefined);
      // the token in the query: audited like any read, via pmp
      const rows = await h.database.db.selectFrom('audit_log').select(['via']).where('action', '=', 'secret.reveal').execute();
      assert.ok(rows.some((r) => r.via === 'pmp'));
    });

    it('getResourceAccountDetails: a gate answers PASSWORD_REASON; hidden and missing accounts fail alike, without Details', async () => {
      const hidden = await raw(
        h,
        'GET',
        `${PMP}/resources/getResourceAccountDetails?APP_AUTHTOKEN=${other.key}&RESOURCEID=${rid}&ACCOUNTID=${aid}`,
        {},
      );
      const missing = await raw(
        h,
        'GET',
        `${PMP}/resources/getResourceAccountDetails?APP_AUTHTOKEN=${other.key}&RESOURCEID=${rid}&ACCOUNTID=987654`,
        {},
      );
      for (const r of [hidden, missing]) {
        assert.equal(r.status, 200);
        assert.equal(r.body.operation.result.status, 'Failed', r.raw);
        assert.equal(r.body.operation.Details, undefined);
      }
      assert.equal(hidden.body.operation.result.message, missing.body.operation.result.message);
      assert.doesNotMatch(hidden.raw, /initial-pw/);
      // a policy that needs a reason: the lookup raises PASSWORD_REASON, no password given
      const found = await call(h, 'GET', '/api/v1/lookup/pmp?resourceName=db-server%201&accountName=root', { token: api.key });
      const p = await call(h, 'PATCH', `/api/v1/folders/${found.body.resourceId}`, {
        token: api.key,
        body: { policy: { requireReason: true } },
      });
      assert.equal(p.status, 200, p.raw);
      try {
        const gated = await raw(
          h,
          'GET',
          `${PMP}/resources/getResourceAccountDetails?APP_AUTHTOKEN=${api.key}&RESOURCEID=${rid}&ACCOUNTID=${aid}`,
          {},
        );
        assert.equal(gated.body.operation.result.status, 'Success', gated.raw);
        const account = JSON.parse(gated.body.operation.Details.ACCOUNTDETAILS);
        assert.equal(account.PASSWORD, undefined);
        assert.match(account.PASSWORD_REASON, /reason/i);
        const withReason = await raw(
          h,
          'GET',
          `${PMP}/resources/getResourceAccountDetails?APP_AUTHTOKEN=${api.key}&RESOURCEID=${rid}&ACCOUNTID=${aid}&INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{"REASON":"deploy"}}}')}`,
          {},
        );
        assert.equal(JSON.parse(withReason.body.operation.Details.ACCOUNTDETAILS).PASSWORD, 'initial-pw');
      } finally {
        await call(h, 'PATCH', `/api/v1/folders/${found.body.resourceId}`, { token: api.key, body: { policy: { requireReason: false } } });
      }
    });

    it("Cortex XSOAR's PAM360 integration: APP_AUTHTOKEN and APP_TYPE headers, INPUT_DATA as Python's str(dict), resourcetypes as its connection test", async () => {
      const headers = { APP_AUTHTOKEN: api.key, APP_TYPE: '17' };
      const test = await raw(h, 'GET', `${PMP}/resources/resourcetypes`, headers);
      assert.equal(test.body.operation.result.status, 'Success', test.raw);
      assert.ok(Array.isArray(test.body.operation.Details) && test.body.operation.Details.length > 0);
      assert.ok(test.body.operation.Details.some((t: Record<string, string>) => t['RESOURCE TYPE'] === 'Linux'));
      assert.equal(typeof test.body.operation.totalRows, 'number');
      const filtered = await raw(
        h,
        'GET',
        `${PMP}/resources/resourcetypes?INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{"RESOURCETYPE_CONTAINING":["linu"]}}}')}`,
        headers,
      );
      assert.deepEqual(
        filtered.body.operation.Details.map((t: Record<string, string>) => t['RESOURCE TYPE']),
        ['Linux'],
      );
      // fetch password: INPUT_DATA in the query, single-quoted, an empty TICKETID
      const read = await raw(
        h,
        'GET',
        `${PMP}/resources/${rid}/accounts/${aid}/password?INPUT_DATA=${encodeURIComponent(pyRepr({ REASON: `it's "the" deploy \\ now`, TICKETID: '' }))}`,
        headers,
      );
      assert.equal(read.body.operation.Details.PASSWORD, 'initial-pw', read.raw);
      // create a resource: requests' form encoding of data={'INPUT_DATA': str(dict)}, OWNERNAME for the owner
      const created = await raw(
        h,
        'POST',
        `${PMP}/resources`,
        { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({
          INPUT_DATA: pyRepr({
            RESOURCENAME: 'xsoar-res',
            ACCOUNTNAME: 'admin',
            RESOURCETYPE: 'Windows',
            PASSWORD: 'A1@8ZnQx)mh&=',
            OWNERNAME: 'secops',
            RESOURCEPASSWORDPOLICY: 'Strong',
          }),
        }).toString(),
      );
      assert.equal(created.body.operation.result.status, 'Success', created.raw);
      const ids = await raw(h, 'GET', `${PMP}/resources/getResourceIdAccountId?RESOURCENAME=xsoar-res&ACCOUNTNAME=admin`, headers);
      const acc = await raw(h, 'GET', `${PMP}/resources/${ids.body.operation.Details.RESOURCEID}/accounts`, headers);
      assert.equal(acc.body.operation.Details['RESOURCE OWNER'], 'secops');
      const pw = await raw(
        h,
        'GET',
        `${PMP}/resources/${ids.body.operation.Details.RESOURCEID}/accounts/${ids.body.operation.Details.ACCOUNTID}/password`,
        headers,
      );
      assert.equal(pw.body.operation.Details.PASSWORD, 'A1@8ZnQx)mh&=');
    });

    it('a script posting "INPUT_DATA=" + str(dict) unencoded, without a Content-Type: & + % in a password are kept', async () => {
      const body = `INPUT_DATA=${pyRepr({ NEWPASSWORD: 'p&q+r%41 s', RESETTYPE: 'LOCAL', REASON: 'Password Expired' })}`;
      const r = await raw(h, 'PUT', `${PMP}/resources/${rid}/accounts/${aid}/password`, { AUTHTOKEN: api.key }, body);
      assert.equal(r.body.operation.result.status, 'Success', r.raw);
      const read = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(read.body.operation.Details.PASSWORD, 'p&q+r%41 s');
      // the seed's curl -d with bare words, followed by another form field
      const seed = await raw(
        h,
        'PUT',
        `${PMP}/resources/${rid}/accounts/${aid}/password`,
        { 'content-type': 'text/json' },
        `INPUT_DATA={operation:{Details:{NEWPASSWORD:Test12345$,RESETTYPE:LOCAL,REASON:test}}}&AUTHTOKEN=${api.key}`,
      );
      assert.equal(seed.body.operation.result.status, 'Failed', 'a token in a form body is not a credential');
      const seedOk = await raw(
        h,
        'PUT',
        `${PMP}/resources/${rid}/accounts/${aid}/password?AUTHTOKEN=${api.key}`,
        { 'content-type': 'text/json' },
        'INPUT_DATA={operation:{Details:{NEWPASSWORD:Test12345$,RESETTYPE:LOCAL,REASON:test}}}&x=1',
      );
      assert.equal(seedOk.body.operation.result.status, 'Success', seedOk.raw);
      const after = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(after.body.operation.Details.PASSWORD, 'Test12345$');
    });

    it('pypmp: POST and PUT with Content-Type text/json, an empty body and INPUT_DATA in the query', async () => {
      const gen = await raw(
        h,
        'POST',
        `${PMP}/passwords/generate?INPUT_DATA=${encodeURIComponent('{"operation": {"Details": {"POLICY": "Low"}}}')}`,
        { AUTHTOKEN: api.key, 'content-type': 'text/json' },
      );
      assert.equal(gen.body.operation.Details.PASSWORD.length, 8, gen.raw);
    });

    it("PMP's current reference: curl -X GET --data-urlencode sends INPUT_DATA as a GET body", async () => {
      const r = await raw(
        h,
        'GET',
        `${PMP}/passwords/generate`,
        { AUTHTOKEN: api.key, 'content-type': 'text/json' },
        `INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{"POLICY":"Medium"}}}')}`,
      );
      assert.equal(r.body.operation.Details.PASSWORD.length, 12, r.raw);
    });

    it('base URLs with a trailing slash: //restapi/... and .../resources/ reach the operation', async () => {
      const double = await raw(h, 'GET', `/${PMP}/resources`, { AUTHTOKEN: api.key });
      assert.equal(double.status, 200);
      assert.equal(double.body.operation?.name, 'GET RESOURCES', double.raw);
      assert.equal(double.body.operation.result.status, 'Success');
      const trailing = await raw(h, 'GET', `${PMP}/resources/${rid}/accounts/`, { AUTHTOKEN: api.key });
      assert.equal(trailing.body.operation.name, 'GET RESOURCE ACCOUNTLIST', trailing.raw);
      assert.equal(trailing.body.operation.result.status, 'Success');
    });

    it('bad ids and tokens: PMP envelope, HTTP 200, never a 5xx (huge, negative, fractional, non-numeric ids)', async () => {
      const paths = [
        `/resources/99999999999999999999999/accounts`,
        `/resources/-1/accounts/1.5/password`,
        `/resources/${rid}/accounts/1e3`,
        `/resources/getResourceAccountDetails?RESOURCEID=${'9'.repeat(40)}&ACCOUNTID=x`,
        `/resources/getResourceAccountDetails`,
        `/accounts/18446744073709551616/requestpassword`,
        `/user/getUserId?USERNAME=${'u'.repeat(5000)}`,
      ];
      for (const p of paths) {
        const method = p.includes('requestpassword') ? 'POST' : 'GET';
        const r = await raw(h, method, `${PMP}${p}`, { AUTHTOKEN: api.key });
        assert.equal(r.status, 200, `${p} ${r.raw}`);
        assert.equal(r.body.operation.result.status, 'Failed', `${p} ${r.raw}`);
      }
      const bad: Array<Record<string, string>> = [
        { APP_AUTHTOKEN: 'cfk_not-a-real-key-000000' },
        { APP_AUTHTOKEN: '' },
        { AUTHTOKEN: 'x y' },
      ];
      for (const headers of bad) {
        const r = await raw(h, 'GET', `${PMP}/resources`, headers);
        assert.equal(r.status, 200);
        assert.equal(r.body.operation.result.status, 'Failed');
        assert.match(r.body.operation.result.message, /AUTHTOKEN/);
      }
    });
  });
}
