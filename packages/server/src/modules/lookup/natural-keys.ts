// Create-or-update by a natural key (a credential's identifier, a device's hostname, ...) where the
// model has no unique column for it: the "find, else create" of one key runs alone, across
// requests and across nodes, so two identical requests at once make one object, not two.
//
// The find and the create/update stay the owning services' own use cases (their authorization,
// workflow gate and audit record, each in its own transaction); what this adds is a lock around
// them, held from before the find until the write has committed (ADR 0016):
// - in the process: a queue per key (waiters hold no connection);
// - on PostgreSQL, in addition: a transaction-scoped advisory lock on a hash of (purpose, key),
//   taken on a connection of its own and released by its commit, so nodes serialise too. At most
//   LOCK_CONNECTIONS such connections per process, so the pool keeps connections for the work.
// SQLite has one server per store (ADR 0011): the queue in the process is the whole lock.
//
// Lock order: a natural key is taken first, before any row lock (no service takes one inside a
// transaction), then request -> checkout -> secret -> audit head as before. One key per request:
// never nest two.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Dialect } from '../../db/database.ts';
import { createSemaphore } from '../../lib/semaphore.ts';

/** PostgreSQL connections held for advisory locks at once, per process (the pool has 10). */
const LOCK_CONNECTIONS = 3;

export interface NaturalKeys {
  /** Runs `fn` alone among the callers of the same (purpose, key) in every process on the store. */
  serialize<T>(purpose: string, key: string, fn: () => Promise<T>): Promise<T>;
}

/** The advisory lock's 64-bit key: the first 8 bytes of SHA-256 over the purpose and the key. */
export function advisoryKey(purpose: string, key: string): string {
  return createHash('sha256').update(`coffer.natural-key\u0000${purpose}\u0000${key}`).digest().readBigInt64BE(0).toString();
}

export function createNaturalKeys(deps: { db: Db; dialect: Dialect }): NaturalKeys {
  const tails = new Map<string, Promise<void>>();
  const connections = createSemaphore(LOCK_CONNECTIONS, Number.MAX_SAFE_INTEGER);

  /** In this process: `fn` after the previous holder of `k` is done. */
  async function queued<T>(k: string, fn: () => Promise<T>): Promise<T> {
    const before = tails.get(k) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = before.then(() => mine);
    tails.set(k, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (tails.get(k) === tail) tails.delete(k);
    }
  }

  async function acrossNodes<T>(purpose: string, key: string, fn: () => Promise<T>): Promise<T> {
    return connections.run(() =>
      deps.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${advisoryKey(purpose, key)}::bigint)`.execute(trx);
        return fn();
      }),
    );
  }

  return {
    serialize(purpose, key, fn) {
      const k = `${purpose}\u0000${key}`;
      return queued(k, () => (deps.dialect === 'postgres' ? acrossNodes(purpose, key, fn) : fn()));
    },
  };
}
