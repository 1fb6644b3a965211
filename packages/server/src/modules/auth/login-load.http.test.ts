import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ADMIN, call, dialects, type Harness, login, startHarness } from '../../../test/harness.ts';
import { buildApp } from '../../app.ts';

for (const dialect of dialects) {
  describe(`password hashing under load [${dialect}]`, () => {
    const open: Harness[] = [];
    after(async () => {
      for (const h of open) await h.close();
    });

    it('rehashes a password at login when the configured cost rose', async () => {
      const h = await startHarness(dialect, { config: { argon2: { memoryKiB: 19456, passes: 2, maxConcurrent: 4, maxQueue: 64 } } });
      open.push(h);
      const before = await h.database.db
        .selectFrom('users')
        .select('password_hash')
        .where('username', '=', ADMIN.username)
        .executeTakeFirstOrThrow();
      assert.match(before.password_hash ?? '', /\$m=19456,t=2,p=1\$/);
      // the same store served by a server configured with a higher cost
      const stronger = await buildApp({
        config: { ...h.config, argon2: { ...h.config.argon2, passes: 3, memoryKiB: 20480 } },
        database: h.database,
      });
      await stronger.start();
      await login({ app: stronger.app }, ADMIN.username, ADMIN.password);
      const afterRow = await h.database.db
        .selectFrom('users')
        .select('password_hash')
        .where('username', '=', ADMIN.username)
        .executeTakeFirstOrThrow();
      assert.match(afterRow.password_hash ?? '', /\$m=20480,t=3,p=1\$/);
      await stronger.app.close();
      await login(h, ADMIN.username, ADMIN.password); // the new hash still verifies with the old server
    });

    it('200 parallel logins: at most maxConcurrent hashes run, the excess is refused fast with 503, none fails with 500', async () => {
      const h = await startHarness(dialect, { config: { argon2: { memoryKiB: 19456, passes: 2, maxConcurrent: 4, maxQueue: 16 } } });
      open.push(h);
      let peak = 0;
      const gate = h.coffer.services.hasher.gate;
      const sampler = setInterval(() => {
        peak = Math.max(peak, gate.active);
      }, 1);
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          call(h, 'POST', '/api/v1/auth/login', {
            body: { username: ADMIN.username, password: ADMIN.password },
            ip: `10.1.${i % 250}.1`,
          }).then((r) => ({ ...r, ms: Date.now() - started })),
        ),
      );
      clearInterval(sampler);
      const byStatus = new Map<number, number>();
      for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      assert.deepEqual([...byStatus.keys()].sort(), [200, 503], JSON.stringify([...byStatus]));
      assert.ok(peak <= 4, `peak concurrent hashes ${peak}`);
      const busy = results.filter((r) => r.status === 503);
      assert.ok(busy.every((r) => r.body.error.code === 'auth.busy' && r.headers['retry-after'] === '1'));
      assert.ok((byStatus.get(200) ?? 0) >= 4);
    });
  });
}
