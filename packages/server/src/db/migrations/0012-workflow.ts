import type { Kysely } from 'kysely';

// Frozen once released. `prev_state`: the state an access request's last transition left, written
// by the same UPDATE that changes `state` (`SET prev_state = state, state = …`; both dialects read
// the old row on the right-hand side), so `RETURNING prev_state` names the state the update
// actually moved the row out of — also when it waited for a concurrent transaction and matched
// the row version that transaction committed — and nothing decides from an earlier read.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('access_requests').addColumn('prev_state', 'text').execute();
}
