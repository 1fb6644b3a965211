import { CliError, type Command, EXIT, flag, formatError, out, outJson, redactUrl } from '../cli.ts';
import { openFromConfig } from '../store.ts';

const usage = `Usage: coffer migrate [--json]

Brings the database named by the configuration (COFFER_DATABASE_URL, else the SQLite file in
COFFER_DATA_DIR) to the latest schema and prints the migrations applied. Safe to run again: an up
to date database is left as it is. The server also migrates at start.

Options:
  --json        print {"applied": [names]}
  -h, --help    this help`;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply the pending database migrations',
  usage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { migrateToLatest } = await import('@coffer/server/db/database');
    const { config, database } = await openFromConfig({ lock: 'coffer migrate' });
    let applied: string[];
    try {
      applied = await migrateToLatest(database.db);
    } catch (e) {
      throw new CliError(`migrating ${redactUrl(config.databaseUrl)} failed: ${formatError(e)}`);
    } finally {
      await database.close();
    }
    if (flag(values, 'json')) {
      outJson({ applied });
    } else if (applied.length === 0) {
      out(`Database ${redactUrl(config.databaseUrl)} is up to date: no migration to apply.`);
    } else {
      out(
        [
          `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${redactUrl(config.databaseUrl)}:`,
          ...applied.map((m) => `  ${m}`),
        ].join('\n'),
      );
    }
    return EXIT.ok;
  },
};
