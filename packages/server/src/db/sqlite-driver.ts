import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
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
  const database = {
    close: () => raw.close(),
    prepare(sql: string) {
      const stmt = raw.prepare(sql);
      const reader = stmt.columns().length > 0;
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
