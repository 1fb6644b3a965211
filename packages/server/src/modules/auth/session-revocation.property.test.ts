// Property: after any sequence of logins, refreshes, logouts and security changes (password change,
// role change, disable/enable), exactly the tokens a simple reference model says are alive work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, firstLogin, type Harness, startHarness } from '../../../test/harness.ts';

type Op =
  | { kind: 'login'; user: number }
  | { kind: 'refresh'; token: number }
  | { kind: 'logout'; token: number }
  | { kind: 'password'; user: number }
  | { kind: 'role'; user: number }
  | { kind: 'disable'; user: number }
  | { kind: 'enable'; user: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('login' as const), user: fc.nat(1) }),
  fc.record({ kind: fc.constant('refresh' as const), token: fc.nat(20) }),
  fc.record({ kind: fc.constant('logout' as const), token: fc.nat(20) }),
  fc.record({ kind: fc.constant('password' as const), user: fc.nat(1) }),
  fc.record({ kind: fc.constant('role' as const), user: fc.nat(1) }),
  fc.record({ kind: fc.constant('disable' as const), user: fc.nat(1) }),
  fc.record({ kind: fc.constant('enable' as const), user: fc.nat(1) }),
);

interface ModelToken {
  user: number;
  access: string;
  refresh: string;
  family: number;
  alive: boolean;
  refreshAlive: boolean;
}

for (const dialect of dialects) {
  describe(`session revocation property [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('only the tokens the model keeps alive authenticate', async () => {
      let families = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
          const users = [await createUser(h, admin, 'password_user'), await createUser(h, admin, 'password_user')];
          const passwords = users.map((u) => u.password);
          const disabled = [false, false];
          /** An administrator reset the password: the next login must replace it first. */
          const mustChange = [false, false];
          const roles = ['password_user', 'password_user'];
          const tokens: ModelToken[] = users.map((u, i) => ({
            user: i,
            access: u.token,
            refresh: u.refreshToken,
            family: families++,
            alive: true,
            refreshAlive: true,
          }));
          const killUser = (i: number) => {
            for (const t of tokens) if (t.user === i) Object.assign(t, { alive: false, refreshAlive: false });
          };
          for (const op of ops) {
            switch (op.kind) {
              case 'login': {
                const u = users[op.user]!;
                if (mustChange[op.user] && !disabled[op.user]) {
                  // the forced change ends every session of the user; then a normal one
                  const fl = await firstLogin(h, u.username, passwords[op.user] as string);
                  passwords[op.user] = fl.password;
                  mustChange[op.user] = false;
                  killUser(op.user);
                  tokens.push({
                    user: op.user,
                    access: fl.tokens.accessToken,
                    refresh: fl.tokens.refreshToken,
                    family: families++,
                    alive: true,
                    refreshAlive: true,
                  });
                  break;
                }
                const r = await call(h, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: passwords[op.user] } });
                if (disabled[op.user]) {
                  assert.equal(r.status, 401);
                } else {
                  assert.equal(r.status, 200, r.raw);
                  tokens.push({
                    user: op.user,
                    access: r.body.accessToken,
                    refresh: r.body.refreshToken,
                    family: families++,
                    alive: true,
                    refreshAlive: true,
                  });
                }
                break;
              }
              case 'refresh': {
                const t = tokens[op.token % tokens.length]!;
                const r = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refresh } });
                if (t.refreshAlive) {
                  assert.equal(r.status, 200, r.raw);
                  t.alive = false;
                  t.refreshAlive = false;
                  tokens.push({
                    user: t.user,
                    access: r.body.accessToken,
                    refresh: r.body.refreshToken,
                    family: t.family,
                    alive: true,
                    refreshAlive: true,
                  });
                } else {
                  assert.equal(r.status, 401);
                  // reuse of a consumed refresh token ends its whole family
                  for (const o of tokens) if (o.family === t.family) Object.assign(o, { alive: false, refreshAlive: false });
                }
                break;
              }
              case 'logout': {
                const t = tokens[op.token % tokens.length]!;
                const r = await call(h, 'POST', '/api/v1/auth/logout', { token: t.access });
                assert.equal(r.status, t.alive ? 200 : 401);
                if (t.alive) for (const o of tokens) if (o.family === t.family) Object.assign(o, { alive: false, refreshAlive: false });
                break;
              }
              case 'password': {
                const next = `new-password-${Math.random().toString(36).slice(2)}`;
                const r = await call(h, 'POST', `/api/v1/users/${users[op.user]!.id}/password`, { token: admin, body: { password: next } });
                assert.equal(r.status, 200);
                passwords[op.user] = next;
                mustChange[op.user] = true;
                killUser(op.user);
                break;
              }
              case 'role': {
                roles[op.user] = roles[op.user] === 'password_user' ? 'password_auditor' : 'password_user';
                const r = await call(h, 'PATCH', `/api/v1/users/${users[op.user]!.id}`, { token: admin, body: { role: roles[op.user] } });
                assert.equal(r.status, 200);
                killUser(op.user);
                break;
              }
              case 'disable': {
                assert.equal((await call(h, 'POST', `/api/v1/users/${users[op.user]!.id}/disable`, { token: admin })).status, 200);
                disabled[op.user] = true;
                killUser(op.user);
                break;
              }
              case 'enable': {
                assert.equal((await call(h, 'POST', `/api/v1/users/${users[op.user]!.id}/enable`, { token: admin })).status, 200);
                disabled[op.user] = false; // earlier tokens stay dead
                break;
              }
            }
            for (const t of tokens) {
              const r = await call(h, 'GET', '/api/v1/auth/whoami', { token: t.access });
              assert.equal(r.status, t.alive ? 200 : 401, `token of user ${t.user} after ${JSON.stringify(op)}`);
            }
          }
        }),
        { numRuns: 25 },
      );
    });
  });
}
