// PostgreSQL: a role's password. Changed by `ALTER ROLE … PASSWORD '<SCRAM verifier>'` with the
// verifier computed here (the cleartext never reaches the server), by the role itself or by a
// privileged role (CREATEROLE or superuser). Verified by logging in; when the server lets the
// login in without asking for a password (pg_hba `trust`), a login proves nothing, so the stored
// verifier is compared instead (read through the privileged account: pg_authid needs a superuser)
// and without one the result is `unverifiable` (never taken as a success). ADR 0021.
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import pg from 'pg';
import { ConnectorError, type Credential, type Endpoint, type RemoteConnector, withDeadline } from '../connector.ts';
import { scramVerifier, verifierMatches } from './scram.ts';

/** A TLS failure: an untrusted or misnamed certificate, or a server without TLS. */
function isTlsFailure(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '');
  const message = String((err as { message?: unknown }).message ?? '');
  return /CERT|SELF_SIGNED|ERR_TLS|UNABLE_TO/.test(code) || /does not support SSL/.test(message);
}

/** SQLSTATEs of a refused login: invalid_password, invalid_authorization_specification. */
const REFUSED = new Set(['28P01', '28000']);

interface Session {
  client: pg.Client;
  /** The server asked for the password (false: it trusts the connection, pg_hba `trust`). */
  asked: boolean;
}

/**
 * TLS as libpq's sslmode names it (options `tls`, `ca`): `disable` (default), `require` (encrypted,
 * the certificate not checked), `verify-full` (the certificate chains to the target's CA PEM —
 * else the system's CAs — and names the host as configured). The connection goes to the checked
 * address; the name checked is the configured host.
 */
export function tlsOptions(ep: Endpoint): pg.ClientConfig['ssl'] {
  const mode = ep.options.tls ?? 'disable';
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  const named = ep.host.replace(/^\[|\]$/g, '');
  return {
    rejectUnauthorized: true,
    ...(ep.options.ca ? { ca: ep.options.ca } : {}),
    // an IP address is checked against the certificate's IP names (SNI carries names only)
    ...(isIP(named) === 0
      ? { servername: named }
      : { checkServerIdentity: (_h: string, cert: PeerCertificate) => checkServerIdentity(named, cert) }),
  };
}

async function connect(ep: Endpoint, cred: Credential): Promise<Session> {
  if (cred.type !== 'password') throw new ConnectorError('failed', 'A PostgreSQL account logs in with a password.');
  const s: Session = { client: undefined as unknown as pg.Client, asked: false };
  s.client = new pg.Client({
    host: ep.address,
    port: ep.port,
    user: cred.username,
    database: ep.options.database ?? 'postgres',
    // called only when the server asks for it: tells a checked login from a trusted one
    password: () => {
      s.asked = true;
      return cred.secret;
    },
    connectionTimeoutMillis: ep.timeoutMs,
    statement_timeout: ep.timeoutMs,
    application_name: 'coffer-rotation',
    ssl: tlsOptions(ep),
  });
  // an error after connect (the server going away) must not crash the process
  s.client.on('error', () => {});
  try {
    await s.client.connect();
  } catch (err) {
    await s.client.end().catch(() => {});
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && REFUSED.has(code)) throw new ConnectorError('refused', 'PostgreSQL refused the login.');
    if (isTlsFailure(err))
      throw new ConnectorError('unreachable', 'PostgreSQL could not be reached over TLS (certificate not trusted, or no TLS).');
    throw new ConnectorError('unreachable', 'PostgreSQL could not be reached.');
  }
  return s;
}

async function using<T>(ep: Endpoint, cred: Credential, fn: (s: Session) => Promise<T>): Promise<T> {
  return withDeadline(ep.timeoutMs, async () => {
    const s = await connect(ep, cred);
    try {
      return await fn(s);
    } finally {
      await s.client.end().catch(() => {});
    }
  });
}

/** The stored verifier of a role, read as the privileged account (pg_authid: superusers only). */
async function storedVerifier(ep: Endpoint, privileged: Credential, role: string): Promise<string | null> {
  return using(ep, privileged, async (s) => {
    try {
      const r = await s.client.query<{ rolpassword: string | null }>('select rolpassword from pg_authid where rolname = $1', [role]);
      return r.rows[0]?.rolpassword ?? null;
    } catch {
      throw new ConnectorError('unverifiable', 'The privileged account cannot read the stored verifier.');
    }
  });
}

export function postgresConnector(): RemoteConnector {
  async function verify(ep: Endpoint, cred: Credential, privileged: Credential | null) {
    let asked: boolean;
    try {
      asked = await using(ep, cred, async (s) => s.asked);
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'refused') return { ok: false };
      throw err;
    }
    if (asked) return { ok: true };
    if (!privileged) throw new ConnectorError('unverifiable', 'PostgreSQL let the login in without checking the password (trust).');
    return { ok: verifierMatches(await storedVerifier(ep, privileged, cred.username), cred.secret) };
  }

  return {
    kind: 'postgres',
    field: 'password',
    defaultPort: 5432,
    verify,
    async change(ep, input) {
      const verifier = scramVerifier(input.next);
      if (input.privileged) {
        await using(ep, input.privileged, async (s) => {
          const role = s.client.escapeIdentifier(input.account.username);
          try {
            await s.client.query(`alter role ${role} password ${s.client.escapeLiteral(verifier)}`);
          } catch {
            throw new ConnectorError('refused', 'PostgreSQL refused to change the password.');
          }
        });
        return {};
      }
      await using(ep, input.account, async (s) => {
        try {
          await s.client.query(`alter role current_user password ${s.client.escapeLiteral(verifier)}`);
        } catch {
          throw new ConnectorError('refused', 'PostgreSQL refused to change the password.');
        }
      });
      return {};
    },
  };
}
