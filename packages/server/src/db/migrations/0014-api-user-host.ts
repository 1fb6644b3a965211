import type { Kysely } from 'kysely';

// Frozen once released. users.bound_host: the host an API user is tied to (PMP's "API user per
// host": CREATE_USER with ISAPIUSER + HOSTNAME, or `boundHost` natively). A host name or an IP
// address; null: not bound. Its keys and sessions are accepted only from that host's addresses,
// resolved when a request comes (modules/auth/host-binding.ts), besides each key's allowedCidrs.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('bound_host', 'text').execute();
}
