// The PostgreSQL connector against real PostgreSQL servers, with throwaway login roles:
// - the shared test server (127.0.0.1:5432), whose pg_hba trusts 127.0.0.1, so a login with any
//   password gets in: verify still tells a wrong password from the right one (the stored SCRAM
//   verifier is compared through the privileged superuser), without a privileged account a trusted
//   login is `unverifiable` (never a success), and ALTER ROLE carries a verifier, never the cleartext;
// - a throwaway cluster the test starts (test/postgres-scram.ts) whose pg_hba asks for a SCRAM
//   password on every login: verify by logging in, and a self-change with a wrong current password
//   refused by the server with the old password still working (the whole contract, nothing skipped).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { connectorContract } from '../../../../test/connector-contract.ts';
import { PG_URL } from '../../../../test/harness.ts';
import { startScramPostgres } from '../../../../test/postgres-scram.ts';
import { ConnectorError } from '../connector.ts';
import { postgresConnector } from './postgres.ts';
import { scramVerifier, verifierMatches } from './scram.ts';

const connector = postgresConnector();
const roles: string[] = [];
const superuser = { username: new URL(PG_URL).username || 'postgres', secret: 'trusted', type: 'password' as const };
const endpoint = () => ({
  host: '127.0.0.1',
  address: '127.0.0.1',
  port: Number(new URL(PG_URL).port || 5432),
  options: {},
  hostKey: null,
  timeoutMs: 10_000,
});
const fresh = () => `Pw-${randomBytes(12).toString('base64url')}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = PG_URL): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function account(url = PG_URL) {
  const username = `coffer_t_${randomBytes(5).toString('hex')}`;
  const secret = fresh();
  if (url === PG_URL) roles.push(username);
  await admin((c) => c.query(`create role ${c.escapeIdentifier(username)} login password ${c.escapeLiteral(scramVerifier(secret))}`), url);
  return { username, secret, type: 'password' as const };
}

// the cluster that asks for passwords: started once for this file, removed with its roles after
const scram = await startScramPostgres();
const scramUrl = `postgres://${scram.superuser.username}:${encodeURIComponent(scram.superuser.password)}@127.0.0.1:${scram.port}/postgres`;
const scramSuperuser = { username: scram.superuser.username, secret: scram.superuser.password, type: 'password' as const };
const scramEndpoint = () => ({ ...endpoint(), port: scram.port });

after(async () => {
  scram.close();
  await admin(async (c) => {
    for (const r of roles) await c.query(`drop role if exists ${c.escapeIdentifier(r)}`);
  });
});

connectorContract('postgres (real PostgreSQL, verified through the stored verifier)', {
  connector,
  endpoint,
  account,
  fresh,
  privileged: () => superuser,
  // pg_hba trusts 127.0.0.1 here: a role gets in without its password, so PostgreSQL cannot refuse
  // a self-change made with a wrong one (the journal verifies after every change, so nothing is lost)
  refusesWrongCurrent: false,
});

connectorContract('postgres (real PostgreSQL asking for a SCRAM password, verified by logging in)', {
  connector,
  endpoint: scramEndpoint,
  account: () => account(scramUrl),
  fresh,
  privileged: () => scramSuperuser,
});

describe('postgres connector specifics', () => {
  it('where the server asks for the password, verify logs in without the privileged account', async () => {
    const a = await account(scramUrl);
    assert.equal((await connector.verify(scramEndpoint(), a, null)).ok, true);
    assert.equal((await connector.verify(scramEndpoint(), { ...a, secret: fresh() }, null)).ok, false);
    // the server itself refuses the wrong password (SQLSTATE 28P01), not only the connector
    await assert.rejects(
      admin(async () => undefined, `postgres://${a.username}:${encodeURIComponent(fresh())}@127.0.0.1:${scram.port}/postgres`),
      (e) => (e as { code?: string }).code === '28P01',
    );
  });

  it('a self-change made with a wrong current password is refused by the server; the stored verifier is unchanged', async () => {
    const a = await account(scramUrl);
    const before = await admin(
      async (c) => (await c.query('select rolpassword from pg_authid where rolname = $1', [a.username])).rows[0].rolpassword as string,
      scramUrl,
    );
    await assert.rejects(
      connector.change(scramEndpoint(), { account: { ...a, secret: fresh() }, next: fresh(), privileged: null }),
      (e) => e instanceof ConnectorError && e.code === 'refused',
    );
    const after = await admin(
      async (c) => (await c.query('select rolpassword from pg_authid where rolname = $1', [a.username])).rows[0].rolpassword as string,
      scramUrl,
    );
    assert.equal(after, before);
    assert.ok(verifierMatches(after, a.secret));
  });

  it('a trusted login without a privileged account is unverifiable, never ok', async () => {
    const a = await account();
    await assert.rejects(connector.verify(endpoint(), a, null), (e) => e instanceof ConnectorError && e.code === 'unverifiable');
  });

  it('ALTER ROLE stores the verifier computed client-side (never the cleartext)', async () => {
    const a = await account();
    const next = fresh();
    await connector.change(endpoint(), { account: a, next, privileged: superuser });
    const stored = await admin(
      async (c) => (await c.query('select rolpassword from pg_authid where rolname = $1', [a.username])).rows[0].rolpassword as string,
    );
    assert.match(stored, /^SCRAM-SHA-256\$4096:/);
    assert.ok(!stored.includes(next));
    assert.ok(verifierMatches(stored, next));
    assert.ok(!verifierMatches(stored, a.secret));
  });

  it('the verifier matches the one PostgreSQL computes itself for the same salt', async () => {
    // PostgreSQL hashes a cleartext password with a random salt; recompute ours with its salt
    const a = await account();
    const pw = fresh();
    await admin((c) =>
      c.query(`set password_encryption = 'scram-sha-256'; alter role ${c.escapeIdentifier(a.username)} password ${c.escapeLiteral(pw)}`),
    );
    const stored = await admin(
      async (c) => (await c.query('select rolpassword from pg_authid where rolname = $1', [a.username])).rows[0].rolpassword as string,
    );
    const [, rest] = stored.split('$') as [string, string];
    const salt = Buffer.from(rest.split(':')[1] as string, 'base64');
    assert.equal(scramVerifier(pw, salt), stored);
  });
});
