// The operator's way out of a stuck rotation, against the real PostgreSQL behind a TCP proxy that
// stops answering (test/tcp-proxy.ts), on both dialects: a rotation left open because the target
// went silent; only an administrator who re-authenticates, with a reason, may close it, and only
// once no process holds it; the kept password is verified first when the target answers (a "no"
// keeps the entry open); unreachable, it is closed unverified and the secret stays out of sync.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, PG_URL, startHarness } from '../../../test/harness.ts';
import { createPgRole, freshPassword, pgAdmin, pgPort, pgVerifier } from '../../../test/pg-roles.ts';
import { startProxy, type TcpProxy } from '../../../test/tcp-proxy.ts';
import { manualClock } from '../../lib/clock.ts';
import { verifierMatches } from './connectors/scram.ts';

for (const dialect of dialects) {
  describe(`abandoning a stuck rotation [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let admin: string;
    let vaultId: string;
    let superuser: string;
    let proxy: TcpProxy;
    const clock = manualClock(Date.now());
    const roles: string[] = [];

    const secret = async (name: string, username: string, password: string) => {
      const r = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId, template: 'database-account', name, fields: { host: '127.0.0.1', username, password } },
      });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };
    const reveal = async (id: string) =>
      (await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} })).body.values.password as string;
    const abandon = (id: string, body: Record<string, unknown>, token = admin) =>
      call(h, 'POST', `/api/v1/secrets/${id}/rotation/abandon`, { token, body });

    /** A role whose rotation is left open: the target stops answering during the change. */
    const stuck = async () => {
      const name = `coffer_ab_${randomBytes(5).toString('hex')}`;
      const pw = freshPassword();
      roles.push(name);
      await createPgRole(name, pw);
      const id = await secret(name, name, pw);
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'postgres', host: '127.0.0.1', port: proxy.port, privilegedSecretId: superuser },
      });
      assert.equal(set.status, 200, set.raw);
      proxy.holdFrom(1);
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: admin, body: { reason: 'monthly' } });
      assert.equal(r.status, 502, r.raw);
      assert.equal(r.body.error.code, 'rotation.failed');
      const st = await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin });
      assert.equal(st.body.entries[0].open, true, st.raw);
      return { id, name, pw, entryId: st.body.entries[0].id as string };
    };

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: {
          webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 },
          rotation: { leaseMs: 3000 },
        },
      });
      admin = await adminToken(h);
      proxy = await startProxy(pgPort);
      vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'stuck' } })).body.id;
      superuser = await secret('pg superuser', new URL(PG_URL).username || 'postgres', 'trusted-here');
    });
    after(async () => {
      await h.close();
      await proxy.close();
      await pgAdmin(async (c) => {
        for (const r of roles) await c.query(`drop role if exists ${c.escapeIdentifier(r)}`);
      });
    });

    it('refused without a reason, to a non-administrator, on a wrong password, while a lease holds it; then verified and closed', async () => {
      const s = await stuck();
      const good = { keep: 'current', reason: 'target restored from backup', currentPassword: ADMIN.password };
      const { reason: _r, ...noReason } = good;
      assert.equal((await abandon(s.id, noReason)).status, 400);
      const other = await createUser(h, admin, 'password_administrator');
      const notAdmin = await abandon(s.id, { ...good, currentPassword: other.password }, other.token);
      assert.ok(notAdmin.status === 403 || notAdmin.status === 404, notAdmin.raw);
      const wrong = await abandon(s.id, { ...good, currentPassword: 'not-the-password' });
      assert.equal(wrong.status, 403, wrong.raw);
      assert.equal(wrong.body.error.code, 'auth.reauth_failed');
      // the entry's lease (its retry time) has not run out: a process may be driving it
      const busy = await abandon(s.id, good);
      assert.equal(busy.status, 409, busy.raw);
      assert.equal(busy.body.error.code, 'rotation.in_progress');

      clock.advance(10 * 60_000);
      proxy.release();
      // the target answers again: the pending password does not log in, so it cannot be kept
      const refused = await abandon(s.id, { ...good, keep: 'pending' });
      assert.equal(refused.status, 409, refused.raw);
      assert.equal(refused.body.error.code, 'conflict');
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${s.id}/rotation`, { token: admin })).body.entries[0].open, true);

      const ok = await abandon(s.id, good);
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(ok.body.entryId, s.entryId);
      assert.equal(ok.body.state, 'rolled_back');
      assert.equal(ok.body.verified, true);
      assert.equal(ok.body.outOfSync, false);
      assert.equal(await reveal(s.id), s.pw);
      assert.ok(verifierMatches(await pgVerifier(s.name), s.pw));
      const st = await call(h, 'GET', `/api/v1/secrets/${s.id}/rotation`, { token: admin });
      assert.equal(st.body.entries[0].open, false);
      assert.equal(st.body.entries[0].lastError, 'abandoned');
      const audit = await call(h, 'GET', `/api/v1/audit?object=${s.id}&limit=100`, { token: admin });
      const rec = audit.body.items.find((i: { action: string }) => i.action === 'rotation.abandoned');
      assert.ok(rec, audit.raw);
      assert.equal(rec.reason, 'target restored from backup');
      assert.equal(rec.details.keep, 'current');
      assert.equal(rec.details.verified, true);
      assert.ok(audit.body.items.some((i: { action: string }) => i.action === 'rotation.abandon_refused'));
      assert.ok(!audit.raw.includes(s.pw) && !audit.raw.includes(ADMIN.password), 'no password in the audit trail');
      // nothing left to abandon
      assert.equal((await abandon(s.id, good)).status, 409);
    });

    it('a target that does not answer: closed unverified, the secret stays out of sync', async () => {
      const s = await stuck();
      clock.advance(10 * 60_000);
      const r = await abandon(s.id, { keep: 'current', reason: 'host decommissioned', currentPassword: ADMIN.password });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.verified, null);
      assert.equal(r.body.state, 'rolled_back');
      assert.equal(r.body.outOfSync, true);
      const st = await call(h, 'GET', `/api/v1/secrets/${s.id}/rotation`, { token: admin });
      assert.equal(st.body.target.outOfSync, true);
      assert.equal(st.body.entries[0].open, false);
      assert.equal(await reveal(s.id), s.pw);
      proxy.release();
    });
  });
}
