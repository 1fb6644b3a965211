// API keys (issue 10 §3): expiry mandatory and bounded, a binding to every address needs an
// explicit flag and is flagged in listings, keys from before had an expiry imposed by migration.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import * as m0009 from '../../db/migrations/0009-auth-hardening.ts';
import { manualClock } from '../../lib/clock.ts';

const DAY = 86_400_000;

for (const dialect of dialects) {
  describe(`API key expiry and address binding [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    const clock = manualClock(Date.parse('2026-03-01T12:00:00Z'));
    const at = (ms: number) => new Date(ms).toISOString();
    let user: Awaited<ReturnType<typeof createUser>>;
    const create = (body: Record<string, unknown>) =>
      call(h, 'POST', '/api/v1/me/api-keys', { token: user.token, body: { name: 'k', currentPassword: user.password, ...body } });

    before(async () => {
      h = await startHarness(dialect, { clock, config: { apiKeys: { maxDays: 30 } } });
      admin = await adminToken(h);
      user = await createUser(h, admin, 'password_user');
    });
    after(async () => h.close());

    it('refuses "never", a missing expiry and one beyond the configured maximum', async () => {
      for (const expiresAt of ['never', undefined, at(clock.now() + 31 * DAY), at(clock.now() - 1000)]) {
        const r = await create({ allowedCidrs: ['127.0.0.1'], ...(expiresAt ? { expiresAt } : {}) });
        assert.equal(r.status, 400, `${expiresAt}: ${r.raw}`);
        assert.equal(r.body.error.code, 'validation.failed');
        assert.ok(
          r.body.error.details.some((d: { path: string }) => d.path.endsWith('/expiresAt') || d.path === 'body'),
          JSON.stringify(r.body.error.details),
        );
      }
      const tooLong = await create({ allowedCidrs: ['127.0.0.1'], expiresAt: at(clock.now() + 31 * DAY) });
      assert.match(tooLong.body.error.details[0].message, /at most 30 days/);
      const max = await create({ allowedCidrs: ['127.0.0.1'], expiresAt: at(clock.now() + 30 * DAY) });
      assert.equal(max.status, 201, max.raw);
      assert.equal(max.body.apiKey.expiresAt, at(clock.now() + 30 * DAY));
      assert.equal(max.body.apiKey.expiryImposed, false);
      assert.equal(max.body.apiKey.anyAddress, false);
      clock.advance(30 * DAY);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: max.body.key })).status, 401, 'expired');
      clock.advance(-30 * DAY);
    });

    it('a binding to every address needs allowAnyAddress and is flagged in listings', async () => {
      const expiresAt = at(clock.now() + DAY);
      for (const cidrs of [['0.0.0.0/0'], ['::/0'], ['10.1.2.3/0'], ['192.0.2.1', '::/0'], ['0.0.0.0/1', '128.0.0.0/1']]) {
        const r = await create({ allowedCidrs: cidrs, expiresAt });
        assert.equal(r.status, 400, `${cidrs}: ${r.raw}`);
        assert.deepEqual(
          r.body.error.details.map((d: { path: string }) => d.path),
          ['/allowAnyAddress'],
        );
        const no = await create({ allowedCidrs: cidrs, expiresAt, allowAnyAddress: false });
        assert.equal(no.status, 400);
      }
      const any = await create({ name: 'anywhere', allowedCidrs: ['0.0.0.0/0', '::/0'], expiresAt, allowAnyAddress: true });
      assert.equal(any.status, 201, any.raw);
      assert.equal(any.body.apiKey.anyAddress, true);
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: any.body.key, ip: '203.0.113.9' })).status, 200);
      const narrow = await create({ name: 'narrow', allowedCidrs: ['0.0.0.0/1'], expiresAt, allowAnyAddress: true });
      assert.equal(narrow.status, 201, 'the flag is harmless where not needed');
      assert.equal(narrow.body.apiKey.anyAddress, false);
      const mine = await call(h, 'GET', '/api/v1/me/api-keys', { token: user.token });
      const byName = new Map(mine.body.items.map((k: { name: string; anyAddress: boolean }) => [k.name, k.anyAddress]));
      assert.equal(byName.get('anywhere'), true);
      assert.equal(byName.get('narrow'), false);
      const theirs = await call(h, 'GET', `/api/v1/users/${user.id}/api-keys`, { token: admin });
      assert.ok(theirs.body.items.some((k: { anyAddress: boolean }) => k.anyAddress));
      const rec = await h.database.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'apikey.create')
        .where('object_id', '=', any.body.apiKey.id)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(rec.details ?? '{}').anyAddress, true, 'the audit record says so too');
    });

    it('a key without an expiry gets one from migration 0009 (flagged), and one without is refused (fail closed)', async () => {
      const k = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: admin,
        body: { name: 'legacy', allowedCidrs: ['127.0.0.1'], expiresAt: at(clock.now() + DAY), currentPassword: ADMIN.password },
      });
      assert.equal(k.status, 201, k.raw);
      const db = h.database.db;
      // a key as an earlier version stored it: no expiry at all
      await db.updateTable('api_keys').set({ expires_at: null }).where('id', '=', k.body.apiKey.id).execute();
      const refused = await call(h, 'GET', '/api/v1/auth/whoami', { token: k.body.key });
      assert.equal(refused.status, 401, 'no expiry: refused');
      // back to the store before 0009 (column gone), then run that migration (later ones are
      // already in place, so it runs by itself rather than through the migrator)
      await sql`alter table api_keys drop column expiry_imposed`.execute(db);
      const before = Date.now();
      await m0009.up(db as never);
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', k.body.apiKey.id).executeTakeFirstOrThrow();
      assert.equal(row.expiry_imposed, 1);
      assert.ok(Number(row.expires_at) >= before + 365 * DAY && Number(row.expires_at) <= Date.now() + 365 * DAY);
      const others = await db.selectFrom('api_keys').selectAll().where('id', '!=', k.body.apiKey.id).execute();
      assert.ok(others.length > 0 && others.every((o) => o.expiry_imposed === 0 && o.expires_at !== null), 'keys with an expiry keep it');
      const listed = await call(h, 'GET', '/api/v1/me/api-keys', { token: admin });
      const legacy = listed.body.items.find((x: { id: string }) => x.id === k.body.apiKey.id);
      assert.equal(legacy.expiryImposed, true);
      assert.equal(legacy.expiresAt, new Date(Number(row.expires_at)).toISOString());
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: k.body.key })).status, 200, 'works until then');
    });
  });
}
