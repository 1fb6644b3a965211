// The objects an actor acted on most recently (newest first, each once): read from the trail
// itself, so "recently viewed" needs no table of its own and cannot disagree with the audit.
import type { Executor } from '../../db/database.ts';

/**
 * Up to `limit` distinct object ids of the actor's successful records of these actions, newest
 * first, looking at no more than the actor's last `scan` records of them (index audit_log_actor).
 */
export async function recentObjectsOf(
  exec: Executor,
  actorId: string,
  actions: readonly string[],
  opts: { limit: number; scan: number },
): Promise<Array<{ objectId: string; time: number }>> {
  const rows = await exec
    .selectFrom('audit_log')
    .select(['object_id', 'time'])
    .where('actor_id', '=', actorId)
    .where('action', 'in', [...actions])
    .where('outcome', '=', 'success')
    .where('object_id', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(opts.scan)
    .execute();
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (seen.size >= opts.limit) break;
    const id = r.object_id as string;
    if (!seen.has(id)) seen.set(id, Number(r.time));
  }
  return [...seen].map(([objectId, time]) => ({ objectId, time }));
}
