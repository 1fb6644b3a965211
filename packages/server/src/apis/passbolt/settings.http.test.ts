// GET /settings.json over real HTTP on both dialects: the public part before login (version, URL,
// edition, the plugins a client needs to sign in), the fuller part with a session; only implemented
// plugins announced (never `metadata`), from the one registry other route files add to.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, PB_BASE, passboltUser, pb, pbGpgLogin } from '../../../test/passbolt.ts';
import { plugins } from './plugins.ts';

for (const dialect of dialects) {
  describe(`Passbolt settings [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h?.close());

    it('answers the public settings before login: version, URL, edition, the JWT login plugin only', async () => {
      const r = await pb(h, 'GET', '/settings.json');
      assertEnvelope(r, 200);
      const b = r.body.body;
      assert.match(b.app.version.number, /^\d+\.\d+\.\d+$/);
      assert.equal(b.app.url, `${PB_BASE}/`);
      assert.equal(b.passbolt.edition, 'ce');
      assert.deepEqual(Object.keys(b.passbolt.plugins), ['jwtAuthentication']);
      assert.equal(b.passbolt.plugins.jwtAuthentication.enabled, true);
      assert.equal(b.app.server_timezone, undefined);
    });

    it('answers the fuller settings to a session (JWT or cookie), still without metadata', async () => {
      const u = await passboltUser(h, admin);
      for (const opts of [{ token: u.pbToken }, { headers: { cookie: `passbolt_session=${(await pbGpgLogin(h, u.key)).session}` } }]) {
        const r = await pb(h, 'GET', '/settings.json', opts);
        assertEnvelope(r, 200);
        const p = r.body.body.passbolt.plugins;
        assert.equal(p.jwtAuthentication.enabled, true);
        assert.equal(p.mfa.enabled, true);
        assert.equal(p.metadata, undefined);
        assert.equal(r.body.body.app.server_timezone, 'UTC');
      }
      // a dead credential gets the public view, not an error
      const dead = await pb(h, 'GET', '/settings.json', { headers: { cookie: 'passbolt_session=cfs_nope' } });
      assertEnvelope(dead, 200);
      assert.equal(dead.body.body.passbolt.plugins.mfa, undefined);
    });

    it('announces what the registry holds (other route files add their plugin there)', async () => {
      plugins.folders = { public: false };
      try {
        const u = await passboltUser(h, admin);
        const r = await pb(h, 'GET', '/settings.json', { token: u.pbToken });
        assert.deepEqual(r.body.body.passbolt.plugins.folders, { enabled: true });
        assert.equal((await pb(h, 'GET', '/settings.json')).body.body.passbolt.plugins.folders, undefined);
      } finally {
        delete plugins.folders;
      }
    });
  });
}
