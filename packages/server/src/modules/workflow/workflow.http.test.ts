import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { createAudited } from '../audit/audit-log.ts';
import { createWorkflowService, type WorkflowEvent } from './workflow.service.ts';

const OLD_PASSWORD = 'wf-old-canary-Pq7!x';
const GIVEN_PASSWORD = 'wf-given-canary-Zr4!y';
const MIN = 60_000;
// a Monday, 10:00 UTC
const START = Date.parse('2030-01-07T10:00:00Z');
const session = { idleSeconds: 7 * 86400, absoluteSeconds: 90 * 86400, refreshSeconds: 90 * 86400 };

type User = Awaited<ReturnType<typeof createUser>>;

for (const dialect of dialects) {
  describe(`access workflows over HTTP [${dialect}]`, () => {
    let h: Harness;
    const clock = manualClock(START);
    let admin: string;
    let owner: User; // creates the vault: manage
    let alice: User; // requester
    let bob: User; // named approver
    let carol: User; // member of the approver group, with alice
    let dave: User; // another user with reveal access
    let groupId: string;
    const ids: Record<string, string> = {};

    const api = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
      call(h, method, url, { token, ...(body !== undefined ? { body } : {}) });
    const ok = async (p: ReturnType<typeof api>, status = 200) => {
      const r = await p;
      assert.equal(r.status, status, r.raw);
      return r.body;
    };
    const folder = async (body: Record<string, unknown>) =>
      (await ok(api(owner.token, 'POST', '/api/v1/folders', { vaultId: ids.vault, ...body }), 201)).id as string;
    const secret = async (folderId: string | undefined, name: string, password = OLD_PASSWORD) =>
      (
        await ok(
          api(owner.token, 'POST', '/api/v1/secrets', {
            vaultId: ids.vault,
            folderId,
            template: 'database-account',
            name,
            fields: { host: 'db.example.com', username: 'app', password },
          }),
          201,
        )
      ).id as string;
    const reveal = (u: { token: string }, id: string, reason = 'looking') =>
      api(u.token, 'POST', `/api/v1/secrets/${id}/reveal`, { reason });
    const request = async (u: User, secretId: string, durationMinutes: number, extra: Record<string, unknown> = {}) =>
      ok(api(u.token, 'POST', '/api/v1/access-requests', { secretId, reason: 'deploy release 42', durationMinutes, ...extra }), 201);
    const auditRows = (action: string, objectId?: string) => {
      let q = h.database.db.selectFrom('audit_log').selectAll().where('action', '=', action);
      if (objectId) q = q.where('object_id', '=', objectId);
      return q.orderBy('seq').execute();
    };

    before(async () => {
      h = await startHarness(dialect, { clock, config: { session } });
      // the test runs the sweep itself at chosen (manual) times: no background scheduler
      await h.coffer.services.jobs.stop();
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      alice = await createUser(h, admin, 'password_user');
      bob = await createUser(h, admin, 'password_user');
      carol = await createUser(h, admin, 'password_user');
      dave = await createUser(h, admin, 'password_user');
      groupId = (await ok(api(admin, 'POST', '/api/v1/groups', { name: `approvers-${dialect}` }), 201)).id;
      for (const u of [alice, carol]) await ok(api(admin, 'PUT', `/api/v1/groups/${groupId}/members/${u.id}`));
      ids.vault = (
        await ok(
          api(owner.token, 'POST', '/api/v1/vaults', {
            name: `Workflows ${dialect}`,
            policy: { requireReason: true, approval: { approvals: 1 }, checkout: { maxMinutes: 240 } },
          }),
          201,
        )
      ).id;
      // Prod: approval by bob, exclusive checkout of at most 60 minutes, rotation on checkin
      ids.prod = await folder({
        name: 'Prod',
        policy: {
          approval: { required: true, approvers: [{ type: 'user', id: bob.id }] },
          checkout: { exclusive: true, maxMinutes: 60, rotateOnCheckin: true },
        },
      });
      // Prod/Fresh does not inherit the policy: nothing is required there
      ids.fresh = await folder({ parentId: ids.prod, name: 'Fresh', inheritPolicy: false });
      // Reports: approval by bob for reveals (no checkout)
      ids.reports = await folder({ name: 'Reports', policy: { approval: { required: true, approvers: [{ type: 'user', id: bob.id }] } } });
      // Grouped: approval by the group that alice is in
      ids.grouped = await folder({
        name: 'Grouped',
        policy: { approval: { required: true, approvers: [{ type: 'group', id: groupId }] } },
      });
      // Shared: exclusive checkout only
      ids.shared = await folder({ name: 'Shared', policy: { checkout: { exclusive: true, maxMinutes: 30, rotateOnCheckin: true } } });
      // Office: a time window (weekdays 08:00-18:00 UTC)
      ids.office = await folder({ name: 'Office', policy: { timeWindow: { days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' } } });
      for (const u of [alice, dave, carol]) {
        await ok(
          api(owner.token, 'POST', '/api/v1/grants', { nodeId: ids.vault, principalType: 'user', principalId: u.id, level: 'reveal' }),
          201,
        );
      }
      // the built-in administrator may see the vault (view), so it can force a checkin
      const me = await ok(api(admin, 'GET', '/api/v1/auth/whoami'));
      await ok(
        api(owner.token, 'POST', '/api/v1/grants', { nodeId: ids.vault, principalType: 'user', principalId: me.userId, level: 'view' }),
        201,
      );
    });
    after(async () => h.close());

    it('explains the effective policy, each part with the folder or vault it comes from', async () => {
      ids.s1 = await secret(ids.prod, 'orders db');
      const p = await ok(api(alice.token, 'GET', `/api/v1/secrets/${ids.s1}/access-policy`));
      assert.deepEqual(p.requireReason, { value: true, source: ids.vault });
      assert.deepEqual(p.approval.required, { value: true, source: ids.prod });
      assert.deepEqual(p.approval.approvals, { value: 1, source: ids.vault });
      assert.deepEqual(p.approval.approvers, { value: [{ type: 'user', id: bob.id }], source: ids.prod });
      assert.deepEqual(p.approval.ownersToo, { value: false, source: null });
      assert.deepEqual(p.checkout.maxMinutes, { value: 60, source: ids.prod }, 'the folder overrides the vault');
      assert.deepEqual(p.checkout.exclusive, { value: true, source: ids.prod });
      assert.deepEqual(p.checkout.sharedRead, { value: false, source: null });
      assert.equal(p.timeWindow, null);
      assert.deepEqual(
        p.chain.map((c: { nodeId: string }) => c.nodeId),
        [ids.vault, ids.prod],
      );
      assert.deepEqual(p.you, { owner: false, needsApproval: true, inWindow: true });
      const mine = await ok(api(owner.token, 'GET', `/api/v1/secrets/${ids.s1}/access-policy`));
      assert.deepEqual(mine.you, { owner: true, needsApproval: false, inWindow: true });
      // a folder that does not inherit the policy starts afresh
      ids.freshSecret = await secret(ids.fresh, 'fresh db');
      const f = await ok(api(alice.token, 'GET', `/api/v1/secrets/${ids.freshSecret}/access-policy`));
      assert.deepEqual(f.approval.required, { value: false, source: null });
      assert.deepEqual(f.requireReason, { value: false, source: null });
      assert.equal(f.chain.at(-1).inheritsPolicy, false);
      // the old endpoint still answers
      assert.deepEqual(await ok(api(alice.token, 'GET', `/api/v1/secrets/${ids.s1}/policy`)), { requireReason: true, source: ids.vault });
      // an outsider reads it like a missing secret
      const outsider = await createUser(h, admin, 'password_user');
      assert.equal((await api(outsider.token, 'GET', `/api/v1/secrets/${ids.s1}/access-policy`)).status, 404);
    });

    it('runs the full cycle: request, approve, checkout, reveal, checkin, rotated', async () => {
      const s = ids.s1 as string;
      const denied = await reveal(alice, s);
      assert.equal(denied.status, 403, 'approval required');
      assert.match(denied.body.error.message, /access request/);
      assert.equal((await api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'x' })).status, 403);
      // the owner (manage) bypasses approval
      assert.equal((await reveal(owner, s)).body.values.password, OLD_PASSWORD);
      const r = await request(alice, s, 30);
      assert.equal(r.state, 'waiting_for_approval');
      assert.equal(r.stateLabel, 'waiting for approval');
      assert.equal(r.action, 'checkout', 'exclusive checkout policy: a checkout request');
      assert.equal(r.requesterName, alice.username);
      ids.cycleRequest = r.id;
      const pending = await ok(api(bob.token, 'GET', '/api/v1/access-requests?scope=pending'));
      assert.deepEqual(
        pending.items.map((x: { id: string }) => x.id),
        [r.id],
      );
      assert.equal((await ok(api(dave.token, 'GET', '/api/v1/access-requests?scope=pending'))).items.length, 0, 'dave approves nothing');
      assert.equal((await api(dave.token, 'GET', `/api/v1/access-requests/${r.id}`)).status, 404, 'dave cannot see it');
      const approved = await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'ok for the release' }));
      assert.equal(approved.state, 'approved');
      assert.equal(approved.approvals[0].approverId, bob.id);
      assert.equal(approved.approvals[0].comment, 'ok for the release');
      // a checkout longer than the policy allows is refused
      assert.equal(
        (await api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { requestId: r.id, reason: 'go', durationMinutes: 61 })).status,
        400,
      );
      const co = await ok(api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { requestId: r.id, reason: 'deploying' }), 201);
      assert.equal(co.holderId, alice.id);
      assert.equal(co.requestId, r.id);
      assert.equal(co.endsAt, new Date(clock.now() + 30 * MIN).toISOString(), 'capped by the approved window');
      assert.equal((await ok(api(alice.token, 'GET', `/api/v1/access-requests/${r.id}`))).state, 'checked_out');
      const seen = await reveal(alice, s, 'deploying');
      assert.equal(seen.status, 200, seen.raw);
      assert.equal(seen.body.values.password, OLD_PASSWORD);
      // others are refused while it is checked out, with holder and end time
      const other = await reveal(dave, s);
      assert.equal(other.status, 409);
      assert.equal(other.body.error.code, 'secret.checked_out');
      assert.deepEqual(other.body.error.details, [
        { path: '/holder', message: alice.username },
        { path: '/holderId', message: alice.id },
        { path: '/endsAt', message: co.endsAt },
      ]);
      const current = await ok(api(owner.token, 'GET', '/api/v1/checkouts'));
      const mine = current.items.find((x: { secretId: string }) => x.secretId === s);
      assert.equal(mine.holderName, alice.username);
      assert.equal(mine.endsAt, co.endsAt);
      assert.equal((await ok(api(dave.token, 'GET', '/api/v1/checkouts?scope=mine'))).items.length, 0);
      // the approval is used: a second checkout with it fails
      assert.equal((await api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { requestId: r.id, reason: 'again' })).status, 409);
      const before = await ok(api(owner.token, 'GET', `/api/v1/secrets/${s}`));
      clock.advance(5 * MIN);
      const back = await ok(api(alice.token, 'POST', `/api/v1/secrets/${s}/checkin`, { reason: 'release done' }));
      assert.equal(back.active, false);
      assert.equal(back.endReason, 'checkin');
      assert.equal(back.rotation.version, before.version + 1);
      assert.equal(back.rotation.connector, 'local');
      const history = await ok(api(owner.token, 'GET', `/api/v1/secrets/${s}/history`));
      assert.equal(history.items[0].version, before.version + 1);
      assert.equal(history.items[0].action, 'rotate');
      assert.deepEqual(history.items[0].changedFields, ['password']);
      const now = (await reveal(owner, s)).body;
      assert.equal(now.version, before.version + 1);
      assert.notEqual(now.values.password, OLD_PASSWORD, 'the old value is no longer current');
      assert.equal(now.values.password.length, 24, 'generated from the default password policy');
      const old = await ok(api(owner.token, 'POST', `/api/v1/secrets/${s}/history/${before.version}/reveal`, { reason: 'audit' }));
      assert.equal(old.values.password, OLD_PASSWORD);
      assert.equal((await ok(api(alice.token, 'GET', `/api/v1/access-requests/${r.id}`))).state, 'checked_in');
      assert.equal((await reveal(alice, s)).status, 403, 'the used approval gives nothing more');
      assert.equal((await ok(api(alice.token, 'GET', '/api/v1/access-requests?state=checked_in'))).items.length, 1);
    });

    it('rejects with a comment; a rejected request is never accepted', async () => {
      const r = await request(alice, ids.s1 as string, 30);
      const rej = await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/reject`, { comment: 'not during the freeze' }));
      assert.equal(rej.state, 'rejected');
      assert.equal(rej.comment, 'not during the freeze');
      const co = await api(alice.token, 'POST', `/api/v1/secrets/${ids.s1}/checkout`, { requestId: r.id, reason: 'x' });
      assert.equal(co.status, 409);
      assert.match(co.body.error.message, /rejected/);
      assert.equal((await api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, {})).status, 409, 'too late to approve');
      const rec = await auditRows('request.reject', r.id);
      assert.equal(rec.length, 1);
      assert.equal(rec[0]?.reason, 'not during the freeze');
    });

    it('never accepts an approval whose window expired', async () => {
      const r = await request(alice, ids.s1 as string, 10);
      await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'ok' }));
      clock.advance(11 * MIN);
      const co = await api(alice.token, 'POST', `/api/v1/secrets/${ids.s1}/checkout`, { requestId: r.id, reason: 'late' });
      assert.equal(co.status, 409);
      assert.match(co.body.error.message, /expired/);
      assert.equal(
        (await ok(api(alice.token, 'GET', `/api/v1/access-requests/${r.id}`))).state,
        'expired',
        'reads as expired before the sweep',
      );
      const swept = await h.coffer.services.workflow.sweep();
      assert.ok(swept.requests >= 1);
      const row = await h.database.db.selectFrom('access_requests').select('state').where('id', '=', r.id).executeTakeFirstOrThrow();
      assert.equal(row.state, 'expired');
      assert.equal((await auditRows('request.expired', r.id)).length, 1);
      assert.equal((await h.coffer.services.workflow.sweep()).requests, 0, 'a second sweep does nothing');
      assert.equal((await auditRows('request.expired', r.id)).length, 1);
    });

    it('revoking an approval ends live access at once (checkout and reveal)', async () => {
      const r = await request(alice, ids.s1 as string, 30);
      await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'ok' }));
      await ok(api(alice.token, 'POST', `/api/v1/secrets/${ids.s1}/checkout`, { requestId: r.id, reason: 'fix' }), 201);
      assert.equal((await reveal(alice, ids.s1 as string)).status, 200);
      const version = (await ok(api(owner.token, 'GET', `/api/v1/secrets/${ids.s1}`))).version;
      const rv = await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/revoke`, { comment: 'incident over' }));
      assert.equal(rv.state, 'revoked');
      assert.equal((await reveal(alice, ids.s1 as string)).status, 403, 'no access after the revocation');
      const list = await ok(api(owner.token, 'GET', `/api/v1/checkouts?secretId=${ids.s1}`));
      assert.equal(list.items.length, 0, 'the checkout ended');
      assert.equal((await ok(api(owner.token, 'GET', `/api/v1/secrets/${ids.s1}`))).version, version + 1, 'rotated on the forced end');
      assert.equal((await api(alice.token, 'POST', `/api/v1/secrets/${ids.s1}/checkout`, { requestId: r.id, reason: 'x' })).status, 409);
      // a reveal approval, revoked, stops reveals at once
      ids.report = await secret(ids.reports, 'report db');
      assert.equal((await reveal(alice, ids.report)).status, 403);
      const rr = await request(alice, ids.report, 60);
      assert.equal(rr.action, 'reveal');
      await ok(api(bob.token, 'POST', `/api/v1/access-requests/${rr.id}/approve`, {}));
      assert.equal((await reveal(alice, ids.report)).status, 200);
      assert.equal((await reveal(alice, ids.report)).status, 200, 'reveal approvals last the window');
      assert.equal((await reveal(dave, ids.report)).status, 403, 'bound to the requester');
      await ok(api(bob.token, 'POST', `/api/v1/access-requests/${rr.id}/revoke`, { comment: 'enough' }));
      assert.equal((await reveal(alice, ids.report)).status, 403);
      assert.equal(
        (await api(alice.token, 'POST', `/api/v1/secrets/${ids.report}/checkout`, { requestId: rr.id, reason: 'x' })).status,
        409,
      );
    });

    it('never lets a requester approve their own request: session, own API key, or a group they are in', async () => {
      ids.grouped1 = await secret(ids.grouped, 'grouped db');
      const r = await request(alice, ids.grouped1, 30);
      const own = await api(alice.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'me' });
      assert.equal(own.status, 403, own.raw);
      const key = await ok(
        api(alice.token, 'POST', '/api/v1/me/api-keys', {
          name: 'ci',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(clock.now() + 30 * 86_400_000).toISOString(),
          currentPassword: alice.password,
        }),
        201,
      );
      const viaKey = await api(key.key, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'me' });
      assert.equal(viaKey.status, 403, viaKey.raw);
      assert.equal((await api(key.key, 'POST', `/api/v1/access-requests/${r.id}/reject`, {})).status, 403);
      const s1 = await request(alice, ids.s1 as string, 30);
      assert.equal((await api(key.key, 'POST', `/api/v1/access-requests/${s1.id}/approve`, {})).status, 403);
      assert.equal((await ok(api(alice.token, 'GET', `/api/v1/access-requests/${r.id}`))).state, 'waiting_for_approval');
      assert.equal(
        (await ok(api(alice.token, 'GET', '/api/v1/access-requests?scope=pending'))).items.length,
        0,
        'nothing to approve for alice',
      );
      // dave is not in the group
      assert.equal((await api(dave.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, {})).status, 404);
      // carol, in the group, approves
      const pending = await ok(api(carol.token, 'GET', '/api/v1/access-requests?scope=pending'));
      assert.ok(pending.items.some((x: { id: string }) => x.id === r.id));
      const ok2 = await ok(api(carol.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'fine' }));
      assert.equal(ok2.state, 'approved');
      assert.equal((await reveal(alice, ids.grouped1)).status, 200);
      const denials = await auditRows('request.approve', r.id);
      assert.deepEqual(
        denials.map((x) => x.outcome),
        ['denied', 'denied', 'denied', 'success'],
      );
      await ok(api(alice.token, 'POST', `/api/v1/access-requests/${s1.id}/cancel`, { comment: 'not needed' }));
    });

    it('needs N distinct approvals when the policy says so', async () => {
      const f = await folder({
        name: 'TwoMen',
        policy: {
          approval: {
            required: true,
            approvals: 2,
            approvers: [
              { type: 'group', id: groupId },
              { type: 'user', id: bob.id },
            ],
          },
        },
      });
      const s = await secret(f, 'two-men db');
      const r = await request(dave, s, 30);
      const one = await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: '1' }));
      assert.equal(one.state, 'waiting_for_approval');
      assert.equal((await api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'again' })).status, 409);
      assert.equal((await reveal(dave, s)).status, 403);
      const two = await ok(api(alice.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: '2' }));
      assert.equal(two.state, 'approved');
      assert.equal(two.approvals.length, 2);
      assert.equal((await reveal(dave, s)).status, 200);
    });

    it('lets an administrator or an owner force a checkin, with a reason', async () => {
      const s = await secret(ids.shared, 'shared db');
      ids.sharedSecret = s;
      const co = await ok(api(dave.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'maintenance', durationMinutes: 20 }), 201);
      const busy = await api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'me too' });
      assert.equal(busy.status, 409);
      assert.equal(busy.body.error.details[0].message, dave.username);
      assert.equal((await api(alice.token, 'POST', `/api/v1/secrets/${s}/checkin`, { reason: 'mine now' })).status, 409, 'not the holder');
      assert.equal((await api(admin, 'POST', `/api/v1/secrets/${s}/checkin`, {})).status, 400, 'a forced checkin needs a reason');
      const forced = await ok(api(admin, 'POST', `/api/v1/secrets/${s}/checkin`, { reason: 'holder on leave' }));
      assert.equal(forced.endReason, 'forced');
      assert.equal(forced.id, co.id);
      assert.ok(forced.rotation, 'rotated on the forced checkin');
      const rec = (await auditRows('checkout.end', s)).at(-1);
      assert.equal(rec?.reason, 'holder on leave');
      assert.equal(rec?.outcome, 'success');
      assert.match(String(rec?.details), /forced/);
      // and an owner too
      await ok(api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'now me' }), 201);
      assert.equal((await ok(api(owner.token, 'POST', `/api/v1/secrets/${s}/checkin`, { reason: 'owner ends it' }))).endReason, 'forced');
      assert.equal(
        (await api(owner.token, 'POST', `/api/v1/secrets/${s}/checkin`, { reason: 'twice' })).status,
        409,
        'nothing to check in',
      );
    });

    it('checks in automatically when the duration ends (sweep), and rotates', async () => {
      const s = ids.sharedSecret as string;
      const co = await ok(api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'short job', durationMinutes: 20 }), 201);
      assert.equal((await reveal(dave, s)).status, 409);
      const version = (await ok(api(owner.token, 'GET', `/api/v1/secrets/${s}`))).version;
      clock.advance(21 * MIN);
      // past its end the checkout no longer blocks, even before the sweep
      assert.equal((await reveal(dave, s)).status, 200);
      const swept = await h.coffer.services.workflow.sweep();
      assert.equal(swept.checkouts, 1);
      const row = await h.database.db.selectFrom('checkouts').selectAll().where('id', '=', co.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.active), 0);
      assert.equal(row.end_reason, 'expired');
      assert.equal(Number(row.ended_at), Date.parse(co.endsAt));
      assert.equal(Number(row.rotated_version), version + 1);
      assert.equal((await ok(api(owner.token, 'GET', `/api/v1/secrets/${s}`))).version, version + 1);
      const rec = await auditRows('checkout.expired', co.id);
      assert.equal(rec.length, 1);
      assert.equal(rec[0]?.actor_kind, 'system');
      assert.equal((await h.coffer.services.workflow.sweep()).checkouts, 0, 'once');
      // an overdue checkout is also ended when the next checkout comes, before the sweep
      const co2 = await ok(api(alice.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'again', durationMinutes: 5 }), 201);
      clock.advance(6 * MIN);
      const co3 = await ok(api(dave.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'after', durationMinutes: 5 }), 201);
      assert.notEqual(co3.id, co2.id);
      assert.equal((await auditRows('checkout.expired', co2.id)).length, 1);
      await ok(api(dave.token, 'POST', `/api/v1/secrets/${s}/checkin`, { reason: 'done' }));
    });

    it('deletes expired grants in the sweep, each with an audit record', async () => {
      const s = await secret(ids.fresh, 'temp share');
      const outsider = await createUser(h, admin, 'password_user');
      const g = await ok(
        api(owner.token, 'POST', `/api/v1/secrets/${s}/shares`, {
          userId: outsider.id,
          level: 'reveal',
          expiresAt: new Date(clock.now() + 5 * MIN).toISOString(),
        }),
        201,
      );
      assert.equal((await reveal(outsider, s)).status, 200);
      clock.advance(6 * MIN);
      assert.equal((await reveal(outsider, s)).status, 404, 'an expired grant gives nothing, even before the sweep');
      const swept = await h.coffer.services.workflow.sweep();
      assert.ok(swept.grants >= 1);
      assert.equal(await h.database.db.selectFrom('grants').select('id').where('id', '=', g.id).executeTakeFirst(), undefined);
      const rec = await auditRows('grant.expired', g.id);
      assert.equal(rec.length, 1);
      assert.equal(rec[0]?.actor_kind, 'system');
      assert.equal((await h.coffer.services.workflow.sweep()).grants, 0);
    });

    it('keeps reveals and checkouts inside the time window (owners exempt)', async () => {
      const s = await secret(ids.office, 'office db');
      assert.equal((await reveal(dave, s)).status, 200, 'Monday within 08:00-18:00');
      clock.set(Date.parse('2030-01-07T19:30:00Z'));
      const late = await reveal(dave, s);
      assert.equal(late.status, 403);
      assert.match(late.body.error.message, /08:00-18:00 UTC/);
      assert.equal((await api(dave.token, 'POST', `/api/v1/secrets/${s}/checkout`, { reason: 'late' })).status, 403);
      assert.equal((await reveal(owner, s)).status, 200, 'the owner is exempt');
      const p = await ok(api(dave.token, 'GET', `/api/v1/secrets/${s}/access-policy`));
      assert.equal(p.you.inWindow, false);
      assert.deepEqual(p.timeWindow.days, { value: [1, 2, 3, 4, 5], source: ids.office });
      clock.set(Date.parse('2030-01-08T08:00:00Z')); // Tuesday 08:00
      assert.equal((await reveal(dave, s)).status, 200);
      clock.set(Date.parse('2030-01-12T11:00:00Z')); // Saturday
      assert.equal((await reveal(dave, s)).status, 403);
    });

    it('rotates on demand and sets a given password; values never reach the audit trail or the logs', async () => {
      const s = await secret(ids.fresh, 'manual db');
      assert.equal((await api(dave.token, 'POST', `/api/v1/secrets/${s}/rotate`, { reason: 'x' })).status, 403, 'needs edit');
      const r1 = await ok(api(owner.token, 'POST', `/api/v1/secrets/${s}/rotate`, { reason: 'quarterly' }));
      assert.equal(r1.version, 2);
      assert.equal(r1.field, 'password');
      assert.ok(!JSON.stringify(r1).includes(OLD_PASSWORD));
      const generated = (await reveal(owner, s)).body.values.password as string;
      assert.notEqual(generated, OLD_PASSWORD);
      const r2 = await ok(api(owner.token, 'POST', `/api/v1/secrets/${s}/password`, { password: GIVEN_PASSWORD, reason: 'vendor reset' }));
      assert.equal(r2.version, 3);
      assert.equal((await reveal(owner, s)).body.values.password, GIVEN_PASSWORD);
      const h3 = await ok(api(owner.token, 'GET', `/api/v1/secrets/${s}/history`));
      assert.equal(h3.items[0].action, 'set_password');
      const rec = await auditRows('secret.set_password', s);
      assert.equal(rec[0]?.reason, 'vendor reset');
      const all = await h.database.db.selectFrom('audit_log').select(['reason', 'details']).execute();
      const text = JSON.stringify(all) + h.logs();
      assert.ok(!text.includes(GIVEN_PASSWORD), 'the given password is nowhere');
      assert.ok(!text.includes(generated), 'the generated password is nowhere');
      // while someone else holds the checkout, no rotation
      const sh = await secret(ids.shared, 'held db');
      await ok(api(dave.token, 'POST', `/api/v1/secrets/${sh}/checkout`, { reason: 'hold' }), 201);
      const held = await api(owner.token, 'POST', `/api/v1/secrets/${sh}/rotate`, { reason: 'now' });
      assert.equal(held.status, 409);
      assert.equal(held.body.error.code, 'secret.checked_out');
      await ok(api(dave.token, 'POST', `/api/v1/secrets/${sh}/checkin`, { reason: 'done' }));
    });

    it('audits every workflow action with its reason', async () => {
      const expect: Array<[string, string]> = [
        ['request.create', 'deploy release 42'],
        ['request.approve', 'ok for the release'],
        ['request.reject', 'not during the freeze'],
        ['request.revoke', 'incident over'],
        ['request.cancel', 'not needed'],
        ['checkout.start', 'deploying'],
        ['checkout.end', 'release done'],
        ['checkout.end', 'holder on leave'],
        ['secret.rotate', 'quarterly'],
        ['secret.set_password', 'vendor reset'],
        ['checkout.expired', 'the checkout duration ended'],
        ['request.expired', 'the requested window ended'],
        ['grant.expired', 'the grant expired'],
      ];
      for (const [action, reason] of expect) {
        const rows = await auditRows(action);
        assert.ok(
          rows.some((r) => r.reason === reason && r.outcome === 'success'),
          `${action} with reason "${reason}": ${JSON.stringify(rows.map((r) => r.reason))}`,
        );
      }
      for (const action of ['request.list', 'request.read', 'checkout.list', 'secret.access_policy']) {
        assert.ok((await auditRows(action)).length > 0, action);
      }
    });

    it('publishes events inside the transaction of each change', async () => {
      const events: WorkflowEvent[] = [];
      const svc = h.coffer.services;
      const wf = createWorkflowService({
        db: h.database.db,
        clock,
        seal: svc.seal,
        access: svc.access,
        audit: svc.audit,
        audited: createAudited({ db: h.database.db, audit: svc.audit }),
        secrets: svc.secrets,
        writeSecretValue: svc.secrets.writeSecretValue,
        publish: async (trx, e) => {
          // inside the transaction: the change is visible through trx
          assert.ok(trx.isTransaction);
          events.push(e);
        },
      });
      const ctx = (u: User) => ({
        actor: {
          kind: 'user' as const,
          userId: u.id,
          username: u.username,
          role: 'password_user' as const,
          allPasswords: false,
          authMethod: 'session' as const,
          sessionId: null,
          apiKeyId: null,
          scopes: null,
        },
        requestId: 'req_test',
        sourceIp: '127.0.0.1',
        audited: false,
      });
      const s = await secret(ids.prod, 'events db');
      const r = await wf.createRequest(ctx(alice), { secretId: s, reason: 'events', durationMinutes: 10 });
      await wf.approve(ctx(bob), r.id, 'fine');
      await wf.checkout(ctx(alice), s, { requestId: r.id, reason: 'use' });
      const r2 = await wf.createRequest(ctx(dave), { secretId: s, reason: 'events 2', durationMinutes: 5 });
      await wf.reject(ctx(bob), r2.id, 'no');
      await wf.createRequest(ctx(dave), { secretId: s, reason: 'events 3', durationMinutes: 5 });
      clock.advance(11 * MIN);
      await wf.sweep();
      assert.deepEqual(
        events.filter((e) => e.data.secretId === s).map((e) => e.type),
        [
          'access_request.created',
          'access_request.approved',
          'checkout.started',
          'access_request.created',
          'access_request.rejected',
          'access_request.created',
          'access_request.expired',
          'secret.rotated',
          'checkout.ended',
        ],
      );
      assert.ok(!JSON.stringify(events).includes(OLD_PASSWORD));
    });

    it('gates attachment downloads and exports like reveals: no way around an approval', async () => {
      const f = await folder({ name: 'Gated files', policy: { approval: { required: true, approvers: [{ type: 'user', id: bob.id }] } } });
      const s = await secret(f, 'key material');
      const up = await h.app.inject({
        method: 'POST',
        url: `/api/v1/secrets/${s}/attachments?name=key.pem`,
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from('-----BEGIN gated-file-canary-----'),
      });
      assert.equal(up.statusCode, 201, up.body);
      const attId = JSON.parse(up.body).id as string;
      const download = (u: User) =>
        h.app.inject({
          method: 'GET',
          url: `/api/v1/secrets/${s}/attachments/${attId}?reason=need`,
          headers: { authorization: `Bearer ${u.token}` },
        });
      const denied = await download(alice);
      assert.equal(denied.statusCode, 403, denied.body);
      assert.ok(!denied.body.includes('gated-file-canary'));
      const exp = (u: User) =>
        api(u.token, 'POST', '/api/v1/export', { vaultId: ids.vault, folderId: f, passphrase: 'export-passphrase-123', reason: 'backup' });
      const refused = await exp(alice);
      assert.equal(refused.status, 403, refused.raw);
      assert.match(refused.body.error.message, /approved access request/);
      // the owner is exempt (ownersToo is not set): both work for them
      assert.equal((await download(owner)).statusCode, 200);
      assert.equal((await exp(owner)).status, 200);
      // with an approved request alice gets the file, and the export too
      const r = await request(alice, s, 30);
      await ok(api(bob.token, 'POST', `/api/v1/access-requests/${r.id}/approve`, { comment: 'ok' }));
      const allowed = await download(alice);
      assert.equal(allowed.statusCode, 200, allowed.body);
      assert.ok(allowed.body.includes('gated-file-canary'));
      assert.equal((await exp(alice)).status, 200);
    });
  });
}
