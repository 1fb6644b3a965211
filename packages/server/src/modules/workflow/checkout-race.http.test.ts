// 50 concurrent checkouts of one secret over real HTTP: the database decides (unique partial index),
// so exactly one wins and every other request gets 409 naming the holder and the end time.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, type Res, startHarness } from '../../../test/harness.ts';

const CONCURRENT = 50;
const USERS = 10;

for (const dialect of dialects) {
  describe(`exclusive checkout under ${CONCURRENT} concurrent requests [${dialect}]`, () => {
    let h: Harness;
    let base: string;
    let users: Array<Awaited<ReturnType<typeof createUser>>>;
    let secretId: string;

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      const owner = await createUser(h, admin, 'password_administrator');
      users = [];
      for (let i = 0; i < USERS; i++) users.push(await createUser(h, admin, 'password_user'));
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: owner.token,
        body: { name: `Race ${dialect}`, policy: { checkout: { exclusive: true, maxMinutes: 30 } } },
      });
      assert.equal(v.status, 201, v.raw);
      for (const u of users) {
        const g = await call(h, 'POST', '/api/v1/grants', {
          token: owner.token,
          body: { nodeId: v.body.id, principalType: 'user', principalId: u.id, level: 'reveal' },
        });
        assert.equal(g.status, 201, g.raw);
      }
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: { vaultId: v.body.id, template: 'web-login', name: 'contended', fields: { password: 'race-canary-1!' } },
      });
      assert.equal(s.status, 201, s.raw);
      secretId = s.body.id;
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    });
    after(async () => h.close());

    it('lets exactly one win; the others get 409 with holder and end time', async () => {
      const attempts = Array.from({ length: CONCURRENT }, (_, i) => users[i % USERS] as (typeof users)[number]);
      const results = await Promise.all(
        attempts.map(async (u) => {
          const r = await fetch(`${base}/api/v1/secrets/${secretId}/checkout`, {
            method: 'POST',
            headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ reason: `race ${u.username}`, durationMinutes: 10 }),
          });
          return { status: r.status, body: (await r.json()) as Res['body'], user: u };
        }),
      );
      const won = results.filter((r) => r.status === 201);
      const lost = results.filter((r) => r.status === 409);
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.equal(lost.length, CONCURRENT - 1, JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 409)));
      const winner = won[0] as (typeof won)[number];
      assert.equal(winner.body.holderId, winner.user.id);
      for (const l of lost) {
        assert.equal(l.body.error.code, 'secret.checked_out');
        assert.deepEqual(l.body.error.details, [
          { path: '/holder', message: winner.user.username },
          { path: '/holderId', message: winner.user.id },
          { path: '/endsAt', message: winner.body.endsAt },
        ]);
        assert.ok(l.body.error.message.includes(winner.body.endsAt));
      }
      const rows = await h.database.db.selectFrom('checkouts').selectAll().where('secret_id', '=', secretId).execute();
      assert.equal(rows.length, 1, 'one checkout row, the losers left nothing behind');
      const audit = await h.database.db.selectFrom('audit_log').select('outcome').where('action', '=', 'checkout.start').execute();
      assert.equal(audit.filter((a) => a.outcome === 'success').length, 1);
      assert.equal(audit.filter((a) => a.outcome === 'failure').length, CONCURRENT - 1, 'every refusal is audited');
    });

    it('is enforced by the database itself: a second active row cannot be written', async () => {
      const row = await h.database.db.selectFrom('checkouts').selectAll().where('secret_id', '=', secretId).executeTakeFirstOrThrow();
      await assert.rejects(
        h.database.db
          .insertInto('checkouts')
          .values({ ...row, id: 'cko_00000000000000000000000000' })
          .execute(),
        /unique|UNIQUE/,
      );
      // an ended row beside the active one is fine
      await h.database.db
        .insertInto('checkouts')
        .values({ ...row, id: 'cko_00000000000000000000000001', active: 0, end_reason: 'checkin', ended_at: row.started_at })
        .execute();
      await h.database.db.deleteFrom('checkouts').where('id', '=', 'cko_00000000000000000000000001').execute();
    });

    it('checks in, and the next one can check out', async () => {
      const rows = await h.database.db.selectFrom('checkouts').selectAll().where('secret_id', '=', secretId).execute();
      const holder = users.find((u) => u.id === rows[0]?.holder_id) as (typeof users)[number];
      const other = users.find((u) => u.id !== holder.id) as (typeof users)[number];
      assert.equal(
        (await call(h, 'POST', `/api/v1/secrets/${secretId}/checkin`, { token: holder.token, body: { reason: 'done' } })).status,
        200,
      );
      const next = await call(h, 'POST', `/api/v1/secrets/${secretId}/checkout`, { token: other.token, body: { reason: 'mine' } });
      assert.equal(next.status, 201, next.raw);
    });
  });
}
