// A PostgreSQL target reached over TLS, through the API on both dialects: the TLS options are
// checked when the target is saved (postgres only, a CA only with verify-full, a PEM that parses),
// shown in the target, and a rotation against a throwaway cluster that takes logins over TLS only
// (ssl=on, a CA made by the test with openssl) changes the password there.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { type ScramPostgres, startScramPostgres } from '../../../test/postgres-scram.ts';
import { scramVerifier } from './connectors/scram.ts';

for (const dialect of dialects) {
  describe(`PostgreSQL target over TLS [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let cluster: ScramPostgres;
    const role = `coffer_tt_${randomBytes(4).toString('hex')}`;
    const first = `Pw-${randomBytes(12).toString('base64url')}`;
    const login = async (password: string) => {
      const c = new pg.Client({
        host: '127.0.0.1',
        port: cluster.port,
        user: role,
        password,
        database: 'postgres',
        ssl: { ca: cluster.caPem as string },
      });
      try {
        await c.connect();
        return true;
      } catch {
        return false;
      } finally {
        await c.end().catch(() => {});
      }
    };

    before(async () => {
      cluster = await startScramPostgres({ tls: true });
      const c = new pg.Client({
        host: '127.0.0.1',
        port: cluster.port,
        user: cluster.superuser.username,
        password: cluster.superuser.password,
        database: 'postgres',
        ssl: { ca: cluster.caPem as string },
      });
      await c.connect();
      await c.query(`create role ${c.escapeIdentifier(role)} login password ${c.escapeLiteral(scramVerifier(first))}`);
      await c.end();
      h = await startHarness(dialect, { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
      admin = await adminToken(h);
    });
    after(async () => {
      await h.close();
      cluster.close();
    });

    it('options checked when saved; verify-full with the CA rotates the password on the TLS-only cluster', async () => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'tls' } });
      const secret = async (name: string, username: string, password: string) =>
        (
          await call(h, 'POST', '/api/v1/secrets', {
            token: admin,
            body: { vaultId: v.body.id, template: 'database-account', name, fields: { host: '127.0.0.1', username, password } },
          })
        ).body.id as string;
      const su = await secret('tls superuser', cluster.superuser.username, cluster.superuser.password);
      const id = await secret(role, role, first);
      const put = (body: Record<string, unknown>) =>
        call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
          token: admin,
          body: { kind: 'postgres', host: '127.0.0.1', port: cluster.port, privilegedSecretId: su, ...body },
        });
      for (const [body, path] of [
        [{ kind: 'mysql', tls: 'require' }, '/tls'],
        [{ tls: 'require', caPem: cluster.caPem }, '/caPem'],
        [{ tls: 'verify-full', caPem: '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n' }, '/caPem'],
      ] as const) {
        const r = await put(body);
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.error.details[0].path, path, r.raw);
      }
      const set = await put({ tls: 'verify-full', caPem: cluster.caPem });
      assert.equal(set.status, 200, set.raw);
      assert.equal(set.body.tls, 'verify-full');
      assert.equal(set.body.caPem, cluster.caPem);
      const verify = await call(h, 'POST', `/api/v1/secrets/${id}/rotation/verify`, { token: admin });
      assert.equal(verify.body.status, 'ok', verify.raw);

      const r = await call(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: admin, body: { reason: 'tls' } });
      assert.equal(r.status, 200, r.raw);
      const now = (await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} })).body.values.password as string;
      assert.notEqual(now, first);
      assert.equal(await login(now), true, 'the new password logs in over TLS');
      assert.equal(await login(first), false);

      // without TLS the cluster takes no login: the same target with tls disable cannot verify
      await put({ tls: 'disable' });
      const plain = await call(h, 'POST', `/api/v1/secrets/${id}/rotation/verify`, { token: admin });
      assert.notEqual(plain.body.status, 'ok', plain.raw);
    });
  });
}
