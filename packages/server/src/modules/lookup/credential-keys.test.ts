// The natural-key lookups of the compatibility adapters, by kind: `kind` keeps only secrets of a
// template that carry a tag, `exceptKind` leaves them out, `byId` answers one visible secret (or
// one in the trash), on both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import { createCredentialKeys } from './credential-keys.ts';

const KIND = { template: 'secure-note', tag: 'kind-tag' };

for (const dialect of dialects) {
  describe(`lookup: credential keys by kind [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let keys: ReturnType<typeof createCredentialKeys>;
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1'),
      requestId: 'req_keys0000000001',
      sourceIp: '127.0.0.1',
      audited: false,
    });
    const secret = async (vaultId: string, body: Record<string, unknown>) => {
      const r = await call(h, 'POST', '/api/v1/secrets', { token: admin, body: { vaultId, ...body } });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      keys = createCredentialKeys({
        access: h.coffer.services.access,
        audited: createAudited({ db: h.database.db, audit: h.coffer.services.audit }),
      });
    });
    after(async () => h.close());

    it('kind, exceptKind and byId (also in the trash); a secret the caller cannot see is never found', async () => {
      const vault = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: `keys-${dialect}` } });
      assert.equal(vault.status, 201, vault.raw);
      const v = vault.body.id as string;
      const tagged = await secret(v, { template: 'secure-note', name: 'same', fields: { notes: 'n' }, tags: ['kind-tag'] });
      const untagged = await secret(v, { template: 'secure-note', name: 'same', fields: { notes: 'n' } });
      const other = await secret(v, { template: 'host-credential', name: 'same', fields: { username: 'u' }, tags: ['kind-tag'] });
      const ctx = await ctxOf(admin);
      assert.deepEqual(await keys.byName(ctx, 'SAME', { kind: KIND }), [tagged]);
      assert.deepEqual((await keys.byName(ctx, 'same', { exceptKind: KIND })).sort(), [untagged, other].sort());
      assert.equal(await keys.byId(ctx, tagged, { kind: KIND }), tagged);
      assert.equal(await keys.byId(ctx, other, { kind: KIND }), undefined, 'the tag alone is not the kind');
      assert.equal(await keys.byId(ctx, tagged, { exceptKind: KIND }), undefined);
      assert.equal(await keys.byId(ctx, untagged, { exceptKind: KIND }), untagged);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${tagged}`, { token: admin })).status < 300, true);
      assert.equal(await keys.byId(ctx, tagged, { kind: KIND }), undefined);
      assert.equal(await keys.byId(ctx, tagged, { kind: KIND, deleted: true }), tagged);
      const user = await createUser(h, admin, 'password_user');
      const theirs = await ctxOf(user.token);
      assert.equal(await keys.byId(theirs, untagged), undefined, 'hidden');
      assert.equal(await keys.byId(theirs, tagged, { kind: KIND, deleted: true }), undefined, 'hidden in the trash');
      assert.deepEqual(await keys.byName(theirs, 'same', { exceptKind: KIND }), []);
    });
  });
}
