// The compatibility APIs' create-or-update operations keyed by a natural key, raced in one
// process (both dialects): N identical requests at once, from a store where nothing exists yet
// (the first ones also create the vault), leave exactly one object per key, every request is
// answered as a success (PMP: the losers of a create get its documented "already exists"), and a
// read by the key works afterwards (no "2 credentials match").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../test/harness.ts';
import { apiUser, pmp, form as pmpForm } from '../../test/pmp.ts';
import { apiClient, form, oauthToken } from '../../test/senhasegura-client.ts';

const N = 8;

for (const dialect of dialects) {
  describe(`natural-key upserts raced in one process [${dialect}]`, () => {
    let h: Harness;
    let bearer: Record<string, string>;
    let pmpKey: string;
    const db = () => h.database.db;
    const liveSecrets = async (name: string) =>
      (await db().selectFrom('secrets').select('id').where('name', '=', name).where('deleted_at', 'is', null).execute()).length;
    const folders = async (name: string) => (await db().selectFrom('folders').select('id').where('name', '=', name).execute()).length;
    const vaults = async (name: string) => (await db().selectFrom('vaults').select('id').where('name', '=', name).execute()).length;

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      const client = await apiClient(h, admin);
      bearer = { authorization: `Bearer ${await oauthToken(h, client.clientId, client.clientSecret)}` };
      pmpKey = (await apiUser(h, admin, 'pmp-race')).key;
    });
    after(async () => h.close());

    it('senhasegura POST /pam/credential: the first ones (no vault yet) and later ones, by identifier', async () => {
      const body = { identifier: 'race-cred-1', hostname: 'race-host-1', ip: '10.0.0.1', username: 'root', content: 'Race-pw-1!' };
      const rs = await Promise.all(Array.from({ length: N }, () => form(h, 'POST', '/iso/pam/credential', body, bearer)));
      for (const r of rs) assert.ok(r.statusCode === 200 || r.statusCode === 201, `${r.statusCode} ${r.body}`);
      assert.equal(rs.filter((r) => r.statusCode === 201).length, 1, 'one created, the others found it');
      assert.equal(await vaults('senhasegura'), 1);
      assert.equal(await folders('race-host-1'), 1);
      assert.equal(await liveSecrets('race-cred-1'), 1);
      const read = await call(h, 'GET', '/iso/pam/credential/race-cred-1', { headers: bearer });
      assert.equal(read.status, 200, read.raw);
      // later: an update raced with itself, and a new key on a new device
      const again = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          form(
            h,
            'POST',
            '/iso/pam/credential',
            i % 2 ? { ...body, content: 'Race-pw-2!' } : { ...body, identifier: 'race-cred-2', hostname: 'race-host-2' },
            bearer,
          ),
        ),
      );
      for (const r of again) assert.ok(r.statusCode === 200 || r.statusCode === 201, `${r.statusCode} ${r.body}`);
      assert.equal(await liveSecrets('race-cred-1'), 1);
      assert.equal(await liveSecrets('race-cred-2'), 1);
      assert.equal(await folders('race-host-2'), 1);
    });

    it('senhasegura POST /pam/credential without identifier: by hostname + ip + username', async () => {
      const body = { hostname: 'race-host-3', ip: '10.0.0.3', username: 'deploy', content: 'Race-pw-3!' };
      const rs = await Promise.all(Array.from({ length: N }, () => form(h, 'POST', '/iso/pam/credential', body, bearer)));
      for (const r of rs) assert.ok(r.statusCode === 200 || r.statusCode === 201, `${r.statusCode} ${r.body}`);
      assert.equal(await liveSecrets('deploy@race-host-3'), 1);
      const read = await call(h, 'GET', '/iso/pam/credential/deploy@race-host-3', { headers: bearer });
      assert.equal(read.status, 200, read.raw);
    });

    it('senhasegura POST /pam/device: one folder per hostname', async () => {
      const body = { hostname: 'race-device-1', ip: '10.0.1.1', type: 'Server', vendor: 'Acme' };
      const rs = await Promise.all(Array.from({ length: N }, () => form(h, 'POST', '/iso/pam/device', body, bearer)));
      for (const r of rs) assert.ok(r.statusCode === 200 || r.statusCode === 201, `${r.statusCode} ${r.body}`);
      assert.equal(rs.filter((r) => r.statusCode === 201).length, 1);
      assert.equal(await folders('race-device-1'), 1);
      const read = await call(h, 'GET', '/iso/pam/device/race-device-1', { headers: bearer });
      assert.equal(read.status, 200, read.raw);
      assert.equal(JSON.parse(read.raw).device.vendor, 'Acme');
    });

    it('senhasegura POST /pam/info: one item per identifier', async () => {
      const body = { identifier: 'race-info-1', name: 'Race info', content: 'race secret note' };
      const rs = await Promise.all(Array.from({ length: N }, () => form(h, 'POST', '/iso/pam/info', body, bearer)));
      for (const r of rs) assert.ok(r.statusCode === 200 || r.statusCode === 201, `${r.statusCode} ${r.body}`);
      assert.equal(rs.filter((r) => r.statusCode === 201).length, 1);
      assert.equal(await liveSecrets('race-info-1'), 1);
      const read = await call(h, 'GET', '/iso/pam/info/race-info-1', { headers: bearer });
      assert.equal(read.status, 200, read.raw);
    });

    it('PMP POST /resources: the first ones (no PMP vault yet) make one vault and one resource', async () => {
      const body = pmpForm({ RESOURCENAME: 'race-res-1', ACCOUNTNAME: 'root', RESOURCETYPE: 'Linux', PASSWORD: 'Race-pw-4!' });
      const rs = await Promise.all(
        Array.from({ length: N }, () => pmp(h, 'POST', '/resources', { token: pmpKey, contentType: 'text/json', body })),
      );
      for (const r of rs) assert.equal(r.status, 200, r.raw);
      const results = rs.map((r) => r.body.operation.result);
      assert.equal(results.filter((x) => x.status === 'Success').length, 1, JSON.stringify(results));
      for (const x of results.filter((y) => y.status !== 'Success')) {
        assert.deepEqual(x, { status: 'Failed', message: 'Resource race-res-1 already exists.' });
      }
      assert.equal(await vaults('PMP'), 1);
      assert.equal(await folders('race-res-1'), 1);
      assert.equal(await liveSecrets('root'), 1);
      const id = await pmp(h, 'GET', `/resources/resourcename/race-res-1`, { token: pmpKey });
      assert.equal(id.body.operation.result.status, 'Success', id.raw);
      const acc = await pmp(h, 'GET', '/resources/resourcename/race-res-1/accounts/accountname/root', { token: pmpKey });
      assert.equal(acc.body.operation.result.status, 'Success', acc.raw);
    });
  });
}
