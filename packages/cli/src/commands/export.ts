import { type Command, flag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { cliPath, resolveFolder } from '../paths.ts';
import { refuseExisting, writePrivate } from '../private-file.ts';
import { readNewSecret } from '../stdin.ts';

const usage = `Usage: coffer export PATH --out FILE [--reason R] [--force] [--json]

Exports the secrets you can reveal in a vault or folder (PATH = VAULT or VAULT/FOLDER/..., with
everything below it) to FILE, encrypted with a passphrase (at least 12 characters). This is a
reveal of every secret in it: audited, with --reason when a policy asks for one. The passphrase is
never taken from the command line: it is asked for twice without echo at a terminal, or read from
the first line of stdin. FILE is written readable by you only (0600), and only once complete; an
existing file is not replaced without --force. Bring it back with
coffer import FILE --format coffer-export --vault V.

Options:
  -o, --out FILE  where to write it (- for stdout)
  --reason R      why you export (recorded in the audit trail)
  --force         replace an existing file
  --json          print {path, count, output}
  -h, --help      this help

${EXIT_CODES_HELP}`;

export const exportCommand: Command = clientCommand({
  name: 'export',
  summary: 'Export a vault or folder to a passphrase-encrypted file',
  usage,
  options: { out: { type: 'string', short: 'o' }, reason: { type: 'string' }, force: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const output = str(values, 'out');
    if (output === undefined) throw new UsageError('give --out FILE (or --out - for stdout)');
    const toStdout = output === '-';
    if (toStdout && flag(values, 'json')) throw new UsageError('--json describes a written file: not with --out -');
    if (!toStdout) refuseExisting(output, flag(values, 'force'));
    const reason = str(values, 'reason');
    const { client } = openSession({ timeoutMs: 10 * 60_000 });
    const where = await resolveFolder(client, positionals[0] as string);
    const passphrase = await readNewSecret('Passphrase for the file (input hidden): ', 'Again (input hidden): ');
    if (!passphrase) throw new UsageError('give a passphrase (on stdin, or asked at a terminal)');
    const file = await client.transfer.export(
      { vaultId: where.vaultId, folderId: where.folderId, passphrase, ...(reason !== undefined ? { reason } : {}) },
      { timeoutMs: 10 * 60_000 },
    );
    const path = `${cliPath(where.vaultName, where.path)}/`;
    if (toStdout) {
      process.stdout.write(file.content);
      return CLIENT_EXIT.ok;
    }
    writePrivate(output, file.content);
    if (flag(values, 'json')) outJson({ path, count: file.count, output });
    else
      out(`Exported ${file.count} ${file.count === 1 ? 'secret' : 'secrets'} from ${path} to ${output} (encrypted with the passphrase).`);
    return CLIENT_EXIT.ok;
  },
});
