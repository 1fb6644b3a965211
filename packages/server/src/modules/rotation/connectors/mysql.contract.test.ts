// The MariaDB/MySQL connector against the real MariaDB (127.0.0.1:3306, root without a password):
// throwaway users with a password, verified by logging in (MariaDB checks the password of these
// accounts), changed by themselves and by root, with a hash computed client-side.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { connectorContract } from '../../../../test/connector-contract.ts';
import { mysqlConnector, nativePasswordHash } from './mysql.ts';

const HOST = process.env.COFFER_TEST_MYSQL_HOST ?? '127.0.0.1';
const PORT = Number(process.env.COFFER_TEST_MYSQL_PORT ?? 3306);
const connector = mysqlConnector();
const users: string[] = [];
const root = { username: 'root', secret: '', type: 'password' as const };
const endpoint = () => ({ host: HOST, address: HOST, port: PORT, options: {}, hostKey: null, timeoutMs: 10_000 });
const fresh = () => `Pw-${randomBytes(12).toString('base64url')}`;

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: HOST, port: PORT, user: 'root', password: '' });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function account() {
  const username = `coffer_t_${randomBytes(5).toString('hex')}`;
  const secret = fresh();
  users.push(username);
  await admin((c) => c.query('create user ?@? identified by password ?', [username, '%', nativePasswordHash(secret)]));
  return { username, secret, type: 'password' as const };
}

after(async () => {
  await admin(async (c) => {
    for (const u of users) await c.query('drop user if exists ?@?', [u, '%']);
  });
});

connectorContract('mysql (real MariaDB)', { connector, endpoint, account, fresh, privileged: () => root });

describe('mysql connector specifics', () => {
  it('the hash is the one the server computes for the same password', async () => {
    const pw = fresh();
    const [rows] = await admin((c) => c.query('select password(?) as h', [pw]));
    assert.equal((rows as { h: string }[])[0]?.h, nativePasswordHash(pw));
  });

  it('ALTER USER stores the hash: the new password logs in, the stored value is not the cleartext', async () => {
    const a = await account();
    const next = fresh();
    await connector.change(endpoint(), { account: a, next, privileged: root });
    const [rows] = await admin((c) => c.query('select authentication_string as s from mysql.user where user = ?', [a.username]));
    const stored = (rows as { s: string }[])[0]?.s ?? '';
    assert.equal(stored, nativePasswordHash(next));
    assert.equal((await connector.verify(endpoint(), { ...a, secret: next }, null)).ok, true);
  });
});
