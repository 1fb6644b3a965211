// Read-only access to the Coffer store from the bench process: counting audit records, finding
// folder ids, checking what the data set created. Never writes.
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pg from 'pg';

export interface StoreReader {
  dialect: 'sqlite' | 'postgres';
  /** `sql` uses `?` placeholders and unqualified table names (PostgreSQL: the bench schema is on the search path). */
  all<T>(sql: string, params?: ReadonlyArray<string | number>): Promise<T[]>;
  close(): Promise<void>;
}

export function sqliteReader(dataDir: string): StoreReader {
  const db = new DatabaseSync(path.join(dataDir, 'coffer.db'), { readOnly: true });
  return {
    dialect: 'sqlite',
    async all<T>(sql: string, params: ReadonlyArray<string | number> = []) {
      return db.prepare(sql).all(...(params as SQLInputValue[])) as T[];
    },
    async close() {
      db.close();
    },
  };
}

export async function postgresReader(adminUrl: string, schema: string): Promise<StoreReader> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`set search_path to "${schema}"`);
  return {
    dialect: 'postgres',
    async all<T>(sql: string, params: ReadonlyArray<string | number> = []) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await c.query(text, params as unknown[])).rows as T[];
    },
    async close() {
      await c.end();
    },
  };
}
