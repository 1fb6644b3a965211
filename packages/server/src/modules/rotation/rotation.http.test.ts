// Remote rotation through the native API and PMP, against the real PostgreSQL and MariaDB:
// give a secret a target (refused outside the allowlist), verify (dry run), rotate, heartbeat
// status and the out-of-sync flag, PMP RESETTYPE REMOTE, the same routes under the web UI's /ui;
// every step audited, never a password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, PG_URL, startHarness } from '../../../test/harness.ts';
import { createPgRole, freshPassword, pgAdmin, pgPort, pgVerifier } from '../../../test/pg-roles.ts';
import { apiUser, form, pmp } from '../../../test/pmp.ts';
import { ui, uiLogin } from '../../../test/web.ts';
import { nativePasswordHash } from './connectors/mysql.ts';
import { scramVerifier, verifierMatches } from './connectors/scram.ts';

async function myAdmin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

for (const dialect of dialects) {
  describe(`remote rotation over the API [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let vaultId: string;
    let superuserSecret: string;
    const roles: string[] = [];
    const myUsers: string[] = [];

    const secret = async (name: string, username: string, password: string, template = 'database-account') => {
      const r = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: { vaultId, template, name, fields: { host: '127.0.0.1', username, password } },
      });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };
    const pgRole = async () => {
      const name = `coffer_h_${randomBytes(5).toString('hex')}`;
      const pw = freshPassword();
      roles.push(name);
      await createPgRole(name, pw);
      return { name, pw, id: await secret(name, name, pw) };
    };
    const reveal = async (id: string) => {
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} });
      assert.equal(r.status, 200, r.raw);
      return r.body.values.password as string;
    };

    before(async () => {
      h = await startHarness(dialect, { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
      admin = await adminToken(h);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'targets' } });
      vaultId = v.body.id;
      superuserSecret = await secret('pg superuser', new URL(PG_URL).username || 'postgres', 'trusted-here');
    });
    after(async () => {
      await h.close();
      await pgAdmin(async (c) => {
        for (const r of roles) await c.query(`drop role if exists ${c.escapeIdentifier(r)}`);
      });
      await myAdmin(async (c) => {
        for (const u of myUsers) await c.query('drop user if exists ?@?', [u, '%']);
      });
    });

    it('a target outside the allowlist is refused (private, link-local), a loopback one on it is accepted', async () => {
      const { id } = await pgRole();
      for (const host of ['10.1.2.3', '169.254.169.254', '[::1]']) {
        const r = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, { token: admin, body: { kind: 'postgres', host } });
        assert.equal(r.status, 400, `${host}: ${r.raw}`);
        assert.equal(r.body.error.code, 'rotation.target_refused');
      }
      const ok = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'postgres', host: '127.0.0.1' },
      });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(ok.body.port, 5432);
    });

    it('PostgreSQL: verify (dry run), rotate through the privileged account, audited without the password', async () => {
      const role = await pgRole();
      const set = await call(h, 'PUT', `/api/v1/secrets/${role.id}/rotation-target`, {
        token: admin,
        body: { kind: 'postgres', host: '127.0.0.1', port: pgPort, privilegedSecretId: superuserSecret, heartbeatMinutes: 60 },
      });
      assert.equal(set.status, 200, set.raw);
      const v = await call(h, 'POST', `/api/v1/secrets/${role.id}/rotation/verify`, { token: admin });
      assert.equal(v.status, 200, v.raw);
      assert.equal(v.body.status, 'ok');
      assert.equal(await pgVerifier(role.name).then((s) => verifierMatches(s, role.pw)), true, 'a dry run changes nothing');

      const r = await call(h, 'POST', `/api/v1/secrets/${role.id}/rotate`, { token: admin, body: { reason: 'quarterly' } });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.connector, 'postgres');
      const now = await reveal(role.id);
      assert.notEqual(now, role.pw);
      assert.ok(verifierMatches(await pgVerifier(role.name), now), 'the target has the vault’s new password');
      const status = await call(h, 'GET', `/api/v1/secrets/${role.id}/rotation`, { token: admin });
      assert.equal(status.status, 200, status.raw);
      assert.equal(status.body.entries[0].state, 'done');
      assert.equal(status.body.entries[0].newVersion, r.body.version);
      assert.equal(status.body.target.lastHeartbeatStatus, 'ok');
      const audit = await call(h, 'GET', `/api/v1/audit?object=${role.id}&limit=100`, { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      const actions = audit.body.items.map((i: { action: string }) => i.action);
      for (const a of [
        'rotation.target.set',
        'rotation.verify',
        'secret.heartbeat',
        'rotation.start',
        'rotation.changed',
        'rotation.verified',
        'secret.rotated',
      ]) {
        assert.ok(actions.includes(a), `${a} in ${actions}`);
      }
      assert.ok(!audit.raw.includes(now) && !audit.raw.includes(role.pw), 'no password in the audit trail');
      assert.ok(!h.logs().includes(now), 'no password in the log');
    });

    it('a password changed behind the vault’s back: verify flags the secret out of sync', async () => {
      const role = await pgRole();
      await call(h, 'PUT', `/api/v1/secrets/${role.id}/rotation-target`, {
        token: admin,
        body: { kind: 'postgres', host: '127.0.0.1', privilegedSecretId: superuserSecret },
      });
      const elsewhere = freshPassword();
      await pgAdmin((c) => c.query(`alter role ${c.escapeIdentifier(role.name)} password ${c.escapeLiteral(scramVerifier(elsewhere))}`));
      const v = await call(h, 'POST', `/api/v1/secrets/${role.id}/rotation/verify`, { token: admin });
      assert.equal(v.body.status, 'failed');
      assert.equal(v.body.outOfSync, true);
      const st = await call(h, 'GET', `/api/v1/secrets/${role.id}/rotation`, { token: admin });
      assert.equal(st.body.target.outOfSync, true);
      // listed for those who may view the secret, scoped in SQL: another user sees neither list nor status
      const list = await call(h, 'GET', '/api/v1/rotation-targets?outOfSync=true', { token: admin });
      assert.equal(list.status, 200, list.raw);
      assert.ok(list.body.items.some((i: { target: { secretId: string } }) => i.target.secretId === role.id));
      assert.ok(list.body.items.every((i: { target: { outOfSync: boolean } }) => i.target.outOfSync));
      const other = await createUser(h, admin, 'password_user');
      const theirs = await call(h, 'GET', '/api/v1/rotation-targets', { token: other.token });
      assert.deepEqual(theirs.body.items, []);
      const peek = await call(h, 'GET', `/api/v1/secrets/${role.id}/rotation`, { token: other.token });
      assert.equal(peek.status, 404, peek.raw);
      const verify = await call(h, 'POST', `/api/v1/secrets/${role.id}/rotation/verify`, { token: other.token });
      assert.equal(verify.status, 404, verify.raw);
      const retarget = await call(h, 'PUT', `/api/v1/secrets/${role.id}/rotation-target`, {
        token: other.token,
        body: { kind: 'mysql', host: '127.0.0.1' },
      });
      assert.equal(retarget.status, 404, retarget.raw);
    });

    it('the web UI reaches the same routes under /ui (cookie session), audited with via=web', async () => {
      const role = await pgRole();
      const s = await uiLogin(h, ADMIN.username, ADMIN.password);
      const set = await ui(h, 'PUT', `/ui/api/v1/secrets/${role.id}/rotation-target`, {
        session: s,
        body: { kind: 'postgres', host: '127.0.0.1', port: pgPort, privilegedSecretId: superuserSecret },
      });
      assert.equal(set.status, 200, set.raw);
      const v = await ui(h, 'POST', `/ui/api/v1/secrets/${role.id}/rotation/verify`, { session: s });
      assert.equal(v.status, 200, v.raw);
      assert.equal(v.body.status, 'ok');
      const list = await ui(h, 'GET', '/ui/api/v1/rotation-targets', { session: s });
      assert.equal(list.status, 200, list.raw);
      assert.ok(list.body.items.some((i: { target: { secretId: string } }) => i.target.secretId === role.id));
      // the CSRF token is required like on every unsafe /ui route: nothing is rotated without it
      const noCsrf = await ui(h, 'POST', `/ui/api/v1/secrets/${role.id}/rotate`, {
        session: { cookie: s.cookie, csrfToken: '' },
        body: {},
      });
      assert.equal(noCsrf.status, 403, noCsrf.raw);
      assert.ok(verifierMatches(await pgVerifier(role.name), role.pw), 'the refused rotation changed nothing');
      const audit = await call(h, 'GET', `/api/v1/audit?object=${role.id}&via=web&limit=100`, { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      const actions = audit.body.items.map((i: { action: string }) => i.action);
      assert.ok(actions.includes('rotation.target.set') && actions.includes('rotation.verify'), `${actions}`);
    });

    it('MariaDB: the account rotates its own password (no privileged account)', async () => {
      const name = `coffer_h_${randomBytes(5).toString('hex')}`;
      const pw = freshPassword();
      myUsers.push(name);
      await myAdmin((c) => c.query('create user ?@? identified by password ?', [name, '%', nativePasswordHash(pw)]));
      const id = await secret(name, name, pw);
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'mysql', host: '127.0.0.1' },
      });
      assert.equal(set.status, 200, set.raw);
      assert.equal(set.body.port, 3306);
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: admin, body: {} });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.connector, 'mysql');
      const now = await reveal(id);
      const [rows] = await myAdmin((c) => c.query('select authentication_string as s from mysql.user where user = ?', [name]));
      assert.equal((rows as { s: string }[])[0]?.s, nativePasswordHash(now));
    });

    it('a rotation that cannot be verified stays open (rotation.failed); one open rotation per secret; no local change meanwhile', async () => {
      const role = await pgRole();
      // no privileged account and trust on 127.0.0.1: the change goes through, but verify cannot prove it
      await call(h, 'PUT', `/api/v1/secrets/${role.id}/rotation-target`, { token: admin, body: { kind: 'postgres', host: '127.0.0.1' } });
      const r = await call(h, 'POST', `/api/v1/secrets/${role.id}/rotate`, { token: admin, body: {} });
      assert.equal(r.status, 502, r.raw);
      assert.equal(r.body.error.code, 'rotation.failed');
      const st = await call(h, 'GET', `/api/v1/secrets/${role.id}/rotation`, { token: admin });
      assert.equal(st.body.entries[0].state, 'changed', 'left open: neither password could be proven');
      assert.equal(st.body.entries[0].open, true);
      const again = await call(h, 'POST', `/api/v1/secrets/${role.id}/rotate`, { token: admin, body: {} });
      assert.equal(again.status, 409, again.raw);
      assert.equal(again.body.error.code, 'rotation.in_progress', 'one open rotation per secret');
      const local = await call(h, 'POST', `/api/v1/secrets/${role.id}/password`, { token: admin, body: { password: freshPassword() } });
      assert.equal(local.status, 409, local.raw);
    });

    it('PMP CHANGE PASSWORD with RESETTYPE REMOTE changes it on the target; without a target it fails clearly', async () => {
      const api = await apiUser(h, admin, `pmp-${randomBytes(3).toString('hex')}`);
      const name = `coffer_h_${randomBytes(5).toString('hex')}`;
      const pw = freshPassword();
      roles.push(name);
      await createPgRole(name, pw);
      const created = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: 'application/x-www-form-urlencoded',
        body: form({ RESOURCENAME: `db-${name}`, ACCOUNTNAME: name, PASSWORD: pw, DNSNAME: '127.0.0.1', RESOURCETYPE: 'PostgreSQL' }),
      });
      assert.equal(created.body.operation.result.status, 'Success', created.raw);
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: `db-${name}`, ACCOUNTNAME: name },
      });
      const { RESOURCEID: rid, ACCOUNTID: aid } = ids.body.operation.Details;
      const change = (password: string) =>
        pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}/password`, {
          token: api.key,
          contentType: 'application/x-www-form-urlencoded',
          body: form({ NEWPASSWORD: password, RESETTYPE: 'REMOTE', REASON: 'rotate' }),
        });
      const refused = await change(freshPassword());
      assert.equal(refused.body.operation.result.status, 'Failed');
      assert.match(refused.body.operation.result.message, /no rotation target/);
      // the API user (its key is a bearer token of the native API too) gives its account a target
      const found = await call(h, 'GET', `/api/v1/secrets?q=${name}`, { token: api.key });
      const sid = found.body.items.find((s: { username: string }) => s.username === name)?.id as string;
      assert.ok(sid, found.raw);
      const own = await call(h, 'POST', '/api/v1/vaults', { token: api.key, body: { name: `priv-${name}` } });
      assert.equal(own.status, 201, own.raw);
      const su = await call(h, 'POST', '/api/v1/secrets', {
        token: api.key,
        body: {
          vaultId: own.body.id,
          template: 'database-account',
          name: 'su',
          fields: { host: '127.0.0.1', username: 'postgres', password: 'x' },
        },
      });
      assert.equal(su.status, 201, su.raw);
      const set = await call(h, 'PUT', `/api/v1/secrets/${sid}/rotation-target`, {
        token: api.key,
        body: { kind: 'postgres', host: '127.0.0.1', privilegedSecretId: su.body.id },
      });
      assert.equal(set.status, 200, set.raw);
      const next = freshPassword();
      const ok = await change(next);
      assert.equal(ok.body.operation.result.status, 'Success', ok.raw);
      assert.ok(verifierMatches(await pgVerifier(name), next));
      const read = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(read.body.operation.Details.PASSWORD, next);
    });
  });
}
