import { existsSync } from 'node:fs';
import type { Config } from '@coffer/server/config/config';
import type { Database } from '@coffer/server/db/database';
import { CliError, formatError, redactUrl } from './cli.ts';

/**
 * The configuration from the COFFER_* variables (as the server reads it) and the database it
 * names. `mustExist`: a missing SQLite file is an error instead of a new empty database.
 * `lock`: a command that writes the store's structure (init, migrate) holds the SQLite store's
 * lock until the database is closed, so it is refused while a server runs on the store (and a
 * server is refused while it runs); reading needs none. PostgreSQL: no lock.
 */
export async function openFromConfig(opts: { mustExist?: boolean; lock?: string } = {}): Promise<{ config: Config; database: Database }> {
  const { ConfigError, loadConfig } = await import('@coffer/server/config/config');
  const { openDatabase } = await import('@coffer/server/db/database');
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(formatError(e));
    throw e;
  }
  const url = config.databaseUrl;
  if (opts.mustExist && url.startsWith('sqlite:') && !existsSync(url.slice('sqlite:'.length))) {
    throw new CliError(`there is no database at ${url} (set COFFER_DATA_DIR or COFFER_DATABASE_URL)`);
  }
  const { acquireStoreLock, StoreLockedError, sqliteFile } = await import('@coffer/server/db/store-lock');
  const file = sqliteFile(url);
  let lock: { release(): void } | undefined;
  if (opts.lock && file) {
    try {
      lock = acquireStoreLock(file, opts.lock);
    } catch (e) {
      if (e instanceof StoreLockedError) throw new CliError(e.message);
      throw e;
    }
  }
  try {
    const database = await openDatabase(url);
    const close = database.close.bind(database);
    database.close = async () => {
      try {
        await close();
      } finally {
        lock?.release();
      }
    };
    return { config, database };
  } catch (e) {
    lock?.release();
    throw new CliError(`cannot open the database ${redactUrl(url)}: ${formatError(e)}`);
  }
}
