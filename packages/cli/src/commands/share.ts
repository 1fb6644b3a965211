import type { Level } from '@coffer/sdk/client';
import { type Command, flag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { e2eClient } from '../openpgp-keys.ts';
import { resolveSecret } from '../paths.ts';
import { findUser } from '../principals.ts';

const LEVELS: Level[] = ['list', 'view', 'reveal', 'edit', 'manage'];

const usage = `Usage: coffer share PATH USER [--level L] [--json]

Shares one secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) with a user; it then appears in
their shared-with-me list. Needs manage access on the secret. USER is the exact username of an
active user (anyone signed in may look one up; no partial names) or a user id (usr_…).

Options:
  --level L     ${LEVELS.join(', ')} (default: reveal)
  --json        print the grant made
  -h, --help    this help

${EXIT_CODES_HELP}`;

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
    const who = await findUser(client, user);
    // an end-to-end encrypted secret: the value re-encrypted here for the new reader (ADR 0022)
    const grant = secret.e2e
      ? await (await e2eClient(client)).e2e.share(secret.id, who.username, level)
      : await client.secrets.share(secret.id, { userId: who.id, level });
    if (flag(values, 'json')) outJson(grant);
    else out(`Shared ${arg} with ${who.username} (${level}).`);
    return CLIENT_EXIT.ok;
  },
});
