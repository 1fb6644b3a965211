// What runs by itself, against the real MariaDB, on both dialects, driven by the test's clock and
// the job queue (runDue): the heartbeat (a scheduled verify: ok, then out of sync when the
// password changed behind the vault's back — audited and sent to webhooks), scheduled rotation
// (rotateDays), and rotation on checkin through the remote connector (queued in the checkin's
// transaction, run by the queue).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { nativePasswordHash } from './connectors/mysql.ts';

const fresh = () => `Pw-${randomBytes(12).toString('base64url')}`;
const MIN = 60_000;

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
  describe(`heartbeat, scheduled rotation, rotation on checkin [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let admin: string;
    let vaultId: string;
    const clock = manualClock(Date.UTC(2032, 0, 1));
    const users: string[] = [];
    const runJobs = async () => {
      // twice: a recurring task may queue a job that the next poll runs
      await h.coffer.services.jobs.runDue();
      await h.coffer.services.jobs.runDue();
    };
    const dbUser = async () => {
      const name = `coffer_s_${randomBytes(5).toString('hex')}`;
      const pw = fresh();
      users.push(name);
      await myAdmin((c) => c.query('create user ?@? identified by password ?', [name, '%', nativePasswordHash(pw)]));
      return { name, pw };
    };
    const reveal = async (id: string) =>
      (await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} })).body.values.password as string;
    const status = async (id: string) => (await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin })).body;

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } },
      });
      admin = await adminToken(h);
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: admin,
        body: { name: 'scheduled', policy: { checkout: { exclusive: true, maxMinutes: 60, rotateOnCheckin: true } } },
      });
      vaultId = v.body.id;
    });
    after(async () => {
      await h.close();
      await myAdmin(async (c) => {
        for (const u of users) await c.query('drop user if exists ?@?', [u, '%']);
      });
    });

    it('heartbeat: ok on schedule; a password changed elsewhere flags the secret out of sync, audited and sent to webhooks', async () => {
      const hook = await call(h, 'POST', '/api/v1/webhooks', {
        token: admin,
        body: { url: 'http://127.0.0.1:9/hook', events: ['secret.out_of_sync'] },
      });
      assert.equal(hook.status, 201, hook.raw);
      const u = await dbUser();
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId, template: 'database-account', name: u.name, fields: { host: '127.0.0.1', username: u.name, password: u.pw } },
      });
      const id = s.body.id as string;
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'mysql', host: '127.0.0.1', heartbeatMinutes: 5 },
      });
      assert.equal(set.status, 200, set.raw);
      clock.advance(6 * MIN);
      await runJobs();
      let st = await status(id);
      assert.equal(st.target.lastHeartbeatStatus, 'ok');
      assert.equal(st.target.outOfSync, false);

      await myAdmin((c) => c.query('alter user ?@? identified by password ?', [u.name, '%', nativePasswordHash(fresh())]));
      clock.advance(6 * MIN);
      await runJobs();
      st = await status(id);
      assert.equal(st.target.lastHeartbeatStatus, 'failed');
      assert.equal(st.target.outOfSync, true);
      const deliveries = await call(h, 'GET', `/api/v1/webhooks/${hook.body.webhook.id}/deliveries`, { token: admin });
      assert.equal(deliveries.status, 200, deliveries.raw);
      assert.ok(
        deliveries.body.items.some((d: { eventType: string }) => d.eventType === 'secret.out_of_sync'),
        deliveries.raw,
      );
      const audit = await call(h, 'GET', `/api/v1/audit?object=${id}&action=secret.heartbeat`, { token: admin });
      assert.ok(
        audit.body.items.some((r: { outcome: string }) => r.outcome === 'failure'),
        audit.raw,
      );

      // the password the target really has, stored only (no remote change): the next heartbeat is ok again
      const real = fresh();
      await myAdmin((c) => c.query('alter user ?@? identified by password ?', [u.name, '%', nativePasswordHash(real)]));
      const local = await call(h, 'POST', `/api/v1/secrets/${id}/password`, { token: admin, body: { password: real, where: 'local' } });
      assert.equal(local.status, 200, local.raw);
      assert.equal(local.body.connector, 'local');
      clock.advance(6 * MIN);
      await runJobs();
      st = await status(id);
      assert.equal(st.target.outOfSync, false);
    });

    it('scheduled rotation (rotateDays) and rotation on checkin run through the remote connector', async () => {
      const u = await dbUser();
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId, template: 'database-account', name: u.name, fields: { host: '127.0.0.1', username: u.name, password: u.pw } },
      });
      const id = s.body.id as string;
      await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'mysql', host: '127.0.0.1', rotateDays: 30 },
      });
      clock.advance(31 * 24 * 60 * MIN);
      await runJobs();
      admin = await adminToken(h); // the session ended during the month
      const afterSchedule = await reveal(id);
      assert.notEqual(afterSchedule, u.pw, 'rotated on schedule');
      assert.equal(await storedHash(u.name), nativePasswordHash(afterSchedule));
      let st = await status(id);
      assert.equal(st.entries[0].trigger, 'scheduled');
      assert.equal(st.entries[0].state, 'done');

      clock.advance(1000); // the journal lists the newest first, by time
      const co = await call(h, 'POST', `/api/v1/secrets/${id}/checkout`, { token: admin, body: { reason: 'maintenance' } });
      assert.equal(co.status, 201, co.raw);
      const ci = await call(h, 'POST', `/api/v1/secrets/${id}/checkin`, { token: admin, body: {} });
      assert.equal(ci.status, 200, ci.raw);
      await runJobs();
      const afterCheckin = await reveal(id);
      assert.notEqual(afterCheckin, afterSchedule, 'rotated after the checkin');
      assert.equal(await storedHash(u.name), nativePasswordHash(afterCheckin));
      st = await status(id);
      assert.equal(st.entries[0].trigger, 'checkin');
      assert.equal(st.entries[0].state, 'done');
    });
  });
}
