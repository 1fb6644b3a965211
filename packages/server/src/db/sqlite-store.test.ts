// The hot queries (built once by `prepared()`: authentication, loading a secret with its grant
// levels, the policy chain, the audit append) must never scan a table whatever the planner's
// statistics say. SQLite keeps the statistics of its last ANALYZE: taken while a table was small,
// they can make a scan look as cheap as an index — a permission check then costs O(rows) instead
// of O(depth of the tree). This test takes the statistics on a tiny store, grows the tables that
// grow in production, runs the hourly statistics refresh, and reads the plan of every hot
// statement the requests ran.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { adminToken, call, createUser, type Harness, startHarness } from '../../test/harness.ts';
import { openDatabase } from './database.ts';
import { namedStatements } from './prepared.ts';

describe('hot queries use indexes even with statistics from a small store [sqlite]', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('sqlite');
  });
  after(async () => h.close());

  it('plans no scan of a growing table', async () => {
    const admin = await adminToken(h);
    const owner = await createUser(h, admin, 'password_administrator');
    const reader = await createUser(h, admin, 'password_user');
    const g = await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: 'plans' } });
    assert.equal((await call(h, 'PUT', `/api/v1/groups/${g.body.id}/members/${reader.id}`, { token: admin })).status, 200);
    const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: 'Plans' } });
    const f = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: v.body.id, name: 'Hosts' } });
    const s = await call(h, 'POST', '/api/v1/secrets', {
      token: owner.token,
      body: { vaultId: v.body.id, folderId: f.body.id, template: 'web-login', name: 'portal', fields: { password: 'p4ss-plans' } },
    });
    assert.equal(s.status, 201, s.raw);
    assert.equal(
      (
        await call(h, 'POST', '/api/v1/grants', {
          token: owner.token,
          body: { nodeId: v.body.id, principalType: 'group', principalId: g.body.id, level: 'reveal' },
        })
      ).status,
      201,
    );

    const key = await call(h, 'POST', '/api/v1/me/api-keys', {
      token: reader.token,
      body: {
        name: 'plans',
        allowedCidrs: ['0.0.0.0/0', '::/0'],
        allowAnyAddress: true,
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        currentPassword: reader.password,
      },
    });
    assert.equal(key.status, 201, key.raw);

    // statistics of the small store, as an early import would leave them
    const db = h.database.db;
    await sql`analyze`.execute(db);
    // then the store grows: each table of the hot paths gets thousands of rows (copies of its
    // rows under new keys; the foreign keys are off for the fill), and the hourly refresh runs
    await sql`pragma foreign_keys = off`.execute(db);
    const grow = async (table: string, keys: string[]) => {
      const cols = (await sql.raw<{ name: string }>(`pragma table_info(${table})`).execute(db)).rows.map((c) => c.name);
      const exprs = cols.map((c) => (keys.includes(c) ? `${c} || '-' || n.i` : c));
      await sql
        .raw(
          `with recursive n(i) as (select 1 union all select i + 1 from n where i < 4000) ` +
            `insert into ${table} (${cols.join(', ')}) select ${exprs.join(', ')} from ${table}, n`,
        )
        .execute(db);
    };
    await grow('group_members', ['user_id']);
    await grow('secrets', ['id', 'name']);
    await grow('secret_values', ['secret_id']);
    await grow('tree_paths', ['descendant_id']);
    await grow('grants', ['id', 'node_id']);
    await grow('api_keys', ['id', 'key_hash']);
    await sql`pragma foreign_keys = on`.execute(db);
    // the hot paths run (and register their statements): session and API-key authentication,
    // a reveal (secret + grant levels, policy chain, values, audit append)
    for (const token of [reader.token, key.body.key as string]) {
      const r = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, { token, body: {} });
      assert.equal(r.status, 200, r.raw);
    }

    const growing = ['group_members', 'grants', 'tree_paths', 'secrets', 'secret_values', 'api_keys'];
    const texts = [...namedStatements.keys()];
    assert.ok(texts.length >= 5, `only ${texts.length} hot statements registered`);
    const scans = async (tables: string[]) => {
      const found: string[] = [];
      for (const text of texts) {
        // unbound parameters: the plan SQLite makes when it prepares the statement
        const plan = (await sql.raw<{ detail: string }>(`explain query plan ${text}`).execute(db)).rows.map((x) => x.detail);
        for (const line of plan) {
          const m = /^SCAN (\w+)/.exec(line);
          if (m && tables.includes(m[1] as string) && !/USING (COVERING )?INDEX/.test(line))
            found.push(`${line}  ←  ${text.slice(0, 120)}`);
        }
      }
      return found;
    };
    // before any refresh, with the small store's statistics: the permission check still probes
    // memberships by key (it used to read them all)
    assert.deepEqual(await scans(['group_members', 'grants', 'tree_paths']), [], 'a permission probe scans');
    // after the hourly refresh, no hot statement scans a grown table
    assert.ok(h.database.refreshStatistics, 'the SQLite store refreshes its statistics');
    await h.database.refreshStatistics();
    const offenders = await scans(growing);
    assert.deepEqual(offenders, [], 'hot statements that scan a growing table');
  });
});

describe('the SQLite store is owner-only', () => {
  it('creates the database, its log and shared memory 0600, and tightens a database file others could read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-mode-'));
    try {
      const file = path.join(dir, 'coffer.db');
      writeFileSync(file, '', { mode: 0o644 }); // as a package's post-install step might leave it
      chmodSync(file, 0o644);
      const d = await openDatabase(`sqlite:${file}`);
      try {
        await sql`create table t (a)`.execute(d.db);
        await sql`insert into t values (1)`.execute(d.db);
        for (const f of [file, `${file}-wal`, `${file}-shm`]) {
          assert.equal(statSync(f).mode & 0o777, 0o600, `${path.basename(f)} is ${(statSync(f).mode & 0o777).toString(8)}`);
        }
      } finally {
        await d.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
