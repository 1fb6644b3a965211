// The PostgreSQL connector against the real PostgreSQL (127.0.0.1:5432): throwaway login roles.
// pg_hba there trusts 127.0.0.1, so a login with any password gets in: the test proves that verify
// still tells a wrong password from the right one (the stored SCRAM verifier is compared through
// the privileged superuser), that without a privileged account a trusted login is `unverifiable`
// (never a success), and that ALTER ROLE carries a verifier, never the cleartext.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { connectorContract } from '../../../../test/connector-contract.ts';
import { PG_URL } from '../../../../test/harness.ts';
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

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function account() {
  const username = `coffer_t_${randomBytes(5).toString('hex')}`;
  const secret = fresh();
  roles.push(username);
  await admin((c) => c.query(`create role ${c.escapeIdentifier(username)} login password ${c.escapeLiteral(scramVerifier(secret))}`));
  return { username, secret, type: 'password' as const };
}

after(async () => {
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

describe('postgres connector specifics', () => {
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
