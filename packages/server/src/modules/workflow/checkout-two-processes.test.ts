// Two real Coffer server processes on one PostgreSQL schema: 50 concurrent checkouts of one secret,
// spread over both processes, have exactly one winner (the database decides, not a process-local
// lock), and both processes see the same holder. An expired checkout is checked in (and rotated)
// once, by whichever process's scheduler gets to it, never twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dropSchema, PG_URL } from '../../../test/harness.ts';
import { api, loginAs, newUser, type ServerProcess, startNode } from '../../../test/server-process.ts';
import { verifyWebhookSignature } from '../webhooks/signature.ts';

const ADMIN_PASSWORD = 'two-process-admin-pw-1';
const CONCURRENT = 50;

describe('exclusive checkout across two server processes on one PostgreSQL', () => {
  const schema = `two_${Date.now().toString(36)}_${process.pid}`;
  const url = `${PG_URL}?schema=${schema}`;
  const dirA = mkdtempSync(path.join(tmpdir(), 'coffer-two-a-'));
  const dirB = mkdtempSync(path.join(tmpdir(), 'coffer-two-b-'));
  let a: ServerProcess;
  let b: ServerProcess;
  const users: Array<{ id: string; username: string; password: string; tokenA: string; tokenB: string }> = [];
  let ownerToken: string;
  let vaultId: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];

  before(async () => {
    receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    a = await startNode({ COFFER_DATA_DIR: dirA, COFFER_DATABASE_URL: url, COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD });
    // the second process shares the store and unseals with the first one's key file
    b = await startNode({ COFFER_DATA_DIR: dirB, COFFER_DATABASE_URL: url, COFFER_KEY_FILE: path.join(dirA, 'coffer.key') });
    const admin = await loginAs(a.base, 'admin', ADMIN_PASSWORD);
    const mk = (role: string) => newUser(a.base, admin, role);
    const owner = await mk('password_administrator');
    ownerToken = await loginAs(a.base, owner.username, owner.password);
    for (let i = 0; i < 10; i++) {
      const u = await mk('password_user');
      users.push({ ...u, tokenA: await loginAs(a.base, u.username, u.password), tokenB: await loginAs(b.base, u.username, u.password) });
    }
    const v = await api(a.base, 'POST', '/api/v1/vaults', ownerToken, {
      name: 'Two processes',
      policy: { checkout: { exclusive: true, maxMinutes: 30, rotateOnCheckin: true } },
    });
    assert.equal(v.status, 201, v.raw);
    vaultId = v.body.id;
    for (const u of users) {
      const g = await api(a.base, 'POST', '/api/v1/grants', ownerToken, {
        nodeId: vaultId,
        principalType: 'user',
        principalId: u.id,
        level: 'reveal',
      });
      assert.equal(g.status, 201, g.raw);
    }
  });

  after(async () => {
    receiver?.close();
    for (const p of [a, b]) await p?.stop();
    await dropSchema(schema);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('lets exactly one of 50 concurrent checkouts win, whichever process serves it', async () => {
    const s = await api(a.base, 'POST', '/api/v1/secrets', ownerToken, {
      vaultId,
      template: 'web-login',
      name: 'contended',
      fields: { password: 'two-process-canary-1!' },
    });
    assert.equal(s.status, 201, s.raw);
    const results = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const u = users[i % users.length] as (typeof users)[number];
        const viaA = i % 2 === 0;
        const r = await api(viaA ? a.base : b.base, 'POST', `/api/v1/secrets/${s.body.id}/checkout`, viaA ? u.tokenA : u.tokenB, {
          reason: `race ${i}`,
          durationMinutes: 10,
        });
        return { ...r, user: u, viaA };
      }),
    );
    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status === 409);
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal(lost.length, CONCURRENT - 1, JSON.stringify(results.filter((r) => r.status !== 409 && r.status !== 201)));
    const winner = (won[0] as (typeof won)[number]).user;
    for (const l of lost) assert.match(l.body.error.message, new RegExp(winner.username), 'the 409 names the holder');
    // both processes see the one checkout
    for (const p of [a, b]) {
      const list = await api(p.base, 'GET', '/api/v1/checkouts', ownerToken);
      assert.equal(list.status, 200, list.raw);
      const mine = list.body.items.filter((c: { secretId: string }) => c.secretId === s.body.id);
      assert.equal(mine.length, 1);
    }
    // the store holds one active checkout row
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const n = await c.query(`select count(*)::int as n from "${schema}".checkouts where secret_id = $1`, [s.body.id]);
      assert.equal(n.rows[0].n, 1);
    } finally {
      await c.end();
    }
  });

  it('checks an expired checkout in by itself, rotates it once, and tells a signed webhook once per event', async () => {
    const admin = await loginAs(b.base, 'admin', ADMIN_PASSWORD);
    const hook = await api(b.base, 'POST', '/api/v1/webhooks', admin, {
      url: receiverUrl,
      events: ['checkout.started', 'checkout.ended', 'secret.rotated'],
    });
    assert.equal(hook.status, 201, hook.raw);
    const signingSecret = hook.body.secret as string;
    assert.ok(signingSecret);
    const s = await api(a.base, 'POST', '/api/v1/secrets', ownerToken, {
      vaultId,
      template: 'web-login',
      name: 'expires by itself',
      fields: { password: 'old-password-canary-2!' },
    });
    assert.equal(s.status, 201, s.raw);
    const holder = users[0] as (typeof users)[number];
    const co = await api(a.base, 'POST', `/api/v1/secrets/${s.body.id}/checkout`, holder.tokenA, {
      reason: 'short job',
      durationMinutes: 1,
    });
    assert.equal(co.status, 201, co.raw);
    const endsAt = Date.parse(co.body.endsAt);
    const before = await api(a.base, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, holder.tokenA, { reason: 'use it' });
    assert.equal(before.status, 200, before.raw);
    assert.equal(before.body.values.password, 'old-password-canary-2!');
    // nobody checks in: one of the two processes' sweeps must, within the duration plus a few
    // seconds (answers already treat an overdue checkout as ended; the row shows the sweep's work)
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    let ended: number | null = null;
    try {
      while (Date.now() < endsAt + 15_000) {
        const r = await db.query(`select active, rotated_version from "${schema}".checkouts where id = $1`, [co.body.id]);
        if (r.rows[0]?.active === 0) {
          ended = Date.now();
          assert.ok(r.rows[0].rotated_version !== null, 'rotated on the automatic checkin');
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await db.end();
    }
    assert.ok(ended !== null, 'the checkout was not ended by the sweep');
    assert.ok(ended - endsAt < 5_000, `checked in ${ended - endsAt} ms after its end`);
    // rotated on checkin: a new version is current, the old value is history
    const after = await api(b.base, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, ownerToken, { reason: 'check rotation' });
    assert.equal(after.status, 200, after.raw);
    assert.notEqual(after.body.values.password, 'old-password-canary-2!');
    assert.ok(after.body.version > before.body.version);
    const hist = await api(a.base, 'GET', `/api/v1/secrets/${s.body.id}/history`, ownerToken);
    assert.equal(hist.status, 200, hist.raw);
    assert.ok(JSON.stringify(hist.body).includes('rotat'), 'the rotation is a version in the history');
    // the events reach the receiver signed, each exactly once (retries keep the delivery id)
    const want = ['checkout.started', 'checkout.ended', 'secret.rotated'];
    const deadline = Date.now() + 15_000;
    const mine = () =>
      received.filter((r) => {
        try {
          return (JSON.parse(r.body) as { data: { secretId?: string } }).data.secretId === s.body.id;
        } catch {
          return false;
        }
      });
    while (Date.now() < deadline && !want.every((t) => mine().some((r) => JSON.parse(r.body).type === t))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const got = mine();
    for (const t of want) assert.equal(got.filter((r) => JSON.parse(r.body).type === t).length, 1, `${t} once: ${got.map((r) => r.body)}`);
    for (const r of got) {
      const ok = verifyWebhookSignature(
        signingSecret,
        r.headers['coffer-timestamp'] as string,
        r.body,
        r.headers['coffer-signature'] as string,
      );
      assert.ok(ok, 'signature verifies');
      assert.ok(!r.body.includes('old-password-canary-2!') && !r.body.includes(after.body.values.password), 'no secret value in events');
    }
    assert.ok(
      !verifyWebhookSignature(
        'whsec_wrong',
        got[0]?.headers['coffer-timestamp'] as string,
        got[0]?.body as string,
        got[0]?.headers['coffer-signature'] as string,
      ),
    );
    // exactly one checkin was recorded, by the system
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const n = await c.query(
        `select count(*)::int as n from "${schema}".audit_log where action = 'checkout.expired' and object_id in (select id from "${schema}".checkouts where secret_id = $1)`,
        [s.body.id],
      );
      assert.equal(n.rows[0].n, 1, 'one expiry, although two processes sweep');
    } finally {
      await c.end();
    }
  });
});
