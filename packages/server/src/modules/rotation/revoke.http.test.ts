// Rotation on revoke through the remote connector (issue 14), against the real PostgreSQL on both
// dialects: an approved request whose checkout is revoked queues a remote rotation in the revoke's
// transaction; the queue runs it through the journal; the target has the vault's new password and
// the revoke's audit record names the job whose rotation.start record names the journal entry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, PG_URL, startHarness } from '../../../test/harness.ts';
import { createPgRole, freshPassword, pgAdmin, pgPort, pgVerifier } from '../../../test/pg-roles.ts';
import { verifierMatches } from './connectors/scram.ts';

for (const dialect of dialects) {
  describe(`rotation on revoke through the remote connector [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const roles: string[] = [];

    before(async () => {
      h = await startHarness(dialect, { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
      admin = await adminToken(h);
    });
    after(async () => {
      await h.close();
      await pgAdmin(async (c) => {
        for (const r of roles) await c.query(`drop role if exists ${c.escapeIdentifier(r)}`);
      });
    });

    it('a revoked checkout of an approved request rotates the password on PostgreSQL; the revoke names the rotation', async () => {
      const requester = await createUser(h, admin, 'password_user');
      const approver = await createUser(h, admin, 'password_user');
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: admin,
        body: {
          name: 'revoke rotates',
          policy: {
            approval: { required: true, approvers: [{ type: 'user', id: approver.id }] },
            checkout: { exclusive: true, maxMinutes: 60, rotateOnCheckin: true },
          },
        },
      });
      assert.equal(v.status, 201, v.raw);
      const vaultId = v.body.id as string;
      const su = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId,
          template: 'database-account',
          name: 'pg superuser',
          fields: { host: '127.0.0.1', username: new URL(PG_URL).username || 'postgres', password: 'trusted-here' },
        },
      });
      const name = `coffer_rv_${randomBytes(5).toString('hex')}`;
      const pw = freshPassword();
      roles.push(name);
      await createPgRole(name, pw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId, template: 'database-account', name, fields: { host: '127.0.0.1', username: name, password: pw } },
      });
      assert.equal(s.status, 201, s.raw);
      const id = s.body.id as string;
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'postgres', host: '127.0.0.1', port: pgPort, privilegedSecretId: su.body.id },
      });
      assert.equal(set.status, 200, set.raw);
      for (const [u, level] of [
        [requester, 'reveal'],
        [approver, 'view'],
      ] as const) {
        const g = await call(h, 'POST', '/api/v1/grants', {
          token: admin,
          body: { nodeId: vaultId, principalType: 'user', principalId: u.id, level },
        });
        assert.equal(g.status, 201, g.raw);
      }

      const req = await call(h, 'POST', '/api/v1/access-requests', {
        token: requester.token,
        body: { secretId: id, reason: 'incident 7', durationMinutes: 30 },
      });
      assert.equal(req.status, 201, req.raw);
      const ok = await call(h, 'POST', `/api/v1/access-requests/${req.body.id}/approve`, {
        token: approver.token,
        body: { comment: 'go' },
      });
      assert.equal(ok.status, 200, ok.raw);
      const co = await call(h, 'POST', `/api/v1/secrets/${id}/checkout`, {
        token: requester.token,
        body: { requestId: req.body.id, reason: 'incident 7' },
      });
      assert.equal(co.status, 201, co.raw);

      const rv = await call(h, 'POST', `/api/v1/access-requests/${req.body.id}/revoke`, { token: admin, body: { comment: 'done early' } });
      assert.equal(rv.status, 200, rv.raw);
      assert.ok(verifierMatches(await pgVerifier(name), pw), 'the target is not called inside the revoke');
      await h.coffer.services.jobs.runDue();

      const now = (await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} })).body.values.password as string;
      assert.notEqual(now, pw, 'rotated after the revoke');
      assert.ok(verifierMatches(await pgVerifier(name), now), 'the target has the vault’s new password');
      const st = await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin });
      assert.equal(st.body.entries[0].trigger, 'revoked');
      assert.equal(st.body.entries[0].state, 'done');

      const revokeRec = await call(h, 'GET', `/api/v1/audit?object=${req.body.id}&action=request.revoke`, { token: admin });
      assert.equal(revokeRec.status, 200, revokeRec.raw);
      const details = revokeRec.body.items[0].details;
      assert.equal(details.rotationTrigger, 'revoked');
      assert.equal(details.rotationQueued, true);
      assert.equal(typeof details.rotationJobId, 'string');
      const start = await call(h, 'GET', `/api/v1/audit?object=${id}&action=rotation.start`, { token: admin });
      const named = start.body.items.find((i: { details: { jobId?: string } }) => i.details.jobId === details.rotationJobId);
      assert.ok(named, `the rotation.start record names the revoke's job: ${start.raw}`);
      assert.equal(named.details.trigger, 'revoked');
      assert.equal(named.details.entryId, st.body.entries[0].id);
    });
  });
}
