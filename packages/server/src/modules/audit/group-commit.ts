import type { Db, Trx } from '../../db/database.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { AuditEvent } from './audit-log.ts';

/**
 * Group commit for records that stand alone (reads, denials): records that arrive while a commit is
 * in flight share the next one, so N concurrent requests cost one durable commit instead of N.
 * Each caller still waits until its own record is committed (fail closed).
 */
export function createGroupCommit(deps: {
  appendMany: (trx: Trx, items: ReadonlyArray<{ ctx: RequestContext; ev: AuditEvent }>) => Promise<number[]>;
  /** An error for a record that cannot be kept now (sealed, and not one Coffer writes while sealed). */
  refuse: (ctx: RequestContext, ev: AuditEvent) => Error | undefined;
}) {
  const queue: Array<{ ctx: RequestContext; ev: AuditEvent; resolve: (seq: number) => void; reject: (e: unknown) => void }> = [];
  let flushing = false;

  async function flush(db: Db): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        // let the event loop take in the requests that arrived meanwhile (a SQLite commit blocks
        // it), so they join this commit instead of each paying for their own
        await new Promise((resolve) => setImmediate(resolve));
        const batch = queue.splice(0, 500);
        try {
          const seqs = await db.transaction().execute((trx) => deps.appendMany(trx, batch));
          for (const [i, b] of batch.entries()) b.resolve(seqs[i] as number);
        } catch (e) {
          for (const b of batch) {
            b.ctx.audited = false;
            b.reject(e);
          }
        }
      }
    } finally {
      flushing = false;
    }
  }

  /** Appends in its own (shared) transaction and resolves once the record is durable. */
  function appendDurable(db: Db, ctx: RequestContext, ev: AuditEvent): Promise<number> {
    // refused on its own rather than failing a whole batch of records that may be kept
    const refused = deps.refuse(ctx, ev);
    if (refused) return Promise.reject(refused);
    return new Promise<number>((resolve, reject) => {
      queue.push({ ctx, ev, resolve, reject });
      if (!flushing) void flush(db);
    });
  }

  return { appendDurable };
}
