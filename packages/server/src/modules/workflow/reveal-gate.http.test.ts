// Issue 10, sections 5 and 6, over HTTP on both dialects: "approval needed" is its own error code
// (secret.approval_required, audited as a denial), and a reveal that gives no reason where the
// policy requires one takes the reason of the caller's own approved request or checkout, and is
// audited with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, type Res, startHarness } from '../../../test/harness.ts';

type User = Awaited<ReturnType<typeof createUser>>;

for (const dialect of dialects) {
  describe(`the reveal gate: approval_required and the reason of one's approval [${dialect}]`, () => {
    let h: Harness;
    let owner: User;
    let alice: User;
    let bob: User;
    let dave: User;
    const ids: Record<string, string> = {};

    const ok = async (p: Promise<Res>, status = 200) => {
      const r = await p;
      assert.equal(r.status, status, r.raw);
      return r.body;
    };
    const post = (u: User, url: string, body: unknown) => call(h, 'POST', url, { token: u.token, body });
    const secret = async (folderId: string, name: string) =>
      (
        await ok(
          post(owner, '/api/v1/secrets', {
            vaultId: ids.vault,
            folderId,
            template: 'web-login',
            name,
            fields: { password: `${name}-canary-7!` },
          }),
          201,
        )
      ).id as string;
    const lastAudit = async (action: string, actorId: string) =>
      h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'reason', 'details'])
        .where('action', '=', action)
        .where('actor_id', '=', actorId)
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      alice = await createUser(h, admin, 'password_user');
      bob = await createUser(h, admin, 'password_user');
      dave = await createUser(h, admin, 'password_user');
      // every reveal in this vault needs a reason
      ids.vault = (await ok(post(owner, '/api/v1/vaults', { name: `Gate ${dialect}`, policy: { requireReason: true } }), 201)).id;
      const folder = async (name: string, policy: unknown) =>
        (await ok(post(owner, '/api/v1/folders', { vaultId: ids.vault, name, policy }), 201)).id as string;
      ids.gated = await folder('Gated', { approval: { required: true, approvers: [{ type: 'user', id: bob.id }] } });
      ids.exclusive = await folder('Exclusive', { checkout: { exclusive: true, maxMinutes: 30 } });
      ids.plain = await folder('Plain', {});
      ids.office = await folder('Office', { timeWindow: { days: [], from: '00:00', to: '00:01' } });
      for (const u of [alice, dave]) {
        await ok(post(owner, '/api/v1/grants', { nodeId: ids.vault, principalType: 'user', principalId: u.id, level: 'reveal' }), 201);
      }
    });
    after(async () => h.close());

    it('answers secret.approval_required (403, audited as denied) where an approval is missing, and forbidden elsewhere', async () => {
      const s = await secret(ids.gated as string, 'gated');
      const reveal = await post(alice, `/api/v1/secrets/${s}/reveal`, { reason: 'look' });
      assert.equal(reveal.status, 403, reveal.raw);
      assert.equal(reveal.body.error.code, 'secret.approval_required');
      assert.doesNotMatch(reveal.body.error.message, /\/api\//, 'no REST path in a message every client shows');
      const rec = await lastAudit('secret.reveal', alice.id);
      assert.deepEqual([rec.outcome, rec.reason], ['denied', 'secret.approval_required']);
      const version = await post(alice, `/api/v1/secrets/${s}/history/1/reveal`, { reason: 'look' });
      assert.equal(version.status, 403, version.raw);
      assert.equal(version.body.error.code, 'secret.approval_required');
      const co = await post(alice, `/api/v1/secrets/${s}/checkout`, { reason: 'work' });
      assert.equal(co.status, 403, co.raw);
      assert.equal(co.body.error.code, 'secret.approval_required');
      assert.equal((await lastAudit('checkout.start', alice.id)).outcome, 'denied');
      // a closed time window is not an approval matter
      const shut = await secret(ids.office as string, 'office');
      const late = await post(alice, `/api/v1/secrets/${shut}/reveal`, { reason: 'look' });
      assert.equal(late.status, 403, late.raw);
      assert.equal(late.body.error.code, 'forbidden');
    });

    it('a reveal without a reason takes the reason of the caller’s approved reveal request', async () => {
      const s = await secret(ids.gated as string, 'approved reveal');
      const r = await ok(post(alice, '/api/v1/access-requests', { secretId: s, reason: 'INC-77 investigate', durationMinutes: 30 }), 201);
      assert.equal(r.action, 'reveal');
      // waiting: still no access, and no reason to borrow
      const early = await post(alice, `/api/v1/secrets/${s}/reveal`, {});
      assert.equal(early.body.error?.code, 'secret.approval_required', early.raw);
      await ok(post(bob, `/api/v1/access-requests/${r.id}/approve`, { comment: 'ok' }));
      const seen = await ok(post(alice, `/api/v1/secrets/${s}/reveal`, {}));
      assert.equal(seen.values.password, 'approved reveal-canary-7!');
      const rec = await lastAudit('secret.reveal', alice.id);
      assert.equal(rec.outcome, 'success');
      assert.equal(rec.reason, 'INC-77 investigate', 'audited with the reason of the request');
      assert.equal(JSON.parse(rec.details ?? '{}').reasonFrom, r.id);
      const old = await ok(post(alice, `/api/v1/secrets/${s}/history/1/reveal`, {}));
      assert.equal(old.version, 1);
      assert.equal((await lastAudit('secret.reveal_version', alice.id)).reason, 'INC-77 investigate');
      // a reason given is the reason audited
      await ok(post(alice, `/api/v1/secrets/${s}/reveal`, { reason: 'second look' }));
      assert.equal((await lastAudit('secret.reveal', alice.id)).reason, 'second look');
      // bound to the requester: dave has nothing to borrow from
      const other = await post(dave, `/api/v1/secrets/${s}/reveal`, {});
      assert.equal(other.body.error?.code, 'secret.approval_required', other.raw);
      await ok(post(bob, `/api/v1/access-requests/${r.id}/revoke`, { comment: 'done' }));
      const after = await post(alice, `/api/v1/secrets/${s}/reveal`, {});
      assert.equal(after.body.error?.code, 'secret.approval_required', after.raw);
    });

    it('…or of the caller’s checkout; without either, a required reason is still required', async () => {
      const s = await secret(ids.exclusive as string, 'checked out');
      const co = await ok(post(alice, `/api/v1/secrets/${s}/checkout`, { reason: 'swap the disk' }), 201);
      const seen = await ok(post(alice, `/api/v1/secrets/${s}/reveal`, {}));
      assert.equal(seen.values.password, 'checked out-canary-7!');
      const rec = await lastAudit('secret.reveal', alice.id);
      assert.equal(rec.reason, 'swap the disk');
      assert.equal(JSON.parse(rec.details ?? '{}').reasonFrom, co.id);
      // someone else's checkout lends nothing (and holds the secret)
      const other = await post(dave, `/api/v1/secrets/${s}/reveal`, {});
      assert.equal(other.body.error?.code, 'secret.checked_out', other.raw);
      await ok(post(alice, `/api/v1/secrets/${s}/checkin`, {}));
      const after = await post(alice, `/api/v1/secrets/${s}/reveal`, {});
      assert.equal(after.status, 400, after.raw);
      assert.equal(after.body.error.code, 'validation.failed');
      // a secret where nothing was approved or checked out: the reason is required as before
      const p = await secret(ids.plain as string, 'plain');
      const plain = await post(alice, `/api/v1/secrets/${p}/reveal`, {});
      assert.equal(plain.status, 400, plain.raw);
      assert.deepEqual(plain.body.error.details, [{ path: '/reason', message: 'required by policy' }]);
    });
  });
}
