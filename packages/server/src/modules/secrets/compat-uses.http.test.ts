// Use cases of the secrets module that compatibility APIs rely on (Secret Server), on both
// dialects: an exact match on one column (not a substring, any case, scoped like every search),
// a create whose file fields follow as uploads (`filesLater`), the template catalog (kept a
// moment, dropped at once when this process changes a template).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`secrets: exact search, files later, template catalog [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let vaultId: string;
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1', 'native'),
      requestId: 'req_compat_test',
      sourceIp: '127.0.0.1',
      audited: false,
    });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'V' } })).body.id;
      for (const [name, username, host] of [
        ['db', 'dbadmin', 'db01'],
        ['db-replica', 'db', 'db02'],
        ['web', 'www', 'db-web'],
      ]) {
        const s = await call(h, 'POST', '/api/v1/secrets', {
          token: admin,
          body: { vaultId, template: 'unix-account', name, fields: { host, username, password: 'x' } },
        });
        assert.equal(s.status, 201, s.raw);
      }
    });
    after(async () => h.close());

    it('exact: one column equal to the value (case and surrounding spaces aside), never a substring', async () => {
      const ctx = await ctxOf(admin);
      const by = async (column: 'name' | 'username' | 'host', value: string) =>
        (await h.coffer.services.secrets.search(ctx, { exact: { column, value }, withTotal: true })).items.map((s) => s.name);
      assert.deepEqual(await by('name', 'DB'), ['db']);
      assert.deepEqual(await by('name', ' db-replica '), ['db-replica']);
      assert.deepEqual(await by('username', 'db'), ['db-replica']);
      assert.deepEqual(await by('host', 'db-web'), ['web']);
      assert.deepEqual(await by('name', 'd'), []);
      const counted = await h.coffer.services.secrets.search(ctx, { exact: { column: 'name', value: 'db' }, withTotal: true });
      assert.equal(counted.total, 1);
      // scoped like every search
      const u = await createUser(h, admin, 'password_user');
      assert.deepEqual(
        (await h.coffer.services.secrets.search(await ctxOf(u.token), { exact: { column: 'name', value: 'db' } })).items,
        [],
      );
    });

    it('filesLater: required file fields may follow the create; other required fields may not', async () => {
      const ctx = await ctxOf(admin);
      const { create } = h.coffer.services.secrets;
      await assert.rejects(create(ctx, { vaultId, template: 'ssh-key', name: 'k1', fields: {} }), { code: 'validation.failed' });
      const s = await create(ctx, { vaultId, template: 'ssh-key', name: 'k2', fields: {} }, undefined, { filesLater: true });
      assert.deepEqual(s.sensitiveFields, []);
      await assert.rejects(create(ctx, { vaultId, template: 'web-login', name: 'w', fields: {} }, undefined, { filesLater: true }), {
        code: 'validation.failed',
      });
    });

    it('the template catalog: every template; a change made here shows at once', async () => {
      const { templates } = h.coffer.services;
      const before = await templates.catalog();
      assert.ok(before.some((t) => t.slug === 'unix-account' && t.builtin));
      assert.equal(await templates.catalog(), before, 'kept');
      const r = await call(h, 'POST', '/api/v1/templates', {
        token: admin,
        body: { name: 'Router', slug: 'router', fields: [{ name: 'Address', slug: 'address', type: 'text' }] },
      });
      assert.equal(r.status, 201, r.raw);
      assert.ok((await templates.catalog()).some((t) => t.slug === 'router'));
      const upd = await call(h, 'PATCH', `/api/v1/templates/${r.body.id}`, { token: admin, body: { name: 'Core router' } });
      assert.equal(upd.status, 200, upd.raw);
      assert.equal((await templates.catalog()).find((t) => t.slug === 'router')?.name, 'Core router');
    });
  });
}
