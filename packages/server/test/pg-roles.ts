// The PostgreSQL target of the remote-rotation tests: throwaway roles on the shared server, made and
// read through an administrator connection, and a fresh password each time. The shared server
// trusts 127.0.0.1, so a role's password is checked through its stored SCRAM verifier.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { scramVerifier } from '../src/modules/rotation/connectors/scram.ts';
import { PG_URL } from './harness.ts';

/** A password no earlier one equals. */
export const freshPassword = () => `Pw-${randomBytes(12).toString('base64url')}`;
export const pgPort = Number(new URL(PG_URL).port || 5432);

/** Runs `fn` on a new administrator connection, closed afterwards. */
export async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The SCRAM verifier PostgreSQL keeps for `role` (compare with connectors/scram.ts verifierMatches). */
export const pgVerifier = (role: string) =>
  pgAdmin(async (c) => (await c.query('select rolpassword from pg_authid where rolname = $1', [role])).rows[0]?.rolpassword as string);

/** A login role with `password` (set by its verifier, so the password itself never reaches the server). */
export const createPgRole = (name: string, password: string) =>
  pgAdmin((c) => c.query(`create role ${c.escapeIdentifier(name)} login password ${c.escapeLiteral(scramVerifier(password))}`));
