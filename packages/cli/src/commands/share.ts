import { type CofferClient, isCofferError, type Level, paginate, type UserListQuery } from '@coffer/sdk/client';
import { CliError, type Command, flag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveSecret } from '../paths.ts';

const LEVELS: Level[] = ['list', 'view', 'reveal', 'edit', 'manage'];

const usage = `Usage: coffer share PATH USER [--level L] [--json]

Shares one secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) with a user; it then appears in
their shared-with-me list. Needs manage access on the secret. USER is a username, looked up through
the users API (which needs the users.read permission of an administrator, password administrator
or auditor), or a user id (usr_…), which anyone may give.

Options:
  --level L     ${LEVELS.join(', ')} (default: reveal)
  --json        print the grant made
  -h, --help    this help

${EXIT_CODES_HELP}`;

const USER_ID = /^usr_[0-9a-z]{26}$/;

const canonical = (s: string) => s.normalize('NFKC').trim().toLowerCase();

/** A user id from a username (users API) or an id as given. */
async function userIdOf(client: CofferClient, user: string): Promise<{ id: string; username: string }> {
  if (USER_ID.test(user)) return { id: user, username: user };
  const wanted = canonical(user);
  try {
    for await (const u of paginate((q: UserListQuery) => client.users.list(q), { limit: 500 })) {
      if (canonical(u.username) === wanted) return { id: u.id, username: u.username };
    }
  } catch (e) {
    if (isCofferError(e) && e.status === 403) {
      throw new CliError(
        `you may not look users up by name: give the user's id (usr_…) instead (${e.code}, request ${e.requestId})`,
        CLIENT_EXIT.forbidden,
      );
    }
    throw e;
  }
  throw new CliError(`there is no user named "${user}"`, CLIENT_EXIT.notFound);
}

export const shareCommand: Command = clientCommand({
  name: 'share',
  summary: 'Share a secret with a user',
  usage,
  options: { level: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run({ values, positionals }) {
    const [arg, user] = positionals as [string, string];
    const levelRaw = str(values, 'level');
    if (levelRaw !== undefined && !LEVELS.includes(levelRaw as Level)) throw new UsageError(`--level must be one of ${LEVELS.join(', ')}`);
    const level = (levelRaw ?? 'reveal') as Level;
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    const who = await userIdOf(client, user);
    const grant = await client.secrets.share(secret.id, { userId: who.id, level });
    if (flag(values, 'json')) outJson(grant);
    else out(`Shared ${arg} with ${who.username} (${level}).`);
    return CLIENT_EXIT.ok;
  },
});
