// Client-side encryption profiles: a master-password session family gets the user's master key
// options (a salt made once), other families none; the master key hash is pinned on first use and
// compared after; the server keeps nothing that opens a value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`client-keys [${dialect}]`, () => {
    let h: Harness;
    let user: Awaited<ReturnType<typeof createUser>>;
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1', 'native'),
      requestId: 'req_client_keys_test',
      sourceIp: '127.0.0.1',
      audited: false,
      via: 'native',
    });

    before(async () => {
      h = await startHarness(dialect);
      user = await createUser(h, await adminToken(h), 'password_user');
    });
    after(async () => h?.close());

    it('gives options to master-password families only, the same salt each time', async () => {
      const ck = h.coffer.services.clientKeys;
      const ctx = await ctxOf(user.token);
      const family = ctx.actor.sessionFamilyId as string;
      assert.ok(family);
      assert.equal(await ck.usesMasterPassword(h.database.db, family), false);
      assert.deepEqual(await ck.masterKeyOptions(ctx), {});
      await ck.startSession(ctx, 'fam_test_a', true);
      await ck.startSession(ctx, 'fam_test_b', true);
      assert.equal(await ck.usesMasterPassword(h.database.db, 'fam_test_a'), true);
      const a = await ck.masterKeyOptions({ ...ctx, actor: { ...ctx.actor, sessionFamilyId: 'fam_test_a' } });
      const b = await ck.masterKeyOptions({ ...ctx, actor: { ...ctx.actor, sessionFamilyId: 'fam_test_b' } });
      assert.match(a.mkOptions as string, /^pbkdf:sha256:300000:64:[A-Za-z0-9_-]{32}$/);
      assert.equal(a.mkOptions, b.mkOptions);
      await ck.endSession('fam_test_b');
      assert.equal(await ck.usesMasterPassword(h.database.db, 'fam_test_b'), false);
      const rows = await h.database.db.selectFrom('client_key_profiles').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.master_hash, null);
    });

    it('pins the first master key hash and refuses another', async () => {
      const ck = h.coffer.services.clientKeys;
      const ctx = await ctxOf(user.token);
      const first = 'a'.repeat(64);
      await ck.checkMasterHash(ctx, first);
      await ck.checkMasterHash(ctx, first.toUpperCase());
      await assert.rejects(ck.checkMasterHash(ctx, 'b'.repeat(64)), (e: { reason?: string }) => e.reason === 'master_hash');
      await assert.rejects(ck.checkMasterHash(ctx, 'short'), (e: { reason?: string }) => e.reason === 'master_hash');
      // a user without a profile has nothing to compare with
      const other = await createUser(h, await adminToken(h), 'password_user');
      await assert.rejects(ck.checkMasterHash(await ctxOf(other.token), first), (e: { reason?: string }) => e.reason === 'master_hash');
      const pin = await h.database.db.selectFrom('audit_log').select('action').where('action', '=', 'client_keys.pin').execute();
      assert.equal(pin.length, 1, 'pinning is audited once');
    });
  });
}
