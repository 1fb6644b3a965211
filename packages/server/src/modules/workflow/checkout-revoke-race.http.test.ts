// Issue 10, section 5, on one app: a checkout and a revoke of the same approved request sent at the
// same moment, for a few hundred fresh requests (on PostgreSQL the two run on separate pooled
// connections, as on two nodes; SQLite's one connection runs them one after the other, in either
// order). Afterwards no checkout of a revoked request is live and every revoke record is right.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCheckoutRevokeRace } from '../../../test/checkout-revoke-race.ts';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';

// fewer on PostgreSQL: checkout-revoke-two-processes.test.ts races 300 pairs across two processes there
const pairsFor = (dialect: string) => Number(process.env.REVOKE_RACE_PAIRS ?? (dialect === 'sqlite' ? 150 : 100));

for (const dialect of dialects) {
  describe(`a revoke racing a checkout on one app [${dialect}]`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect);
    });
    after(async () => h.close());

    const PAIRS = pairsFor(dialect);
    it(`leaves no live checkout of a revoked request over ${PAIRS} pairs`, { timeout: 5 * 60_000 }, async () => {
      const node = (method: 'GET' | 'POST', url: string, token: string, body?: unknown) =>
        call(h, method, url, { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });
      const admin = await adminToken(h);
      const r = await runCheckoutRevokeRace({
        nodes: [node],
        db: h.database.db,
        adminToken: admin,
        createUser: (role) => createUser(h, admin, role),
        pairs: PAIRS,
        parallel: 4,
        label: dialect,
      });
      assert.ok(r.checkoutFirst > 0 && r.revokeFirst > 0, JSON.stringify(r));
      if (process.env.REVOKE_RACE_STATS) console.log(r);
    });
  });
}
