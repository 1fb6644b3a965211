// Dual control over HTTP (ADR 0010): each gated operation answers 202 with an admin request while
// two administrators exist; another administrator approves; the requester executes it once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, firstLogin, type Harness, login, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';

const DAY = 24 * 3600_000;
type U = Awaited<ReturnType<typeof createUser>>;

/** An owner's vault with one secret, and a group holding a reveal grant on it. */
async function victimTree(h: Harness, owner: U, tag: string) {
  const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Vault ${tag}` } });
  assert.equal(v.status, 201, v.raw);
  const s = await call(h, 'POST', '/api/v1/secrets', {
    token: owner.token,
    body: {
      vaultId: v.body.id,
      template: 'unix-account',
      name: `root ${tag}`,
      fields: { host: 'h', username: 'root', password: `pw-${tag}` },
    },
  });
  assert.equal(s.status, 201, s.raw);
  return { vault: v.body.id as string, secret: s.body.id as string };
}

for (const dialect of dialects) {
  describe(`dual control over HTTP [${dialect}]`, () => {
    let h: Harness;
    let a: string; // the administrator who asks
    let b: U; // the second administrator, who approves
    let owner: U;
    let target: U;
    const clock = manualClock(Date.UTC(2031, 0, 6, 9, 0, 0));
    /** A fresh session of the first administrator, and the second administrator, created while only one exists (so
     * not gated): each test can stand alone. */
    const ensureSecond = async () => {
      a = await adminToken(h);
      if (!b) b = await createUser(h, a, 'administrator');
    };
    const approve = (id: string, token = b.token, comment?: string) =>
      call(h, 'POST', `/api/v1/admin-requests/${id}/approve`, { token, body: comment ? { comment } : {} });
    // the requester re-authenticates at execute (an API key is minted then; other operations ignore it)
    const execute = (id: string, token = a, currentPassword = ADMIN.password) =>
      call(h, 'POST', `/api/v1/admin-requests/${id}/execute`, { token, body: { currentPassword } });
    /** A key's expiry a month ahead of the test's clock, and the caller's re-authentication. */
    const keyBody = (name: string, currentPassword: string, extra: Record<string, unknown> = {}) => ({
      name,
      allowedCidrs: ['127.0.0.1'],
      expiresAt: new Date(clock.now() + 30 * DAY).toISOString(),
      currentPassword,
      ...extra,
    });
    const pendingOf = (r: { status: number; raw: string; body: { status: string; request: { id: string; state: string } } }) => {
      assert.equal(r.status, 202, r.raw);
      assert.equal(r.body.status, 'pending_approval');
      assert.equal(r.body.request.state, 'waiting_for_approval');
      return r.body.request.id;
    };
    const userRow = (id: string) => h.database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    before(async () => {
      h = await startHarness(dialect, { clock });
      a = await adminToken(h);
      owner = await createUser(h, a, 'password_administrator');
      target = await createUser(h, a, 'password_user');
    });
    after(async () => h.close());

    it('refuses the all-passwords scope for oneself, even with one administrator', async () => {
      const me = (await call(h, 'GET', '/api/v1/auth/whoami', { token: a })).body.userId as string;
      const self = await call(h, 'PATCH', `/api/v1/users/${me}`, { token: a, body: { allPasswords: true } });
      assert.equal(self.status, 403, self.raw);
      assert.equal((await userRow(me)).all_passwords, 0);
      // with one administrator nothing else is gated: the second one is created directly
      await ensureSecond();
      assert.equal((await call(h, 'PATCH', `/api/v1/users/${me}`, { token: a, body: { allPasswords: true } })).status, 403);
      assert.equal((await userRow(me)).all_passwords, 0);
    });

    it('gives the all-passwords scope only after another administrator approves; the requester executes it once', async () => {
      await ensureSecond();
      const pa = await createUser(h, a, 'password_administrator');
      const id = pendingOf(await call(h, 'PATCH', `/api/v1/users/${pa.id}`, { token: a, body: { allPasswords: true } }));
      assert.equal((await userRow(pa.id)).all_passwords, 0, 'nothing changed yet');
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: pa.token })).status, 200, 'and no session ended');
      // not by the requester, by any of their credentials
      assert.equal((await approve(id, a)).status, 403);
      const key = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: a,
        body: keyBody('a', ADMIN.password),
      });
      assert.equal(key.status, 201, key.raw);
      const viaKey = await approve(id, key.body.key);
      assert.equal(viaKey.status, 403);
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${id}/reject`, { token: a, body: { comment: 'x' } })).status, 403);
      // not executable before the approval
      assert.equal((await execute(id)).status, 409);
      // not by someone who is not an administrator (they do not even see it)
      assert.equal((await approve(id, owner.token)).status, 404);
      // a key of the other administrator without users.write cannot approve either
      const narrow = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: b.token,
        body: keyBody('narrow', b.password, { scopes: ['audit.read'] }),
      });
      assert.equal((await approve(id, narrow.body.key)).status, 403);

      const ok = await approve(id, b.token, 'agreed on the phone');
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(ok.body.state, 'approved');
      assert.equal(ok.body.approvals[0].approverId, b.id);
      // only the requester executes
      assert.equal((await execute(id, b.token)).status, 403);
      const done = await execute(id);
      assert.equal(done.status, 200, done.raw);
      assert.equal(done.body.request.state, 'executed');
      assert.equal(done.body.user.allPasswords, true);
      assert.equal((await userRow(pa.id)).all_passwords, 1);
      assert.equal((await execute(id)).status, 409, 'once');
      // the effect's record names the request and the approver
      const rec = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.update')
        .where('object_id', '=', pa.id)
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        { adminRequest: JSON.parse(rec.details ?? '{}').adminRequest, approvedBy: JSON.parse(rec.details ?? '{}').approvedBy },
        { adminRequest: id, approvedBy: [b.id] },
      );
      const recs = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'outcome', 'actor_id'])
        .where('object_id', '=', id)
        .orderBy('seq')
        .execute();
      assert.equal(recs[0]?.action, 'admin_request.create');
      const ok2 = (action: string) => recs.filter((x) => x.action === action && x.outcome === 'success');
      assert.deepEqual(
        ok2('admin_request.approve').map((x) => x.actor_id),
        [b.id],
      );
      assert.equal(ok2('admin_request.execute').length, 1);
      assert.equal(
        recs.filter((x) => x.action === 'admin_request.approve' && x.outcome === 'denied').length,
        4,
        'every refused try is recorded',
      );
      // creating someone with the scope is gated too
      pendingOf(
        await call(h, 'POST', '/api/v1/users', {
          token: a,
          body: { username: `super-${dialect}`, password: 'Temp-2-vQ8r-Lx3m-Np7t', role: 'password_administrator', allPasswords: true },
        }),
      );
      assert.equal(
        await h.database.db.selectFrom('users').select('id').where('username', '=', `super-${dialect}`).executeTakeFirst(),
        undefined,
      );
    });

    it("gates setting another user's password; stores only the encrypted hash; the new password is temporary", async () => {
      await ensureSecond();
      const newPassword = 'reset-canary-5e1d-Gq7w-Zt3k';
      const id = pendingOf(await call(h, 'POST', `/api/v1/users/${target.id}/password`, { token: a, body: { password: newPassword } }));
      const row = await h.database.db.selectFrom('admin_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const before = await userRow(target.id);
      assert.ok(row.secret_enc, 'the hash is kept, encrypted');
      for (const text of [JSON.stringify(row), row.secret_enc as string]) {
        assert.ok(!text.includes(newPassword), 'never the password');
        assert.ok(!text.includes('$argon2id$'), 'never the hash in clear');
      }
      // nothing changed: the user still signs in with their own password
      assert.equal((await login(h, target.username, target.password)).accessToken.length > 0, true);
      assert.equal((await userRow(target.id)).password_hash, before.password_hash);
      // the encrypted part is bound to the request: moved to another request it does not open
      const other = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/password`, { token: a, body: { password: 'another-Yp4n-Xs8v-77' } }),
      );
      const own = await h.database.db.selectFrom('admin_requests').select('secret_enc').where('id', '=', other).executeTakeFirstOrThrow();
      await h.database.db.updateTable('admin_requests').set({ secret_enc: row.secret_enc }).where('id', '=', other).execute();
      assert.equal((await approve(other)).status, 200);
      const moved = await execute(other);
      assert.ok(moved.status >= 400, moved.raw);
      assert.equal((await userRow(target.id)).password_hash, before.password_hash);
      // put it back (a later key rotation re-encrypts every row) and withdraw it
      await h.database.db.updateTable('admin_requests').set({ secret_enc: own.secret_enc }).where('id', '=', other).execute();
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${other}/cancel`, { token: a, body: {} })).status, 200);

      assert.equal((await approve(id)).status, 200);
      assert.equal((await execute(id)).status, 200);
      const used = await h.database.db.selectFrom('admin_requests').select('secret_enc').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(used.secret_enc, null, 'the hash goes once used');
      assert.equal(
        (await call(h, 'POST', '/api/v1/auth/login', { body: { username: target.username, password: target.password } })).status,
        401,
      );
      const l = await login(h, target.username, newPassword);
      assert.equal((l as { mustChangePassword?: boolean }).mustChangePassword, true);
      const fl = await firstLogin(h, target.username, newPassword);
      target = { ...target, password: fl.password, token: fl.tokens.accessToken, refreshToken: fl.tokens.refreshToken };
    });

    it('gates adding anyone, oneself included, to a group that holds a grant', async () => {
      await ensureSecond();
      const tree = await victimTree(h, owner, `g-${dialect}`);
      const g = await call(h, 'POST', '/api/v1/groups', { token: a, body: { name: `readers-${dialect}` } });
      const empty = await call(h, 'POST', '/api/v1/groups', { token: a, body: { name: `empty-${dialect}` } });
      const grant = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: tree.vault, principalType: 'group', principalId: g.body.id, level: 'reveal' },
      });
      assert.equal(grant.status, 201, grant.raw);
      const me = (await call(h, 'GET', '/api/v1/auth/whoami', { token: a })).body.userId as string;
      const puppet = await createUser(h, a, 'password_user');
      for (const who of [me, puppet.id, target.id]) {
        pendingOf(await call(h, 'PUT', `/api/v1/groups/${g.body.id}/members/${who}`, { token: a }));
      }
      assert.equal((await call(h, 'GET', `/api/v1/groups/${g.body.id}`, { token: a })).body.members.length, 0);
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${tree.secret}/reveal`, { token: puppet.token, body: {} })).status, 404);
      // a group reaching nothing is not gated
      assert.equal((await call(h, 'PUT', `/api/v1/groups/${empty.body.id}/members/${puppet.id}`, { token: a })).status, 200);
      // with approval: the member reaches what the group reaches
      const id = pendingOf(await call(h, 'PUT', `/api/v1/groups/${g.body.id}/members/${target.id}`, { token: a }));
      assert.equal((await approve(id)).status, 200);
      const done = await execute(id);
      assert.equal(done.status, 200, done.raw);
      assert.deepEqual(done.body.group.members, [target.id]);
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${tree.secret}/reveal`, { token: target.token, body: {} })).status, 200);
    });

    it('gates an API key for another user; the key is minted at execute and shown once, to the requester', async () => {
      await ensureSecond();
      const id = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/api-keys`, { token: a, body: keyBody('for-target', ADMIN.password) }),
      );
      assert.equal((await call(h, 'GET', `/api/v1/users/${target.id}/api-keys`, { token: a })).body.items.length, 0);
      // one's own key is not gated
      assert.equal((await call(h, 'POST', '/api/v1/me/api-keys', { token: b.token, body: keyBody('own', b.password) })).status, 201);
      assert.equal((await approve(id)).status, 200);
      // the key is minted now: the requester proves it is them again
      const unproven = await call(h, 'POST', `/api/v1/admin-requests/${id}/execute`, { token: a });
      assert.equal(unproven.status, 403, unproven.raw);
      assert.equal(unproven.body.error.code, 'auth.reauth_failed');
      const done = await execute(id);
      assert.equal(done.status, 200, done.raw);
      assert.match(done.body.apiKey.key, /^cfk_/);
      assert.equal(done.body.request.resultId, done.body.apiKey.apiKey.id);
      const who = await call(h, 'GET', '/api/v1/auth/whoami', { token: done.body.apiKey.key });
      assert.equal(who.body.userId, target.id);
      const shown = await call(h, 'GET', `/api/v1/admin-requests/${id}`, { token: a });
      assert.ok(!shown.raw.includes(done.body.apiKey.key), 'the key is not kept');
    });

    it('gates creating, promoting, disabling, re-enabling, demoting and deleting an administrator', async () => {
      await ensureSecond();
      const c = pendingOf(
        await call(h, 'POST', '/api/v1/users', {
          token: a,
          body: { username: `third-${dialect}`, password: 'Temp-3-kW4z-Hc9d-Rb2y', role: 'administrator' },
        }),
      );
      const promote = await createUser(h, a, 'password_user');
      pendingOf(await call(h, 'PATCH', `/api/v1/users/${promote.id}`, { token: a, body: { role: 'administrator' } }));
      pendingOf(await call(h, 'POST', `/api/v1/users/${b.id}/disable`, { token: a }));
      pendingOf(await call(h, 'PATCH', `/api/v1/users/${b.id}`, { token: a, body: { role: 'password_user' } }));
      pendingOf(await call(h, 'DELETE', `/api/v1/users/${b.id}`, { token: a }));
      assert.equal((await userRow(b.id)).status, 'active');
      assert.equal((await userRow(b.id)).role, 'administrator');
      // profile fields of an administrator are not gated
      assert.equal((await call(h, 'PATCH', `/api/v1/users/${b.id}`, { token: a, body: { department: 'Ops' } })).status, 200);
      // with approval the third administrator exists; disabling and re-enabling it need approval too
      assert.equal((await approve(c)).status, 200);
      const third = (await execute(c)).body.user.id as string;
      const dis = pendingOf(await call(h, 'POST', `/api/v1/users/${third}/disable`, { token: a }));
      assert.equal((await approve(dis)).status, 200);
      assert.equal((await execute(dis)).body.user.status, 'disabled');
      pendingOf(await call(h, 'POST', `/api/v1/users/${third}/enable`, { token: a }));
      // the request of B is approved by A, not by B
      const byB = pendingOf(await call(h, 'POST', `/api/v1/users/${third}/enable`, { token: b.token }));
      assert.equal((await approve(byB, b.token)).status, 403);
      assert.equal((await approve(byB, a)).status, 200);
      assert.equal((await execute(byB, b.token)).body.user.status, 'active');
    });

    it('files a request on purpose, lists mine / pending / all, hides requests from non-administrators', async () => {
      await ensureSecond();
      const r = await call(h, 'POST', '/api/v1/admin-requests', {
        token: a,
        body: { operation: { type: 'user.disable', userId: target.id }, reason: 'leaves the company' },
      });
      assert.equal(r.status, 201, r.raw);
      assert.equal(r.body.reason, 'leaves the company');
      assert.match(r.body.summary, /^disable user "/);
      assert.equal((await userRow(target.id)).status, 'active');
      const mine = await call(h, 'GET', '/api/v1/admin-requests', { token: a });
      assert.ok(mine.body.items.some((x: { id: string }) => x.id === r.body.id));
      const pendingA = await call(h, 'GET', '/api/v1/admin-requests?scope=pending', { token: a });
      assert.ok(!pendingA.body.items.some((x: { id: string }) => x.id === r.body.id), 'not pending for the requester');
      const pendingB = await call(h, 'GET', '/api/v1/admin-requests?scope=pending', { token: b.token });
      assert.ok(pendingB.body.items.some((x: { id: string }) => x.id === r.body.id));
      assert.equal((await call(h, 'GET', '/api/v1/admin-requests?scope=all', { token: target.token })).status, 403);
      assert.equal((await call(h, 'GET', '/api/v1/admin-requests?scope=pending', { token: target.token })).body.items.length, 0);
      assert.equal((await call(h, 'GET', `/api/v1/admin-requests/${r.body.id}`, { token: target.token })).status, 404);
      // a password in an explicit request is hashed at once and never shown
      const pw = await call(h, 'POST', '/api/v1/admin-requests', {
        token: a,
        body: { operation: { type: 'user.password_reset', userId: target.id, password: 'explicit-canary-91-Jm6b-Fh2q' } },
      });
      assert.equal(pw.status, 201, pw.raw);
      assert.ok(!pw.raw.includes('explicit-canary-91-Jm6b-Fh2q'));
      // the same refusals as a direct call
      const me = (await call(h, 'GET', '/api/v1/auth/whoami', { token: a })).body.userId as string;
      const selfScope = await call(h, 'POST', '/api/v1/admin-requests', {
        token: a,
        body: { operation: { type: 'user.update', userId: me, patch: { allPasswords: true } } },
      });
      assert.equal(selfScope.status, 403);
      const notMine = await call(h, 'POST', '/api/v1/admin-requests', {
        token: target.token,
        body: { operation: { type: 'user.disable', userId: b.id } },
      });
      assert.equal(notMine.status, 403);
      // cancel by the requester only; then nothing can happen to it
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${r.body.id}/cancel`, { token: b.token, body: {} })).status, 403);
      const cancelled = await call(h, 'POST', `/api/v1/admin-requests/${r.body.id}/cancel`, { token: a, body: { comment: 'no' } });
      assert.equal(cancelled.body.state, 'cancelled');
      const late = await approve(r.body.id);
      assert.equal(late.status, 409);
      assert.match(late.body.error.message, /cancelled/);
    });

    it('rejects with a comment, and expires what is not executed within a day (stored by the sweep, audited)', async () => {
      await ensureSecond();
      const rej = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/api-keys`, {
          token: a,
          body: keyBody('k', ADMIN.password),
        }),
      );
      const no = await call(h, 'POST', `/api/v1/admin-requests/${rej}/reject`, { token: b.token, body: { comment: 'not for this user' } });
      assert.equal(no.body.state, 'rejected');
      assert.equal((await execute(rej)).status, 409);
      const waiting = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/password`, { token: a, body: { password: 'expiring-Wd3c-Kv9p-1' } }),
      );
      const approved = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/password`, { token: a, body: { password: 'expiring-Tn5g-Qr8x-2' } }),
      );
      assert.equal((await approve(approved)).status, 200);
      clock.advance(DAY + 1);
      // the sessions idled out meanwhile
      a = await adminToken(h);
      b = { ...b, token: (await login(h, b.username, b.password)).accessToken };
      const late = await approve(waiting);
      assert.equal(late.status, 409);
      assert.match(late.body.error.message, /expired/);
      const lateExec = await execute(approved);
      assert.equal(lateExec.status, 409);
      assert.equal((await call(h, 'GET', `/api/v1/admin-requests/${approved}`, { token: a })).body.state, 'expired');
      assert.ok((await h.coffer.services.adminRequests.sweep()) >= 2);
      const rows = await h.database.db
        .selectFrom('admin_requests')
        .select(['id', 'state'])
        .where('id', 'in', [waiting, approved])
        .execute();
      assert.deepEqual(
        rows.map((x) => x.state),
        ['expired', 'expired'],
      );
      const recs = await h.database.db
        .selectFrom('audit_log')
        .select(['actor_kind', 'object_id'])
        .where('action', '=', 'admin_request.expire')
        .execute();
      assert.ok(recs.some((x) => x.object_id === waiting && x.actor_kind === 'system'));
      assert.equal(await h.coffer.services.adminRequests.sweep(), 0, 'once');
    });

    it('executes exactly once under concurrent executes, and one decision wins among concurrent approvers', async () => {
      await ensureSecond();
      const id = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/api-keys`, {
          token: a,
          body: keyBody('race', ADMIN.password),
        }),
      );
      const third = (await call(h, 'GET', `/api/v1/users?limit=500`, { token: a })).body.items.find(
        (u: { username: string }) => u.username === `third-${dialect}`,
      );
      const thirdToken = (await firstLogin(h, `third-${dialect}`, 'Temp-3-kW4z-Hc9d-Rb2y')).tokens.accessToken;
      assert.ok(third);
      const decisions = await Promise.all([
        approve(id, b.token),
        call(h, 'POST', `/api/v1/admin-requests/${id}/reject`, { token: thirdToken, body: { comment: 'no' } }),
      ]);
      assert.deepEqual(decisions.map((d) => d.status).sort(), [200, 409]);
      const state = (await call(h, 'GET', `/api/v1/admin-requests/${id}`, { token: a })).body.state;
      assert.ok(state === 'approved' || state === 'rejected', state);
      const next = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/api-keys`, {
          token: a,
          body: keyBody('race2', ADMIN.password),
        }),
      );
      assert.equal((await approve(next)).status, 200);
      const runs = await Promise.all([execute(next), execute(next), execute(next), execute(next)]);
      assert.deepEqual(runs.map((r) => r.status).sort(), [200, 409, 409, 409]);
      const keys = await call(h, 'GET', `/api/v1/users/${target.id}/api-keys`, { token: a });
      assert.equal(keys.body.items.filter((k: { name: string }) => k.name === 'race2').length, 1);
    });

    it('keeps a pending password hash readable across a key rotation (the re-encryption job moves it)', async () => {
      await ensureSecond();
      const id = pendingOf(
        await call(h, 'POST', `/api/v1/users/${target.id}/password`, { token: a, body: { password: 'rotated-Bz6m-Ue2w-1' } }),
      );
      assert.equal((await approve(id)).status, 200);
      const rot = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: a });
      assert.equal(rot.status, 200, rot.raw);
      const failures: unknown[] = [];
      await h.coffer.services.reencrypt.kick((e) => failures.push(e));
      assert.deepEqual(failures, []);
      const row = await h.database.db.selectFrom('admin_requests').select('secret_enc').where('id', '=', id).executeTakeFirstOrThrow();
      assert.ok(row.secret_enc?.startsWith(`c1.${rot.body.activeTerm}.`), `re-encrypted to the new term: ${row.secret_enc?.slice(0, 6)}`);
      assert.equal((await execute(id)).status, 200);
      await login(h, target.username, 'rotated-Bz6m-Ue2w-1');
    });
  });

  describe(`COFFER_DUAL_CONTROL=always with one administrator [${dialect}]`, () => {
    let h: Harness;
    let a: string;
    before(async () => {
      h = await startHarness(dialect, { config: { dualControl: 'always' } });
      a = await adminToken(h);
    });
    after(async () => h.close());

    it('gates even with one administrator; the approver must be another administrator', async () => {
      const u = await createUser(h, a, 'password_user');
      const r = await call(h, 'POST', `/api/v1/users/${u.id}/password`, { token: a, body: { password: 'always-mode-Hx5r-Pk8s-1' } });
      assert.equal(r.status, 202, r.raw);
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${r.body.request.id}/approve`, { token: a, body: {} })).status, 403);
      // the second administrator can still be created (nobody could approve it), and then approves
      const b = await createUser(h, a, 'administrator');
      assert.equal(
        (await call(h, 'POST', `/api/v1/admin-requests/${r.body.request.id}/approve`, { token: b.token, body: {} })).status,
        200,
      );
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${r.body.request.id}/execute`, { token: a })).status, 200);
      await login(h, u.username, 'always-mode-Hx5r-Pk8s-1');
      // a third needs the second's approval
      const c = await call(h, 'POST', '/api/v1/users', {
        token: a,
        body: { username: 'third', password: 'Temp-9-Lf3v-Oa7c-Mq4j', role: 'administrator' },
      });
      assert.equal(c.status, 202, c.raw);
    });
  });
}
