// The Passbolt surface's envelope on both dialects: success and error answers carry
// `{header, body}` with header.status/code/message/url/action, unknown routes answer in it,
// a session of the Passbolt API is refused by the native API and a native session here, and the
// UUIDs of objects map back to them (and nothing else).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, passboltUser, pb } from '../../../test/passbolt.ts';
import { createPassboltIds, numberOfUuid, uuidOfNumber } from './ids.ts';

for (const dialect of dialects) {
  describe(`Passbolt envelope [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h?.close());

    it('answers the health check in the envelope, with the request URL and a stable action id', async () => {
      const a = await pb(h, 'GET', '/healthcheck/status.json');
      assertEnvelope(a, 200);
      assert.equal(a.body.body, 'OK');
      assert.equal(a.body.header.message, 'The operation was successful.');
      assert.equal(a.body.header.url, '/passbolt/healthcheck/status.json?api-version=v2');
      const b = await pb(h, 'GET', '/healthcheck/status.json?api-version=v1');
      assert.equal(b.body.header.action, a.body.header.action);
      assert.notEqual(b.body.header.id, a.body.header.id);
      assert.ok(Math.abs(a.body.header.servertime - Date.now() / 1000) < 60);
    });

    it('answers an unknown route 404 in the envelope with header.status "error"', async () => {
      const r = await pb(h, 'GET', '/nothing-here.json');
      assertEnvelope(r, 404);
      assert.equal(r.body.body, null);
    });

    it('keeps sessions to their API: a Passbolt session is refused natively and a native one here', async () => {
      const u = await passboltUser(h, admin);
      const native = await call(h, 'GET', '/api/v1/vaults', { token: u.pbToken });
      assert.equal(native.status, 401, native.raw);
      const here = await pb(h, 'GET', '/nothing-here.json', { token: u.token });
      assert.equal(here.status, 404); // unmatched routes answer before authentication
    });

    it('maps object numbers to UUIDs and back, of the right kind only', async () => {
      assert.equal(uuidOfNumber(42), '00000000-0000-4000-8000-00000000002a');
      assert.equal(numberOfUuid('00000000-0000-4000-8000-00000000002A'), 42);
      assert.equal(numberOfUuid('c0ffee00-0000-4000-8000-00000000002a'), undefined);
      const ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
      const u = await passboltUser(h, admin);
      const uuid = await ids.uuidOf('user', u.id);
      assert.equal(await ids.idOf('user', uuid), u.id);
      assert.equal(await ids.idOf('secret', uuid), undefined);
      await assert.rejects(ids.require('user', 'not-a-uuid'), /valid UUID/);
      await assert.rejects(ids.require('secret', uuid), (e: { code?: string }) => e.code === 'not_found');
    });
  });
}
