// Issue 10, section 5, made deterministic on PostgreSQL: two workflow transactions forced into one
// interleaving. The test holds the audit chain head (every write takes it last, just before its
// commit), starts the first call and waits until its transaction has done all its work and queues
// for the head; starts the second and waits until it queues behind the first; then lets go. So the
// second's statements run against the first's committed row, as on two busy nodes, every time.
// (SQLite runs one transaction at a time: there is nothing to interleave there; the model test and
// the race test cover it.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { adminToken, call, createUser, type Harness, PG_URL, type Res, startHarness } from '../../../test/harness.ts';

type User = Awaited<ReturnType<typeof createUser>>;

describe('workflow transitions forced to interleave [postgres]', () => {
  let h: Harness;
  let owner: User;
  let alice: User;
  let gated: string;
  let open: string;
  let monitor: pg.Client;

  before(async () => {
    h = await startHarness('postgres');
    const admin = await adminToken(h);
    owner = await createUser(h, admin, 'password_administrator');
    alice = await createUser(h, admin, 'password_user');
    const vault = await call(h, 'POST', '/api/v1/vaults', {
      token: owner.token,
      body: { name: 'Interleavings', policy: { checkout: { exclusive: true, maxMinutes: 30, rotateOnCheckin: true } } },
    });
    assert.equal(vault.status, 201, vault.raw);
    open = vault.body.id;
    const folder = await call(h, 'POST', '/api/v1/folders', {
      token: owner.token,
      body: { vaultId: open, name: 'Gated', policy: { approval: { required: true } } },
    });
    assert.equal(folder.status, 201, folder.raw);
    gated = folder.body.id;
    const g = await call(h, 'POST', '/api/v1/grants', {
      token: owner.token,
      body: { nodeId: open, principalType: 'user', principalId: alice.id, level: 'reveal' },
    });
    assert.equal(g.status, 201, g.raw);
    monitor = new pg.Client({ connectionString: PG_URL });
    await monitor.connect();
  });
  after(async () => {
    await monitor?.end();
    await h.close();
  });

  const ok = async (p: Promise<Res>, status = 200) => {
    const r = await p;
    assert.equal(r.status, status, r.raw);
    return r.body;
  };
  const secret = async (name: string, folderId?: string) =>
    (
      await ok(
        call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: {
            vaultId: open,
            ...(folderId ? { folderId } : {}),
            template: 'web-login',
            name,
            fields: { password: `${name}-canary-1!` },
          },
        }),
        201,
      )
    ).id as string;
  /** A fresh secret in the gated folder with an approved checkout request of alice's. */
  const approved = async (name: string) => {
    const id = await secret(name, gated);
    const r = await ok(
      call(h, 'POST', '/api/v1/access-requests', {
        token: alice.token,
        body: { secretId: id, action: 'checkout', reason: `work on ${name}`, durationMinutes: 20 },
      }),
      201,
    );
    await ok(call(h, 'POST', `/api/v1/access-requests/${r.id}/approve`, { token: owner.token, body: { comment: 'ok' } }));
    return { secretId: id, requestId: r.id as string };
  };
  const checkout = (secretId: string, requestId?: string) =>
    call(h, 'POST', `/api/v1/secrets/${secretId}/checkout`, {
      token: alice.token,
      body: { reason: 'interleaved', ...(requestId ? { requestId } : {}) },
    });
  const revoke = (requestId: string) =>
    call(h, 'POST', `/api/v1/access-requests/${requestId}/revoke`, { token: owner.token, body: { comment: 'stop' } });
  const checkin = (secretId: string) => call(h, 'POST', `/api/v1/secrets/${secretId}/checkin`, { token: alice.token, body: {} });

  /** A backend (not in `except`) that waits for a lock one of `by` holds. Polls the server's view, no sleeping. */
  async function blockedBy(by: number[], except: number[] = []): Promise<number> {
    for (let i = 0; i < 20_000; i++) {
      const r = await monitor.query<{ pid: number }>(
        'select pid from pg_stat_activity where pid <> all($2::int[]) and pg_blocking_pids(pid) && $1::int[]',
        [by, except],
      );
      if (r.rows[0]) return r.rows[0].pid;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`nothing queued behind ${by}`);
  }

  /**
   * Runs `first` until it queues for the audit head (its work done, its row locks held), then
   * `second` until it queues behind `first` (or behind the head, when nothing of `first`'s is in
   * its way), then lets both finish. Returns both answers.
   */
  async function interleave(first: () => Promise<Res>, second: () => Promise<Res>): Promise<[Res, Res]> {
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    try {
      const me = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid as number;
      await holder.query('begin');
      await holder.query(`select seq from "${h.schema}".audit_head where id = 1 for update`);
      const a = first();
      const firstPid = await blockedBy([me]);
      const b = second();
      await blockedBy([me, firstPid], [firstPid]);
      await holder.query('commit');
      return [await a, await b];
    } finally {
      await holder.end();
    }
  }

  const auditOf = async (action: string, objectId: string) =>
    h.database.db
      .selectFrom('audit_log')
      .select(['outcome', 'reason', 'details'])
      .where('action', '=', action)
      .where('object_id', '=', objectId)
      .orderBy('seq')
      .execute();

  it('a revoke that waited for a checkout of its request ends that checkout, rotates and says so', async () => {
    const { secretId, requestId } = await approved('revoke after checkout');
    const [co, rv] = await interleave(
      () => checkout(secretId, requestId),
      () => revoke(requestId),
    );
    assert.equal(co.status, 201, co.raw);
    assert.equal(rv.status, 200, rv.raw);
    assert.equal(rv.body.state, 'revoked');
    const row = await h.database.db.selectFrom('checkouts').selectAll().where('id', '=', co.body.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.active), 0, 'the checkout that got in first is ended');
    assert.equal(row.end_reason, 'revoked');
    assert.equal(row.rotated_version, 2, 'rotated, as the policy says for every end of a checkout');
    const [rec] = await auditOf('request.revoke', requestId);
    assert.equal(rec?.outcome, 'success');
    assert.deepEqual(JSON.parse(rec?.details ?? '{}'), {
      secretId,
      requesterId: alice.id,
      was: 'checked_out',
      endedCheckout: co.body.id,
      rotatedVersion: 2,
      rotationTrigger: 'revoked',
    });
    const reveal = await call(h, 'POST', `/api/v1/secrets/${secretId}/reveal`, { token: alice.token, body: { reason: 'still?' } });
    assert.equal(reveal.status, 403, 'the holder reveals nothing any more');
    assert.equal(reveal.body.error.code, 'secret.approval_required');
  });

  it('a checkout that waited for a revoke of its request is told the request is revoked', async () => {
    const { secretId, requestId } = await approved('checkout after revoke');
    const [rv, co] = await interleave(
      () => revoke(requestId),
      () => checkout(secretId, requestId),
    );
    assert.equal(rv.status, 200, rv.raw);
    assert.equal(co.status, 409, co.raw);
    assert.equal(co.body.error.code, 'conflict');
    assert.equal(co.body.error.message, 'The access request is revoked.');
    assert.equal((await h.database.db.selectFrom('checkouts').select('id').where('request_id', '=', requestId).execute()).length, 0);
    const [rec] = await auditOf('request.revoke', requestId);
    assert.deepEqual(JSON.parse(rec?.details ?? '{}'), {
      secretId,
      requesterId: alice.id,
      was: 'approved',
      endedCheckout: null,
      rotatedVersion: null,
      rotationTrigger: null,
    });
  });

  it('a revoke that waited for a checkin is told the request is checked in', async () => {
    const { secretId, requestId } = await approved('revoke after checkin');
    await ok(checkout(secretId, requestId), 201);
    const [ci, rv] = await interleave(
      () => checkin(secretId),
      () => revoke(requestId),
    );
    assert.equal(ci.status, 200, ci.raw);
    assert.equal(rv.status, 409, rv.raw);
    assert.equal(rv.body.error.message, 'The access request is checked in.');
  });

  it('a checkin that waited for a revoke reads again and says how the checkout ended', async () => {
    const { secretId, requestId } = await approved('checkin after revoke');
    await ok(checkout(secretId, requestId), 201);
    const [rv, ci] = await interleave(
      () => revoke(requestId),
      () => checkin(secretId),
    );
    assert.equal(rv.status, 200, rv.raw);
    assert.equal(ci.status, 409, ci.raw);
    assert.match(
      ci.body.error.message,
      /^The secret is not checked out \(the checkout ended meanwhile: its approval was revoked at .+\)\.$/,
    );
    const [rec] = await auditOf('request.revoke', requestId);
    assert.equal(JSON.parse(rec?.details ?? '{}').was, 'checked_out');
  });

  it('a rotation that waited for a checkout in flight refuses, naming the new holder', async () => {
    const secretId = await secret('rotate during checkout');
    const [co, rot] = await interleave(
      () => checkout(secretId),
      () => call(h, 'POST', `/api/v1/secrets/${secretId}/rotate`, { token: owner.token, body: { reason: 'quarterly' } }),
    );
    assert.equal(co.status, 201, co.raw);
    assert.equal(rot.status, 409, rot.raw);
    assert.equal(rot.body.error.code, 'secret.checked_out');
    assert.equal(rot.body.error.details[0].message, alice.username);
    const s = await h.database.db.selectFrom('secrets').select('version').where('id', '=', secretId).executeTakeFirstOrThrow();
    assert.equal(Number(s.version), 1, 'the password did not change under the holder');
  });
});
