// One secret through the native API and the Passwork API (issue 13, proof): the same value, an
// audit record per read naming the API; a secret the user may not see is absent from every list
// and answers like a missing one; reasons, approvals and checkouts apply through Passwork exactly
// as natively (a gated read answers Passwork's error, never the value).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiKeyFor, assertError, pw, pwLogin, unb64 } from '../../../test/passwork.ts';

for (const dialect of dialects) {
  describe(`one secret through the native API and Passwork [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let user: Awaited<ReturnType<typeof createUser>>;
    let other: Awaited<ReturnType<typeof createUser>>;
    let token: string;
    const canary = `cross-${randomBytes(12).toString('hex')}`;
    const hiddenCanary = `hidden-${randomBytes(12).toString('hex')}`;
    const ids: Record<string, string> = {};

    const secret = async (folderId: string, name: string, password: string) => {
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId: ids.vault, folderId, template: 'web-login', name, fields: { username: name, password } },
      });
      assert.equal(s.status, 201, s.raw);
      return s.body.id as string;
    };
    const policy = async (folderId: string, p: Record<string, unknown>) => {
      const r = await call(h, 'PATCH', `/api/v1/folders/${folderId}`, { token: admin, body: { policy: p } });
      assert.equal(r.status, 200, r.raw);
    };
    const grant = async (nodeId: string, principalId: string) => {
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId, principalType: 'user', principalId, level: 'reveal' },
      });
      assert.equal(g.status, 201, g.raw);
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      ids.vault = (await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Ops' } })).body.id;
      for (const name of ['shared', 'hidden', 'reason', 'approval', 'checkout']) {
        ids[name] = (await call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: ids.vault, name } })).body.id;
      }
      ids.secret = await secret(ids.shared as string, 'deploy', canary);
      ids.hiddenSecret = await secret(ids.hidden as string, 'dba', hiddenCanary);
      ids.reasonSecret = await secret(ids.reason as string, 'needs-reason', 'r-value');
      ids.approvalSecret = await secret(ids.approval as string, 'needs-approval', 'a-value');
      ids.checkoutSecret = await secret(ids.checkout as string, 'exclusive', 'c-value');
      user = await createUser(h, admin, 'password_user');
      other = await createUser(h, admin, 'password_user');
      for (const f of ['shared', 'reason', 'approval', 'checkout']) await grant(ids[f] as string, user.id);
      await grant(ids.checkout as string, other.id);
      await policy(ids.reason as string, { requireReason: true });
      await policy(ids.approval as string, { approval: { required: true } });
      await policy(ids.checkout as string, { checkout: { exclusive: true, maxMinutes: 60 } });
      token = (await pwLogin(h, await apiKeyFor(h, user))).token;
    });
    after(async () => h?.close());

    const reveals = (secretId: string) =>
      h.database.db
        .selectFrom('audit_log')
        .select(['via', 'outcome', 'actor_id', 'reason', 'details'])
        .where('action', '=', 'secret.reveal')
        .where('object_id', '=', secretId)
        .orderBy('seq')
        .execute();

    it('gives the same value natively and through Passwork, each read audited with its API', async () => {
      const native = await call(h, 'POST', `/api/v1/secrets/${ids.secret}/reveal`, { token: user.token, body: {} });
      assert.equal(native.body.values.password, canary);
      const viaPw = await pw(h, 'GET', `/passwords/${ids.secret}`, { token });
      assert.equal(viaPw.status, 200, viaPw.raw);
      assert.equal(unb64(viaPw.body.data.cryptedPassword), canary);
      const recs = await reveals(ids.secret as string);
      assert.deepEqual(
        recs.map((r) => [r.via, r.outcome, r.actor_id]),
        [
          ['native', 'success', user.id],
          ['passwork', 'success', user.id],
        ],
      );
      for (const r of recs) assert.ok(!String(r.details).includes(canary), 'no value in the audit trail');
      const verify = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(verify.body.ok, true);
      const byVia = await call(h, 'GET', '/api/v1/audit?via=passwork&limit=200', { token: admin });
      assert.ok(
        byVia.body.items.some((r: { action: string; objectId: string }) => r.action === 'secret.reveal' && r.objectId === ids.secret),
      );
    });

    it('a secret the user may not see: absent from every list, answered like a missing one', async () => {
      const search = await pw(h, 'POST', '/passwords/search', { token, body: { query: '' } });
      const found = search.body.data.map((p: { id: string }) => p.id);
      assert.ok(found.includes(ids.secret) && !found.includes(ids.hiddenSecret), JSON.stringify(found));
      const byName = await pw(h, 'POST', '/passwords/search', { token, body: { query: 'dba' } });
      assert.deepEqual(byName.body.data, []);
      const inVault = await pw(h, 'GET', `/vaults/${ids.vault}/passwords`, { token });
      assert.ok(!inVault.raw.includes(ids.hiddenSecret as string));
      const folders = await pw(h, 'GET', `/vaults/${ids.vault}/folders`, { token });
      assert.ok(!folders.body.data.some((f: { id: string }) => f.id === ids.hidden), 'the hidden folder is not listed');
      const a = await pw(h, 'GET', `/passwords/${ids.hiddenSecret}`, { token });
      const b = await pw(h, 'GET', '/passwords/sec_00000000000000000000000000', { token });
      assertError(a, 404, 'passwordNull');
      assert.deepEqual(a.body, b.body);
      const fa = await pw(h, 'GET', `/folders/${ids.hidden}`, { token });
      const fb = await pw(h, 'GET', '/folders/fld_00000000000000000000000000', { token });
      assert.deepEqual([fa.status, fa.body], [fb.status, fb.body]);
      assert.equal((await reveals(ids.hiddenSecret as string)).filter((r) => r.outcome === 'success').length, 0);
      for (const r of [search, byName, inVault, a]) assert.ok(!r.raw.includes(hiddenCanary));
    });

    it('a reason the policy asks for: refused without, accepted with X-Coffer-Reason (audited)', async () => {
      const without = await pw(h, 'GET', `/passwords/${ids.reasonSecret}`, { token });
      assertError(without, 400, 'validationError');
      assert.ok(!without.raw.includes(b64Of('r-value')));
      const withReason = await pw(h, 'GET', `/passwords/${ids.reasonSecret}`, { token, headers: { 'x-coffer-reason': 'INC-4711' } });
      assert.equal(withReason.status, 200, withReason.raw);
      assert.equal(unb64(withReason.body.data.cryptedPassword), 'r-value');
      const recs = await reveals(ids.reasonSecret as string);
      assert.ok(recs.some((r) => r.via === 'passwork' && r.outcome === 'success' && r.reason === 'INC-4711'));
    });

    it('an approval the policy asks for: refused until a request is approved (natively), then read', async () => {
      const gated = await pw(h, 'GET', `/passwords/${ids.approvalSecret}`, { token });
      assertError(gated, 403, 'approvalRequired');
      assert.ok(!gated.raw.includes(b64Of('a-value')));
      const req = await call(h, 'POST', '/api/v1/access-requests', {
        token: user.token,
        body: { secretId: ids.approvalSecret, reason: 'deploy window', durationMinutes: 30 },
      });
      assert.equal(req.status, 201, req.raw);
      const ok = await call(h, 'POST', `/api/v1/access-requests/${req.body.id}/approve`, { token: admin, body: {} });
      assert.equal(ok.status, 200, ok.raw);
      const read = await pw(h, 'GET', `/passwords/${ids.approvalSecret}`, { token });
      assert.equal(read.status, 200, read.raw);
      assert.equal(unb64(read.body.data.cryptedPassword), 'a-value');
      // and through the inbox too, the same gate: a share of a gated secret is gated
      const recs = await reveals(ids.approvalSecret as string);
      assert.deepEqual(
        recs.filter((r) => r.via === 'passwork').map((r) => r.outcome),
        ['denied', 'success'],
      );
    });

    it('an exclusive checkout held by someone else: refused through Passwork as natively', async () => {
      const co = await call(h, 'POST', `/api/v1/secrets/${ids.checkoutSecret}/checkout`, {
        token: other.token,
        body: { reason: 'maintenance' },
      });
      assert.equal(co.status, 201, co.raw);
      const held = await pw(h, 'GET', `/passwords/${ids.checkoutSecret}`, { token });
      assertError(held, 409, 'passwordCheckedOut');
      const native = await call(h, 'POST', `/api/v1/secrets/${ids.checkoutSecret}/reveal`, { token: user.token, body: {} });
      assert.equal(native.status, 409);
      const ci = await call(h, 'POST', `/api/v1/secrets/${ids.checkoutSecret}/checkin`, { token: other.token, body: {} });
      assert.equal(ci.status, 200, ci.raw);
      const free = await pw(h, 'GET', `/passwords/${ids.checkoutSecret}`, { token });
      assert.equal(free.status, 200, free.raw);
    });
  });
}

function b64Of(s: string) {
  return Buffer.from(s).toString('base64');
}
