// workflow.secretFlags (what compatibility APIs show of a secret's workflow) on both dialects:
// each secret's effective policy and live checkout, only for secrets the caller can list.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`workflow.secretFlags [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const ids: Record<string, string> = {};
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1', 'native'),
      requestId: 'req_flags_test',
      sourceIp: '127.0.0.1',
      audited: false,
    });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'V', policy: { requireReason: true } } });
      ids.vault = v.body.id;
      const f = await call(h, 'POST', '/api/v1/folders', {
        token: admin,
        body: {
          vaultId: ids.vault,
          name: 'gated',
          policy: { approval: { required: true }, checkout: { exclusive: true, maxMinutes: 45, rotateOnCheckin: true } },
        },
      });
      ids.gated = f.body.id;
      const o = await call(h, 'POST', '/api/v1/folders', {
        token: admin,
        body: { vaultId: ids.vault, name: 'open', inheritPolicy: false },
      });
      ids.open = o.body.id;
      for (const [name, folderId] of [
        ['a', ids.gated],
        ['b', ids.open],
        ['c', null],
      ] as const) {
        const s = await call(h, 'POST', '/api/v1/secrets', {
          token: admin,
          body: { vaultId: ids.vault, folderId, template: 'secure-note', name, fields: { notes: name } },
        });
        assert.equal(s.status, 201, s.raw);
        ids[name] = s.body.id;
      }
    });
    after(async () => h.close());

    it('gives the merged policy of each secret and its live checkout', async () => {
      const ctx = await ctxOf(admin);
      const flags = await h.coffer.services.workflow.secretFlags(ctx, [ids.a as string, ids.b as string, ids.c as string]);
      assert.deepEqual(flags.get(ids.a as string), {
        requireReason: true,
        approvalRequired: true,
        checkoutExclusive: true,
        maxMinutes: 45,
        rotateOnCheckin: true,
        checkout: null,
      });
      assert.equal(flags.get(ids.b as string)?.requireReason, false, 'a folder that does not inherit the policy');
      assert.equal(flags.get(ids.c as string)?.requireReason, true);
      assert.equal(flags.get(ids.c as string)?.checkoutExclusive, false);
      const co = await call(h, 'POST', `/api/v1/secrets/${ids.a}/checkout`, { token: admin, body: { reason: 'work' } });
      assert.equal(co.status, 201, co.raw);
      const after = await h.coffer.services.workflow.secretFlags(ctx, [ids.a as string]);
      assert.equal(after.get(ids.a as string)?.checkout?.holderName, 'admin');
      assert.ok((after.get(ids.a as string)?.checkout?.endsAt ?? 0) > Date.now());
    });

    it('leaves out secrets the caller cannot list (and deleted ones)', async () => {
      const u = await createUser(h, admin, 'password_user');
      await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: ids.open, principalType: 'user', principalId: u.id, level: 'list' },
      });
      const flags = await h.coffer.services.workflow.secretFlags(await ctxOf(u.token), [ids.a as string, ids.b as string, ids.c as string]);
      assert.deepEqual([...flags.keys()], [ids.b]);
      await call(h, 'DELETE', `/api/v1/secrets/${ids.c}`, { token: admin });
      assert.equal((await h.coffer.services.workflow.secretFlags(await ctxOf(admin), [ids.c as string])).size, 0);
    });
  });
}
