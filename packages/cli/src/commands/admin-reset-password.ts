import { hostname, userInfo } from 'node:os';
import { CliError, type Command, EXIT, env, flag, formatError, out, outJson, UsageError } from '../cli.ts';
import { readAllStdin } from '../client.ts';
import { openFromConfig } from '../store.ts';

const usage = `Usage: coffer admin reset-password USER [--shares-stdin] [--json]

Store-level recovery of a lost password (e.g. of the last administrator), on the machine that
holds the database, with the server's configuration (the COFFER_* variables). Like Vault's
root-token generation it needs the unseal material, not only the database: in key-file mode the
key file (COFFER_KEY_FILE); in Shamir mode as many unseal shares as the threshold, read from stdin,
one per line (--shares-stdin).

Sets a generated temporary password (printed once: it must be changed at the next login), clears
the login lock, ends the user's sessions, refresh tokens and API keys, and writes an audit record
as the system naming your OS account and host (never the password).

Options:
  --shares-stdin   Shamir mode: read the unseal shares from stdin, one per line
  --json           print {username, userId, temporaryPassword}
  -h, --help       this help`;

function operator(): { user: string; host: string } {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers)
    user = env('USER') ?? env('LOGNAME') ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { user, host: hostname() };
}

export const adminResetPasswordCommand: Command = {
  name: 'admin reset-password',
  summary: 'Set a temporary password on the store (needs the unseal material)',
  usage,
  options: { 'shares-stdin': { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const username = (positionals[0] as string).trim();
    if (!username) throw new UsageError('the username is empty');
    const sharesFromStdin = flag(values, 'shares-stdin');
    const { buildApp } = await import('@coffer/server/app');
    const { isAppError } = await import('@coffer/server/lib/app-error');
    const { config, database } = await openFromConfig({ mustExist: true });
    let result: { userId: string; username: string; password: string };
    try {
      // server logs (if any) go to stderr, so stdout holds only the result
      const coffer = await buildApp({ config, database, logStream: process.stderr });
      const seal = coffer.services.seal;
      try {
        const status = await seal.status();
        if (!status.initialized) throw new CliError('Coffer is not initialised: nothing to recover (coffer init)');
        if (status.mode === 'keyfile') {
          if (sharesFromStdin) throw new UsageError('this store unseals with its key file: leave out --shares-stdin');
          try {
            await seal.autoUnseal();
          } catch (e) {
            throw new CliError(`cannot unseal with the key file: ${formatError(e)}`);
          }
        } else {
          if (!sharesFromStdin) {
            throw new UsageError(
              `this store unseals with Shamir shares: pipe ${status.threshold} of them in, one per line, with --shares-stdin`,
            );
          }
          const shares = (await readAllStdin())
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter(Boolean);
          try {
            for (const share of shares) if (!seal.keys) await seal.submitShare(share);
          } catch (e) {
            throw new CliError(`the unseal shares do not open this store: ${isAppError(e) ? e.message : formatError(e)}`);
          }
          if (!seal.keys) throw new CliError(`${status.threshold} different unseal shares are needed; stdin held ${shares.length}`);
        }
        try {
          result = await coffer.recoverPassword({ username, operator: operator() });
        } catch (e) {
          if (isAppError(e)) throw new CliError(`${e.message} (${e.code})`);
          throw e;
        }
      } finally {
        seal.seal();
        await coffer.app.close();
      }
    } finally {
      await database.close();
    }
    if (flag(values, 'json')) {
      outJson({ username: result.username, userId: result.userId, temporaryPassword: result.password });
    } else {
      out(
        [
          `Temporary password for ${result.username} (shown once; it must be changed at the next login): ${result.password}`,
          'Their sessions, refresh tokens and API keys were ended and the login lock cleared; the audit trail names you and this host.',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  },
};
