import type { GeneratePasswords } from '@coffer/sdk/client';
import { type Command, flag, intFlag, out, outJson, str } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveFolder } from '../paths.ts';

const usage = `Usage: coffer gen [--length N] [--no-symbols] [--count N] [--path FOLDER] [--json]

Generates passwords on the server (nothing is stored). With --path, the password policy of that
vault or folder (VAULT[/FOLDER/...]) applies; --length and --no-symbols override it.

Options:
  --length N     8 to 256 characters (default: the policy's, else 24)
  --no-symbols   letters and digits only
  --count N      how many, 1 to 100 (default 1), one per line
  --path FOLDER  use the password policy of this vault or folder
  --json         print {passwords, policy} (policy: the rules actually used)
  -h, --help     this help

${EXIT_CODES_HELP}`;

export const genCommand: Command = clientCommand({
  name: 'gen',
  summary: 'Generate passwords (under a folder policy)',
  usage,
  options: { length: { type: 'string' }, 'no-symbols': { type: 'boolean' }, count: { type: 'string' }, path: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const length = intFlag(values, 'length', 8, 256);
    const count = intFlag(values, 'count', 1, 100);
    const where = str(values, 'path');
    const { client } = openSession();
    const input: GeneratePasswords = {};
    if (length !== undefined || flag(values, 'no-symbols')) {
      input.policy = { ...(length !== undefined ? { length } : {}), ...(flag(values, 'no-symbols') ? { symbols: false } : {}) };
    }
    if (count !== undefined) input.count = count;
    if (where !== undefined) {
      const ref = await resolveFolder(client, where);
      if (ref.folderId) input.folderId = ref.folderId;
      else input.vaultId = ref.vaultId;
    }
    const g = await client.passwords.generate(input);
    if (flag(values, 'json')) outJson(g);
    else out(g.passwords.join('\n'));
    return CLIENT_EXIT.ok;
  },
});
