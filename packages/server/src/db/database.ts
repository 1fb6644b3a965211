import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.ts';
import { namedStatements } from './prepared.ts';
import type { DB } from './schema.ts';
import { openSqlite } from './sqlite-driver.ts';

export type Db = Kysely<DB>;
export type Trx = Transaction<DB>;
/** Repositories take either the database or a transaction. */
export type Executor = Db | Trx;
export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Db;
  dialect: Dialect;
  /** Path of the SQLite file, for the canary scan and backups. */
  file?: string;
  /** SQLite: refreshes the planner's statistics of tables that changed a lot (run hourly). */
  refreshStatistics?: () => Promise<void>;
  close(): Promise<void>;
}

const int8 = (v: string) => Number(v);

const STATISTICS_REFRESH_MS = 60 * 60 * 1000;

/**
 * Opens the store named by the URL: `sqlite:/path/file.db` or `postgres://…`.
 * A `schema` query parameter on a PostgreSQL URL selects (and creates) a schema, which tests
 * use to isolate themselves.
 */
export async function openDatabase(url: string): Promise<Database> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Owner-only, whatever the directory or umask: names, hosts and usernames are stored in
      // clear. SQLite gives the log and shared-memory files the mode of the database file.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    const { dialect } = openSqlite(file);
    const db = new Kysely<DB>({ dialect });
    // SQLite plans with the statistics of its last ANALYZE. Taken while a table was small, they
    // make a scan look as cheap as an index, and a reveal then reads every row of a grown table.
    // As SQLite advises for long-lived connections: optimize at open (analyses what was never
    // analysed or changed a lot) and again every hour (a table that grew ~25× is analysed again).
    const refreshStatistics = async () => {
      await sql`pragma optimize`.execute(db);
    };
    await sql`pragma optimize = 0x10002`.execute(db);
    const timer = setInterval(() => {
      // a failed refresh leaves the previous statistics: nothing to answer, nothing lost
      refreshStatistics().catch(() => {});
    }, STATISTICS_REFRESH_MS);
    timer.unref();
    return {
      db,
      dialect: 'sqlite',
      file,
      refreshStatistics,
      close: async () => {
        clearInterval(timer);
        await db.destroy();
      },
    };
  }
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error('the schema parameter of COFFER_DATABASE_URL must be a lower-case identifier');
  }
  if (schema) {
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      await c.query(`create schema if not exists "${schema}"`);
    } finally {
      await c.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: u.toString(),
    max: 10,
    // jit off: PostgreSQL's JIT compiles a query whose estimated cost is high, and the estimates of
    // the permission subqueries are high at a million secrets even when the query reads a few
    // thousand buffers — compiling took ~300 ms of a 16 ms folder listing. Coffer runs short
    // indexed queries only: JIT never pays off here.
    options: `-c jit=off${schema ? ` -c search_path="${schema}"` : ''}`,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text')),
    } as pg.CustomTypesConfig,
  });
  // queries built by `prepared()` run as named statements: planned once per connection
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [text, values] = args;
      const name = args.length === 2 && typeof text === 'string' ? namedStatements.get(text) : undefined;
      return name ? query({ name, text, values }) : query(...args);
    };
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  if (schema) schemaOf.set(db, schema);
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/** The PostgreSQL schema a connection was opened on (its search_path). */
const schemaOf = new WeakMap<Db, string>();

export async function migrateToLatest(db: Db): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name it, so
  // installs that share a database in separate schemas never see each other's tables.
  const schema = schemaOf.get(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    // Kysely's check for its bookkeeping table reads the catalog of every schema; a schema that
    // another install drops at that moment fails it with 3F000 ("schema … does not exist") before
    // anything was migrated. Such a failure is retried; any other error stops the start.
    if (error && attempt < 5 && (error as { code?: string }).code === '3F000' && !(results ?? []).length) {
      await new Promise((r) => setTimeout(r, 50 * attempt));
      continue;
    }
    if (error) throw error;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
}
