// Passbolt's comments on resources over real HTTP on both dialects: add (and reply), list with
// contain[creator]/[modifier] in v2 and v1 shapes, update, delete, Passbolt's messages; a shared reader
// comments, only authors edit, the owner deletes; another
// user who cannot see the resource gets 404 alike for unknown ids; bad input answers a 4xx
// envelope (Passbolt's validation body), never a 5xx; the audit names via passbolt.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, e2eResource, encryptFor, passboltUser, pb } from '../../../test/passbolt.ts';
import { createPassboltIds, uuidOfNumber } from './ids.ts';
import { RESOURCE_TYPES } from './resource-types.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;
const STRING_TYPE = RESOURCE_TYPES[0]?.id as string;
const V2_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;
const V1_DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

for (const dialect of dialects) {
  describe(`Passbolt comments [${dialect}]`, () => {
    let h: Harness;
    let alice: PbUser;
    let bob: PbUser;
    let resource = '';
    let aliceUuid = '';

    const addComment = (u: PbUser, res: string, body: unknown, q = '') =>
      pb(h, 'POST', `/comments/resource/${res}.json${q}`, { token: u.pbToken, body });

    before(async () => {
      h = await startHarness(dialect, { config: { passboltVault: 'PB Items' } });
      const admin = await adminToken(h);
      alice = await passboltUser(h, admin);
      bob = await passboltUser(h, admin);
      const r = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'db-primary',
          resource_type_id: STRING_TYPE,
          secrets: [{ data: await encryptFor('pw-comments-1', [alice.key.pub], alice.key.priv) }],
        },
      });
      assertEnvelope(r, 200);
      resource = r.body.body.id;
      aliceUuid = r.body.body.created_by;
    });
    after(async () => h?.close());

    it('adds a comment and a reply, lists them with their creator, updates and deletes (v2)', async () => {
      const a = await addComment(alice, resource, { content: 'Rotated on Monday.' });
      assertEnvelope(a, 200);
      assert.equal(a.body.header.message, 'The comment was successfully added.');
      const c = a.body.body;
      assert.match(c.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        { ...c, id: null, created: null, modified: null },
        {
          id: null,
          parent_id: null,
          foreign_key: resource,
          foreign_model: 'Resource',
          content: 'Rotated on Monday.',
          created: null,
          modified: null,
          created_by: aliceUuid,
          modified_by: aliceUuid,
          user_id: aliceUuid,
        },
      );
      assert.match(c.created, V2_DATE);
      const r = await addComment(alice, resource, { content: 'And checked.', parent_id: c.id });
      assertEnvelope(r, 200);
      assert.equal(r.body.body.parent_id, c.id);

      const l = await pb(h, 'GET', `/comments/resource/${resource}.json?contain[creator]=1&contain[modifier]=1`, { token: alice.pbToken });
      assertEnvelope(l, 200);
      assert.deepEqual(
        l.body.body.map((x: { id: string; parent_id: string | null }) => [x.id, x.parent_id]),
        [
          [c.id, null],
          [r.body.body.id, c.id],
        ],
      );
      const first = l.body.body[0];
      assert.equal(first.creator.id, aliceUuid);
      assert.equal(first.creator.username, alice.username);
      assert.equal(first.modifier.id, aliceUuid);
      const plain = await pb(h, 'GET', `/comments/resource/${resource}.json`, { token: alice.pbToken });
      assert.equal('creator' in plain.body.body[0], false, 'creator only when contained');

      const u = await pb(h, 'PUT', `/comments/${c.id}.json`, { token: alice.pbToken, body: { content: 'Rotated on Tuesday.' } });
      assertEnvelope(u, 200);
      assert.equal(u.body.header.message, 'The comment was successfully updated.');
      assert.equal(u.body.body.content, 'Rotated on Tuesday.');
      assert.equal(u.body.body.id, c.id);

      const d = await pb(h, 'DELETE', `/comments/${c.id}.json`, { token: alice.pbToken });
      assertEnvelope(d, 200);
      assert.equal(d.body.header.message, 'The comment was successfully deleted.');
      assert.equal(d.body.body, null);
      const gone = await pb(h, 'GET', `/comments/resource/${resource}.json`, { token: alice.pbToken });
      assert.deepEqual(gone.body.body, [], 'the reply went with its parent');
      assertEnvelope(await pb(h, 'PUT', `/comments/${c.id}.json`, { token: alice.pbToken, body: { content: 'x' } }), 404);
    });

    it('answers v1 with Comment, Creator and Modifier models and v1 dates', async () => {
      const a = await addComment(alice, resource, { content: 'v1 comment' }, '?api-version=v1');
      assertEnvelope(a, 200);
      assert.equal(a.body.body.Comment.content, 'v1 comment');
      assert.match(a.body.body.Comment.created, V1_DATE);
      const l = await pb(h, 'GET', `/comments/resource/${resource}.json?api-version=v1&contain[creator]=1`, { token: alice.pbToken });
      assertEnvelope(l, 200);
      const [x] = l.body.body;
      assert.deepEqual(Object.keys(x).sort(), ['Comment', 'Creator']);
      assert.equal(x.Comment.foreign_model, 'Resource');
      assert.equal(x.Creator.id, aliceUuid);
      assertEnvelope(await pb(h, 'DELETE', `/comments/${x.Comment.id}.json`, { token: alice.pbToken }), 200);
    });

    it('another user who cannot see the resource gets 404 alike for unknown ids, and changes nothing', async () => {
      const a = await addComment(alice, resource, { content: 'only for alice' });
      const cid = a.body.body.id;
      const unknownRes = uuidOfNumber(987654321);
      const unknownCmt = uuidOfNumber(987654322);
      const strip = (r: { status: number; body: { header: { message: string }; body: unknown } }) => [
        r.status,
        r.body.header.message,
        r.body.body,
      ];
      const pairs = [
        [
          pb(h, 'GET', `/comments/resource/${resource}.json`, { token: bob.pbToken }),
          pb(h, 'GET', `/comments/resource/${unknownRes}.json`, { token: bob.pbToken }),
        ],
        [addComment(bob, resource, { content: 'x' }), addComment(bob, unknownRes, { content: 'x' })],
        [
          pb(h, 'PUT', `/comments/${cid}.json`, { token: bob.pbToken, body: { content: 'x' } }),
          pb(h, 'PUT', `/comments/${unknownCmt}.json`, { token: bob.pbToken, body: { content: 'x' } }),
        ],
        [
          pb(h, 'DELETE', `/comments/${cid}.json`, { token: bob.pbToken }),
          pb(h, 'DELETE', `/comments/${unknownCmt}.json`, { token: bob.pbToken }),
        ],
      ];
      for (const [real, missing] of pairs) {
        const [r, m] = [await real, await missing];
        assertEnvelope(r as never, 404);
        assert.deepEqual(strip(r as never), strip(m as never));
      }
      const l = await pb(h, 'GET', `/comments/resource/${resource}.json`, { token: alice.pbToken });
      assert.deepEqual(
        l.body.body.map((x: { content: string }) => x.content),
        ['only for alice'],
      );
      assertEnvelope(await pb(h, 'DELETE', `/comments/${cid}.json`, { token: alice.pbToken }), 200);
    });

    it('a reader the resource is shared with comments; only the author edits; the owner may delete it', async () => {
      const carol = await passboltUser(h, await adminToken(h));
      const r = await e2eResource(h, alice, 'pw-shared');
      const carolId = await createPassboltIds(h.database.db, h.coffer.services.numbering).uuidOf('user', carol.id);
      const share = await pb(h, 'PUT', `/share/resource/${r.resource}.json`, {
        token: alice.pbToken,
        body: {
          permissions: [{ is_new: true, aro: 'User', aro_foreign_key: carolId, aco: 'Resource', type: 1 }],
          secrets: [{ user_id: carolId, data: await encryptFor('pw-shared', [carol.key.pub], alice.key.priv) }],
        },
      });
      assertEnvelope(share, 200);
      const byCarol = await addComment(carol, r.resource, { content: 'Read it, thanks.' });
      assertEnvelope(byCarol, 200);
      assert.equal(byCarol.body.body.user_id, carolId);
      const byAlice = await addComment(alice, r.resource, { content: 'You are welcome.', parent_id: byCarol.body.body.id });
      assertEnvelope(byAlice, 200);
      const notHers = await pb(h, 'PUT', `/comments/${byAlice.body.body.id}.json`, { token: carol.pbToken, body: { content: 'edited' } });
      assertEnvelope(notHers, 403);
      assertEnvelope(await pb(h, 'DELETE', `/comments/${byAlice.body.body.id}.json`, { token: carol.pbToken }), 403);
      assertEnvelope(
        await pb(h, 'PUT', `/comments/${byCarol.body.body.id}.json`, { token: alice.pbToken, body: { content: 'edited' } }),
        403,
      );
      const del = await pb(h, 'DELETE', `/comments/${byCarol.body.body.id}.json`, { token: alice.pbToken });
      assertEnvelope(del, 200);
      const l = await pb(h, 'GET', `/comments/resource/${r.resource}.json`, { token: carol.pbToken });
      assertEnvelope(l, 200);
      assert.deepEqual(l.body.body, [], "the owner deleted the reader's comment, and the reply with it");
    });

    it('bad input answers a 4xx envelope with Passbolt validation rules, never a 5xx', async () => {
      const base = (await addComment(alice, resource, { content: 'base' })).body.body;
      const cases: Array<[unknown, string, string]> = [
        [{}, 'content', '_required'],
        [{ content: '   ' }, 'content', '_empty'],
        [{ content: 'x'.repeat(256) }, 'content', 'maxLength'],
        [{ content: 'esc \u001b[2J' }, 'content', 'utf8Extended'],
        [{ content: 'bidi \u202e' }, 'content', 'utf8Extended'],
        [{ content: { a: 1 } }, 'content', 'utf8Extended'],
        [{ content: 'reply', parent_id: 'nope' }, 'parent_id', 'uuid'],
        [{ content: 'reply', parent_id: uuidOfNumber(987654323) }, 'parent_id', 'parentExists'],
      ];
      for (const [body, field, rule] of cases) {
        const r = await addComment(alice, resource, body);
        assertEnvelope(r, 400);
        assert.ok(r.body.body?.[field]?.[rule], `${JSON.stringify(body)}: ${r.raw}`);
        if (field === 'content') {
          const u = await pb(h, 'PUT', `/comments/${base.id}.json`, { token: alice.pbToken, body });
          assertEnvelope(u, 400);
          assert.ok(u.body.body?.content?.[rule], `PUT ${JSON.stringify(body)}: ${u.raw}`);
        }
      }
      // a reply to a comment of another resource
      const other = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'other',
          resource_type_id: STRING_TYPE,
          secrets: [{ data: await encryptFor('pw-2', [alice.key.pub], alice.key.priv) }],
        },
      });
      const elsewhere = (await addComment(alice, other.body.body.id, { content: 'elsewhere' })).body.body;
      const cross = await addComment(alice, resource, { content: 'reply', parent_id: elsewhere.id });
      assertEnvelope(cross, 400);
      assert.ok(cross.body.body.parent_id.parentExists, cross.raw);
      for (const path of ['/comments/resource/nope.json', '/comments/nope.json']) {
        const r = await pb(h, path.includes('resource') ? 'GET' : 'DELETE', path, { token: alice.pbToken });
        assertEnvelope(r, 400);
      }
      assertEnvelope(await pb(h, 'GET', `/comments/resource/${resource}.json`), 403);
      const l = await pb(h, 'GET', `/comments/resource/${resource}.json`, { token: alice.pbToken });
      assert.deepEqual(
        l.body.body.map((x: { content: string }) => x.content),
        ['base'],
        'nothing bad was stored',
      );
    });

    it('audits via passbolt', async () => {
      const a = await addComment(alice, resource, { content: 'audited' });
      await pb(h, 'PUT', `/comments/${a.body.body.id}.json`, { token: alice.pbToken, body: { content: 'audited twice' } });
      await pb(h, 'DELETE', `/comments/${a.body.body.id}.json`, { token: alice.pbToken });
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'via', 'outcome'])
        .where('actor_id', '=', alice.id)
        .where('action', 'like', 'comment.%')
        .execute();
      for (const action of ['comment.create', 'comment.update', 'comment.delete', 'comment.list']) {
        assert.ok(
          audit.some((x) => x.action === action && x.via === 'passbolt' && x.outcome === 'success'),
          action,
        );
      }
    });
  });
}
