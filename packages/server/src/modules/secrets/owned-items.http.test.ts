// Vaults of personal items (ADR 0025 "Resources"; migration 0021) through the native API, on both
// dialects: in an E2E vault with `itemsOwnedByCreator`, any active human user with a registered
// OpenPGP key creates secrets and folders at the root without a vault grant and owns them (manage,
// the only reader); nobody else sees them; inside a folder the normal rule (edit on it) holds; a
// user without a key, a Password Auditor and anyone in an ordinary vault still cannot create.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { decryptWith, encryptFor, passboltUser, pbKey } from '../../../test/passbolt.ts';
import { levelRank } from '../access/levels.ts';

type PbUser = Awaited<ReturnType<typeof passboltUser>>;

for (const dialect of dialects) {
  describe(`Vaults of personal items [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: PbUser;
    let bob: PbUser;
    let vaultId: string;

    const createFor = async (u: PbUser, body: Record<string, unknown>, readers: PbUser[] = [u]) => {
      const message = await encryptFor('{"password":"p"}', [u.key.pub], u.key.priv);
      return call(h, 'POST', '/api/v1/secrets', {
        token: u.token,
        body: { template: 'web-login', name: 'item', ...body, messages: readers.map((r) => ({ userId: r.id, message })) },
      });
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      alice = await passboltUser(h, admin);
      bob = await passboltUser(h, admin);
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: admin,
        body: { name: 'Personal', encryption: 'e2e', itemsOwnedByCreator: true },
      });
      assert.equal(v.status, 201, v.raw);
      assert.equal(v.body.itemsOwnedByCreator, true);
      vaultId = v.body.id;
      // the administrator who made it keeps no reader status over the items: drop their grant
      const grants = await call(h, 'GET', `/api/v1/grants?nodeId=${vaultId}`, { token: admin });
      assert.equal(grants.body.items.length, 1, grants.raw);
      for (const g of grants.body.items) assert.equal((await call(h, 'DELETE', `/api/v1/grants/${g.id}`, { token: admin })).status, 204);
    });
    after(async () => h?.close());

    it('shows the property natively and refuses it on a server-encrypted vault', async () => {
      const plain = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Plain', itemsOwnedByCreator: true } });
      assert.equal(plain.status, 400, plain.raw);
      const ordinary = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Ordinary', encryption: 'e2e' } });
      assert.equal(ordinary.body.itemsOwnedByCreator, false);
      const row = await h.database.db.selectFrom('vaults').selectAll().where('id', '=', vaultId).executeTakeFirstOrThrow();
      assert.equal(row.items_owned_by_creator, 1);
    });

    it('lets a user with a key create at the root and owns it: manage, the only reader', async () => {
      const readers = await call(h, 'GET', `/api/v1/vaults/${vaultId}/readers`, { token: alice.token });
      assert.equal(readers.status, 200, readers.raw);
      assert.deepEqual(
        readers.body.items.map((r: { userId: string }) => r.userId),
        [alice.id],
      );
      const s = await createFor(alice, { vaultId });
      assert.equal(s.status, 201, s.raw);
      assert.equal(s.body.myLevel, 'manage');
      const rev = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, { token: alice.token, body: {} });
      assert.equal(rev.status, 200, rev.raw);
      assert.equal(await decryptWith(rev.body.e2e.message, alice.key.priv, alice.key.pub), '{"password":"p"}');
      // bob cannot see it, read it or reveal it: as if it did not exist
      for (const [m, p] of [
        ['GET', `/api/v1/secrets/${s.body.id}`],
        ['POST', `/api/v1/secrets/${s.body.id}/reveal`],
      ] as const) {
        const r = await call(h, m, p, { token: bob.token, ...(m === 'POST' ? { body: {} } : {}) });
        assert.equal(r.status, 404, r.raw);
      }
      const list = await call(h, 'GET', `/api/v1/secrets?vaultId=${vaultId}`, { token: bob.token });
      assert.equal(list.body.items.length, 0);
      // a message for bob on alice's personal item: bob is no reader
      const extra = await createFor(alice, { vaultId, name: 'two' }, [alice, bob]);
      assert.equal(extra.status, 409, extra.raw);
      assert.equal(extra.body.error.code, 'secret.e2e_readers_mismatch');
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select(['details'])
        .where('action', '=', 'secret.create')
        .where('object_id', '=', s.body.id)
        .executeTakeFirstOrThrow();
      assert.match(String(audit.details), /"owned":true/);
    });

    it('keeps a value format on E2E secrets only, changed with new messages only', async () => {
      const s = await createFor(alice, { vaultId, name: 'formatted', valueFormat: 'password-string' });
      assert.equal(s.status, 201, s.raw);
      assert.equal(s.body.valueFormat, 'password-string');
      const alone = await call(h, 'PATCH', `/api/v1/secrets/${s.body.id}`, { token: alice.token, body: { valueFormat: 'totp' } });
      assert.equal(alone.status, 400, alone.raw);
      const message = await encryptFor('{"totp":{}}', [alice.key.pub], alice.key.priv);
      const withMessages = await call(h, 'PATCH', `/api/v1/secrets/${s.body.id}`, {
        token: alice.token,
        body: { valueFormat: 'totp', messages: [{ userId: alice.id, message }] },
      });
      assert.equal(withMessages.status, 200, withMessages.raw);
      assert.equal(withMessages.body.valueFormat, 'totp');
      const plain = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Server kind' } });
      const server = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId: plain.body.id, template: 'web-login', name: 's', fields: { password: 'x' }, valueFormat: 'password-string' },
      });
      assert.equal(server.status, 400, server.raw);
    });

    it('creates folders at the root the same way, and inside one only with edit on it', async () => {
      const f = await call(h, 'POST', '/api/v1/folders', { token: alice.token, body: { vaultId, name: 'Alice things' } });
      assert.equal(f.status, 201, f.raw);
      assert.equal(f.body.myLevel, 'manage');
      const inside = await createFor(alice, { vaultId, folderId: f.body.id, name: 'in folder' });
      assert.equal(inside.status, 201, inside.raw);
      // bob: not in alice's folder (it reads as missing), not a folder below it
      const bobIn = await createFor(bob, { vaultId, folderId: f.body.id, name: 'intruder' });
      assert.equal(bobIn.status, 404, bobIn.raw);
      const bobSub = await call(h, 'POST', '/api/v1/folders', { token: bob.token, body: { vaultId, parentId: f.body.id, name: 'x' } });
      assert.equal(bobSub.status, 404, bobSub.raw);
      const bobSees = await call(h, 'GET', `/api/v1/folders/${f.body.id}`, { token: bob.token });
      assert.equal(bobSees.status, 404, bobSees.raw);
    });

    it('moves a secret to the top only for someone who manages it, who keeps managing it there', async () => {
      const f = await call(h, 'POST', '/api/v1/folders', { token: alice.token, body: { vaultId, name: 'Moving out' } });
      const s = await createFor(alice, { vaultId, folderId: f.body.id, name: 'mover' });
      assert.equal(s.status, 201, s.raw);
      // bob may edit it (a share with his message) but does not manage it: he cannot move it to the top
      const bobMsg = await encryptFor('{"password":"p"}', [bob.key.pub], alice.key.priv);
      const share = await call(h, 'POST', `/api/v1/secrets/${s.body.id}/shares`, {
        token: alice.token,
        body: { userId: bob.id, level: 'edit', messages: [{ userId: bob.id, message: bobMsg }] },
      });
      assert.equal(share.status, 201, share.raw);
      const bobMove = await call(h, 'PATCH', `/api/v1/secrets/${s.body.id}`, { token: bob.token, body: { folderId: null } });
      assert.equal(bobMove.status, 403, bobMove.raw);
      const move = await call(h, 'PATCH', `/api/v1/secrets/${s.body.id}`, { token: alice.token, body: { folderId: null } });
      assert.equal(move.status, 200, move.raw);
      assert.equal(move.body.folderId, null);
      assert.equal(move.body.myLevel, 'manage');
      const own = await h.database.db
        .selectFrom('grants')
        .select('level')
        .where('node_id', '=', s.body.id)
        .where('principal_id', '=', alice.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(own.level), levelRank.manage);
      const readers = await call(h, 'GET', `/api/v1/secrets/${s.body.id}/readers`, { token: alice.token });
      assert.deepEqual(readers.body.items.map((r: { userId: string }) => r.userId).sort(), [alice.id, bob.id].sort());
    });

    it('refuses users without a key, Password Auditors, and anyone in an ordinary vault', async () => {
      const nokey = await createUser(h, admin, 'password_user', { email: 'nokey@example.com' });
      const r1 = await call(h, 'POST', '/api/v1/secrets', {
        token: nokey.token,
        body: { vaultId, template: 'web-login', name: 'n', messages: [] },
      });
      assert.equal(r1.status, 404, r1.raw);
      const f1 = await call(h, 'POST', '/api/v1/folders', { token: nokey.token, body: { vaultId, name: 'nokey' } });
      assert.equal(f1.status, 404, f1.raw);
      const auditor = await createUser(h, admin, 'password_auditor', { email: 'auditor@example.com' });
      const akey = await pbKey('auditor@example.com');
      const reg = await call(h, 'PUT', '/api/v1/me/openpgp-key', { token: auditor.token, body: { armoredKey: akey.pub } });
      assert.equal(reg.status, 200, reg.raw);
      const m = await encryptFor('x', [akey.pub], akey.priv);
      const r2 = await call(h, 'POST', '/api/v1/secrets', {
        token: auditor.token,
        body: { vaultId, template: 'web-login', name: 'aud', messages: [{ userId: auditor.id, message: m }] },
      });
      assert.equal(r2.status, 404, r2.raw);
      const ordinary = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Team E2E', encryption: 'e2e' } });
      const r3 = await createFor(bob, { vaultId: ordinary.body.id, name: 'no grant' });
      assert.equal(r3.status, 404, r3.raw);
      const f3 = await call(h, 'POST', '/api/v1/folders', { token: bob.token, body: { vaultId: ordinary.body.id, name: 'x' } });
      assert.equal(f3.status, 404, f3.raw);
    });
  });
}
