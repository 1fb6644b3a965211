import { type Kysely, sql } from 'kysely';

// Frozen once released. API keys must expire (ADR 0009): a key created before this migration
// without an expiry gets one, 365 days (the default COFFER_API_KEY_MAX_DAYS) from the upgrade, and
// is flagged (`expiry_imposed`) so that listings show its owner which keys to rotate. The server
// refuses a key without an expiry from here on (fail closed), so none may stay null.
const DAY_MS = 86_400_000;
const IMPOSED_DAYS = 365;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('expiry_imposed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  const expiresAt = Date.now() + IMPOSED_DAYS * DAY_MS;
  await sql`update api_keys set expires_at = ${expiresAt}, expiry_imposed = 1 where expires_at is null`.execute(db);
}
