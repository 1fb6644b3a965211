// The secrets use cases added for the Passwork API, for every caller: favourites (set, clear,
// list; scoped: a secret no longer visible drops out), recently viewed (from the audit trail),
// the inbox (shares to me with who shared them and a seen mark; opening is a reveal), the tags and
// colours in use; and the vaults' folder search and breadcrumbs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { RequestContext } from '../auth/actor.ts';

for (const dialect of dialects) {
  describe(`favourites, recent, inbox, tags [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: Awaited<ReturnType<typeof createUser>>;
    let bob: Awaited<ReturnType<typeof createUser>>;
    const ids: Record<string, string> = {};
    const ctxOf = async (token: string): Promise<RequestContext> => ({
      actor: await h.coffer.services.auth.authenticate(token, '127.0.0.1', 'native'),
      requestId: `req_test_${Math.random().toString(36).slice(2)}`,
      sourceIp: '127.0.0.1',
      audited: false,
      via: 'native',
    });
    const secret = async (name: string, extra: Record<string, unknown> = {}) => {
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: alice.token,
        body: { vaultId: ids.vault, template: 'web-login', name, fields: { password: `${name}-pw` }, ...extra },
      });
      assert.equal(s.status, 201, s.raw);
      return s.body.id as string;
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      alice = await createUser(h, admin, 'password_administrator');
      bob = await createUser(h, admin, 'password_user');
      ids.vault = (await call(h, 'POST', '/api/v1/vaults', { token: alice.token, body: { name: 'Team' } })).body.id;
      ids.a = await secret('alpha', { tags: ['web', 'prod'], color: 'red' });
      ids.b = await secret('beta', { tags: ['db'], color: 'blue' });
      ids.c = await secret('gamma');
    });
    after(async () => h?.close());

    it('marks and lists favourites; a trashed one drops out; a hidden one reads as missing', async () => {
      const { secrets } = h.coffer.services;
      const ctx = await ctxOf(alice.token);
      assert.deepEqual(await secrets.setFavorite(ctx, ids.b as string, true), { favorite: true, changed: true });
      assert.deepEqual(await secrets.setFavorite(await ctxOf(alice.token), ids.b as string, true), { favorite: true, changed: false });
      await secrets.setFavorite(await ctxOf(alice.token), ids.a as string, true);
      const list = await secrets.favorites(await ctxOf(alice.token));
      assert.deepEqual(
        list.items.map((s) => s.name),
        ['alpha', 'beta'],
      );
      assert.deepEqual(await secrets.favoritesAmong(h.database.db, alice.id, [ids.a as string, ids.c as string]), new Set([ids.a]));
      await secrets.setFavorite(await ctxOf(alice.token), ids.a as string, false);
      await call(h, 'DELETE', `/api/v1/secrets/${ids.b}`, { token: alice.token });
      assert.deepEqual((await secrets.favorites(await ctxOf(alice.token))).items, []);
      await call(h, 'POST', `/api/v1/secrets/${ids.b}/restore`, { token: alice.token });
      await assert.rejects(
        secrets.setFavorite(await ctxOf(bob.token), ids.c as string, true),
        (e: { code?: string }) => e.code === 'not_found',
      );
    });

    it('lists recently revealed secrets, newest first, only those still visible', async () => {
      const { secrets } = h.coffer.services;
      for (const id of [ids.a, ids.c, ids.b, ids.a]) {
        const r = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: alice.token, body: {} });
        assert.equal(r.status, 200);
      }
      const recent = await secrets.recent(await ctxOf(alice.token), 10);
      assert.deepEqual(
        recent.items.map((s) => s.name),
        ['alpha', 'beta', 'gamma'],
      );
      assert.deepEqual((await secrets.recent(await ctxOf(bob.token), 10)).items, []);
    });

    it('answers the tags and colours in use, scoped to what the caller may list', async () => {
      const { secrets } = h.coffer.services;
      const all = await secrets.tagsAndColors(await ctxOf(alice.token));
      assert.deepEqual(all.tags, ['db', 'prod', 'web']);
      assert.deepEqual(all.colors, ['blue', 'red']);
      assert.deepEqual(await secrets.tagsAndColors(await ctxOf(bob.token)), { tags: [], colors: [] });
    });

    it('keeps an inbox of shares: who shared, seen or not; opening is a reveal and marks it seen', async () => {
      const { secrets } = h.coffer.services;
      const share = await call(h, 'POST', `/api/v1/secrets/${ids.a}/shares`, {
        token: alice.token,
        body: { userId: bob.id, level: 'reveal' },
      });
      assert.equal(share.status, 201, share.raw);
      const inbox = await secrets.inbox(await ctxOf(bob.token));
      assert.equal(inbox.items.length, 1);
      const item = inbox.items[0] as (typeof inbox.items)[number];
      assert.equal(item.id, share.body.id);
      assert.equal(item.secret.id, ids.a);
      assert.deepEqual(item.sharedBy, { id: alice.id, username: alice.username });
      assert.equal(item.viewedAt, null);
      assert.deepEqual(await secrets.inboxCount(await ctxOf(bob.token)), { total: 1, unseen: 1 });
      const opened = await secrets.openShare(await ctxOf(bob.token), item.id);
      assert.equal(opened.values.password, 'alpha-pw');
      assert.deepEqual(await secrets.inboxCount(await ctxOf(bob.token)), { total: 1, unseen: 0 });
      const recs = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'actor_id'])
        .where('object_id', '=', ids.a as string)
        .where('action', '=', 'secret.reveal')
        .where('actor_id', '=', bob.id)
        .execute();
      assert.equal(recs.length, 1, 'opening is one reveal');
      // not someone else's item, not after the share is gone
      await assert.rejects(secrets.openShare(await ctxOf(alice.token), item.id), (e: { code?: string }) => e.code === 'not_found');
      const again = await call(h, 'POST', `/api/v1/secrets/${ids.a}/shares`, {
        token: alice.token,
        body: { userId: bob.id, level: 'view' },
      });
      assert.equal(again.status, 201);
      const renewed = await secrets.inbox(await ctxOf(bob.token));
      assert.equal(renewed.items[0]?.viewedAt, null, 'a new share is unseen');
      assert.deepEqual(await secrets.markSharesSeen(await ctxOf(bob.token)), { marked: 1 });
      assert.deepEqual(await secrets.inboxCount(await ctxOf(bob.token)), { total: 1, unseen: 0 });
      await assert.rejects(secrets.openShare(await ctxOf(bob.token), item.id), (e: { code?: string }) => e.code === 'not_found');
    });

    it('finds folders by name (scoped) and gives breadcrumbs', async () => {
      const { vaults } = h.coffer.services;
      const top = (await call(h, 'POST', '/api/v1/folders', { token: alice.token, body: { vaultId: ids.vault, name: 'Servers' } })).body.id;
      const sub = (
        await call(h, 'POST', '/api/v1/folders', { token: alice.token, body: { vaultId: ids.vault, parentId: top, name: 'Linux_50%' } })
      ).body.id;
      const found = await vaults.findFolders(await ctxOf(alice.token), { text: 'linux_50%' });
      assert.deepEqual(
        found.items.map((f) => f.id),
        [sub],
      );
      assert.deepEqual((await vaults.findFolders(await ctxOf(alice.token), { text: 'n_x' })).items, [], 'LIKE wildcards are literal');
      assert.deepEqual((await vaults.findFolders(await ctxOf(bob.token), { text: 'linux' })).items, []);
      const chains = await vaults.ancestries(h.database.db, [sub]);
      assert.deepEqual(
        chains.get(sub)?.map((a) => [a.type, a.name]),
        [
          ['vault', 'Team'],
          ['folder', 'Servers'],
          ['folder', 'Linux_50%'],
        ],
      );
    });
  });
}
