// An account's dependencies (what uses its password), against the real MariaDB on both dialects,
// driven by the test's clock and the job queue: listed on the target and in the rotation status,
// carried (names only) in the `secret.rotated` audit record and webhook event; with
// holdUnreviewed, a scheduled rotation of a target whose dependencies are not reviewed is held and
// flagged instead of run, and runs once they are reviewed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { nativePasswordHash } from './connectors/mysql.ts';

const DAY = 86_400_000;

async function myAdmin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const storedHash = async (user: string) => {
  const [rows] = await myAdmin((c) => c.query('select authentication_string as s from mysql.user where user = ?', [user]));
  return (rows as { s: string }[])[0]?.s;
};

for (const dialect of dialects) {
  describe(`rotation dependencies [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let admin: string;
    const clock = manualClock(Date.UTC(2033, 0, 1));
    const users: string[] = [];
    const runJobs = async () => {
      await h.coffer.services.jobs.runDue();
      await h.coffer.services.jobs.runDue();
    };

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } },
      });
      admin = await adminToken(h);
    });
    after(async () => {
      await h.close();
      await myAdmin(async (c) => {
        for (const u of users) await c.query('drop user if exists ?@?', [u, '%']);
      });
    });

    it('listed, shown, carried by secret.rotated; an unreviewed list holds the scheduled rotation until reviewed', async () => {
      const name = `coffer_d_${randomBytes(5).toString('hex')}`;
      const pw = `Pw-${randomBytes(12).toString('base64url')}`;
      users.push(name);
      await myAdmin((c) => c.query('create user ?@? identified by password ?', [name, '%', nativePasswordHash(pw)]));
      const hook = await call(h, 'POST', '/api/v1/webhooks', {
        token: admin,
        body: { url: 'http://127.0.0.1:9/hook', events: ['secret.rotated'] },
      });
      assert.equal(hook.status, 201, hook.raw);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'deps' } });
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId: v.body.id, template: 'database-account', name, fields: { host: '127.0.0.1', username: name, password: pw } },
      });
      const id = s.body.id as string;
      const dependencies = [
        { name: 'orders-api', kind: 'service', host: 'app01', note: 'systemctl restart orders-api after the change' },
        { name: 'nightly-etl', kind: 'script' },
      ];
      const bad = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'mysql', host: '127.0.0.1', dependencies: [{ name: 'x\u0007', kind: 'service' }] },
      });
      assert.equal(bad.status, 400, bad.raw);
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'mysql', host: '127.0.0.1', rotateDays: 30, dependencies, dependenciesReviewed: false, holdUnreviewed: true },
      });
      assert.equal(set.status, 200, set.raw);
      assert.deepEqual(set.body.dependencies, dependencies);
      assert.equal(set.body.dependenciesReviewed, false);
      assert.equal(set.body.holdUnreviewed, true);
      let st = (await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin })).body;
      assert.deepEqual(st.target.dependencies, dependencies);

      // the schedule comes due: held and flagged, the password untouched
      clock.advance(31 * DAY);
      await runJobs();
      admin = await adminToken(h);
      assert.equal(await storedHash(name), nativePasswordHash(pw), 'held: not changed on the target');
      st = (await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin })).body;
      assert.equal(st.target.heldAt, new Date(clock.now()).toISOString());
      assert.equal(st.target.nextRotationAt, null);
      assert.equal(st.entries.length, 0);
      const held = await call(h, 'GET', `/api/v1/audit?object=${id}&action=rotation.held`, { token: admin });
      assert.equal(held.body.items.length, 1, held.raw);
      assert.deepEqual(held.body.items[0].details.dependencies, ['orders-api', 'nightly-etl']);
      // a later sweep does not hold (nor audit) it again
      clock.advance(DAY);
      await runJobs();
      admin = await adminToken(h);
      assert.equal((await call(h, 'GET', `/api/v1/audit?object=${id}&action=rotation.held`, { token: admin })).body.items.length, 1);

      // reviewed (only the flag sent: the list is kept): due at once, rotated, the names carried along
      const ok = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'mysql', host: '127.0.0.1', dependenciesReviewed: true },
      });
      assert.equal(ok.status, 200, ok.raw);
      assert.deepEqual(ok.body.dependencies, dependencies, 'absent: the list is kept');
      assert.equal(ok.body.heldAt, null);
      assert.equal(ok.body.nextRotationAt, new Date(clock.now()).toISOString(), 'due at once');
      clock.advance(60_000); // the next period of the schedule sweep
      await runJobs();
      const now = (await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} })).body.values.password as string;
      assert.notEqual(now, pw);
      assert.equal(await storedHash(name), nativePasswordHash(now));
      const rotated = await call(h, 'GET', `/api/v1/audit?object=${id}&action=secret.rotated`, { token: admin });
      assert.deepEqual(rotated.body.items[0].details.dependencies, ['orders-api', 'nightly-etl']);
      const deliveries = await h.database.db
        .selectFrom('webhook_deliveries')
        .select(['payload'])
        .where('webhook_id', '=', hook.body.webhook.id)
        .where('event_type', '=', 'secret.rotated')
        .execute();
      assert.equal(deliveries.length, 1);
      const payload = JSON.parse(deliveries[0]?.payload as string);
      assert.deepEqual(payload.data.dependencies, ['orders-api', 'nightly-etl'], deliveries[0]?.payload);
      assert.ok(!JSON.stringify(payload).includes('systemctl'), 'names only');
    });
  });
}
