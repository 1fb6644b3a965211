import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';

const SECRET_VALUE = 'db-canary-Xq7!pass';

for (const dialect of dialects) {
  describe(`vaults, folders, grants and secrets over HTTP [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let reader: Awaited<ReturnType<typeof createUser>>;
    let outsider: Awaited<ReturnType<typeof createUser>>;
    let groupId: string;
    const ids: Record<string, string> = {};

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      reader = await createUser(h, admin, 'password_user');
      outsider = await createUser(h, admin, 'password_user');
      const g = await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: `ops-${dialect}` } });
      groupId = g.body.id;
      assert.equal((await call(h, 'PUT', `/api/v1/groups/${groupId}/members/${reader.id}`, { token: admin })).status, 200);
    });
    after(async () => h.close());

    it('builds a tree: vault, nested folders with paths, a broken branch', async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Infra ${dialect}` } });
      assert.equal(v.status, 201);
      assert.equal(v.body.myLevel, 'manage');
      ids.vault = v.body.id;
      const servers = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: ids.vault, name: 'Servers' } });
      assert.equal(servers.status, 201);
      ids.servers = servers.body.id;
      const linux = await call(h, 'POST', '/api/v1/folders', {
        token: owner.token,
        body: { vaultId: ids.vault, parentId: ids.servers, name: 'Linux' },
      });
      assert.equal(linux.body.path, '/Servers/Linux');
      ids.linux = linux.body.id;
      const secretF = await call(h, 'POST', '/api/v1/folders', {
        token: owner.token,
        body: { vaultId: ids.vault, parentId: ids.servers, name: 'Restricted', inheritPermissions: false, policy: { requireReason: true } },
      });
      assert.equal(secretF.status, 201);
      ids.restricted = secretF.body.id;
      const dup = await call(h, 'POST', '/api/v1/folders', {
        token: owner.token,
        body: { vaultId: ids.vault, parentId: ids.servers, name: 'linux' },
      });
      assert.equal(dup.status, 409);
    });

    it('creates typed secrets; sensitive values never appear in metadata', async () => {
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        headers: { 'idempotency-key': `create-db-${dialect}` },
        body: {
          vaultId: ids.vault,
          folderId: ids.linux,
          template: 'database-account',
          name: 'orders db',
          tags: ['prod', 'postgres'],
          color: 'red',
          fields: { host: 'db01.example.com', port: '5432', database: 'orders', username: 'app', password: SECRET_VALUE },
        },
      });
      assert.equal(s.status, 201, s.raw);
      assert.equal(s.headers.etag, '"v1"');
      assert.equal(s.body.path, '/Servers/Linux');
      assert.deepEqual(s.body.sensitiveFields, ['password']);
      assert.ok(!s.raw.includes(SECRET_VALUE));
      ids.db = s.body.id;
      const again = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        headers: { 'idempotency-key': `create-db-${dialect}` },
        body: {
          vaultId: ids.vault,
          folderId: ids.linux,
          template: 'database-account',
          name: 'orders db',
          tags: ['prod', 'postgres'],
          color: 'red',
          fields: { host: 'db01.example.com', port: '5432', database: 'orders', username: 'app', password: SECRET_VALUE },
        },
      });
      assert.equal(again.status, 201);
      assert.equal(again.body.id, ids.db, 'idempotent retry returns the same secret');
      const missing = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: { vaultId: ids.vault, template: 'database-account', name: 'x', fields: { host: 'h', port: 'abc', bogus: '1' } },
      });
      assert.equal(missing.status, 400);
      const paths = missing.body.error.details.map((d: { path: string }) => d.path).sort();
      assert.deepEqual(paths, ['/fields/bogus', '/fields/password', '/fields/port', '/fields/username']);
      const r = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId: ids.vault,
          folderId: ids.restricted,
          template: 'unix-account',
          name: 'root@bastion',
          fields: { host: 'bastion', username: 'root', password: 'r00t-canary' },
        },
      });
      assert.equal(r.status, 201);
      ids.root = r.body.id;
    });

    it('inherits grants down the tree, stops at the broken branch, and hides what is not visible as 404', async () => {
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: ids.vault, principalType: 'group', principalId: groupId, level: 'reveal' },
      });
      assert.equal(g.status, 201);
      const seen = await call(h, 'GET', `/api/v1/secrets/${ids.db}`, { token: reader.token });
      assert.equal(seen.status, 200);
      assert.equal(seen.body.myLevel, 'reveal');
      const hidden = await call(h, 'GET', `/api/v1/secrets/${ids.root}`, { token: reader.token });
      const nonexistent = await call(h, 'GET', '/api/v1/secrets/sec_0000000000zzzzzzzzzzzzzzzz', { token: reader.token });
      assert.equal(hidden.status, 404);
      assert.deepEqual({ ...hidden.body.error, requestId: '' }, { ...nonexistent.body.error, requestId: '' });
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${ids.db}`, { token: outsider.token })).status, 404);
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${ids.db}/reveal`, { token: outsider.token, body: {} })).status, 404);
      const ex = await call(h, 'GET', `/api/v1/access/explain?nodeId=${ids.root}&userId=${reader.id}`, { token: owner.token });
      assert.equal(ex.status, 200);
      assert.equal(ex.body.level, null);
      assert.ok(ex.body.steps.some((s: { why: string }) => s.why === 'inheritance broken below this node'));
      const ex2 = await call(h, 'GET', `/api/v1/access/explain?nodeId=${ids.db}&action=reveal`, { token: reader.token });
      assert.equal(ex2.body.allowed, true);
      assert.equal(ex2.body.steps[0].principalId, groupId);
      assert.equal(ex2.body.steps[0].why, 'inherited');
    });

    it('reveals values, audits it, and demands the reason the policy requires', async () => {
      const r = await call(h, 'POST', `/api/v1/secrets/${ids.db}/reveal`, { token: reader.token, body: {} });
      assert.equal(r.status, 200);
      assert.equal(r.body.values.password, SECRET_VALUE);
      const noReason = await call(h, 'POST', `/api/v1/secrets/${ids.root}/reveal`, { token: owner.token, body: {} });
      assert.equal(noReason.status, 400);
      assert.equal(noReason.body.error.details[0].path, '/reason');
      const withReason = await call(h, 'POST', `/api/v1/secrets/${ids.root}/reveal`, {
        token: owner.token,
        body: { reason: 'INC-4711 reboot' },
      });
      assert.equal(withReason.status, 200);
      const rows = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('object_id', '=', ids.root as string)
        .where('action', '=', 'secret.reveal')
        .execute();
      assert.ok(rows.some((x) => x.reason === 'INC-4711 reboot' && x.outcome === 'success'));
      assert.ok(rows.some((x) => x.outcome === 'failure'));
      for (const row of await h.database.db.selectFrom('audit_log').selectAll().execute()) {
        assert.ok(!JSON.stringify(row).includes(SECRET_VALUE));
      }
      const pol = await call(h, 'GET', `/api/v1/secrets/${ids.root}/policy`, { token: owner.token });
      assert.deepEqual(pol.body, { requireReason: true, source: ids.restricted });
    });

    it('keeps history, reveals and restores an old version, and refuses a stale write with 412', async () => {
      const u = await call(h, 'PATCH', `/api/v1/secrets/${ids.db}`, {
        token: owner.token,
        headers: { 'if-match': '"v1"' },
        body: { fields: { password: 'second-value' } },
      });
      assert.equal(u.status, 200, u.raw);
      assert.equal(u.headers.etag, '"v2"');
      const stale = await call(h, 'PATCH', `/api/v1/secrets/${ids.db}`, {
        token: owner.token,
        headers: { 'if-match': '"v1"' },
        body: { name: 'x' },
      });
      assert.equal(stale.status, 412);
      const hist = await call(h, 'GET', `/api/v1/secrets/${ids.db}/history`, { token: owner.token });
      assert.deepEqual(
        hist.body.items.map((v: { version: number }) => v.version),
        [2, 1],
      );
      assert.deepEqual(hist.body.items[0].changedFields, ['password']);
      assert.deepEqual(
        hist.body.items.map((v: { changedBy: string; byUsername: string }) => [v.changedBy, v.byUsername]),
        [
          [owner.id, owner.username],
          [owner.id, owner.username],
        ],
      );
      assert.ok(!hist.raw.includes('second-value'));
      const old = await call(h, 'POST', `/api/v1/secrets/${ids.db}/history/1/reveal`, { token: owner.token, body: { reason: 'audit' } });
      assert.equal(old.body.values.password, SECRET_VALUE);
      const restored = await call(h, 'POST', `/api/v1/secrets/${ids.db}/history/1/restore`, { token: owner.token });
      assert.equal(restored.status, 200);
      assert.equal(restored.body.version, 3);
      const now = await call(h, 'POST', `/api/v1/secrets/${ids.db}/reveal`, { token: owner.token, body: {} });
      assert.equal(now.body.values.password, SECRET_VALUE);
      assert.equal(
        (await call(h, 'PATCH', `/api/v1/secrets/${ids.db}`, { token: reader.token, body: { name: 'nope' } })).status,
        403,
        'reveal is not edit',
      );
    });

    it('shares one secret into a user inbox and revokes it', async () => {
      const sh = await call(h, 'POST', `/api/v1/secrets/${ids.root}/shares`, {
        token: owner.token,
        body: { userId: outsider.id, level: 'view' },
      });
      assert.equal(sh.status, 201);
      const inbox = await call(h, 'GET', '/api/v1/shared-with-me', { token: outsider.token });
      assert.deepEqual(
        inbox.body.items.map((s: { id: string }) => s.id),
        [ids.root],
      );
      assert.equal(inbox.body.items[0].shared, true);
      assert.equal(
        (await call(h, 'POST', `/api/v1/secrets/${ids.root}/reveal`, { token: outsider.token, body: { reason: 'x' } })).status,
        403,
      );
      assert.equal((await call(h, 'DELETE', `/api/v1/grants/${sh.body.id}`, { token: owner.token })).status, 204);
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${ids.root}`, { token: outsider.token })).status, 404);
    });

    it('searches by text, tag, color, template, subtree, scoped to what the caller may see', async () => {
      const byText = await call(h, 'GET', '/api/v1/secrets?q=DB01', { token: reader.token });
      assert.deepEqual(
        byText.body.items.map((s: { id: string }) => s.id),
        [ids.db],
      );
      const byPath = await call(h, 'GET', '/api/v1/secrets?q=servers%2Flinux', { token: reader.token });
      assert.equal(byPath.body.items.length, 1);
      assert.equal(
        (await call(h, 'GET', `/api/v1/secrets?q=${encodeURIComponent(SECRET_VALUE)}`, { token: owner.token })).body.items.length,
        0,
      );
      assert.equal(
        (await call(h, 'GET', '/api/v1/secrets?tag=prod&color=red&template=database-account', { token: reader.token })).body.items.length,
        1,
      );
      const sub = await call(h, 'GET', `/api/v1/secrets?folderId=${ids.servers}`, { token: owner.token });
      assert.deepEqual(sub.body.items.map((s: { id: string }) => s.id).sort(), [ids.db, ids.root].sort());
      assert.equal((await call(h, 'GET', `/api/v1/secrets?folderId=${ids.servers}`, { token: reader.token })).body.items.length, 1);
      assert.equal((await call(h, 'GET', '/api/v1/secrets', { token: outsider.token })).body.items.length, 0);
      assert.equal(
        (await call(h, 'GET', '/api/v1/secrets?q=%25', { token: reader.token })).body.items.length,
        0,
        'LIKE wildcards are literal',
      );
    });

    it('keeps the text index in step with creates, renames, moves and purges; wildcards are literal; direct children', async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Index ${dialect}` } });
      assert.equal(v.status, 201, v.raw);
      const vault = v.body.id as string;
      const mk = async (name: string, folderId?: string) => {
        const r = await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: { vaultId: vault, ...(folderId ? { folderId } : {}), template: 'web-login', name, fields: { password: 'x' } },
        });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      const found = async (q: string, extra = '') =>
        (await call(h, 'GET', `/api/v1/secrets?q=${encodeURIComponent(q)}${extra}`, { token: owner.token })).body.items
          .map((s: { id: string }) => s.id)
          .sort();
      const star = await mk('Qx* star [1]?');
      const plain = await mk('Qxab plain 1x');
      assert.deepEqual(await found('qx*'), [star], 'a * in the query is a literal star');
      assert.deepEqual(await found('[1]?'), [star], 'brackets and ? are literal');
      assert.deepEqual(await found('x*'), [star], 'short terms too');
      assert.deepEqual(await found('qxab'), [plain]);
      assert.deepEqual(await found('QXAB PLAIN'), [plain], 'case-insensitive');
      const ren = await call(h, 'PATCH', `/api/v1/secrets/${plain}`, { token: owner.token, body: { name: 'Renamed zq-omega' } });
      assert.equal(ren.status, 200, ren.raw);
      assert.deepEqual(await found('qxab'), [], 'the old name is gone from the index');
      assert.deepEqual(await found('zq-omega'), [plain]);
      // the folder path is part of the text: a folder rename reaches the secrets inside
      const f = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: vault, name: 'Idx Alpha' } });
      const inFolder = await mk('leaf-in-folder', f.body.id);
      assert.deepEqual(await found('idx alpha'), [inFolder]);
      assert.equal(
        (await call(h, 'PATCH', `/api/v1/folders/${f.body.id}`, { token: owner.token, body: { name: 'Idx Beta' } })).status,
        200,
      );
      assert.deepEqual(await found('idx alpha'), []);
      assert.deepEqual(await found('idx beta'), [inFolder]);
      // direct children only, and the vault top
      const sub = await call(h, 'POST', '/api/v1/folders', {
        token: owner.token,
        body: { vaultId: vault, parentId: f.body.id, name: 'Deeper' },
      });
      const deeper = await mk('leaf-deeper', sub.body.id);
      assert.deepEqual(await found('leaf-', `&folderId=${f.body.id}`), [deeper, inFolder].sort());
      assert.deepEqual(await found('leaf-', `&folderId=${f.body.id}&direct=true`), [inFolder]);
      const top = (await call(h, 'GET', `/api/v1/secrets?vaultId=${vault}&direct=true&limit=500`, { token: owner.token })).body.items;
      assert.ok(top.some((s: { id: string }) => s.id === star));
      assert.ok(top.every((s: { folderId: string | null }) => s.folderId === null));
      assert.equal((await call(h, 'GET', '/api/v1/secrets?direct=true', { token: owner.token })).status, 400);
      // trash hides, purge removes the index entry
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${star}`, { token: owner.token })).status, 204);
      assert.deepEqual(await found('qx*'), []);
      assert.equal((await call(h, 'DELETE', `/api/v1/trash/${star}`, { token: owner.token })).status, 204);
      if (dialect === 'sqlite') {
        const c = await sql<{ n: number; k: number; s: number }>`
          select (select count(*) from secret_search) as n, (select count(*) from secret_search_keys) as k,
                 (select count(*) from secrets) as s`.execute(h.database.db);
        assert.equal(c.rows[0]?.n, c.rows[0]?.s, 'one index row per secret');
        assert.equal(c.rows[0]?.k, c.rows[0]?.s);
      }
    });

    it('scopes a text search within a folder like a listing: grants through the tree, a broken branch, a single share', async () => {
      // On SQLite a text of 3+ characters is driven by the trigram index and checks folder and
      // visibility per candidate; 2 characters take the other path (a scan with the folder's
      // reachable set). Both must answer the same, for a reader who is not the owner.
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Scoped ${dialect}` } });
      const vault = v.body.id as string;
      const folder = async (name: string, parentId?: string, inheritPermissions = true) => {
        const r = await call(h, 'POST', '/api/v1/folders', {
          token: owner.token,
          body: { vaultId: vault, name, ...(parentId ? { parentId } : {}), inheritPermissions },
        });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      const top = await folder('Zk top');
      const child = await folder('Zk child', top);
      const closed = await folder('Zk closed', top, false);
      const other = await folder('Zk other');
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: top, principalType: 'group', principalId: groupId, level: 'view' },
      });
      assert.equal(g.status, 201, g.raw);
      const mk = async (name: string, folderId: string) => {
        const r = await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: { vaultId: vault, folderId, template: 'web-login', name, fields: { password: 'x' } },
        });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      const inTop = await mk('zkq one', top);
      const inChild = await mk('zkq two', child);
      await mk('zkq three', closed);
      const shared = await mk('zkq four', closed);
      const elsewhere = await mk('zkq five', other);
      const sh = await call(h, 'POST', `/api/v1/secrets/${shared}/shares`, {
        token: owner.token,
        body: { userId: reader.id, level: 'view' },
      });
      assert.equal(sh.status, 201, sh.raw);
      const find = async (q: string, folderId: string) => {
        const r = await call(h, 'GET', `/api/v1/secrets?q=${encodeURIComponent(q)}&folderId=${folderId}&limit=100`, {
          token: reader.token,
        });
        assert.equal(r.status, 200, r.raw);
        return r.body.items.map((s: { id: string }) => s.id).sort();
      };
      for (const q of ['zk', 'zkq']) {
        assert.deepEqual(await find(q, top), [inTop, inChild, shared].sort(), `"${q}" within the granted top folder`);
        assert.deepEqual(await find(q, closed), [shared], `"${q}" within the broken branch: only the share`);
        assert.deepEqual(await find(q, other), [], `"${q}" within a folder without a grant`);
      }
      assert.deepEqual(await find('zkq t', top), [inChild], 'text and folder together');
      assert.deepEqual(await find('zkq f', top), [shared]);
      assert.deepEqual(await find('zkq f', other), [], `${elsewhere} matches the text but is out of reach`);
    });

    it('pages with a cursor without gaps or repeats', async () => {
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: { vaultId: ids.vault, template: 'secure-note', name: `note ${i % 3}`, fields: { notes: `n${i}` } },
        });
        made.push(r.body.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await call(
          h,
          'GET',
          `/api/v1/secrets?template=secure-note&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          { token: owner.token },
        );
        seen.push(...r.body.items.map((s) => s.id));
        cursor = r.body.nextCursor;
      } while (cursor);
      assert.deepEqual([...seen].sort(), [...made].sort());
    });

    it('pages by offset with a total too (what compatibility APIs page by), scoped like every search', async () => {
      const all = await call(h, 'GET', '/api/v1/secrets?template=secure-note&limit=500&withTotal=true', { token: owner.token });
      assert.equal(all.status, 200, all.raw);
      const ids = all.body.items.map((s: { id: string }) => s.id);
      assert.ok(ids.length >= 7);
      assert.equal(all.body.total, ids.length);
      const pages: string[] = [];
      for (let offset = 0; offset < ids.length; offset += 3) {
        const r = await call(h, 'GET', `/api/v1/secrets?template=secure-note&limit=3&offset=${offset}&withTotal=true`, {
          token: owner.token,
        });
        assert.equal(r.body.total, ids.length, 'the total does not depend on the page');
        pages.push(...r.body.items.map((s: { id: string }) => s.id));
      }
      assert.deepEqual(pages, ids, 'offset pages in the same order, without gaps or repeats');
      const past = await call(h, 'GET', `/api/v1/secrets?template=secure-note&offset=${ids.length}&withTotal=true`, { token: owner.token });
      assert.deepEqual([past.body.items, past.body.total], [[], ids.length]);
      const none = await call(h, 'GET', '/api/v1/secrets?template=secure-note&limit=2', { token: owner.token });
      assert.equal(none.body.total, undefined, 'counted only when asked');
      // a reader sees fewer secrets, and the total counts only those
      const theirs = await call(h, 'GET', '/api/v1/secrets?limit=500&withTotal=true', { token: reader.token });
      assert.equal(theirs.body.total, theirs.body.items.length);
      const both = await call(h, 'GET', `/api/v1/secrets?offset=1&cursor=${none.body.nextCursor}`, { token: owner.token });
      assert.equal(both.status, 400);
    });

    it('moves folders (paths follow) and trashes, restores and purges secrets', async () => {
      const mv = await call(h, 'PATCH', `/api/v1/folders/${ids.linux}`, { token: owner.token, body: { parentId: null } });
      assert.equal(mv.status, 200);
      assert.equal(mv.body.path, '/Linux');
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${ids.db}`, { token: owner.token })).body.path, '/Linux');
      const loop = await call(h, 'PATCH', `/api/v1/folders/${ids.servers}`, { token: owner.token, body: { parentId: ids.restricted } });
      assert.equal(loop.status, 409, 'Restricted is inside Servers: no cycles');
      const up = await call(h, 'PATCH', `/api/v1/folders/${ids.restricted}`, { token: owner.token, body: { parentId: ids.linux } });
      assert.equal(up.status, 200);
      assert.equal(up.body.path, '/Linux/Restricted');
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${ids.root}`, { token: owner.token })).body.path, '/Linux/Restricted');
      assert.equal(
        (await call(h, 'GET', `/api/v1/secrets/${ids.root}`, { token: reader.token })).status,
        404,
        'still not inherited after the move',
      );
      assert.equal(
        (await call(h, 'PATCH', `/api/v1/folders/${ids.restricted}`, { token: owner.token, body: { parentId: ids.servers } })).status,
        200,
      );
      assert.equal((await call(h, 'DELETE', `/api/v1/folders/${ids.linux}`, { token: owner.token })).status, 409, 'not empty');
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.db}`, { token: owner.token })).status, 204);
      assert.equal((await call(h, 'GET', `/api/v1/secrets/${ids.db}`, { token: owner.token })).status, 404);
      const trash = await call(h, 'GET', '/api/v1/trash', { token: owner.token });
      assert.ok(trash.body.items.some((s: { id: string }) => s.id === ids.db));
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${ids.db}/restore`, { token: owner.token })).status, 200);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.db}`, { token: owner.token })).status, 204);
      assert.equal((await call(h, 'DELETE', `/api/v1/trash/${ids.db}`, { token: owner.token })).status, 204);
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${ids.db}/restore`, { token: owner.token })).status, 404);
      const values = await h.database.db
        .selectFrom('secret_values')
        .selectAll()
        .where('secret_id', '=', ids.db as string)
        .execute();
      assert.equal(values.length, 0);
    });

    it('moves secret values and versions to a new key term, and they still reveal', async () => {
      const rot = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(rot.status, 200);
      for (let i = 0; i < 100; i++) {
        const k = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
        if (k.body.reencryption.status === 'done') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const term = rot.body.activeTerm as number;
      for (const r of await h.database.db.selectFrom('secret_values').select('value_enc').execute())
        assert.ok(r.value_enc.startsWith(`c1.${term}.`));
      for (const r of await h.database.db
        .selectFrom('secret_versions')
        .select('values_enc')
        .where('values_enc', 'is not', null)
        .execute()) {
        assert.ok(r.values_enc?.startsWith(`c1.${term}.`));
      }
      const rv = await call(h, 'POST', `/api/v1/secrets/${ids.root}/reveal`, { token: owner.token, body: { reason: 'after rotation' } });
      assert.equal(rv.body.values.password, 'r00t-canary');
      const old = await call(h, 'POST', `/api/v1/secrets/${ids.root}/history/1/reveal`, {
        token: owner.token,
        body: { reason: 'after rotation' },
      });
      assert.equal(old.body.values.password, 'r00t-canary');
    });

    it('stores sensitive values only encrypted and bound to the secret and field', async () => {
      const rows = await h.database.db.selectFrom('secret_values').selectAll().execute();
      assert.ok(rows.length > 0);
      for (const r of rows) {
        assert.match(r.value_enc, /^c1\.\d+\./);
        assert.ok(!r.value_enc.includes('canary'));
      }
      const all = JSON.stringify(await h.database.db.selectFrom('secrets').selectAll().execute());
      assert.ok(!all.includes('r00t-canary'));
    });
  });
}
