// Secret Server's remote password changing and heartbeat over Coffer's remote rotation, against
// the real PostgreSQL on both dialects: the secret's heartbeat/RPC fields follow the rotation state
// (they were constants), `POST /secrets/{id}/change-password` changes the password on the target
// through the journal (given or generated), `POST /secrets/{id}/heartbeat` verifies now; refused
// without a target (the product's error shape) and for a caller without access; audited with
// via=secretserver, never a password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, PG_URL, startHarness } from '../../../test/harness.ts';
import { createPgRole, freshPassword, pgAdmin, pgPort, pgVerifier } from '../../../test/pg-roles.ts';
import { num, ss, ssLogin } from '../../../test/secretserver.ts';
import { scramVerifier, verifierMatches } from '../../modules/rotation/connectors/scram.ts';
import { NEVER } from './ids.ts';

for (const dialect of dialects) {
  describe(`Secret Server heartbeat and remote password changing [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let token: string;
    let vaultId: string;
    let superuserSecret: string;
    const roles: string[] = [];

    const secret = async (name: string, username: string, password: string) => {
      const r = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId, template: 'database-account', name, fields: { host: '127.0.0.1', username, password } },
      });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };
    const pgRole = async () => {
      const name = `coffer_ss_${randomBytes(5).toString('hex')}`;
      const pw = freshPassword();
      roles.push(name);
      await createPgRole(name, pw);
      const id = await secret(name, name, pw);
      return { name, pw, id, n: await num(h, 'secret', id) };
    };
    const target = async (id: string, extra: Record<string, unknown> = {}) => {
      const r = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'postgres', host: '127.0.0.1', port: pgPort, privilegedSecretId: superuserSecret, ...extra },
      });
      assert.equal(r.status, 200, r.raw);
    };
    const reveal = async (id: string) => {
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} });
      assert.equal(r.status, 200, r.raw);
      return r.body.values.password as string;
    };

    before(async () => {
      h = await startHarness(dialect, { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
      admin = await adminToken(h);
      token = (await ssLogin(h, ADMIN.username, ADMIN.password)).access_token;
      vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'ss targets' } })).body.id;
      superuserSecret = await secret('pg superuser', new URL(PG_URL).username || 'postgres', 'trusted-here');
    });
    after(async () => {
      await h.close();
      await pgAdmin(async (c) => {
        for (const r of roles) await c.query(`drop role if exists ${c.escapeIdentifier(r)}`);
      });
    });

    it('without a target: the fields say so, change-password and heartbeat answer the product’s error, nothing changes', async () => {
      const role = await pgRole();
      const g = await ss(h, 'GET', `/secrets/${role.n}`, token);
      assert.equal(g.status, 200, g.raw);
      assert.equal(g.body.lastHeartBeatStatus, 'Pending');
      assert.equal(g.body.lastHeartBeatCheck, NEVER);
      assert.equal(g.body.autoChangeEnabled, false);
      assert.equal(g.body.isOutOfSync, false);
      for (const path of ['change-password', 'heartbeat']) {
        const r = await ss(h, 'POST', `/secrets/${role.n}/${path}`, token, { newPassword: freshPassword() });
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.errorCode, 'API_Conflict');
        assert.match(r.body.message, /rotation target/);
      }
      assert.equal(await reveal(role.id), role.pw);
      assert.ok(verifierMatches(await pgVerifier(role.name), role.pw));
    });

    it('heartbeat verifies now; change-password with newPassword and without one changes it on the target; fields follow', async () => {
      const role = await pgRole();
      await target(role.id, { rotateDays: 30 });
      const hb = await ss(h, 'POST', `/secrets/${role.n}/heartbeat`, token);
      assert.equal(hb.status, 200, hb.raw);
      assert.equal(hb.body.lastHeartBeatStatus, 'Success');
      assert.equal(hb.body.isOutOfSync, false);
      assert.equal(hb.body.autoChangeEnabled, true);
      assert.equal(hb.body.lastPasswordChangeAttempt, NEVER);

      const given = freshPassword();
      const c1 = await ss(h, 'POST', `/secrets/${role.n}/change-password`, token, { NewPassword: given, comment: 'ticket 42' });
      assert.equal(c1.status, 200, c1.raw);
      assert.notEqual(c1.body.lastPasswordChangeAttempt, NEVER);
      assert.ok(!c1.raw.includes(given), 'the answer holds no password');
      assert.equal(await reveal(role.id), given);
      assert.ok(verifierMatches(await pgVerifier(role.name), given), 'the target has the given password');

      const c2 = await ss(h, 'POST', `/secrets/${role.n}/change-password`, token, {});
      assert.equal(c2.status, 200, c2.raw);
      const generated = await reveal(role.id);
      assert.notEqual(generated, given);
      assert.ok(verifierMatches(await pgVerifier(role.name), generated), 'the target has the generated password');

      const g = await ss(h, 'GET', `/secrets/${role.n}`, token);
      assert.equal(g.body.lastHeartBeatStatus, 'Success');
      assert.notEqual(g.body.lastHeartBeatCheck, NEVER);
      assert.equal(g.body.failedPasswordChangeAttempts, 0);
      assert.equal(g.body.autoChangeEnabled, true);

      const audit = await call(h, 'GET', `/api/v1/audit?object=${role.id}&via=secretserver&limit=100`, { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      const actions = audit.body.items.map((i: { action: string }) => i.action);
      for (const a of ['rotation.verify', 'rotation.start']) assert.ok(actions.includes(a), `${a} in ${actions}`);
      const all = await call(h, 'GET', `/api/v1/audit?object=${role.id}&limit=200`, { token: admin });
      for (const pw of [given, generated]) {
        assert.ok(!all.raw.includes(pw), 'no password in the audit trail');
        assert.ok(!h.logs().includes(pw), 'no password in the log');
      }
    });

    it('a password changed behind the vault’s back: heartbeat Failed, out of sync in the secret and in searches', async () => {
      const role = await pgRole();
      await target(role.id);
      await pgAdmin((c) =>
        c.query(`alter role ${c.escapeIdentifier(role.name)} password ${c.escapeLiteral(scramVerifier(freshPassword()))}`),
      );
      const hb = await ss(h, 'POST', `/secrets/${role.n}/heartbeat`, token);
      assert.equal(hb.status, 200, hb.raw);
      assert.equal(hb.body.lastHeartBeatStatus, 'Failed');
      assert.equal(hb.body.isOutOfSync, true);
      assert.notEqual(hb.body.outOfSyncReason, '');
      assert.equal(hb.body.autoChangeEnabled, false);
      const found = await ss(h, 'GET', `/secrets?filter.searchText=${encodeURIComponent(role.name)}`, token);
      assert.equal(found.status, 200, found.raw);
      const rec = found.body.records.find((x: { id: number }) => x.id === role.n);
      assert.equal(rec.isOutOfSync, true);
      assert.equal(rec.lastHeartBeatStatus, 'Failed');
    });

    it('a caller without access is refused like for an unknown secret; nothing changes on the target', async () => {
      const role = await pgRole();
      await target(role.id);
      const other = await createUser(h, admin, 'password_user');
      const theirs = (await ssLogin(h, other.username, other.password)).access_token;
      for (const path of ['change-password', 'heartbeat']) {
        const r = await ss(h, 'POST', `/secrets/${role.n}/${path}`, theirs, { newPassword: freshPassword() });
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.errorCode, 'API_AccessDenied');
      }
      assert.equal(await reveal(role.id), role.pw);
      assert.ok(verifierMatches(await pgVerifier(role.name), role.pw));
    });
  });
}
