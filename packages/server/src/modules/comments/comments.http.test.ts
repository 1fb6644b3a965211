import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, type Res, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';

type User = Awaited<ReturnType<typeof createUser>>;

for (const dialect of dialects) {
  describe(`comments on secrets [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: User; // created the vault: manage
    let viewer: User; // view on the vault
    let lister: User; // list on the vault
    let outsider: User; // nothing
    const ids = { vault: '', secret: '', other: '' };

    const list = (t: string, secretId: string) => call(h, 'GET', `/api/v1/secrets/${secretId}/comments`, { token: t });
    const add = (t: string, secretId: string, body: Record<string, unknown>) =>
      call(h, 'POST', `/api/v1/secrets/${secretId}/comments`, { token: t, body });
    const edit = (t: string, id: string, body: Record<string, unknown>) => call(h, 'PATCH', `/api/v1/comments/${id}`, { token: t, body });
    const del = (t: string, id: string) => call(h, 'DELETE', `/api/v1/comments/${id}`, { token: t });
    const created = async (p: Promise<Res>) => {
      const r = await p;
      assert.equal(r.status, 201, r.raw);
      return r.body as { id: string; parentId: string | null; content: string };
    };
    const strip = (r: Res) => ({ status: r.status, code: r.body?.error?.code, message: r.body?.error?.message });
    const auditOf = (action: string, objectId?: string) => {
      let q = h.database.db.selectFrom('audit_log').selectAll().where('action', '=', action);
      if (objectId) q = q.where('object_id', '=', objectId);
      return q.orderBy('seq').execute();
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      viewer = await createUser(h, admin, 'password_user');
      lister = await createUser(h, admin, 'password_user');
      outsider = await createUser(h, admin, 'password_user');
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Comments ${dialect}` } });
      assert.equal(v.status, 201, v.raw);
      ids.vault = v.body.id;
      for (const key of ['secret', 'other'] as const) {
        const s = await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: { vaultId: ids.vault, template: 'secure-note', name: `note-${key}`, fields: { notes: 'n' } },
        });
        assert.equal(s.status, 201, s.raw);
        ids[key] = s.body.id;
      }
      for (const [u, level] of [
        [viewer, 'view'],
        [lister, 'list'],
      ] as const) {
        const g = await call(h, 'POST', '/api/v1/grants', {
          token: owner.token,
          body: { nodeId: ids.vault, principalType: 'user', principalId: u.id, level },
        });
        assert.equal(g.status, 201, g.raw);
      }
    });
    after(async () => h?.close());

    it('adds, lists, replies to, edits and deletes comments; a deleted comment takes its replies along', async () => {
      const c1 = await created(add(viewer.token, ids.secret, { content: 'Rotated after the incident.\nSee ticket 42.' }));
      assert.equal(c1.parentId, null);
      const reply = await created(add(owner.token, ids.secret, { content: 'Thanks!', parentId: c1.id }));
      assert.equal(reply.parentId, c1.id);
      const l = await list(viewer.token, ids.secret);
      assert.equal(l.status, 200, l.raw);
      assert.deepEqual(
        l.body.items.map((c: Record<string, unknown>) => [c.id, c.secretId, c.parentId, c.content, c.createdBy, c.updatedBy]),
        [
          [c1.id, ids.secret, null, 'Rotated after the incident.\nSee ticket 42.', viewer.id, viewer.id],
          [reply.id, ids.secret, c1.id, 'Thanks!', owner.id, owner.id],
        ],
      );
      assert.deepEqual((await list(viewer.token, ids.other)).body.items, [], 'comments belong to their secret');
      const e = await edit(viewer.token, c1.id, { content: 'Rotated after incident 42.' });
      assert.equal(e.status, 200, e.raw);
      assert.equal(e.body.content, 'Rotated after incident 42.');
      assert.equal((await list(owner.token, ids.secret)).body.items[0].content, 'Rotated after incident 42.');
      const d = await del(viewer.token, c1.id);
      assert.equal(d.status, 204, d.raw);
      assert.deepEqual((await list(owner.token, ids.secret)).body.items, [], 'the reply went with its parent');
      assert.equal((await edit(owner.token, reply.id, { content: 'x' })).status, 404);
    });

    it('only the author edits; the author or a manager of the secret deletes', async () => {
      const mine = await created(add(viewer.token, ids.secret, { content: 'viewer wrote this' }));
      const owners = await created(add(owner.token, ids.secret, { content: 'owner wrote this' }));
      const e = await edit(owner.token, mine.id, { content: 'rewritten by the manager' });
      assert.equal(e.status, 403, e.raw);
      assert.equal(e.body.error.code, 'forbidden');
      const d = await del(viewer.token, owners.id);
      assert.equal(d.status, 403, d.raw);
      const after = (await list(viewer.token, ids.secret)).body.items.map((c: { content: string }) => c.content);
      assert.ok(after.includes('viewer wrote this') && after.includes('owner wrote this'), 'nothing changed');
      assert.equal((await del(owner.token, mine.id)).status, 204, 'manage may delete any comment');
      assert.equal((await del(owner.token, owners.id)).status, 204);
    });

    it('a secret or comment the caller cannot see answers like a missing one (404); list access is not enough', async () => {
      const c = await created(add(viewer.token, ids.secret, { content: 'hidden from outsiders' }));
      const missingSecret = newId('sec');
      const missingComment = newId('cmt');
      assert.deepEqual(strip(await list(outsider.token, ids.secret)), strip(await list(outsider.token, missingSecret)));
      assert.equal((await list(outsider.token, ids.secret)).status, 404);
      assert.deepEqual(
        strip(await add(outsider.token, ids.secret, { content: 'x' })),
        strip(await add(outsider.token, missingSecret, { content: 'x' })),
      );
      const eo = await edit(outsider.token, c.id, { content: 'x' });
      assert.deepEqual(strip(eo), strip(await edit(outsider.token, missingComment, { content: 'x' })));
      assert.deepEqual(eo.body.error.message, 'No such comment.');
      assert.deepEqual(strip(await del(outsider.token, c.id)), strip(await del(outsider.token, missingComment)));
      assert.equal((await del(outsider.token, c.id)).status, 404);
      assert.equal((await list(lister.token, ids.secret)).status, 403, 'list access does not read comments');
      assert.equal((await add(lister.token, ids.secret, { content: 'x' })).status, 403);
      const l = await list(viewer.token, ids.secret);
      assert.deepEqual(
        l.body.items.map((x: { content: string }) => x.content),
        ['hidden from outsiders'],
        'nothing was added',
      );
      assert.equal((await del(viewer.token, c.id)).status, 204);
    });

    it('refuses hostile, blank and overlong text, and a reply to a comment of another secret', async () => {
      const base = await created(add(viewer.token, ids.secret, { content: 'base' }));
      const onOther = await created(add(viewer.token, ids.other, { content: 'on the other secret' }));
      for (const content of ['\u001b[2Jcleared', 'a\u202eevil', 'line\r\nbreak', 'nul\u0000', '', '   ', 'x'.repeat(256), 'c1\u009b']) {
        const r = await add(viewer.token, ids.secret, { content });
        assert.equal(r.status, 400, `${JSON.stringify(content)}: ${r.raw}`);
        assert.equal(r.body.error.code, 'validation.failed');
        const e = await edit(viewer.token, base.id, { content });
        assert.equal(e.status, 400, `${JSON.stringify(content)}: ${e.raw}`);
      }
      assert.equal((await add(viewer.token, ids.secret, { content: 'é'.repeat(255) })).status, 201, '255 characters pass');
      assert.equal((await add(viewer.token, ids.secret, { content: 'x', createdBy: owner.id })).status, 400, 'no mass assignment');
      const cross = await add(viewer.token, ids.secret, { content: 'reply', parentId: onOther.id });
      assert.equal(cross.status, 400, cross.raw);
      assert.deepEqual(cross.body.error.details, [{ path: '/parentId', message: 'The parent comment does not exist on this secret.' }]);
      const unknown = await add(viewer.token, ids.secret, { content: 'reply', parentId: newId('cmt') });
      assert.deepEqual(strip(unknown), strip(cross));
      const l = await list(viewer.token, ids.secret);
      assert.deepEqual(
        l.body.items.map((x: { content: string }) => x.content),
        ['base', 'é'.repeat(255)],
      );
      for (const x of l.body.items) assert.equal((await del(viewer.token, x.id)).status, 204);
      assert.equal((await del(viewer.token, onOther.id)).status, 204);
    });

    it('audits create, update, delete, reads and denials without the text', async () => {
      const c = await created(add(viewer.token, ids.secret, { content: 'audit-canary-5d1e' }));
      await edit(viewer.token, c.id, { content: 'audit-canary-5d1e edited' });
      await edit(owner.token, c.id, { content: 'denied' });
      await list(viewer.token, ids.secret);
      await del(viewer.token, c.id);
      const [create] = await auditOf('comment.create', c.id);
      assert.equal(create?.outcome, 'success');
      assert.equal(create?.actor_id, viewer.id);
      assert.deepEqual(JSON.parse(create?.details as string), { secretId: ids.secret, parentId: null });
      const updates = await auditOf('comment.update', c.id);
      assert.deepEqual(
        updates.map((r) => [r.outcome, r.actor_id]),
        [
          ['success', viewer.id],
          ['denied', owner.id],
        ],
      );
      const reads = await auditOf('comment.list', ids.secret);
      assert.ok(reads.some((r) => r.outcome === 'success' && r.actor_id === viewer.id && JSON.parse(r.details as string).count === 1));
      const [deleted] = await auditOf('comment.delete', c.id);
      assert.deepEqual([deleted?.outcome, JSON.parse(deleted?.details as string)], ['success', { secretId: ids.secret, replies: 0 }]);
      const all = await h.database.db.selectFrom('audit_log').select(['details', 'reason']).where('action', 'like', 'comment.%').execute();
      assert.ok(!JSON.stringify(all).includes('audit-canary-5d1e'), 'no comment text in the audit log');
    });

    it('a trashed secret hides its comments; restored they are back; purged they are gone', async () => {
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: { vaultId: ids.vault, template: 'secure-note', name: 'to-trash', fields: { notes: 'n' } },
      });
      const sid = s.body.id as string;
      const c = await created(add(viewer.token, sid, { content: 'soon in the trash' }));
      await created(add(viewer.token, sid, { content: 'a reply', parentId: c.id }));
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${sid}`, { token: owner.token })).status, 204);
      assert.equal((await list(owner.token, sid)).status, 404);
      assert.equal((await add(owner.token, sid, { content: 'x' })).status, 404);
      assert.equal((await edit(viewer.token, c.id, { content: 'x' })).status, 404);
      assert.equal((await del(owner.token, c.id)).status, 404);
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${sid}/restore`, { token: owner.token })).status, 200);
      assert.equal((await list(viewer.token, sid)).body.items.length, 2);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${sid}`, { token: owner.token })).status, 204);
      const p = await call(h, 'DELETE', `/api/v1/trash/${sid}`, { token: owner.token });
      assert.equal(p.status, 204, p.raw);
      const left = await h.database.db.selectFrom('secret_comments').select('id').where('secret_id', '=', sid).execute();
      assert.deepEqual(left, []);
    });
  });
}

for (const dialect of dialects) {
  describe(`comments made within one millisecond [${dialect}]`, () => {
    let h: Harness;
    after(async () => h?.close());

    it('list in the order they were made (the clock stands still)', async () => {
      h = await startHarness(dialect, { clock: manualClock(Date.UTC(2026, 0, 1)) });
      const admin = await adminToken(h);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'frozen' } });
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId: v.body.id, template: 'secure-note', name: 'n', fields: { notes: 'n' } },
      });
      assert.equal(s.status, 201, s.raw);
      const made: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/comments`, { token: admin, body: { content: `c${i}` } });
        assert.equal(r.status, 201, r.raw);
        made.push(r.body.content);
      }
      const l = await call(h, 'GET', `/api/v1/secrets/${s.body.id}/comments`, { token: admin });
      assert.deepEqual(
        l.body.items.map((x: { content: string }) => x.content),
        made,
      );
    });
  });
}
