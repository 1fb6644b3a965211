// MariaDB / MySQL (mysql2, pure JS): an account's password. The account changes it itself with
// `SET PASSWORD = '<hash>'`, a privileged account with `ALTER USER 'name'@'host' IDENTIFIED BY
// PASSWORD '<hash>'`; the hash (mysql_native_password: "*" + SHA1(SHA1(password))) is computed
// here, so the cleartext never reaches the server's general or slow log. Verified by logging in.
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { ConnectorError, type Credential, type Endpoint, type RemoteConnector, withDeadline } from '../connector.ts';

/** ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR: the server refused the login. */
const REFUSED = new Set([1045, 1044]);

/** The mysql_native_password hash of a password, as `PASSWORD()` returns it. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

async function connect(ep: Endpoint, cred: Credential): Promise<mysql.Connection> {
  if (cred.type !== 'password') throw new ConnectorError('failed', 'A MariaDB/MySQL account logs in with a password.');
  try {
    return await mysql.createConnection({
      host: ep.address,
      port: ep.port,
      user: cred.username,
      password: cred.secret,
      connectTimeout: ep.timeoutMs,
      // no LOAD DATA LOCAL, no multiple statements: the connection runs our fixed statements only
      multipleStatements: false,
    });
  } catch (err) {
    const errno = (err as { errno?: unknown }).errno;
    if (typeof errno === 'number' && REFUSED.has(errno)) throw new ConnectorError('refused', 'The database refused the login.');
    throw new ConnectorError('unreachable', 'The database could not be reached.');
  }
}

async function using<T>(ep: Endpoint, cred: Credential, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  return withDeadline(ep.timeoutMs, async () => {
    const c = await connect(ep, cred);
    c.on('error', () => {});
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => c.destroy());
    }
  });
}

export function mysqlConnector(): RemoteConnector {
  return {
    kind: 'mysql',
    field: 'password',
    defaultPort: 3306,
    async verify(ep, cred) {
      try {
        await using(ep, cred, async (c) => {
          await c.query('select 1');
        });
        return { ok: true };
      } catch (err) {
        if (err instanceof ConnectorError && err.code === 'refused') return { ok: false };
        throw err;
      }
    },
    async change(ep, input) {
      const hash = nativePasswordHash(input.next);
      await using(ep, input.privileged ?? input.account, async (c) => {
        try {
          if (input.privileged) {
            await c.query('alter user ?@? identified by password ?', [input.account.username, ep.options.accountHost ?? '%', hash]);
          } else {
            await c.query('set password = ?', [hash]);
          }
        } catch {
          throw new ConnectorError('refused', 'The database refused to change the password.');
        }
      });
      return {};
    },
  };
}
