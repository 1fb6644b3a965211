// Contract tests of PMP's password requests (request, approve, reject, checkout, checkins) and
// users (create, id, lock, unlock, delete), over real HTTP on both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiUser, form, pmp } from '../../../test/pmp.ts';

const TEXT_JSON = 'text/json';

for (const dialect of dialects) {
  describe(`PMP password requests and users (${dialect})`, () => {
    let h: Harness;
    let admin: string;
    let owner: { id: string; key: string };
    let user: { id: string; key: string };
    let aid: string;
    let requester: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await apiUser(h, admin, 'pmp-owner');
      user = await apiUser(h, admin, 'pmp-user', 'password_user');
      const created = await pmp(h, 'POST', '/resources', {
        token: owner.key,
        contentType: TEXT_JSON,
        body: form({ RESOURCENAME: 'db-prod', ACCOUNTNAME: 'postgres', RESOURCETYPE: 'Linux', PASSWORD: 'pg-secret-1' }),
      });
      assert.equal(created.body.operation.result.status, 'Success', created.raw);
      const found = await call(h, 'GET', '/api/v1/lookup/pmp?resourceName=db-prod&accountName=postgres', { token: owner.key });
      // the owner shares the resource with the user and requires approval there (native API)
      assert.equal(
        (
          await call(h, 'POST', '/api/v1/grants', {
            token: owner.key,
            body: { nodeId: found.body.resourceId, principalType: 'user', principalId: user.id, level: 'reveal' },
          })
        ).status,
        201,
      );
      const p = await call(h, 'PATCH', `/api/v1/folders/${found.body.resourceId}`, {
        token: owner.key,
        body: { policy: { approval: { required: true } } },
      });
      assert.equal(p.status, 200, p.raw);
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: user.key,
        query: { RESOURCENAME: 'db-prod', ACCOUNTNAME: 'postgres' },
      });
      aid = ids.body.operation.Details.ACCOUNTID;
    });
    after(async () => h.close());

    it('no request waiting: totalRows 0 without Details', async () => {
      const r = await pmp(h, 'GET', '/accounts/passwordaccessrequests', { token: owner.key });
      assert.deepEqual(r.body.operation, {
        name: 'GET_PASSWORDREQUEST',
        result: { status: 'Success', message: 'Password Request fetched successfully' },
        totalRows: 0,
      });
    });

    it('request -> approve -> checkout -> read -> checkin, in PMP words', async () => {
      const rid = (await pmp(h, 'GET', '/resources', { token: user.key })).body.operation.Details[0]['RESOURCE ID'];
      const gated = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: user.key });
      assert.equal(gated.body.operation.result.status, 'Failed');
      assert.equal(gated.body.operation.Details, undefined);

      const req = await pmp(h, 'POST', `/accounts/${aid}/requestpassword`, {
        token: user.key,
        contentType: TEXT_JSON,
        query: { INPUT_DATA: ' { "operation" : { "Details" : { "REASON" : "Testing"}}}' },
      });
      assert.deepEqual(req.body, {
        operation: {
          name: 'REQUEST_PASSWORD',
          result: { status: 'Success', message: 'Request to view password have been raised successfully' },
          Details: { STATUS: 'WAITING FOR APPROVAL' },
        },
      });

      const list = await pmp(h, 'GET', '/accounts/passwordaccessrequests', { token: owner.key, tokenInQuery: true });
      const op = list.body.operation;
      assert.equal(op.totalRows, 1);
      const [item] = op.Details.PASSWORDREQUESTLIST;
      assert.equal(item['ACCOUNT ID'], aid);
      assert.equal(item['PASSWD ID'], aid);
      assert.equal(item['RESOURCE ID'], rid);
      assert.equal(item['RESOURCE NAME'], 'db-prod');
      assert.equal(item.STATUS, 'WAITING FOR APPROVAL');
      assert.equal(item.REASON, 'Testing');
      requester = op.Details['REQUESTER USERID'];
      assert.match(requester, /^[1-9]\d*$/);
      assert.equal(op.Details['REQUESTED BY'], 'pmp-user');

      const approve = await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/approve`, { token: owner.key, contentType: TEXT_JSON });
      assert.deepEqual(approve.body, {
        operation: { name: 'ADMIN_REQUEST_APPROVE', result: { status: 'Success', message: 'Password Approved successfully' } },
      });

      const co = await pmp(h, 'POST', `/accounts/${aid}/checkout`, {
        token: user.key,
        contentType: TEXT_JSON,
        query: { INPUT_DATA: ' { "operation" : { "Details" : { "REASON" : "N/A"}}}' },
      });
      assert.deepEqual(co.body, {
        operation: {
          name: 'REQUEST_CHECKOUT',
          result: { status: 'Success', message: 'Password have been checked out successfully' },
          Details: { STATUS: '***** [checkIn]' },
        },
      });
      const read = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: user.key });
      assert.equal(read.body.operation.Details.PASSWORD, 'pg-secret-1');
      const inUse = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: owner.key });
      assert.equal(inUse.body.operation.Details['ACCOUNT LIST'][0]['PASSWORD STATUS'], '[ In use ]');

      const ci = await pmp(h, 'POST', `/accounts/${aid}/checkin`, {
        token: user.key,
        contentType: TEXT_JSON,
        body: form({ REASON: 'N/A' }),
      });
      assert.deepEqual(ci.body, {
        operation: {
          name: 'REQUEST_CHECKIN',
          result: { status: 'Success', message: 'Password have been checked in successfully' },
          Details: { STATUS: '[REQUEST]' },
        },
      });
      const after = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: user.key });
      assert.equal(after.body.operation.result.status, 'Failed');
    });

    it('admin check-in of a requester, and reject', async () => {
      await pmp(h, 'POST', `/accounts/${aid}/requestpassword`, {
        token: user.key,
        body: form({ REASON: 'again' }),
        contentType: TEXT_JSON,
      });
      await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/approve`, { token: owner.key });
      assert.equal((await pmp(h, 'POST', `/accounts/${aid}/checkout`, { token: user.key })).body.operation.result.status, 'Success');
      const admin = await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/checkin`, { token: owner.key, contentType: TEXT_JSON });
      assert.deepEqual(admin.body, {
        operation: { name: 'ADMIN_REQUEST_CHECKIN', result: { status: 'Success', message: 'Password have been checked in successfully' } },
      });
      const notOut = await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/checkin`, { token: owner.key });
      assert.equal(notOut.body.operation.result.status, 'Failed');

      await pmp(h, 'POST', `/accounts/${aid}/requestpassword`, {
        token: user.key,
        body: form({ REASON: 'third' }),
        contentType: TEXT_JSON,
      });
      const reject = await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/reject`, { token: owner.key });
      assert.deepEqual(reject.body, {
        operation: { name: 'ADMIN_REQUEST_REJECT', result: { status: 'Success', message: 'Password Rejected successfully' } },
      });
      const none = await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/approve`, { token: owner.key });
      assert.equal(none.body.operation.result.status, 'Failed');
      // a requester never approves their own request
      const own = await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/approve`, { token: user.key });
      assert.equal(own.body.operation.result.status, 'Failed');
      // every record of these requests names the API
      const rows = await h.database.db.selectFrom('audit_log').select(['action', 'via']).where('action', 'like', 'request.%').execute();
      assert.ok(rows.length >= 3 && rows.every((r) => r.via === 'pmp'), JSON.stringify(rows));
    });

    it('users: create (API user bound to a host), id by name, lock, unlock, delete', async () => {
      const adm = await apiUser(h, admin, 'pmp-admin', 'administrator');
      const c = await pmp(h, 'POST', '/user', {
        token: adm.key,
        contentType: TEXT_JSON,
        body: form({
          USERNAME: 'jason',
          FIRSTNAME: 'Jason',
          LASTNAME: 'Thomas',
          EMAIL: 'jason@opmanager.com',
          ROLE: 'Password Administrator',
          ISSUPERADMIN: 'false',
          DEPARTMENT: 'NOC',
          LOCATION: 'Level 10 - South Wing',
          LANDLINE_COUNTRYCODE: '+1',
          LANDLINE: '925-965-9647',
          LANDLINE_EXT: '4675',
          MOBILE_COUNTRYCODE: '+1',
          MOBILE: '925-965-9648',
          ENABLETWOFACTOR: 'false',
          ISAPIUSER: 'true',
          HOSTNAME: 'ansible.example.com',
        }),
      });
      assert.equal(c.body.operation.name, 'CREATE_USER');
      assert.equal(c.body.operation.result.status, 'Success', c.raw);
      assert.equal(c.body.operation.result.message, 'User Created Successfully');
      const id = await pmp(h, 'GET', '/user/getUserId', { token: adm.key, query: { USERNAME: 'jason' } });
      assert.equal(id.body.operation.Details.USERID, c.body.operation.Details.USERID);
      const native = await call(h, 'GET', '/api/v1/users?kind=api', { token: admin });
      const jason = native.body.items.find((u: { username: string }) => u.username === 'jason');
      assert.equal(jason.kind, 'api');
      assert.equal(jason.role, 'password_administrator');
      assert.equal(jason.landlineExt, '4675');

      const lock = await pmp(h, 'PUT', '/user/lock', { token: adm.key, query: { USERNAME: 'jason' } });
      assert.equal(lock.body.operation.result.status, 'Success', lock.raw);
      assert.equal((await call(h, 'GET', `/api/v1/users/${jason.id}`, { token: admin })).body.status, 'disabled');
      const unlock = await pmp(h, 'PUT', '/user/unlock', { token: adm.key, query: { USERNAME: 'jason' } });
      assert.equal(unlock.body.operation.result.status, 'Success');
      assert.equal((await call(h, 'GET', `/api/v1/users/${jason.id}`, { token: admin })).body.status, 'active');

      const weak = await pmp(h, 'POST', '/user', {
        token: adm.key,
        contentType: TEXT_JSON,
        body: form({ USERNAME: 'bob', PASSWORD: 'Pa55w0Rd123', ROLE: 'Password User' }),
      });
      assert.equal(weak.body.operation.result.status, 'Failed');
      const noRight = await pmp(h, 'POST', '/user', {
        token: user.key,
        contentType: TEXT_JSON,
        body: form({ USERNAME: 'eve', ISAPIUSER: 'true', HOSTNAME: 'h' }),
      });
      assert.equal(noRight.body.operation.result.status, 'Failed');

      const del = await pmp(h, 'DELETE', `/user/${id.body.operation.Details.USERID}`, { token: adm.key });
      assert.deepEqual(del.body.operation.result, { status: 'Success', message: 'User deleted successfully' });
      const gone = await pmp(h, 'GET', '/user/getUserId', { token: adm.key, query: { USERNAME: 'jason' } });
      assert.equal(gone.body.operation.result.status, 'Failed');
    });
  });
}
