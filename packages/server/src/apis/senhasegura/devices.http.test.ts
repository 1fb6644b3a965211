// senhasegura devices over real HTTP on both dialects: create-or-update by hostname (form, as the
// Ansible collection sends it), read, deactivate (unknown or inactive: 400, never 404), activate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';

for (const dialect of dialects) {
  describe(`senhasegura devices [${dialect}]`, () => {
    let h: Harness;
    let bearer: Record<string, string>;
    let admin: string;

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      const c = await apiClient(h, admin);
      bearer = { authorization: `Bearer ${await oauthToken(h, c.clientId, c.clientSecret)}` };
    });
    after(async () => h.close());

    const device = {
      ip: '192.168.10.20',
      hostname: 'example-002',
      type: 'Server',
      vendor: 'Red Hat',
      model: 'Red Hat Enterprise Linux',
      site: 'Cloud',
      device_tags: 'rhel,cloud',
      connectivities: 'SSH:22,HTTPS:443',
    };

    it('creates (201), saves the same again (200, changed "false"), changes (200, changed "true")', async () => {
      const r = await form(h, 'POST', '/iso/pam/device', device, bearer);
      assert.equal(r.statusCode, 201, r.body);
      const b = JSON.parse(r.body);
      assert.equal(b.response.message, 'Device successfully registered!');
      assert.equal(b.response.changed, 'true');
      assert.match(b.device.id, /^\d+$/);
      assert.equal(b.device.hostname, 'example-002');
      assert.equal(b.device.ip, '192.168.10.20');
      assert.equal(b.device.vendor, 'Red Hat');
      assert.equal(b.device.device_tags, 'rhel,cloud');
      assert.equal(b.device.connectivities, 'SSH:22,HTTPS:443');
      const same = await form(h, 'POST', '/iso/pam/device', device, bearer);
      assert.equal(same.statusCode, 200, same.body);
      assert.equal(JSON.parse(same.body).response.changed, 'false');
      assert.equal(JSON.parse(same.body).device.id, b.device.id);
      const changed = await call(h, 'POST', '/api/pam/device', { headers: bearer, body: { ...device, site: 'AWS' } });
      assert.equal(changed.status, 200, changed.raw);
      assert.equal(changed.body.response.changed, 'true');
      assert.equal(changed.body.device.site, 'AWS');
      const got = await call(h, 'GET', `/iso/pam/device/${b.device.id}`, { headers: bearer });
      assert.equal(got.status, 200, got.raw);
      assert.equal(got.body.device.site, 'AWS');
      const list = await call(h, 'GET', '/iso/pam/device', { headers: bearer });
      assert.equal(list.status, 200, list.raw);
      assert.ok(list.body.devices.some((d: { hostname: string }) => d.hostname === 'example-002'));
      // audited as the senhasegura API
      const audit = await call(h, 'GET', '/api/v1/audit?action=metadata.set&limit=1', { token: admin });
      assert.equal(audit.body.items[0].via, 'senhasegura');
    });

    it('a missing hostname is 1004, a missing ip 1005 (400, envelope)', async () => {
      const noHost = await form(h, 'POST', '/iso/pam/device', { ip: '1.2.3.4' }, bearer);
      assert.equal(noHost.statusCode, 400);
      assert.equal(JSON.parse(noHost.body).exception.code, 1004);
      const noIp = await form(h, 'POST', '/iso/pam/device', { hostname: 'h1' }, bearer);
      assert.equal(noIp.statusCode, 400);
      assert.equal(JSON.parse(noIp.body).exception.code, 1005);
    });

    it('deactivates by hostname; inactive or unknown answers 400 1011 (never 404); activates', async () => {
      const del = await form(h, 'DELETE', '/iso/pam/device/example-002', { device: 'example-002' }, bearer);
      assert.equal(del.statusCode, 200, del.body);
      assert.equal(JSON.parse(del.body).response.message, 'Device successfully deactivated');
      for (const url of ['/iso/pam/device/example-002', '/iso/pam/device/no-such-device', '/api/pam/device/99999']) {
        const r = await call(h, 'DELETE', url, { headers: bearer });
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
        assert.deepEqual(r.body.exception, { code: 1011, message: '1011: Device not found', detail: null });
        assert.equal(r.body.response.error, true);
      }
      const act = await call(h, 'PUT', '/iso/pam/device/example-002', { headers: bearer });
      assert.equal(act.status, 200, act.raw);
      assert.equal((await call(h, 'DELETE', '/iso/pam/device/example-002', { headers: bearer })).status, 200);
      const unknown = await call(h, 'GET', '/iso/pam/device/nope', { headers: bearer });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.exception.code, 1011);
    });

    it('a credential created for a device lands in its folder of the senhasegura vault', async () => {
      const r = await form(
        h,
        'POST',
        '/iso/pam/credential',
        { hostname: 'example-002', ip: '192.168.10.20', username: 'ansible', content: 'pw' },
        bearer,
      );
      assert.equal(r.statusCode, 201, r.body);
      const num = Number(JSON.parse(r.body).credential.id);
      const id = await h.coffer.services.numbering.idOf(h.database.db, 'secret', num);
      const s = await call(h, 'GET', `/api/v1/secrets/${id}`, { token: admin });
      // the administrator holds no grant on the API user's vault: reads like a missing one
      assert.equal(s.status, 404);
    });
  });
}
