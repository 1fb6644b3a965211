// The secret of a Passbolt resource over real HTTP on both dialects: handed out through the same
// reveal gate as natively (a policy that requires a reason answers an error envelope with Coffer's
// message and an audited failure, via passbolt; a list with contain[secret] leaves that secret out),
// and a canary scan: the plaintext of created and updated resources is nowhere on the server
// (store, logs, audit records, answers).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoCanary, canary, type Scan, value } from '../../../test/canary.ts';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, decryptWith, encryptFor, passboltUser, pb } from '../../../test/passbolt.ts';
import { numberOfUuid } from './ids.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;

for (const dialect of dialects) {
  describe(`Passbolt secrets [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: PbUser;

    before(async () => {
      h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      admin = await adminToken(h);
      alice = await passboltUser(h, admin);
    });
    after(async () => h?.close());

    it('passes the reveal gate: a required reason refuses the secret (error envelope, audited failure)', async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: alice.token,
        body: { name: `Reasons ${dialect}`, encryption: 'e2e', policy: { requireReason: true } },
      });
      assert.equal(v.status, 201, v.raw);
      const folders = await pb(h, 'GET', '/folders.json', { token: alice.pbToken });
      const asFolder = folders.body.body.find((f: { name: string }) => f.name === `Reasons ${dialect}`);
      assert.ok(asFolder, folders.raw);
      const r = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: {
          name: 'gated',
          folder_parent_id: asFolder.id,
          secrets: [{ data: await encryptFor('gated-pw', [alice.key.pub], alice.key.priv) }],
        },
      });
      assertEnvelope(r, 200);
      assert.equal(r.body.body.personal, true);
      const sec = await pb(h, 'GET', `/secrets/resource/${r.body.body.id}.json`, { token: alice.pbToken });
      assertEnvelope(sec, 400);
      assert.match(sec.body.header.message, /reason is required/i);
      assert.doesNotMatch(sec.raw, /BEGIN PGP MESSAGE/);
      const failure = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'secret.reveal')
        .where('via', '=', 'passbolt')
        .where('outcome', '!=', 'success')
        .execute();
      assert.ok(failure.length >= 1, 'the refused reveal is audited');
      const list = await pb(h, 'GET', '/resources.json?contain[secret]=1', { token: alice.pbToken });
      const item = list.body.body.find((x: { id: string }) => x.id === r.body.body.id);
      assert.deepEqual(item.secrets, []);
    });

    it('hands out the own message with exactly one audit record, and hides what the caller cannot read alike', async () => {
      const r = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'one-record', secrets: [{ data: await encryptFor('one-record-pw', [alice.key.pub], alice.key.priv) }] },
      });
      assertEnvelope(r, 200);
      const id = r.body.body.id as string;
      const count = async () =>
        (await h.database.db.selectFrom('audit_log').select('seq').where('request_id', 'is not', null).execute()).length;
      const before = await count();
      const sec = await pb(h, 'GET', `/secrets/resource/${id}.json`, { token: alice.pbToken });
      assertEnvelope(sec, 200);
      assert.equal(await decryptWith(sec.body.body.data, alice.key.priv, alice.key.pub), 'one-record-pw');
      // one `secret.reveal` (via passbolt), no separate read of the resource
      const rows = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'via', 'outcome'])
        .orderBy('seq', 'desc')
        .limit(1)
        .execute();
      assert.equal((await count()) - before, 1);
      assert.deepEqual({ ...rows[0] }, { action: 'secret.reveal', via: 'passbolt', outcome: 'success' });
      // another user, a server-encrypted secret, an unknown id: the same 404
      const bob = await passboltUser(h, admin);
      const other = await pb(h, 'GET', `/secrets/resource/${id}.json`, { token: bob.pbToken });
      const v = await call(h, 'POST', '/api/v1/vaults', { token: bob.token, body: { name: `clear ${dialect}` } });
      const clear = await call(h, 'POST', '/api/v1/secrets', {
        token: bob.token,
        body: { vaultId: v.body.id, template: 'web-login', name: 'clear', fields: { password: 'not-for-passbolt' } },
      });
      assert.equal(clear.status, 201, clear.raw);
      const clearUuid = `00000000-0000-4000-8000-${(await h.coffer.services.numbering.numberOf(h.database.db, 'secret', clear.body.id)).toString(16).padStart(12, '0')}`;
      const own = await pb(h, 'GET', `/secrets/resource/${clearUuid}.json`, { token: bob.pbToken });
      const unknown = await pb(h, 'GET', '/secrets/resource/00000000-0000-4000-8000-0000ffffffff.json', { token: bob.pbToken });
      for (const x of [other, own, unknown]) {
        assertEnvelope(x, 404);
        assert.equal(x.body.header.message, unknown.body.header.message);
      }
      assert.doesNotMatch(own.raw, /not-for-passbolt/);
    });

    it('keeps the plaintext off the server (canary scan)', async () => {
      const plain = value('pb-plaintext');
      const plain2 = value('pb-plaintext-2');
      const answers: Scan[] = [];
      const note = (r: { raw: string }, where: string) => answers.push({ where, text: r.raw });
      const created = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'canary', secrets: [{ data: await encryptFor(plain, [alice.key.pub], alice.key.priv) }] },
      });
      assertEnvelope(created, 200);
      note(created, 'create answer');
      const id = created.body.body.id;
      const sec = await pb(h, 'GET', `/secrets/resource/${id}.json`, { token: alice.pbToken });
      note(sec, 'secret answer');
      assert.equal(await decryptWith(sec.body.body.data, alice.key.priv, alice.key.pub), plain);
      const upd = await pb(h, 'PUT', `/resources/${id}.json`, {
        token: alice.pbToken,
        body: {
          name: 'canary',
          secrets: [
            {
              user_id: created.body.body.created_by,
              data: await encryptFor(JSON.stringify({ password: plain2 }), [alice.key.pub], alice.key.priv),
            },
          ],
        },
      });
      assertEnvelope(upd, 200);
      note(upd, 'update answer');
      const list = await pb(h, 'GET', '/resources.json?contain[secret]=1', { token: alice.pbToken });
      note(list, 'list answer');
      // a message that is not for alice's key: refused, and its refusal carries no plaintext
      const bad = await pb(h, 'POST', '/resources.json', {
        token: alice.pbToken,
        body: { name: 'bad', secrets: [{ data: await encryptFor(plain, [(await passboltUser(h, admin)).key.pub], alice.key.priv) }] },
      });
      assertEnvelope(bad, 400);
      note(bad, 'refusal');
      assert.ok(numberOfUuid(id) !== undefined);
      await assertNoCanary(h, [canary('pb', plain), canary('pb2', plain2)], answers, ['passbolt']);
    });
  });
}
