// secrets.sameSensitive (compare.ts): which sensitive values a secret already holds, for idempotent
// saves of the compatibility APIs; only for a caller who could reveal them without a gate.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

// long random values: a short one ("p1") turns up by chance in ids and hashes of the audit trail
const P1 = `pw-${randomBytes(12).toString('hex')}`;
const P2 = `pw-${randomBytes(12).toString('hex')}`;

for (const dialect of dialects) {
  describe(`secrets.sameSensitive [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1'),
      requestId: 'req_compare',
      sourceIp: '127.0.0.1',
      audited: false,
    });
    const secretIn = async (policy: Record<string, unknown>, name: string) => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name, policy } });
      assert.equal(v.status, 201, v.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId: v.body.id, template: 'host-credential', name: `${name}-s`, fields: { username: 'u', host: 'h', password: P1 } },
      });
      assert.equal(s.status, 201, s.raw);
      return s.body.id as string;
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('names the equal values; a different or unset one is not named', async () => {
      const id = await secretIn({}, 'open');
      const ctx = await ctxOf(admin);
      assert.deepEqual(await h.coffer.services.secrets.sameSensitive(ctx, id, { password: P1 }), ['password']);
      assert.deepEqual(await h.coffer.services.secrets.sameSensitive(ctx, id, { password: P2 }), []);
      assert.deepEqual(await h.coffer.services.secrets.sameSensitive(ctx, id, { 'additional-info': '' }), []);
      const audit = await call(h, 'GET', '/api/v1/audit?action=secret.compare&limit=5', { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      assert.ok(audit.body.items.length >= 1);
      assert.ok(!audit.raw.includes(P1), 'a compared value never reaches the audit trail');
    });

    it('under a gate (a reason required) nothing is named equal: comparing tells no more than a reveal', async () => {
      const id = await secretIn({ requireReason: true }, 'gated');
      assert.deepEqual(await h.coffer.services.secrets.sameSensitive(await ctxOf(admin), id, { password: P1 }), []);
    });

    it('a caller who may not see the secret gets not_found', async () => {
      const id = await secretIn({}, 'hidden');
      const other = await createUser(h, admin, 'password_user');
      await assert.rejects(
        h.coffer.services.secrets.sameSensitive(await ctxOf(other.token), id, { password: P1 }),
        (e: { code?: string }) => e.code === 'not_found',
      );
    });
  });
}
