import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SqliteDialect } from 'kysely';

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

export function openSqlite(file: string): { dialect: SqliteDialect; raw: DatabaseSync } {
  const raw = new DatabaseSync(file);
  // WAL for concurrent readers; synchronous=FULL so an acknowledged commit survives power loss.
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec('PRAGMA synchronous = FULL');
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
  const database = {
    close: () => raw.close(),
    prepare(sql: string) {
      const { stmt, reader } = prepared(sql);
      return {
        reader,
        all: (params: ReadonlyArray<unknown>) => stmt.all(...params.map(toParam)),
        run: (params: ReadonlyArray<unknown>) => {
          const r = stmt.run(...params.map(toParam));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params: ReadonlyArray<unknown>) => stmt.iterate(...params.map(toParam)),
      };
    },
  };
  return { dialect: new SqliteDialect({ database }), raw };
}
