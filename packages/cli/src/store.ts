import { existsSync } from 'node:fs';
import type { Config } from '@coffer/server/config/config';
import type { Database } from '@coffer/server/db/database';
import { CliError, formatError, redactUrl } from './cli.ts';

/**
 * The configuration from the COFFER_* variables (as the server reads it) and the database it
 * names. `mustExist`: a missing SQLite file is an error instead of a new empty database.
 */
export async function openFromConfig(opts: { mustExist?: boolean } = {}): Promise<{ config: Config; database: Database }> {
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
  try {
    return { config, database: await openDatabase(url) };
  } catch (e) {
    throw new CliError(`cannot open the database ${redactUrl(url)}: ${formatError(e)}`);
  }
}
