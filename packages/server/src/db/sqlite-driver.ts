import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDialectConfig, SqliteDriver } from 'kysely';
import { createWalSync, type Flush, type WalSync, walFlusher } from './wal-sync.ts';

/**
 * Adapts Node's built-in `node:sqlite` to Kysely's SqliteDialect (which expects the
 * better-sqlite3 shape). No native addon: nothing is compiled at install time.
 */
function toParam(v: unknown): SQLInputValue {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  return v as SQLInputValue;
}

/** Statements that do not change data by themselves (transaction control). */
const CONTROL = /^\s*(begin|commit|end|rollback|savepoint|release)\b/i;

export function openSqlite(
  file: string,
  opts: {
    onFlushFailure?: (err: unknown) => void;
    /** Replaces the flush of the log (tests hold it to see who waits for it). */
    flush?: Flush;
  } = {},
): { dialect: SqliteDialect; raw: DatabaseSync; walSync: WalSync | null } {
  const raw = new DatabaseSync(file);
  // WAL for concurrent readers; synchronous=FULL so an acknowledged commit survives power loss.
  raw.exec('PRAGMA journal_mode = WAL');
  // A file store: commits write the log and the log is flushed off the main thread before the
  // commit is acknowledged (wal-sync.ts, ADR 0008) — the durability of FULL without stopping the
  // server for each flush. In memory there is nothing to flush.
  const flusher = file === ':memory:' ? null : walFlusher(file);
  const walSync = flusher ? createWalSync(opts.flush ?? flusher.flush, opts.onFlushFailure) : null;
  raw.exec(`PRAGMA synchronous = ${walSync ? 'NORMAL' : 'FULL'}`);
  raw.exec('PRAGMA foreign_keys = ON');
  raw.exec('PRAGMA busy_timeout = 10000');
  // Up to 256 MiB of page cache (taken only as pages are read): at a million secrets the search
  // and permission indexes stay in memory instead of being re-read from the file.
  raw.exec('PRAGMA cache_size = -262144');
  // Reads through a memory map instead of a read() call and a copy per page (up to the build's
  // limit, 2 GiB in Node's SQLite): at a million secrets, searches that touch a thousand rows
  // spread over the file went from ~17 to ~6 ms (p50). Writes still go through the journal. See
  // docs/adr/0007-sqlite-memory-mapped-reads.md for the trade-off.
  raw.exec('PRAGMA mmap_size = 2147418112');
  // Prepared statements are reused: Kysely emits the same SQL text for the same query shape, and
  // preparing is a large part of a small query's cost. Bounded, oldest evicted first.
  const cache = new Map<string, { stmt: StatementSync; reader: boolean }>();
  const CACHE_MAX = 1000;
  const prepared = (sql: string) => {
    let hit = cache.get(sql);
    if (!hit) {
      const stmt = raw.prepare(sql);
      hit = { stmt, reader: stmt.columns().length > 0 };
      cache.set(sql, hit);
      if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
    }
    return hit;
  };
  // whether the connection changed anything since the last acknowledged commit: a data-changing
  // statement ran (DDL included), or SQLite's count of changed rows moved (INSERT … RETURNING runs
  // as a reader)
  let wrote = false;
  const totalChanges = raw.prepare('select total_changes() as n');
  let changesSeen = Number((totalChanges.get() as { n: number }).n);
  const pendingTicket = (): number | null => {
    if (!walSync || raw.isTransaction) return null;
    const n = Number((totalChanges.get() as { n: number }).n);
    if (!wrote && n === changesSeen) return null;
    wrote = false;
    changesSeen = n;
    return walSync.committed();
  };
  const database = {
    close: () => raw.close(),
    prepare(sql: string) {
      const { stmt, reader } = prepared(sql);
      return {
        reader,
        all: (params: ReadonlyArray<unknown>) => stmt.all(...params.map(toParam)),
        run: (params: ReadonlyArray<unknown>) => {
          if (!wrote && !CONTROL.test(sql)) wrote = true;
          const r = stmt.run(...params.map(toParam));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params: ReadonlyArray<unknown>) => stmt.iterate(...params.map(toParam)),
      };
    },
  };
  const config: SqliteDialectConfig = { database };
  const dialect = walSync
    ? new DurableSqliteDialect(config, walSync, pendingTicket, async () => {
        await walSync.close();
        await flusher?.close();
      })
    : new SqliteDialect(config);
  return { dialect, raw, walSync };
}

/**
 * Kysely's SQLite driver, releasing the one connection as soon as a query or transaction is done
 * and only then waiting for its commit to reach the disk: the caller learns of the commit once it
 * is durable, and other requests use the connection meanwhile.
 */
class DurableSqliteDialect extends SqliteDialect {
  readonly #cfg: SqliteDialectConfig;
  readonly #walSync: WalSync;
  readonly #pendingTicket: () => number | null;
  readonly #onDestroy: () => Promise<void>;

  constructor(cfg: SqliteDialectConfig, walSync: WalSync, pendingTicket: () => number | null, onDestroy: () => Promise<void>) {
    super(cfg);
    this.#cfg = cfg;
    this.#walSync = walSync;
    this.#pendingTicket = pendingTicket;
    this.#onDestroy = onDestroy;
  }

  override createDriver() {
    const walSync = this.#walSync;
    const pendingTicket = this.#pendingTicket;
    const onDestroy = this.#onDestroy;
    return new (class extends SqliteDriver {
      override async releaseConnection(): Promise<void> {
        const ticket = pendingTicket();
        await super.releaseConnection();
        if (ticket !== null) await walSync.durable(ticket);
      }
      override async destroy(): Promise<void> {
        await onDestroy();
        await super.destroy();
      }
    })(this.#cfg);
  }
}
