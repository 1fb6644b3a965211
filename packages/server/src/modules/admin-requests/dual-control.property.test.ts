// Separation of duties (SECURITY.md): once a second administrator exists, one administrator cannot
// reach the value of a secret they hold no grant for by any sequence of administrative calls —
// creating users (administrators included) and signing in as them, resetting passwords, changing
// roles and the all-passwords scope, groups and memberships, grants, API keys for others,
// disabling, enabling, deleting, filing, approving (with any credential they hold) and executing
// admin requests, asking for access to a secret whose policy names an approver group and approving
// it with a puppet put into that group. The other administrator approves only what looks harmless
// (a request about the administrator's own account, an e-mail change), and those are refused
// anyway: nobody's password or e-mail changes without re-authentication. Then the positive path:
// with the second administrator's approval the same administrator does get there.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ADMIN, adminToken, call, createUser, dialects, firstLogin, type Harness, type Res, startHarness } from '../../../test/harness.ts';

/** An API key's expiry a month ahead. */
const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

const ROLES = ['administrator', 'password_administrator', 'password_auditor', 'password_user'] as const;

type Op =
  | { kind: 'createUser'; role: number; allPasswords: boolean }
  | { kind: 'signIn'; user: number }
  | { kind: 'resetPassword'; user: number }
  | { kind: 'update'; user: number; role: number | null; allPasswords: boolean | null }
  | { kind: 'createGroup' }
  | { kind: 'addMember'; group: number; user: number }
  | { kind: 'grant'; group: number; cred: number }
  | { kind: 'apiKey'; user: number }
  | { kind: 'status'; user: number; action: 'disable' | 'enable' | 'delete' }
  | { kind: 'explicit'; user: number; self: boolean; what: 'password' | 'email' | 'profile' }
  | { kind: 'approveAndExecute' }
  | { kind: 'requestAccess' }
  | { kind: 'approveAccess' }
  | { kind: 'puppetApprover' };

const idx = fc.nat(20);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('createUser' as const), role: fc.nat(3), allPasswords: fc.boolean() }),
  fc.record({ kind: fc.constant('signIn' as const), user: idx }),
  fc.record({ kind: fc.constant('resetPassword' as const), user: idx }),
  fc.record({
    kind: fc.constant('update' as const),
    user: idx,
    role: fc.option(fc.nat(3), { nil: null }),
    allPasswords: fc.option(fc.boolean(), { nil: null }),
  }),
  fc.record({ kind: fc.constant('createGroup' as const) }),
  fc.record({ kind: fc.constant('addMember' as const), group: idx, user: idx }),
  fc.record({ kind: fc.constant('grant' as const), group: idx, cred: idx }),
  fc.record({ kind: fc.constant('apiKey' as const), user: idx }),
  fc.record({
    kind: fc.constant('status' as const),
    user: idx,
    action: fc.constantFrom('disable' as const, 'enable' as const, 'delete' as const),
  }),
  fc.record({
    kind: fc.constant('explicit' as const),
    user: idx,
    self: fc.boolean(),
    what: fc.constantFrom('password' as const, 'email' as const, 'profile' as const),
  }),
  fc.record({ kind: fc.constant('approveAndExecute' as const) }),
  fc.record({ kind: fc.constant('requestAccess' as const) }),
  fc.record({ kind: fc.constant('approveAccess' as const) }),
  fc.record({ kind: fc.constant('puppetApprover' as const) }),
);

/**
 * Random calls, with the moves a review found woven in at random places in every run: a request
 * about one's own account and a harmless-looking one (both approved by the second administrator
 * and executed), and a puppet put into the approver group.
 */
const sequenceArb: fc.Arbitrary<Op[]> = fc
  .record({
    ops: fc.array(opArb, { minLength: 1, maxLength: 10 }),
    own: fc.constantFrom('password' as const, 'email' as const, 'profile' as const),
    other: idx,
    at: fc.array(fc.nat(10), { minLength: 3, maxLength: 3 }),
  })
  .map(({ ops, own, other, at }) => {
    const moves: Op[] = [
      { kind: 'explicit', user: 0, self: true, what: own },
      { kind: 'explicit', user: other, self: false, what: 'profile' },
      { kind: 'puppetApprover' },
    ];
    const out = [...ops];
    moves.forEach((m, i) => {
      out.splice((at[i] ?? 0) % (out.length + 1), 0, m);
    });
    return out;
  });

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T;

for (const dialect of dialects) {
  describe(`one administrator alone reaches no value [${dialect}]`, () => {
    let h: Harness;
    let a: string;
    let aId: string;
    let b: Awaited<ReturnType<typeof createUser>>;
    let run = 0;
    const stats = { runs: 0, ops: 0, pending: 0, reveals: 0, approvedByB: 0, puppets: 0 };

    before(async () => {
      h = await startHarness(dialect);
      a = await adminToken(h);
      aId = (await call(h, 'GET', '/api/v1/auth/whoami', { token: a })).body.userId;
      // with one administrator nothing is gated: the second one is created directly
      b = await createUser(h, a, 'administrator');
    });
    after(async () => h.close());

    /**
     * A victim's vault with one secret, and a group holding a reveal grant on it with one member;
     * a folder whose policy needs an approval from an approver group (holding no grant), with a
     * secret the administrator may reveal once approved.
     */
    async function victim() {
      const tag = `${dialect}-${++run}`;
      const owner = await createUser(h, a, 'password_administrator');
      const member = await createUser(h, a, 'password_user');
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `V ${tag}` } });
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId: v.body.id,
          template: 'unix-account',
          name: `S ${tag}`,
          fields: { host: 'h', username: 'root', password: `value-${tag}` },
        },
      });
      assert.equal(s.status, 201, s.raw);
      const g = await call(h, 'POST', '/api/v1/groups', { token: a, body: { name: `G ${tag}` } });
      assert.equal((await call(h, 'PUT', `/api/v1/groups/${g.body.id}/members/${member.id}`, { token: a })).status, 200);
      const grant = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: v.body.id, principalType: 'group', principalId: g.body.id, level: 'reveal' },
      });
      assert.equal(grant.status, 201, grant.raw);
      assert.equal((await call(h, 'POST', `/api/v1/secrets/${s.body.id}/reveal`, { token: member.token, body: {} })).status, 200);
      const ag = await call(h, 'POST', '/api/v1/groups', { token: a, body: { name: `AG ${tag}` } });
      const f = await call(h, 'POST', '/api/v1/folders', {
        token: owner.token,
        body: {
          vaultId: v.body.id,
          name: 'guarded',
          policy: { approval: { required: true, approvers: [{ type: 'group', id: ag.body.id }] } },
        },
      });
      assert.equal(f.status, 201, f.raw);
      const gs = await call(h, 'POST', '/api/v1/secrets', {
        token: owner.token,
        body: {
          vaultId: v.body.id,
          folderId: f.body.id,
          template: 'unix-account',
          name: `G ${tag}`,
          fields: { host: 'h', username: 'root', password: `guarded-${tag}` },
        },
      });
      assert.equal(gs.status, 201, gs.raw);
      const mayAsk = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: f.body.id, principalType: 'user', principalId: aId, level: 'reveal' },
      });
      assert.equal(mayAsk.status, 201, mayAsk.raw);
      return {
        owner,
        member,
        vault: v.body.id as string,
        secret: s.body.id as string,
        group: g.body.id as string,
        approverGroup: ag.body.id as string,
        guarded: gs.body.id as string,
        tag,
      };
    }

    it('holds for random sequences of administrative calls', async (t) => {
      await fc.assert(
        fc.asyncProperty(sequenceArb, async (ops) => {
          stats.runs++;
          const v = await victim();
          const users: string[] = [aId, b.id, v.owner.id, v.member.id];
          const usernames = new Map<string, string>([
            [v.owner.id, v.owner.username],
            [v.member.id, v.member.username],
            [b.id, b.username],
          ]);
          /** Passwords the attacker knows (set by them, then changed by them at the forced first login). */
          const known = new Map<string, string>();
          const groups: string[] = [v.group, v.approverGroup];
          /** The administrator's own access requests for the guarded secret. */
          const accessRequests: string[] = [];
          const userRow = (id: string) =>
            h.database.db.selectFrom('users').select(['password_hash', 'email']).where('id', '=', id).executeTakeFirst();
          const mine = await call(h, 'POST', '/api/v1/me/api-keys', {
            token: a,
            body: { name: `a-${v.tag}`, allowedCidrs: ['127.0.0.1'], expiresAt: inAMonth(), currentPassword: ADMIN.password },
          });
          /** Every credential the attacker holds. */
          const creds: string[] = [a, mine.body.key];
          const requests: string[] = [];
          let seq = 0;
          const track = (r: Res) => {
            if (r.status === 202 && r.body.request) {
              requests.push(r.body.request.id);
              stats.pending++;
            }
            return r;
          };
          const tryReveal = async (when: string) => {
            for (const t of creds) {
              for (const secret of [v.secret, v.guarded]) {
                const r = await call(h, 'POST', `/api/v1/secrets/${secret}/reveal`, { token: t, body: {} });
                stats.reveals++;
                assert.ok([401, 403, 404].includes(r.status), `${when}: a credential of the administrator revealed a secret (${r.status})`);
              }
            }
          };
          const requestAccess = async () => {
            const r = await call(h, 'POST', '/api/v1/access-requests', {
              token: a,
              body: { secretId: v.guarded, reason: 'maintenance', durationMinutes: 60 },
            });
            if (r.status === 201) accessRequests.push(r.body.id);
          };
          /** Every credential the administrator holds approves every access request of theirs. */
          const approveAccess = async () => {
            for (const id of accessRequests) {
              for (const t of creds) await call(h, 'POST', `/api/v1/access-requests/${id}/approve`, { token: t, body: {} });
            }
          };
          for (const op of ops) {
            stats.ops++;
            const u = 'user' in op ? pick(users, op.user) : aId;
            switch (op.kind) {
              case 'createUser': {
                const username = `p${++seq}-${v.tag}`;
                const password = `tmp-${randomBytes(9).toString('hex')}`;
                const r = track(
                  await call(h, 'POST', '/api/v1/users', {
                    token: a,
                    body: {
                      username,
                      password,
                      role: ROLES[op.role],
                      ...(op.allPasswords && op.role <= 1 ? { allPasswords: true } : {}),
                    },
                  }),
                );
                if (r.status === 201) {
                  users.push(r.body.id);
                  usernames.set(r.body.id, username);
                  known.set(r.body.id, password);
                }
                break;
              }
              case 'signIn': {
                const pw = known.get(u);
                const name = usernames.get(u);
                if (!pw || !name) break;
                try {
                  const { password, tokens } = await firstLogin(h, name, pw);
                  known.set(u, password);
                  creds.push(tokens.accessToken);
                } catch {
                  // disabled, deleted: nothing gained
                }
                break;
              }
              case 'resetPassword': {
                const password = `reset-${++seq}-${randomBytes(9).toString('hex')}`;
                const r = track(await call(h, 'POST', `/api/v1/users/${u}/password`, { token: a, body: { password } }));
                // one's own password is refused on this route (it changes with re-authentication)
                if (u === aId) assert.equal(r.status, 400, r.raw);
                if (r.status === 200) known.set(u, password);
                break;
              }
              case 'update': {
                const body: Record<string, unknown> = {};
                if (op.role !== null) body.role = ROLES[op.role];
                if (op.allPasswords !== null) body.allPasswords = op.allPasswords;
                if (Object.keys(body).length === 0) body.department = 'x';
                track(await call(h, 'PATCH', `/api/v1/users/${u}`, { token: a, body }));
                break;
              }
              case 'createGroup': {
                const g = await call(h, 'POST', '/api/v1/groups', { token: a, body: { name: `g${++seq}-${v.tag}` } });
                if (g.status === 201) groups.push(g.body.id);
                break;
              }
              case 'addMember':
                track(await call(h, 'PUT', `/api/v1/groups/${pick(groups, op.group)}/members/${u}`, { token: a }));
                break;
              case 'grant': {
                const principal = pick(groups, op.group);
                for (const target of [v.vault, v.secret]) {
                  await call(h, 'POST', '/api/v1/grants', {
                    token: pick(creds, op.cred),
                    body: { nodeId: target, principalType: 'group', principalId: principal, level: 'reveal' },
                  });
                }
                break;
              }
              case 'apiKey': {
                const r = track(
                  await call(h, 'POST', `/api/v1/users/${u}/api-keys`, {
                    token: a,
                    body: { name: `k${++seq}`, allowedCidrs: ['127.0.0.1'], expiresAt: inAMonth(), currentPassword: ADMIN.password },
                  }),
                );
                if (r.status === 201) creds.push(r.body.key);
                break;
              }
              case 'status': {
                const path = op.action === 'delete' ? `/api/v1/users/${u}` : `/api/v1/users/${u}/${op.action}`;
                track(await call(h, op.action === 'delete' ? 'DELETE' : 'POST', path, { token: a }));
                break;
              }
              case 'explicit': {
                const who = op.self ? aId : u;
                const operation = {
                  password: { type: 'user.password_reset', userId: who, password: `explicit-${++seq}-${randomBytes(9).toString('hex')}` },
                  email: { type: 'user.update', userId: who, patch: { email: `e${++seq}@example.com` } },
                  profile: { type: 'user.update', userId: who, patch: { department: `d${++seq}` } },
                }[op.what];
                const before = await userRow(who);
                const r = await call(h, 'POST', '/api/v1/admin-requests', { token: a, body: { operation } });
                if (r.status !== 201) break;
                // about the administrator's own account, or no password: the second administrator approves
                // it, and still no password or e-mail address changes without re-authentication
                if (who === aId || op.what !== 'password') {
                  assert.equal(
                    (await call(h, 'POST', `/api/v1/admin-requests/${r.body.id}/approve`, { token: b.token, body: {} })).status,
                    200,
                  );
                  stats.approvedByB++;
                  await call(h, 'POST', `/api/v1/admin-requests/${r.body.id}/execute`, {
                    token: a,
                    body: { currentPassword: ADMIN.password },
                  });
                  assert.deepEqual(await userRow(who), before, `${JSON.stringify(op)}: changed without re-authentication`);
                } else {
                  requests.push(r.body.id);
                }
                break;
              }
              case 'requestAccess':
                await requestAccess();
                break;
              case 'approveAccess':
                await approveAccess();
                break;
              case 'puppetApprover': {
                // a user the administrator made and signs in as, put into the approver group, approving their request
                const username = `q${++seq}-${v.tag}`;
                const temporary = `tmp-${randomBytes(9).toString('hex')}`;
                const c = await call(h, 'POST', '/api/v1/users', {
                  token: a,
                  body: { username, password: temporary, role: 'password_user' },
                });
                if (c.status !== 201) break;
                const { password, tokens } = await firstLogin(h, username, temporary);
                users.push(c.body.id);
                usernames.set(c.body.id, username);
                known.set(c.body.id, password);
                creds.push(tokens.accessToken);
                stats.puppets++;
                track(await call(h, 'PUT', `/api/v1/groups/${v.approverGroup}/members/${c.body.id}`, { token: a }));
                if (accessRequests.length === 0) await requestAccess();
                await approveAccess();
                break;
              }
              case 'approveAndExecute':
                // with every credential the administrator holds (their own, their keys, the people they made)
                for (const id of requests) {
                  for (const t of creds) {
                    const r = await call(h, 'POST', `/api/v1/admin-requests/${id}/approve`, { token: t, body: {} });
                    assert.notEqual(r.status, 200, 'an approval by a credential of the requester');
                  }
                  const x = await call(h, 'POST', `/api/v1/admin-requests/${id}/execute`, {
                    token: a,
                    body: { currentPassword: ADMIN.password },
                  });
                  assert.notEqual(x.status, 200, 'an unapproved request executed');
                }
                break;
            }
            await tryReveal(JSON.stringify(op));
          }
        }),
        { numRuns: 20, endOnFailure: true },
      );
      t.diagnostic(JSON.stringify(stats));
      assert.ok(stats.pending > 0 && stats.reveals > stats.ops && stats.approvedByB > 0 && stats.puppets > 0, JSON.stringify(stats));
    });

    it("reaches the value with the second administrator's approval", async () => {
      const v = await victim();
      const password = `approved-${randomBytes(9).toString('hex')}`;
      const r = await call(h, 'POST', `/api/v1/users/${v.member.id}/password`, { token: a, body: { password } });
      assert.equal(r.status, 202, r.raw);
      const id = r.body.request.id as string;
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${id}/approve`, { token: b.token, body: {} })).status, 200);
      assert.equal((await call(h, 'POST', `/api/v1/admin-requests/${id}/execute`, { token: a, body: {} })).status, 200);
      const { tokens } = await firstLogin(h, v.member.username, password);
      const seen = await call(h, 'POST', `/api/v1/secrets/${v.secret}/reveal`, { token: tokens.accessToken, body: {} });
      assert.equal(seen.status, 200, seen.raw);
      assert.ok(seen.raw.includes(`value-${v.tag}`));
    });
  });
}
