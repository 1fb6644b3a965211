// Reads and denials share commits (group commit) but every caller still waits for its own record.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { verifyAuditChain } from './audit-verify.ts';

for (const dialect of dialects) {
  describe(`audit group commit [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    const count = async () =>
      Number(
        (
          await h.database.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('200 concurrent reads and denials: one record each, one intact chain', async () => {
      const before = await count();
      const rs = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          i % 4 === 0
            ? call(h, 'GET', '/api/v1/auth/whoami', { token: `cfs_${'B'.repeat(43)}` })
            : call(h, 'GET', '/api/v1/auth/whoami', { token: admin }),
        ),
      );
      assert.equal(rs.filter((r) => r.status === 200).length, 150);
      assert.equal(rs.filter((r) => r.status === 401).length, 50);
      assert.equal((await count()) - before, 200);
      const ids = new Set(
        (await h.database.db.selectFrom('audit_log').select('request_id').where('action', '=', 'auth.whoami').execute()).map(
          (r) => r.request_id,
        ),
      );
      for (const r of rs) assert.ok(ids.has(r.headers['x-request-id'] as string), 'each response has its own committed record');
      const v = await verifyAuditChain(h.database.db);
      assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    });

    it('fails every waiting read closed when the shared commit fails', async () => {
      if (dialect === 'sqlite') {
        await sql`create trigger gc_block before insert on audit_log begin select raise(abort, 'blocked'); end`.execute(h.database.db);
      } else {
        await sql`create function gc_block() returns trigger language plpgsql as $$ begin raise exception 'blocked'; end $$`.execute(
          h.database.db,
        );
        await sql`create trigger gc_block before insert on audit_log for each row execute function gc_block()`.execute(h.database.db);
      }
      try {
        const rs = await Promise.all(Array.from({ length: 20 }, () => call(h, 'GET', '/api/v1/auth/whoami', { token: admin })));
        for (const r of rs) {
          assert.equal(r.status, 503);
          assert.equal(r.body.error.code, 'audit.unavailable');
          assert.ok(!r.raw.includes('admin'), 'no data without an audit record');
        }
      } finally {
        await sql`drop trigger gc_block${dialect === 'postgres' ? sql` on audit_log` : sql``}`.execute(h.database.db);
        if (dialect === 'postgres') await sql`drop function gc_block()`.execute(h.database.db);
      }
      assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).status, 200);
    });
  });
}
