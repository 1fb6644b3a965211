// One secret, two APIs (issue 13, proof): read natively and through Secret Server it gives the same
// value, each read leaves an audit record naming its API; a secret the user may not see is absent
// and answers like a missing one; reasons (Secret Server's comment), approvals and checkouts apply
// through this API exactly as natively.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { num, ss, ssLogin } from '../../../test/secretserver.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed answers
type Json = any;

for (const dialect of dialects) {
  describe(`one secret natively and through Secret Server; workflows through Secret Server [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let adminId: string;
    let u: Awaited<ReturnType<typeof createUser>> & { ss: string };
    let v: Awaited<ReturnType<typeof createUser>> & { ss: string };
    const canary = `canary-${randomBytes(10).toString('hex')}`;
    const hiddenCanary = `hidden-${randomBytes(10).toString('hex')}`;
    const ids: Record<string, string> = {};
    const nums: Record<string, number> = {};

    async function folder(name: string, policy: Json = {}) {
      const f = await call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: ids.vault, name, policy } });
      assert.equal(f.status, 201, f.raw);
      return f.body.id as string;
    }

    async function secret(folderId: string, name: string, password: string) {
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId: ids.vault, folderId, template: 'unix-account', name, fields: { host: `${name}.lan`, username: 'root', password } },
      });
      assert.equal(s.status, 201, s.raw);
      nums[name] = await num(h, 'secret', s.body.id);
      return s.body.id as string;
    }

    const records = (action: string, objectId: string) =>
      h.database.db
        .selectFrom('audit_log')
        .select(['via', 'outcome', 'actor_id', 'reason', 'details'])
        .where('action', '=', action)
        .where('object_id', '=', objectId)
        .orderBy('seq')
        .execute();

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      adminId = (await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).body.userId;
      const vault = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Ops' } });
      ids.vault = vault.body.id;
      ids.plain = await folder('plain');
      ids.reasons = await folder('reasons', { requireReason: true });
      ids.approvals = await folder('approvals', { approval: { required: true, approvers: [{ type: 'user', id: adminId }] } });
      ids.checkouts = await folder('checkouts', { checkout: { exclusive: true, maxMinutes: 30 } });
      ids.hiddenFolder = await folder('hidden');
      ids.web = await secret(ids.plain, 'web', canary);
      ids.reasoned = await secret(ids.reasons, 'reasoned', 'pw-reasoned');
      ids.approved = await secret(ids.approvals, 'approved', 'pw-approved');
      ids.checked = await secret(ids.checkouts, 'checked', 'pw-checked');
      ids.hidden = await secret(ids.hiddenFolder, 'dba', hiddenCanary);
      for (const who of ['u', 'v'] as const) {
        const user = await createUser(h, admin, 'password_user');
        for (const node of [ids.plain, ids.reasons, ids.approvals, ids.checkouts]) {
          const g = await call(h, 'POST', '/api/v1/grants', {
            token: admin,
            body: { nodeId: node, principalType: 'user', principalId: user.id, level: 'reveal' },
          });
          assert.equal(g.status, 201, g.raw);
        }
        const t = await ssLogin(h, user.username, user.password);
        if (who === 'u') u = { ...user, ss: t.access_token };
        else v = { ...user, ss: t.access_token };
      }
    });
    after(async () => h?.close());

    it('the same value natively and through Secret Server, with one reveal record per read naming the API', async () => {
      const native = await call(h, 'POST', `/api/v1/secrets/${ids.web}/reveal`, { token: u.token, body: {} });
      assert.equal(native.body.values.password, canary);
      const viaSs = await ss(h, 'GET', `/secrets/${nums.web}`, u.ss);
      assert.equal(viaSs.status, 200, viaSs.raw);
      assert.equal(viaSs.body.items.find((i: Json) => i.slug === 'password').itemValue, canary);
      const field = await ss(h, 'GET', `/secrets/${nums.web}/fields/password`, u.ss);
      assert.equal(field.body, canary);
      const recs = await records('secret.reveal', ids.web as string);
      assert.deepEqual(
        recs.map((r) => [r.via, r.outcome, r.actor_id]),
        [
          ['native', 'success', u.id],
          ['secretserver', 'success', u.id],
          ['secretserver', 'success', u.id],
        ],
      );
      for (const r of recs) assert.ok(!String(r.details).includes(canary), 'no value in the audit trail');
      const verify = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body.firstBad));
    });

    it('a secret the user may not see: absent from the search, answered like a missing one by id, path and field', async () => {
      const list = await ss(h, 'GET', '/secrets?filter.searchText=dba&filter.includeSubFolders=true', u.ss);
      assert.equal(list.body.total, 0);
      const all = await ss(h, 'GET', '/secrets?take=100', u.ss);
      assert.ok(!all.body.records.some((r: Json) => r.id === nums.dba));
      const missing = await ss(h, 'GET', '/secrets/987654321', u.ss);
      for (const r of [
        await ss(h, 'GET', `/secrets/${nums.dba}`, u.ss),
        await ss(h, 'GET', `/secrets/${nums.dba}/fields/password`, u.ss),
        await ss(h, 'GET', `/secrets/0?secretPath=${encodeURIComponent('\\Ops\\hidden\\dba')}`, u.ss),
        await ss(h, 'POST', `/secrets/${nums.dba}/check-out`, u.ss, {}),
      ]) {
        assert.equal(r.status, missing.status, r.raw);
        assert.deepEqual(r.body, missing.body);
        assert.ok(!r.raw.includes(hiddenCanary));
      }
      const hiddenFolder = await num(h, 'folder', ids.hiddenFolder as string);
      const inHidden = await ss(h, 'GET', `/secrets?filter.folderId=${hiddenFolder}&filter.includeSubFolders=true`, u.ss);
      const inUnknown = await ss(h, 'GET', '/secrets?filter.folderId=987654321&filter.includeSubFolders=true', u.ss);
      assert.equal(inHidden.status, 200, inHidden.raw);
      assert.deepEqual(inHidden.body, inUnknown.body);
      assert.equal((await ss(h, 'GET', `/secrets/search-total?filter.folderId=${hiddenFolder}`, u.ss)).raw, '0');
      assert.deepEqual((await ss(h, 'GET', `/folders/${hiddenFolder}`, u.ss)).body, (await ss(h, 'GET', '/folders/987654321', u.ss)).body);
      assert.equal((await records('secret.reveal', ids.hidden as string)).filter((r) => r.outcome === 'success').length, 0);
    });

    it('a reason the policy requires is the comment: refused without, audited with it (query or restricted body)', async () => {
      const no = await ss(h, 'GET', `/secrets/${nums.reasoned}`, u.ss);
      assert.equal(no.status, 400, no.raw);
      assert.equal(no.body.errorCode, 'API_CommentRequired');
      assert.ok(!no.raw.includes('pw-reasoned'));
      const withQuery = await ss(h, 'GET', `/secrets/${nums.reasoned}?autoComment=${encodeURIComponent('INC-4711 disk full')}`, u.ss);
      assert.equal(withQuery.status, 200, withQuery.raw);
      assert.equal(withQuery.body.requiresComment, true);
      assert.equal(withQuery.body.items.find((i: Json) => i.slug === 'password').itemValue, 'pw-reasoned');
      const restricted = await ss(h, 'POST', `/secrets/${nums.reasoned}/restricted`, u.ss, { comment: 'CHG-1', includeInactive: false });
      assert.equal(restricted.status, 200, restricted.raw);
      const field = await ss(h, 'POST', `/secrets/${nums.reasoned}/restricted/fields/password`, u.ss, { Comment: 'CHG-2' });
      assert.equal(field.body, 'pw-reasoned');
      assert.equal((await ss(h, 'GET', `/secrets/${nums.reasoned}/fields/password`, u.ss)).body.errorCode, 'API_CommentRequired');
      const recs = await records('secret.reveal', ids.reasoned as string);
      assert.deepEqual(
        recs.filter((r) => r.outcome === 'success').map((r) => [r.via, r.reason]),
        [
          ['secretserver', 'INC-4711 disk full'],
          ['secretserver', 'CHG-1'],
          ['secretserver', 'CHG-2'],
        ],
      );
      assert.ok(
        recs.some((r) => r.outcome !== 'success' && r.via === 'secretserver'),
        'the refusal is audited too',
      );
      const summary = await ss(h, 'GET', '/secrets?filter.searchText=reasoned', u.ss);
      assert.equal(summary.body.records[0].requiresComment, true);
      // natively the same rule
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${ids.reasoned}/reveal`, { token: u.token, body: {} })).status, 400);
    });

    it('approval: refused until an approved request exists (made natively), then readable through Secret Server', async () => {
      const no = await ss(h, 'GET', `/secrets/${nums.approved}`, u.ss);
      assert.equal(no.status, 400, no.raw);
      assert.equal(no.body.errorCode, 'API_ApprovalRequired');
      const flags = await ss(h, 'GET', '/secrets?filter.searchText=approved', u.ss);
      assert.equal(flags.body.records[0].requiresApproval, true);
      const req = await call(h, 'POST', '/api/v1/access-requests', {
        token: u.token,
        body: { secretId: ids.approved, action: 'reveal', reason: 'INC-9', durationMinutes: 30 },
      });
      assert.equal(req.status, 201, req.raw);
      assert.equal((await ss(h, 'GET', `/secrets/${nums.approved}`, u.ss)).body.errorCode, 'API_ApprovalRequired');
      const ok = await call(h, 'POST', `/api/v1/access-requests/${req.body.id}/approve`, { token: admin, body: {} });
      assert.equal(ok.status, 200, ok.raw);
      const read = await ss(h, 'GET', `/secrets/${nums.approved}`, u.ss);
      assert.equal(read.status, 200, read.raw);
      assert.equal(read.body.requiresApprovalForAccess, true);
      assert.equal(read.body.items.find((i: Json) => i.slug === 'password').itemValue, 'pw-approved');
      // the other user has no approval: still refused
      assert.equal((await ss(h, 'GET', `/secrets/${nums.approved}`, v.ss)).body.errorCode, 'API_ApprovalRequired');
      // a check-out needs an approved checkout request, as natively
      assert.equal((await ss(h, 'POST', `/secrets/${nums.approved}/check-out`, v.ss, {})).body.errorCode, 'API_ApprovalRequired');
      const co = await call(h, 'POST', '/api/v1/access-requests', {
        token: v.token,
        body: { secretId: ids.approved, action: 'checkout', reason: 'CHG-7', durationMinutes: 20 },
      });
      await call(h, 'POST', `/api/v1/access-requests/${co.body.id}/approve`, { token: admin, body: {} });
      const out = await ss(h, 'POST', `/secrets/${nums.approved}/check-out`, v.ss, {});
      assert.equal(out.status, 200, out.raw);
      assert.equal(out.body.checkedOut, true);
      const requests = await call(h, 'GET', `/api/v1/access-requests/${co.body.id}`, { token: v.token });
      assert.equal(requests.body.state, 'checked_out', 'the approval was used by the check-out');
      assert.equal((await ss(h, 'POST', `/secrets/${nums.approved}/check-in`, v.ss, {})).status, 200);
    });

    it('check-out / check-in map to the native exclusive checkout: holder, others refused, released by check-in', async () => {
      const out = await ss(h, 'POST', `/secrets/${nums.checked}/check-out`, u.ss, { comment: 'maintenance' });
      assert.equal(out.status, 200, out.raw);
      assert.equal(out.body.checkedOut, true);
      assert.equal(out.body.checkOutEnabled, true);
      const mine = await ss(h, 'GET', `/secrets/${nums.checked}`, u.ss);
      assert.equal(mine.status, 200, mine.raw);
      assert.equal(mine.body.checkedOut, true);
      assert.equal(mine.body.checkOutEnabled, true);
      assert.equal(mine.body.checkOutIntervalMinutes, 30);
      assert.equal(mine.body.checkOutUserId, await num(h, 'user', u.id));
      assert.equal(mine.body.checkOutUserDisplayName, u.username);
      assert.ok(mine.body.checkOutMinutesRemaining > 0 && mine.body.checkOutMinutesRemaining <= 30);
      const checkouts = await call(h, 'GET', `/api/v1/checkouts?secretId=${ids.checked}`, { token: admin });
      assert.equal(checkouts.body.items[0].holderId, u.id, 'a native checkout');
      const other = await ss(h, 'GET', `/secrets/${nums.checked}`, v.ss);
      assert.equal(other.status, 400, other.raw);
      assert.equal(other.body.errorCode, 'API_CheckedOutByAnotherUser');
      assert.ok(!other.raw.includes('pw-checked'));
      assert.equal((await ss(h, 'POST', `/secrets/${nums.checked}/check-out`, v.ss, {})).body.errorCode, 'API_CheckedOutByAnotherUser');
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${ids.checked}/reveal`, { token: v.token, body: {} })).status, 409);
      assert.equal((await ss(h, 'POST', `/secrets/${nums.checked}/check-in`, v.ss, {})).body.errorCode, 'API_CheckedOutByAnotherUser');
      const back = await ss(h, 'POST', `/secrets/${nums.checked}/check-in`, u.ss, {});
      assert.equal(back.status, 200, back.raw);
      assert.equal(back.body.checkedOut, false);
      // autoCheckout: the read checks it out for the reader, autoCheckIn gives it back
      const auto = await ss(h, 'GET', `/secrets/${nums.checked}?autoCheckout=true`, v.ss);
      assert.equal(auto.status, 200, auto.raw);
      assert.equal(auto.body.checkedOut, true);
      assert.equal(auto.body.checkOutUserId, await num(h, 'user', v.id));
      assert.equal((await ss(h, 'GET', `/secrets/${nums.checked}`, u.ss)).body.errorCode, 'API_CheckedOutByAnotherUser');
      await ss(h, 'GET', `/secrets/${nums.checked}?autoCheckIn=true`, v.ss);
      assert.equal((await ss(h, 'GET', `/secrets/${nums.checked}`, u.ss)).status, 200);
      const recs = await records('checkout.start', ids.checked as string);
      assert.ok(recs.filter((r) => r.outcome === 'success').every((r) => r.via === 'secretserver'));
      assert.deepEqual(
        recs.filter((r) => r.outcome === 'success').map((r) => r.actor_id),
        [u.id, v.id],
      );
    });
  });
}
