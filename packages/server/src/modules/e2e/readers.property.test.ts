// Property: for random grants (to users and groups, on the vault, on a folder that inherits or not,
// some expired, at random levels), random group memberships and a Password Auditor among the users,
// creating an E2E secret through the real server is accepted iff its messages are for exactly the
// readers a naive model computes (every non-auditor user with a live grant of `reveal` or more,
// directly or through a group, on a node the folder inherits from); then a random share of the
// created secret (to a user or a group, at a random level, with a random set of messages) is
// accepted iff every message is for a reader after the share and every reader then holds one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { newId } from '../../lib/ids.ts';

const RUNS = Number(process.env.COFFER_E2E_PROPERTY_RUNS ?? 25);
const N_USERS = 5; // user 0 owns the vault; user 4 is a Password Auditor
const LEVELS = [1, 2, 3, 4, 5];

for (const dialect of dialects) {
  describe(`E2E reader set property [${dialect}]`, () => {
    let h: Harness;
    const users: Array<{ id: string; token: string; message: string }> = [];
    const groups: string[] = [];
    let vaultId = '';
    let folderId = '';

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      for (let i = 0; i < N_USERS; i++) {
        const email = `prop${i}-${Math.random().toString(36).slice(2, 7)}@example.com`;
        const u = await createUser(h, admin, i === 4 ? 'password_auditor' : 'password_user', { email });
        const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email }], format: 'armored' });
        const r = await call(h, 'PUT', '/api/v1/me/openpgp-key', { token: u.token, body: { armoredKey: k.publicKey } });
        assert.equal(r.status, 200, r.raw);
        const message = (await openpgp.encrypt({
          message: await openpgp.createMessage({ text: 'v' }),
          encryptionKeys: await openpgp.readKey({ armoredKey: k.publicKey }),
        })) as string;
        users.push({ id: u.id, token: u.token, message });
      }
      for (let g = 0; g < 2; g++) {
        const r = await call(h, 'POST', '/api/v1/groups', { token: admin, body: { name: `prop-group-${g}` } });
        assert.equal(r.status, 201, r.raw);
        groups.push(r.body.id);
      }
      const owner = users[0] as { token: string };
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: 'prop-e2e', encryption: 'e2e' } });
      assert.equal(v.status, 201, v.raw);
      vaultId = v.body.id;
      const f = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId, name: 'f' } });
      assert.equal(f.status, 201, f.raw);
      folderId = f.body.id;
      // the owner keeps manage on the folder too, inheriting or not: every run can create there
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: folderId, principalType: 'user', principalId: (users[0] as { id: string }).id, level: 'manage' },
      });
      assert.equal(g.status, 201, g.raw);
    });
    after(async () => h?.close());

    const grantArb = fc.record({
      node: fc.constantFrom('vault', 'folder'),
      principal: fc.oneof(
        fc.record({ type: fc.constant('user' as const), i: fc.integer({ min: 1, max: N_USERS - 1 }) }),
        fc.record({ type: fc.constant('group' as const), i: fc.integer({ min: 0, max: 1 }) }),
      ),
      level: fc.constantFrom(...LEVELS),
      expired: fc.boolean(),
    });

    it('create and share are accepted iff the messages are for exactly the readers', async () => {
      const db = h.database.db;
      await fc.assert(
        fc.asyncProperty(
          fc.array(grantArb, { maxLength: 6 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: N_USERS - 1 })), { maxLength: 5 }),
          fc.boolean(),
          fc.subarray([0, 1, 2, 3, 4]),
          fc.record({ to: grantArb.map((g) => g.principal), level: fc.constantFrom(...LEVELS) }),
          fc.subarray([0, 1, 2, 3, 4]),
          fc.boolean(),
          fc.boolean(),
          async (grants, members, inherits, randomGiven, share, randomShareGiven, exact, shareExact) => {
            const now = Date.now();
            const owner = users[0] as { id: string; token: string };
            // a clean slate: the owner's manage grant on the vault only, no memberships
            await db.deleteFrom('grants').where('node_id', 'in', [vaultId, folderId]).where('principal_id', '!=', owner.id).execute();
            await db.deleteFrom('group_members').where('group_id', 'in', groups).execute();
            await db
              .updateTable('tree_paths')
              .set({ inherits: inherits ? 1 : 0 })
              .where('descendant_id', '=', folderId)
              .where('ancestor_id', '=', vaultId)
              .execute();
            const seen = new Set<string>();
            for (const [g, u] of members) {
              const key = `${g}:${u}`;
              if (seen.has(key)) continue;
              seen.add(key);
              await db
                .insertInto('group_members')
                .values({ group_id: groups[g] as string, user_id: (users[u] as { id: string }).id })
                .execute();
            }
            const principalId = (p: { type: 'user' | 'group'; i: number }) =>
              p.type === 'user' ? (users[p.i] as { id: string }).id : (groups[p.i] as string);
            // one grant per (node, principal): the first of a pair is placed, the others dropped
            const placed = new Set<string>();
            const inserted: typeof grants = [];
            for (const g of grants) {
              const node = g.node === 'vault' ? vaultId : folderId;
              const pid = principalId(g.principal);
              if (placed.has(`${node}:${pid}`)) continue;
              placed.add(`${node}:${pid}`);
              inserted.push(g);
              await db
                .insertInto('grants')
                .values({
                  id: newId('gra', now),
                  node_id: node,
                  node_type: g.node as 'vault' | 'folder',
                  principal_type: g.principal.type,
                  principal_id: pid,
                  level: g.level,
                  is_share: 0,
                  expires_at: g.expired ? now - 1000 : null,
                  created_by: owner.id,
                  created_at: now,
                })
                .execute();
            }
            // the model
            const memberOf = (u: number) => [...seen].filter((k) => k.endsWith(`:${u}`)).map((k) => groups[Number(k.split(':')[0])]);
            const reaches = (node: string) => node === folderId || inherits;
            const levelOf = (u: number, extra: Array<{ pid: string; level: number }> = []) => {
              const ids = [(users[u] as { id: string }).id, ...memberOf(u)];
              let best = u === 0 ? 5 : 0; // the owner's manage grants on the vault and the folder
              for (const g of inserted) {
                const node = g.node === 'vault' ? vaultId : folderId;
                if (g.expired || !reaches(node) || !ids.includes(principalId(g.principal))) continue;
                best = Math.max(best, g.level);
              }
              for (const e of extra) if (ids.includes(e.pid)) best = Math.max(best, e.level);
              return best;
            };
            const readersWith = (extra: Array<{ pid: string; level: number }> = []) =>
              [0, 1, 2, 3].filter((u) => levelOf(u, extra) >= 3).map((u) => (users[u] as { id: string }).id);
            const readers = readersWith();
            // the creator needs edit on the folder
            const canCreate = levelOf(0) >= 4;
            const indexOf = (id: string) => users.findIndex((u) => u.id === id);
            // half the runs send exactly the readers (else a random set, which rarely matches)
            const given = exact ? readers.map(indexOf) : randomGiven;
            const body = {
              vaultId,
              folderId,
              template: 'web-login',
              name: `s-${Math.random().toString(36).slice(2)}`,
              messages: given.map((i) => ({ userId: (users[i] as { id: string }).id, message: (users[i] as { message: string }).message })),
            };
            const r = await call(h, 'POST', '/api/v1/secrets', { token: owner.token, body });
            if (!canCreate) {
              assert.ok(r.status === 403 || r.status === 404, r.raw);
              return;
            }
            const expected = [...readers].sort();
            const sent = body.messages.map((m) => m.userId).sort();
            if (JSON.stringify(expected) === JSON.stringify(sent)) {
              assert.equal(r.status, 201, `readers ${expected} sent ${sent}: ${r.raw}`);
            } else {
              assert.equal(r.status, 409, `readers ${expected} sent ${sent}: ${r.raw}`);
              assert.equal(r.body.error.code, 'secret.e2e_readers_mismatch');
              return;
            }
            // a share of the created secret
            const secretId = r.body.id as string;
            const pid = principalId(share.to);
            const after = readersWith([{ pid, level: share.level }]);
            const shareGiven = shareExact ? after.filter((u) => !expected.includes(u)).map(indexOf) : randomShareGiven;
            const shareMessages = shareGiven.map((i) => ({
              userId: (users[i] as { id: string }).id,
              message: (users[i] as { message: string }).message,
            }));
            const ok =
              shareMessages.every((m) => after.includes(m.userId)) &&
              after.every((u) => expected.includes(u) || shareMessages.some((m) => m.userId === u));
            const s = await call(h, 'POST', '/api/v1/grants', {
              token: owner.token,
              body: {
                nodeId: secretId,
                principalType: share.to.type,
                principalId: pid,
                level: ['list', 'view', 'reveal', 'edit', 'manage'][share.level - 1],
              },
            });
            // the grants route carries no messages: accepted iff nobody new needs one
            const okWithout = after.every((u) => expected.includes(u));
            assert.equal(s.status === 201, okWithout, `grant without messages: readers after ${after}, before ${expected}: ${s.raw}`);
            if (s.status === 201) await call(h, 'DELETE', `/api/v1/grants/${s.body.id}`, { token: owner.token });
            if (share.to.type !== 'user') return;
            const sh = await call(h, 'POST', `/api/v1/secrets/${secretId}/shares`, {
              token: owner.token,
              body: { userId: pid, level: ['list', 'view', 'reveal', 'edit', 'manage'][share.level - 1], messages: shareMessages },
            });
            assert.equal(
              sh.status === 201,
              ok,
              `share: readers after ${after}, before ${expected}, sent ${shareMessages.map((m) => m.userId)}: ${sh.raw}`,
            );
            if (!ok) assert.equal(sh.body.error.code, 'secret.e2e_readers_mismatch');
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
}
