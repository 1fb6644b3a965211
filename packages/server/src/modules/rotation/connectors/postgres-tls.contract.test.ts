// The PostgreSQL connector over TLS, against a throwaway cluster started with ssl=on, a server
// certificate from a CA made by the test with openssl, and a pg_hba that takes TCP logins over TLS
// only (test/postgres-scram.ts): verify-full with the target's CA logs in and changes the password;
// a certificate from another CA is not trusted (no answer, never a success); require encrypts
// without checking; disable gets no login. Not covered here: MySQL 8's caching_sha2_password and
// TLS to MariaDB (only MariaDB runs on this machine), TLS client certificates.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { makeCa, type ScramPostgres, startScramPostgres } from '../../../../test/postgres-scram.ts';
import { ConnectorError, type Endpoint } from '../connector.ts';
import { postgresConnector } from './postgres.ts';
import { scramVerifier } from './scram.ts';

const connector = postgresConnector();
const fresh = () => `Pw-${randomBytes(12).toString('base64url')}`;

describe('postgres connector over TLS (throwaway cluster, ssl=on, hostssl only)', () => {
  let pgTls: ScramPostgres;
  let otherCa: string;
  let dir: string;
  const role = `coffer_tls_${randomBytes(4).toString('hex')}`;
  const first = fresh();
  const ep = (options: Record<string, string>): Endpoint => ({
    host: '127.0.0.1',
    address: '127.0.0.1',
    port: pgTls.port,
    options,
    hostKey: null,
    timeoutMs: 10_000,
  });
  const su = () => ({ username: pgTls.superuser.username, secret: pgTls.superuser.password, type: 'password' as const });
  const account = (secret: string) => ({ username: role, secret, type: 'password' as const });

  before(async () => {
    pgTls = await startScramPostgres({ tls: true });
    dir = mkdtempSync(path.join(tmpdir(), 'coffer-other-ca-'));
    otherCa = makeCa(dir, 'other');
    const c = new pg.Client({
      host: '127.0.0.1',
      port: pgTls.port,
      user: pgTls.superuser.username,
      password: pgTls.superuser.password,
      database: 'postgres',
      ssl: { ca: pgTls.caPem as string },
    });
    await c.connect();
    await c.query(`create role ${c.escapeIdentifier(role)} login password ${c.escapeLiteral(scramVerifier(first))}`);
    await c.end();
  });
  after(() => {
    pgTls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verify-full with the target’s CA: logs in, refuses a wrong password, changes it through the privileged account', async () => {
    const full = ep({ tls: 'verify-full', ca: pgTls.caPem as string });
    assert.deepEqual(await connector.verify(full, account(first), null), { ok: true });
    assert.equal((await connector.verify(full, account('wrong-password'), null)).ok, false);
    const next = fresh();
    await connector.change(full, { account: account(first), next, privileged: su() });
    assert.equal((await connector.verify(full, account(next), null)).ok, true);
    assert.equal((await connector.verify(full, account(first), null)).ok, false);
    // the account changes its own password over TLS too
    const again = fresh();
    await connector.change(full, { account: account(next), next: again, privileged: null });
    assert.equal((await connector.verify(full, account(again), null)).ok, true);
    // require: encrypted, the certificate not checked
    assert.equal((await connector.verify(ep({ tls: 'require' }), account(again), null)).ok, true);
  });

  it('a certificate from another CA, or none given (system CAs): no answer, never a success', async () => {
    const cases: Record<string, string>[] = [{ tls: 'verify-full', ca: otherCa }, { tls: 'verify-full' }];
    for (const options of cases) {
      await assert.rejects(
        connector.verify(ep(options), su(), null),
        (e) => e instanceof ConnectorError && e.code === 'unreachable',
        JSON.stringify(options.tls),
      );
    }
  });

  it('disable (a plain connection): the server takes no login without TLS', async () => {
    let ok = false;
    try {
      ok = (await connector.verify(ep({}), su(), null)).ok;
    } catch (e) {
      assert.ok(e instanceof ConnectorError, String(e));
    }
    assert.equal(ok, false);
  });
});
