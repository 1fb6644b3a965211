import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ImportConflict, ImportFormat, ImportRequest } from '@coffer/sdk/client';
import { CliError, type Command, flag, formatError, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { cliPath, resolveFolderSegments, splitPath } from '../paths.ts';
import { formatBytes, startProgress } from '../progress.ts';
import { readSecretLine } from '../stdin.ts';

const FORMATS: ImportFormat[] = ['csv', 'keepass-xml', 'bitwarden-json', 'coffer-export'];
const ON_CONFLICT: ImportConflict[] = ['skip', 'update', 'duplicate'];

const usage = `Usage: coffer import FILE --format F --vault V [--folder PATH] [--on-conflict MODE] [--dry-run] [--json]

Imports the entries of FILE as secrets below a vault (or one of its folders), creating the folders
the file names. Needs edit access there. With --dry-run nothing is created: the report says what
would be, and which names are already taken. Only names and paths are printed, never values.
Large files show their upload progress when stderr is a terminal.

An entry clashes when a secret of the same name is already in its folder (names compared without
regard to case, surrounding spaces and Unicode compatibility forms; trashed secrets do not count),
or an earlier entry of the file has that name in that folder. Importing the same file twice
changes nothing the second time.

Options:
  --format F      csv (header row: name, username, password, url, notes, folder, totp, tags),
                  keepass-xml (KeePassXC "KeePass XML (unencrypted)"), bitwarden-json
                  (unencrypted export), coffer-export (a file of POST /api/v1/export; its
                  passphrase is asked for without echo, or read from stdin)
  --vault V       the vault (by name)
  --folder PATH   the folder inside the vault, e.g. Imports/2025 (default: the vault top)
  --on-conflict MODE
                  what a clashing entry becomes: skip (default: reported, nothing written),
                  update (a new version of the existing secret: the file's non-empty fields,
                  custom fields and tags win, the rest is kept) or duplicate (a second secret
                  of that name)
  --dry-run       check and report, create nothing
  --json          print the report {dryRun, onConflict, created, updated, folders,
                  skipped: [{index, reason}], items: [{name, path, template, id?, outcome}],
                  clashes: [{index, name, path, existingIds, earlierIndex?, outcome}]}
  -h, --help      this help

${EXIT_CODES_HELP}`;

export const importCommand: Command = clientCommand({
  name: 'import',
  summary: 'Import a CSV, KeePass XML or Bitwarden JSON file',
  usage,
  options: {
    format: { type: 'string' },
    vault: { type: 'string' },
    folder: { type: 'string' },
    'on-conflict': { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const file = positionals[0] as string;
    const format = str(values, 'format');
    if (format === undefined) throw new UsageError(`give --format: ${FORMATS.join(', ')}`);
    if (!FORMATS.includes(format as ImportFormat)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    const vault = str(values, 'vault');
    if (vault === undefined) throw new UsageError('give --vault: the vault to import into');
    const vaultSegs = splitPath(vault);
    if (vaultSegs.length !== 1)
      throw new UsageError('--vault takes a vault name (write a slash in it as \\/; the folder goes in --folder)');
    const folderSegs = splitPath(str(values, 'folder') ?? '');
    const dryRun = flag(values, 'dry-run');
    const onConflict = str(values, 'on-conflict') ?? 'skip';
    if (!ON_CONFLICT.includes(onConflict as ImportConflict)) throw new UsageError(`--on-conflict must be one of ${ON_CONFLICT.join(', ')}`);

    const { IMPORT_MAX_CHARS } = await import('@coffer/contracts/transfer');
    let content: string;
    try {
      if (statSync(file).size > IMPORT_MAX_CHARS * 4) throw new Error('larger than the server accepts');
      content = readFileSync(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${formatError(e)}`);
    }
    if (content.length === 0) throw new CliError(`${file} is empty`);
    if (content.length > IMPORT_MAX_CHARS)
      throw new CliError(`${file} is larger than the ${formatBytes(IMPORT_MAX_CHARS)} an import takes`);
    let passphrase: string | undefined;
    if (format === 'coffer-export') {
      passphrase = await readSecretLine('Passphrase of the export (input hidden): ');
      if (!passphrase) throw new UsageError('a coffer-export file needs its passphrase (on stdin, or asked at a terminal)');
    }

    const progress = startProgress({ bytes: true });
    try {
      const { client } = openSession({
        timeoutMs: 10 * 60_000,
        onUpload: (sent, total) => {
          if (sent < total) progress.update(`Uploading ${basename(file)}`, sent, total);
          else progress.update(dryRun ? 'Checking (dry run)' : 'Importing');
        },
      });
      const where = await resolveFolderSegments(client, [...vaultSegs, ...folderSegs], [vault, ...folderSegs].join('/'));
      const input: ImportRequest = {
        format: format as ImportFormat,
        content,
        vaultId: where.vaultId,
        folderId: where.folderId,
        onConflict: onConflict as ImportConflict,
        ...(dryRun ? { dryRun: true } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
      };
      const report = await client.transfer.import(input, { timeoutMs: 10 * 60_000 });
      progress.stop();
      if (flag(values, 'json')) {
        outJson(report);
        return CLIENT_EXIT.ok;
      }
      const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
      const target = cliPath(vaultSegs[0] as string, where.path);
      const lines = [
        `${report.dryRun ? 'Dry run: would create' : 'Created'} ${n(report.created, 'secret', 'secrets')}` +
          (report.updated ? `, ${report.dryRun ? 'update' : 'updated'} ${report.updated}` : '') +
          ` and ${n(report.folders, 'folder', 'folders')} in ${target}/` +
          (report.skipped.length ? `; ${n(report.skipped.length, 'entry', 'entries')} skipped.` : '.'),
      ];
      for (const it of report.items) {
        lines.push(`  ${it.outcome === 'updated' ? '~' : '+'} ${cliPath(vaultSegs[0] as string, it.path, it.name)}  (${it.template})`);
      }
      for (const s of report.skipped) lines.push(`  ! entry ${s.index}: ${s.reason}`);
      const skippedClashes = report.clashes.filter((c) => c.outcome === 'skipped').length;
      if (skippedClashes && onConflict === 'skip') {
        lines.push(
          `${n(skippedClashes, 'entry was', 'entries were')} skipped for a name already taken: --on-conflict update or duplicate to write them.`,
        );
      }
      out(lines.join('\n'));
      return CLIENT_EXIT.ok;
    } finally {
      progress.stop();
    }
  },
});
