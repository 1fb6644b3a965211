import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, login, type Res, startHarness } from '../../../test/harness.ts';
import type { AuditLogTable } from '../../db/schema.ts';

const IP = '203.0.113.7';
const NO_SUCH_USER = 'usr_00000000000000000000000000';

async function maxSeq(h: Harness): Promise<number> {
  const r = await h.database.db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
  return r ? Number(r.seq) : 0;
}

async function rowCount(h: Harness): Promise<number> {
  const r = await h.database.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function rowsAfter(h: Harness, seq: number): Promise<AuditLogTable[]> {
  return h.database.db.selectFrom('audit_log').selectAll().where('seq', '>', seq).orderBy('seq').execute();
}

interface Expect {
  status: number;
  action: string;
  outcome: 'success' | 'denied' | 'failure' | 'error';
  actor: () => string | null;
  reason?: string | null;
  object?: () => string | null;
}

async function blockAuditInserts(h: Harness): Promise<void> {
  const db = h.database.db;
  if (h.database.dialect === 'sqlite') {
    await sql.raw(`CREATE TRIGGER audit_block BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit blocked'); END;`).execute(db);
  } else {
    await sql
      .raw(`create function audit_block() returns trigger language plpgsql as $$ begin raise exception 'audit blocked'; end $$`)
      .execute(db);
    await sql.raw('create trigger audit_block before insert on audit_log for each row execute function audit_block()').execute(db);
  }
}

async function unblockAuditInserts(h: Harness): Promise<void> {
  const db = h.database.db;
  await sql.raw(`DROP TRIGGER audit_block${h.database.dialect === 'postgres' ? ' ON audit_log' : ''}`).execute(db);
  if (h.database.dialect === 'postgres') await sql.raw('drop function audit_block()').execute(db);
}

for (const dialect of dialects) {
  describe(`audit trail over HTTP [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let adminId: string;
    let user: Awaited<ReturnType<typeof createUser>>;
    let auditor: Awaited<ReturnType<typeof createUser>>;
    let created: string | null = null;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      adminId = (await call(h, 'GET', '/api/v1/auth/whoami', { token: admin })).body.userId;
      user = await createUser(h, admin, 'password_user');
      auditor = await createUser(h, admin, 'password_auditor');
    });
    after(async () => h.close());

    /** Runs the call and checks it wrote exactly one record with the right fields. */
    async function oneRecord(run: () => Promise<Res>, e: Expect): Promise<{ res: Res; rec: AuditLogTable }> {
      const seq = await maxSeq(h);
      const count = await rowCount(h);
      const res = await run();
      assert.equal(res.status, e.status, res.raw);
      const added = await rowsAfter(h, seq);
      assert.equal(await rowCount(h), count + 1, `exactly one record, got: ${added.map((r) => r.action).join(', ')}`);
      assert.equal(added.length, 1);
      const rec = added[0] as AuditLogTable;
      assert.equal(rec.action, e.action);
      assert.equal(rec.outcome, e.outcome);
      assert.equal(rec.actor_id, e.actor());
      assert.equal(rec.request_id, res.headers['x-request-id'], 'the record carries the request id of the response');
      assert.equal(rec.source_ip, IP);
      if (e.reason !== undefined) assert.equal(rec.reason, e.reason);
      if (e.object) assert.equal(rec.object_id, e.object());
      if (res.status >= 400) assert.equal(res.body.error.requestId, res.headers['x-request-id']);
      return { res, rec };
    }

    const cases: Array<[string, () => Promise<Res>, Expect]> = [
      [
        'password_user lists users: 403',
        () => call(h, 'GET', '/api/v1/users', { token: user.token, ip: IP }),
        { status: 403, action: 'user.list', outcome: 'denied', actor: () => user.id, reason: 'forbidden' },
      ],
      [
        'administrator creates a user: 201',
        async () => {
          const r = await call(h, 'POST', '/api/v1/users', {
            token: admin,
            ip: IP,
            body: { username: 'audited-new-user', password: 'a-long-enough-password', role: 'password_user' },
          });
          created = r.body?.id ?? null;
          return r;
        },
        { status: 201, action: 'user.create', outcome: 'success', actor: () => adminId, object: () => created },
      ],
      [
        'validation failure: 400',
        () =>
          call(h, 'POST', '/api/v1/users', {
            token: admin,
            ip: IP,
            body: { username: 'x', password: 'short', role: 'password_user' },
          }),
        { status: 400, action: 'user.create', outcome: 'failure', actor: () => adminId, reason: 'validation.failed' },
      ],
      [
        'forged token: 401',
        () => call(h, 'GET', '/api/v1/users', { token: `cfs_${'A'.repeat(43)}`, ip: IP }),
        { status: 401, action: 'user.list', outcome: 'denied', actor: () => null, reason: 'auth.invalid_token' },
      ],
      [
        'no token: 401',
        () => call(h, 'GET', '/api/v1/users', { ip: IP }),
        { status: 401, action: 'user.list', outcome: 'denied', actor: () => null, reason: 'auth.required' },
      ],
      [
        'login: 200',
        () => call(h, 'POST', '/api/v1/auth/login', { ip: IP, body: { username: user.username, password: user.password } }),
        { status: 200, action: 'auth.login', outcome: 'success', actor: () => user.id },
      ],
      [
        'login with a wrong password: 401',
        () => call(h, 'POST', '/api/v1/auth/login', { ip: IP, body: { username: user.username, password: 'wrong-password!' } }),
        {
          status: 401,
          action: 'auth.login',
          outcome: 'denied',
          actor: () => null,
          reason: 'auth.invalid_credentials',
          object: () => user.id,
        },
      ],
      [
        'reading a user that does not exist: 404',
        () => call(h, 'GET', `/api/v1/users/${NO_SUCH_USER}`, { token: admin, ip: IP }),
        { status: 404, action: 'user.read', outcome: 'denied', actor: () => adminId, reason: 'not_found', object: () => NO_SUCH_USER },
      ],
      [
        'updating a user: 200',
        () => call(h, 'PATCH', `/api/v1/users/${user.id}`, { token: admin, ip: IP, body: { department: 'Ops' } }),
        { status: 200, action: 'user.update', outcome: 'success', actor: () => adminId, object: () => user.id },
      ],
      [
        'creating a group: 201',
        () => call(h, 'POST', '/api/v1/groups', { token: admin, ip: IP, body: { name: 'audited-group' } }),
        { status: 201, action: 'group.create', outcome: 'success', actor: () => adminId },
      ],
      [
        'an auditor reads the trail: 200',
        () => call(h, 'GET', '/api/v1/audit?limit=3', { token: auditor.token, ip: IP }),
        { status: 200, action: 'audit.read', outcome: 'success', actor: () => auditor.id },
      ],
      [
        'a password_user reads the trail: 403',
        () => call(h, 'GET', '/api/v1/audit', { token: user.token, ip: IP }),
        { status: 403, action: 'audit.read', outcome: 'denied', actor: () => user.id },
      ],
      [
        'credentials in the query string: 400',
        () => call(h, 'GET', '/api/v1/users?token=abc', { token: admin, ip: IP }),
        { status: 400, action: 'user.list', outcome: 'failure', actor: () => null, reason: 'request.credentials_in_query' },
      ],
      [
        'wrong content type: 415',
        () =>
          h.app
            .inject({
              method: 'POST',
              url: '/api/v1/groups',
              payload: 'name=x',
              remoteAddress: IP,
              headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/plain' },
            })
            .then((r) => ({ status: r.statusCode, body: r.json(), headers: r.headers as Record<string, unknown>, raw: r.body })),
        { status: 415, action: 'group.create', outcome: 'failure', actor: () => adminId, reason: 'request.unsupported_media_type' },
      ],
      [
        'whoami: 200',
        () => call(h, 'GET', '/api/v1/auth/whoami', { token: admin, ip: IP }),
        { status: 200, action: 'auth.whoami', outcome: 'success', actor: () => adminId },
      ],
      [
        'verifying the chain: 200',
        () => call(h, 'GET', '/api/v1/audit/verify', { token: auditor.token, ip: IP }),
        { status: 200, action: 'audit.verify', outcome: 'success', actor: () => auditor.id },
      ],
      [
        'signing a checkpoint: 200',
        () => call(h, 'POST', '/api/v1/audit/checkpoints', { token: auditor.token, ip: IP }),
        { status: 200, action: 'audit.checkpoint', outcome: 'success', actor: () => auditor.id },
      ],
      [
        'reading the checkpoints: 200',
        () => call(h, 'GET', '/api/v1/audit/checkpoints', { token: auditor.token, ip: IP }),
        { status: 200, action: 'audit.checkpoints_read', outcome: 'success', actor: () => auditor.id },
      ],
      [
        'resetting the unseal progress: 200',
        () => call(h, 'POST', '/api/v1/sys/unseal', { ip: IP, body: { reset: true, nonce: 'nothing-pending' } }),
        { status: 200, action: 'sys.unseal_reset', outcome: 'success', actor: () => null },
      ],
      [
        'an unknown user id on delete: 404',
        () => call(h, 'DELETE', `/api/v1/users/${NO_SUCH_USER}`, { token: admin, ip: IP }),
        { status: 404, action: 'user.delete', outcome: 'denied', actor: () => adminId },
      ],
    ];
    for (const [name, run, e] of cases) {
      it(`writes exactly one record: ${name}`, async () => {
        await oneRecord(run, e);
      });
    }

    it('writes one record for a refresh, naming the user', async () => {
      const u = await createUser(h, admin, 'password_user');
      await oneRecord(() => call(h, 'POST', '/api/v1/auth/refresh', { ip: IP, body: { refreshToken: u.refreshToken } }), {
        status: 200,
        action: 'auth.refresh',
        outcome: 'success',
        actor: () => u.id,
      });
    });

    it('writes one record for a logout', async () => {
      const u = await createUser(h, admin, 'password_user');
      await oneRecord(() => call(h, 'POST', '/api/v1/auth/logout', { token: u.token, ip: IP }), {
        status: 200,
        action: 'auth.logout',
        outcome: 'success',
        actor: () => u.id,
      });
    });

    it('a reused refresh token writes the denial and the family revocation (two records)', async () => {
      const u = await createUser(h, admin, 'password_user');
      assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: u.refreshToken } })).status, 200);
      const seq = await maxSeq(h);
      const r = await call(h, 'POST', '/api/v1/auth/refresh', { ip: IP, body: { refreshToken: u.refreshToken } });
      assert.equal(r.status, 401);
      const added = await rowsAfter(h, seq);
      assert.deepEqual(
        added.map((a) => [a.action, a.outcome, a.request_id]),
        [
          ['auth.refresh', 'denied', r.headers['x-request-id']],
          ['auth.refresh_reuse', 'denied', r.headers['x-request-id']],
        ],
      );
    });

    it('writes no record for health, seal status and the API description (audit: false)', async () => {
      const count = await rowCount(h);
      for (const url of ['/health', '/api/v1/sys/seal-status', '/api/v1/openapi.json']) {
        assert.equal((await call(h, 'GET', url, { ip: IP })).status, 200);
      }
      assert.equal(await rowCount(h), count);
    });

    it('takes the source address from the connection, not from X-Forwarded-For (no trusted proxies)', async () => {
      const { rec } = await oneRecord(
        () =>
          call(h, 'GET', '/api/v1/users', {
            token: admin,
            ip: IP,
            headers: { 'x-forwarded-for': '198.51.100.66', 'x-real-ip': '198.51.100.67' },
          }),
        { status: 200, action: 'user.list', outcome: 'success', actor: () => adminId },
      );
      assert.equal(rec.source_ip, IP);
      const { rec: denied } = await oneRecord(
        () =>
          call(h, 'POST', '/api/v1/auth/login', {
            ip: IP,
            headers: { 'x-forwarded-for': '198.51.100.66' },
            body: { username: 'nobody', password: 'x-wrong-password' },
          }),
        { status: 401, action: 'auth.login', outcome: 'denied', actor: () => null },
      );
      assert.equal(denied.source_ip, IP);
    });

    it('refuses actor fields in the body (the actor comes only from the token)', async () => {
      for (const extra of [{ actor: 'admin' }, { actorId: user.id }, { actor_id: user.id }]) {
        const { res } = await oneRecord(
          () => call(h, 'POST', '/api/v1/groups', { token: user.token, ip: IP, body: { name: `g-${Object.keys(extra)[0]}`, ...extra } }),
          { status: 400, action: 'group.create', outcome: 'failure', actor: () => user.id, reason: 'validation.failed' },
        );
        assert.equal(res.body.error.code, 'validation.failed');
        const { res: asAdmin } = await oneRecord(
          () =>
            call(h, 'POST', '/api/v1/users', {
              token: admin,
              ip: IP,
              body: { username: 'spoof-x', password: 'a-long-enough-password', role: 'password_user', ...extra },
            }),
          { status: 400, action: 'user.create', outcome: 'failure', actor: () => adminId },
        );
        assert.equal(asAdmin.body.error.code, 'validation.failed');
      }
      const { res: l } = await oneRecord(
        () =>
          call(h, 'POST', '/api/v1/auth/login', { ip: IP, body: { username: user.username, password: user.password, actorId: adminId } }),
        { status: 400, action: 'auth.login', outcome: 'failure', actor: () => null },
      );
      assert.equal(l.body.error.code, 'validation.failed');
    });

    describe('filters and paging of GET /api/v1/audit', () => {
      let snapshot: number;
      let all: AuditLogTable[];
      before(async () => {
        // some traffic of several actors and objects
        const u = await createUser(h, admin, 'password_user');
        for (let i = 0; i < 4; i++) {
          await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: `team-${i}` } });
          await call(h, 'GET', `/api/v1/users/${u.id}`, { token: u.token });
          await call(h, 'GET', '/api/v1/users', { token: u.token });
          await call(h, 'PATCH', `/api/v1/users/${u.id}`, { token: admin, body: { location: `room ${i}` } });
        }
        await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: u.refreshToken } });
        snapshot = await maxSeq(h);
        all = await h.database.db.selectFrom('audit_log').selectAll().where('seq', '<=', snapshot).orderBy('seq', 'desc').execute();
      });

      /** Every page of a query; checks no duplicates and that paging ends. */
      async function pages(query: string, limit: number) {
        const seqs: number[] = [];
        let cursor: string | null = null;
        let n = 0;
        do {
          const r = await call(h, 'GET', `/api/v1/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, {
            token: auditor.token,
          });
          assert.equal(r.status, 200, r.raw);
          assert.ok(r.body.items.length <= limit);
          for (const it of r.body.items) seqs.push(it.seq);
          cursor = r.body.nextCursor;
          assert.ok(++n < 1000);
        } while (cursor);
        assert.equal(new Set(seqs).size, seqs.length, 'no duplicates across pages');
        for (let i = 1; i < seqs.length; i++) assert.ok((seqs[i - 1] as number) > (seqs[i] as number), 'newest first');
        return seqs.filter((s) => s <= snapshot);
      }
      const expected = (pred: (r: AuditLogTable) => boolean) => all.filter(pred).map((r) => Number(r.seq));

      it('pages through everything without gaps or duplicates', async () => {
        const seqs = await pages('', 7);
        assert.deepEqual(
          seqs,
          all.map((r) => Number(r.seq)),
        );
        assert.equal(seqs.at(-1), 1);
        assert.equal(seqs[0], snapshot);
      });

      it('filters by actor', async () => {
        const seqs = await pages(`actor=${user.id}`, 5);
        assert.ok(seqs.length > 0);
        assert.deepEqual(
          seqs,
          expected((r) => r.actor_id === user.id),
        );
      });

      it('filters by object', async () => {
        const seqs = await pages(`object=${user.id}`, 4);
        assert.ok(seqs.length > 0);
        assert.deepEqual(
          seqs,
          expected((r) => r.object_id === user.id),
        );
      });

      it('filters by exact action and by prefix', async () => {
        const exact = await pages('action=user.update', 3);
        assert.ok(exact.length >= 4);
        assert.deepEqual(
          exact,
          expected((r) => r.action === 'user.update'),
        );
        const prefix = await pages(`action=${encodeURIComponent('user.*')}`, 6);
        assert.deepEqual(
          prefix,
          expected((r) => r.action.startsWith('user.')),
        );
        assert.ok(new Set(all.filter((r) => r.action.startsWith('user.')).map((r) => r.action)).size >= 3);
        // an underscore in the prefix is a literal character, not a wildcard
        const reuse = await pages(`action=${encodeURIComponent('auth.refresh_*')}`, 6);
        assert.deepEqual(
          reuse,
          expected((r) => r.action.startsWith('auth.refresh_')),
        );
        assert.equal((await call(h, 'GET', '/api/v1/audit?action=user.%25', { token: auditor.token })).status, 400);
      });

      it('filters by time (from inclusive, to exclusive)', async () => {
        const times = [...new Set(all.map((r) => Number(r.time)))].sort((a, b) => a - b);
        const from = times[Math.floor(times.length / 3)] as number;
        const to = times[Math.floor((2 * times.length) / 3)] as number;
        const iso = (t: number) => encodeURIComponent(new Date(t).toISOString());
        assert.deepEqual(
          await pages(`from=${iso(from)}`, 9),
          expected((r) => Number(r.time) >= from),
        );
        assert.deepEqual(
          await pages(`to=${iso(to)}`, 9),
          expected((r) => Number(r.time) < to),
        );
        const both = await pages(`from=${iso(from)}&to=${iso(to)}&action=${encodeURIComponent('user.*')}`, 2);
        assert.deepEqual(
          both,
          expected((r) => Number(r.time) >= from && Number(r.time) < to && r.action.startsWith('user.')),
        );
        assert.equal((await call(h, 'GET', '/api/v1/audit?from=yesterday', { token: auditor.token })).status, 400);
      });

      it('presents records with every field', async () => {
        const r = await call(h, 'GET', `/api/v1/audit?object=${user.id}&limit=1`, { token: auditor.token });
        const item = r.body.items[0];
        const row = all.find((a) => Number(a.seq) === item.seq) as AuditLogTable;
        assert.equal(item.hash, row.hash);
        assert.equal(item.prevHash, row.prev_hash);
        assert.equal(item.actorId, row.actor_id);
        assert.equal(item.requestId, row.request_id);
        assert.equal(item.time, new Date(Number(row.time)).toISOString());
      });

      it('exports JSON lines (application/jsonl), filtered the same way', async () => {
        const r = await h.app.inject({
          method: 'GET',
          url: `/api/v1/audit/export?action=${encodeURIComponent('user.*')}`,
          headers: { authorization: `Bearer ${auditor.token}` },
        });
        assert.equal(r.statusCode, 200);
        assert.match(String(r.headers['content-type']), /^application\/jsonl\b/);
        const lines = r.body.split('\n');
        assert.equal(lines.pop(), '', 'ends with a newline');
        const recs = lines.map((l) => JSON.parse(l));
        assert.deepEqual(
          recs.map((x) => x.seq).filter((s: number) => s <= snapshot),
          expected((x) => x.action.startsWith('user.')),
        );
        for (const x of recs) assert.ok(x.action.startsWith('user.'));
        const full = await h.app.inject({
          method: 'GET',
          url: '/api/v1/audit/export',
          headers: { authorization: `Bearer ${auditor.token}` },
        });
        const seqs = full.body
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).seq as number);
        assert.equal(seqs.at(-1), 1);
        for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1] as number) - 1, 'no gaps');
        const denied = await call(h, 'GET', '/api/v1/audit/export', { token: user.token });
        assert.equal(denied.status, 403);
        assert.equal(denied.body.error.code, 'forbidden');
      });
    });

    it('checkpoints: the public key and signatures verify with node:crypto', async () => {
      await call(h, 'GET', '/api/v1/users', { token: admin });
      const post = await call(h, 'POST', '/api/v1/audit/checkpoints', { token: auditor.token });
      assert.equal(post.status, 200);
      const r = await call(h, 'GET', '/api/v1/audit/checkpoints', { token: auditor.token });
      assert.equal(r.status, 200);
      assert.match(r.body.publicKey, /^-----BEGIN PUBLIC KEY-----/);
      const key = createPublicKey(r.body.publicKey);
      assert.equal(key.asymmetricKeyType, 'ed25519');
      const keyId = createHash('sha256')
        .update(key.export({ format: 'der', type: 'spki' }))
        .digest('hex')
        .slice(0, 16);
      assert.ok(r.body.checkpoints.length >= 1);
      for (const cp of r.body.checkpoints) {
        // v2 (a store with MACs): the record's MAC and the MAC start are signed too
        assert.equal(cp.macFrom, 1);
        assert.match(cp.mac, /^[0-9a-f]{64}$/);
        const message = Buffer.from(
          JSON.stringify(['coffer-audit-checkpoint/v2', cp.seq, cp.hash, cp.mac, cp.macFrom, Date.parse(cp.time)]),
        );
        assert.equal(edVerify(null, message, key, Buffer.from(cp.signature, 'base64')), true, `checkpoint ${cp.seq} verifies`);
        for (const forged of [
          ['coffer-audit-checkpoint/v2', cp.seq + 1, cp.hash, cp.mac, cp.macFrom, Date.parse(cp.time)],
          ['coffer-audit-checkpoint/v2', cp.seq, cp.hash, cp.mac, cp.macFrom + 1, Date.parse(cp.time)],
          ['coffer-audit-checkpoint/v1', cp.seq, cp.hash, Date.parse(cp.time)],
        ]) {
          assert.equal(edVerify(null, Buffer.from(JSON.stringify(forged)), key, Buffer.from(cp.signature, 'base64')), false);
        }
        assert.equal(cp.keyId, keyId);
        const row = await h.database.db.selectFrom('audit_log').select(['hash', 'mac']).where('seq', '=', cp.seq).executeTakeFirstOrThrow();
        assert.equal(row.hash, cp.hash, 'the checkpoint signs the record hash at its seq');
        assert.equal(row.mac, cp.mac, 'and its MAC');
      }
      const last = r.body.checkpoints.at(-1);
      assert.ok(last.seq >= (await maxSeq(h)) - 2, 'the newest checkpoint covers the head at the time of the request');
      assert.equal((await call(h, 'GET', '/api/v1/audit/checkpoints', { token: user.token })).status, 403);
    });

    it('fails closed: when the audit record cannot be written nothing is done and no data is returned', async () => {
      const db = h.database.db;
      const count = await rowCount(h);
      const sessions = await db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      await blockAuditInserts(h);
      try {
        const create = await call(h, 'POST', '/api/v1/users', {
          token: admin,
          body: { username: 'never-created', password: 'a-long-enough-password', role: 'password_user' },
        });
        assert.equal(create.status, 503, create.raw);
        assert.equal(create.body.error.code, 'audit.unavailable');

        const list = await call(h, 'GET', '/api/v1/users', { token: admin });
        assert.equal(list.status, 503);
        assert.equal(list.body.error.code, 'audit.unavailable');
        assert.deepEqual(Object.keys(list.body), ['error']);
        for (const leak of ['usr_', ADMIN.username, user.username, auditor.username])
          assert.ok(!list.raw.includes(leak), `no user data: ${leak}`);

        const read = await call(h, 'GET', `/api/v1/users/${user.id}`, { token: admin });
        assert.equal(read.status, 503);
        assert.ok(!read.raw.includes(user.username));

        const audit = await call(h, 'GET', '/api/v1/audit', { token: auditor.token });
        assert.equal(audit.status, 503);
        assert.ok(!audit.raw.includes('"items"'));

        const signIn = await call(h, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: user.password } });
        assert.equal(signIn.status, 503);
        assert.equal(signIn.body.error.code, 'audit.unavailable');
        assert.ok(!signIn.raw.includes('cfs_'));

        const denied = await call(h, 'GET', '/api/v1/users', { token: user.token });
        assert.equal(denied.status, 503, 'a denial that cannot be recorded is refused as unavailable');

        assert.equal((await call(h, 'GET', '/health')).status, 200, 'unaudited routes still answer');
      } finally {
        await unblockAuditInserts(h);
      }
      assert.equal(await rowCount(h), count, 'nothing was recorded');
      const nobody = await db.selectFrom('users').select('id').where('username_canonical', '=', 'never-created').executeTakeFirst();
      assert.equal(nobody, undefined, 'the user was not created');
      const after = await db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(after.n), Number(sessions.n), 'no session was created');
      assert.match(h.logs(), /audit write failed|request failed/);
      // and afterwards everything works again, with an intact chain
      const again = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: 'never-created', password: 'a-long-enough-password', role: 'password_user' },
      });
      assert.equal(again.status, 201);
      const v = await call(h, 'GET', '/api/v1/audit/verify', { token: auditor.token });
      assert.equal(v.body.ok, true, JSON.stringify(v.body.firstBad));
      await login(h, user.username, user.password);
    });
  });
}
