import type { Kysely } from 'kysely';

// Frozen once released. sessions.audience: the API surface a session was issued through (its
// `via`: native, web, senhasegura, secretserver, passwork, passbolt). A session token is accepted
// only by that surface (a token of one API is refused by the others); API keys are not sessions
// and keep working wherever keys are accepted. Sessions from before: native.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .addColumn('audience', 'text', (c) => c.notNull().defaultTo('native'))
    .execute();
}
