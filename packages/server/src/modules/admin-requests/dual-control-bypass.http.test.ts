// The ways around dual control a review found (ADR 0010), each played to the end: filed through
// POST /admin-requests, approved by the second administrator, executed by the requester.
// - one's own password is never set on the administrators' path, in any mode: it changes with
//   re-authentication only (POST /me/password);
// - an e-mail change is never filed on purpose as an admin request (it needs the caller's
//   re-authentication, which only the direct PATCH carries); a gated direct PATCH still works;
// - adding a member to a group named as an approver (a puppet approver) needs another administrator.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, type Res, startHarness } from '../../../test/harness.ts';

type U = Awaited<ReturnType<typeof createUser>>;
const OWN_PASSWORD_MESSAGE = 'Change your own password with POST /api/v1/me/password (coffer passwd).';

for (const dialect of dialects) {
  describe(`no way around dual control [${dialect}]`, () => {
    let h: Harness;
    let a: string; // the administrator who tries
    let aId: string;
    let b: U; // the second administrator, who approves what looks harmless
    let target: U;

    const userRow = (id: string) => h.database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const approve = (id: string, token = b.token) => call(h, 'POST', `/api/v1/admin-requests/${id}/approve`, { token, body: {} });
    const execute = (id: string) =>
      call(h, 'POST', `/api/v1/admin-requests/${id}/execute`, { token: a, body: { currentPassword: ADMIN.password } });
    /** Files the operation on purpose, has the second administrator approve it, executes it: the last answer. */
    async function fileApproveExecute(operation: Record<string, unknown>): Promise<Res> {
      const filed = await call(h, 'POST', '/api/v1/admin-requests', { token: a, body: { operation, reason: 'routine' } });
      if (filed.status !== 201) return filed;
      const approved = await approve(filed.body.id);
      if (approved.status !== 200) return approved;
      return execute(filed.body.id);
    }
    const fresh = () => `fresh-${randomBytes(12).toString('hex')}`;

    before(async () => {
      h = await startHarness(dialect);
      a = await adminToken(h);
      aId = (await call(h, 'GET', '/api/v1/auth/whoami', { token: a })).body.userId;
      // with one administrator nothing is gated: the second one is created directly
      b = await createUser(h, a, 'administrator');
      target = await createUser(h, a, 'password_user');
    });
    after(async () => h.close());

    it("never sets one's own password through the administrators' path: filed, approved or executed", async () => {
      const before = await userRow(aId);
      const direct = await call(h, 'POST', `/api/v1/users/${aId}/password`, { token: a, body: { password: fresh() } });
      assert.equal(direct.status, 400, direct.raw);
      assert.equal(direct.body.error.message, OWN_PASSWORD_MESSAGE);

      const filed = await fileApproveExecute({ type: 'user.password_reset', userId: aId, password: fresh() });
      assert.equal(filed.status, 400, filed.raw);
      assert.equal(filed.body.error.code, 'validation.failed');
      assert.equal(filed.body.error.message, OWN_PASSWORD_MESSAGE);
      assert.deepEqual(filed.body.error.details, [{ path: '/operation/userId', message: 'not your own account' }]);
      const refusal = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome'])
        .where('action', '=', 'admin_request.create')
        .where('actor_id', '=', aId)
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.notEqual(refusal.outcome, 'success', 'the refusal is audited');

      // a request naming oneself that got past filing (filed by an older version) is refused at execute
      const other = await call(h, 'POST', '/api/v1/admin-requests', {
        token: a,
        body: { operation: { type: 'user.password_reset', userId: target.id, password: fresh() } },
      });
      assert.equal(other.status, 201, other.raw);
      await h.database.db
        .updateTable('admin_requests')
        .set({ params: JSON.stringify({ userId: aId }), target_id: aId })
        .where('id', '=', other.body.id)
        .execute();
      assert.equal((await approve(other.body.id)).status, 200);
      const executed = await execute(other.body.id);
      assert.equal(executed.status, 400, executed.raw);
      assert.equal(executed.body.error.message, OWN_PASSWORD_MESSAGE);
      const state = await call(h, 'GET', `/api/v1/admin-requests/${other.body.id}`, { token: a });
      assert.equal(state.body.state, 'approved', 'not executed');

      const after = await userRow(aId);
      assert.equal(after.password_hash, before.password_hash, 'the password did not change');
      assert.equal(after.must_change_password, 0);
      assert.ok((await login(h, ADMIN.username, ADMIN.password)).accessToken);
    });

    it('never files an e-mail change on purpose; a gated, re-authenticated PATCH still changes it', async () => {
      for (const who of [aId, target.id]) {
        const before = (await userRow(who)).email;
        const r = await fileApproveExecute({
          type: 'user.update',
          userId: who,
          patch: { email: `taken-${randomBytes(3).toString('hex')}@example.com` },
        });
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.error.code, 'validation.failed');
        assert.deepEqual(r.body.error.details, [{ path: '/operation/patch/email', message: 'not through an admin request' }]);
        assert.equal((await userRow(who)).email, before, 'the e-mail did not change');
      }
      // other profile fields can still be filed on purpose
      const dept = await fileApproveExecute({ type: 'user.update', userId: target.id, patch: { department: 'Ops' } });
      assert.equal(dept.status, 200, dept.raw);
      assert.equal((await userRow(target.id)).department, 'Ops');

      // the direct PATCH carries the caller's proof; gated (the scope), it becomes a request that executes
      const pa = await createUser(h, a, 'password_administrator');
      const unproven = await call(h, 'PATCH', `/api/v1/users/${pa.id}`, {
        token: a,
        body: { allPasswords: true, email: 'pa@example.com' },
      });
      assert.equal(unproven.status, 403, unproven.raw);
      assert.equal(unproven.body.error.code, 'auth.reauth_failed');
      const gated = await call(h, 'PATCH', `/api/v1/users/${pa.id}`, {
        token: a,
        body: { allPasswords: true, email: 'pa@example.com', currentPassword: ADMIN.password },
      });
      assert.equal(gated.status, 202, gated.raw);
      assert.ok(!JSON.stringify(gated.body).includes(ADMIN.password), 'the proof is not stored');
      assert.equal((await approve(gated.body.request.id)).status, 200);
      const done = await execute(gated.body.request.id);
      assert.equal(done.status, 200, done.raw);
      assert.equal(done.body.user.email, 'pa@example.com');
      assert.equal(done.body.user.allPasswords, true);
    });

    it('gates adding anyone to a group named as an approver, in a vault or folder policy or a waiting request', async () => {
      const owner = await createUser(h, a, 'password_administrator');
      const group = async (name: string) => (await call(h, 'POST', '/api/v1/groups', { token: a, body: { name } })).body.id as string;
      const approvers = await group(`approvers-${dialect}`);
      const folderApprovers = await group(`folder-approvers-${dialect}`);
      const earlierApprovers = await group(`earlier-approvers-${dialect}`);
      const bystanders = await group(`bystanders-${dialect}`);
      const approval = (g: string) => ({ approval: { required: true, approvers: [{ type: 'group', id: g }] } });
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: owner.token,
        body: { name: `Guarded ${dialect}`, policy: approval(approvers) },
      });
      assert.equal(v.status, 201, v.raw);
      const folder = async (name: string, policy: Record<string, unknown>) => {
        const f = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: v.body.id, name, policy } });
        assert.equal(f.status, 201, f.raw);
        return f.body.id as string;
      };
      await folder('ops', approval(folderApprovers));
      const f2 = await folder('db', approval(earlierApprovers));
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId: v.body.id,
          template: 'unix-account',
          name: 'root',
          fields: { host: 'h', username: 'root', password: 'guarded-value' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const s2 = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId: v.body.id,
          folderId: f2,
          template: 'unix-account',
          name: 'db',
          fields: { host: 'h', username: 'db', password: 'x' },
        },
      });
      assert.equal(s2.status, 201, s2.raw);
      // the administrator may reveal, once an approver agrees
      const grant = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: v.body.id, principalType: 'user', principalId: aId, level: 'reveal' },
      });
      assert.equal(grant.status, 201, grant.raw);
      const reveal = () => call(h, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, { token: a, body: {} });
      assert.equal((await reveal()).body.error.code, 'secret.approval_required');
      const ask = await call(h, 'POST', '/api/v1/access-requests', {
        token: a,
        body: { secretId: s.body.id, reason: 'maintenance', durationMinutes: 30 },
      });
      assert.equal(ask.status, 201, ask.raw);

      // the puppet: a user the administrator made and signs in as, put into the approver group
      const puppet = await createUser(h, a, 'password_user');
      const add = (g: string, u = puppet.id) => call(h, 'PUT', `/api/v1/groups/${g}/members/${u}`, { token: a });
      const pending = await add(approvers);
      assert.equal(pending.status, 202, pending.raw);
      const puppetApproves = await call(h, 'POST', `/api/v1/access-requests/${ask.body.id}/approve`, { token: puppet.token, body: {} });
      assert.ok([403, 404].includes(puppetApproves.status), puppetApproves.raw);
      assert.equal((await reveal()).status, 403, 'no value without the second administrator');
      // named only by a folder's policy: gated too; a group named nowhere (and holding no grant) is not
      assert.equal((await add(folderApprovers)).status, 202);
      assert.equal((await add(bystanders)).status, 200);

      // a waiting request keeps the approvers named when it was filed: gated until it is decided
      const earlier = await call(h, 'POST', '/api/v1/access-requests', {
        token: a,
        body: { secretId: s2.body.id, reason: 'maintenance', durationMinutes: 30 },
      });
      assert.equal(earlier.status, 201, earlier.raw);
      const dropped = await call(h, 'PATCH', `/api/v1/folders/${f2}`, {
        token: owner.token,
        body: { policy: { approval: { required: true } } },
      });
      assert.equal(dropped.status, 200, dropped.raw);
      assert.equal((await add(earlierApprovers)).status, 202);
      assert.equal((await call(h, 'POST', `/api/v1/access-requests/${earlier.body.id}/cancel`, { token: a, body: {} })).status, 200);
      assert.equal((await add(earlierApprovers)).status, 200);

      // with the second administrator's approval the member approves, and the value opens
      assert.equal((await approve(pending.body.request.id)).status, 200);
      assert.equal((await execute(pending.body.request.id)).status, 200);
      const approved = await call(h, 'POST', `/api/v1/access-requests/${ask.body.id}/approve`, { token: puppet.token, body: {} });
      assert.equal(approved.status, 200, approved.raw);
      const seen = await reveal();
      assert.equal(seen.status, 200, seen.raw);
      assert.ok(seen.raw.includes('guarded-value'));
    });
  });
}
