import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Attachment, CofferClient } from '@coffer/sdk/client';
import { CliError, type Command, flag, formatError, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveSecret } from '../paths.ts';
import { refuseExisting, writePrivate } from '../private-file.ts';
import { formatBytes, startProgress } from '../progress.ts';
import { outValue, safeLine } from '../terminal.ts';

/** Largest file `coffer attach` reads (the server's own limit, COFFER_ATTACHMENT_MAX_BYTES, is usually far lower). */
const ATTACH_READ_MAX = 1024 * 1024 * 1024;

const attachUsage = `Usage: coffer attach PATH FILE [--name N] [--type MEDIA-TYPE] [--json]

Attaches FILE to a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID): stored encrypted, a new
version of the secret. Needs edit access. The server refuses files over its size limit
(COFFER_ATTACHMENT_MAX_BYTES, 10 MiB by default) and a second file of the same name. Shows the
upload's progress when stderr is a terminal.

Options:
  --name N      the file's name in the vault (default: FILE's own name)
  --type T      its media type (default: application/octet-stream)
  --json        print the attachment {id, secretId, name, contentType, size, createdBy, createdAt}
  -h, --help    this help

${EXIT_CODES_HELP}`;

const filesUsage = `Usage: coffer files PATH [--json]

Lists the files attached to a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID): name, size,
media type, when. Needs view access; the content is not shown (coffer download).

Options:
  --json        print [{id, secretId, name, contentType, size, createdBy, createdAt}]
  -h, --help    this help

${EXIT_CODES_HELP}`;

const downloadUsage = `Usage: coffer download PATH NAME [-o FILE | -o -] [--force] [--reason R]

Downloads the file NAME attached to a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID). This is
a reveal: audited, with --reason when the policy asks for one (during your approved access
request or your checkout of the secret, its reason is used when you give none). Written to FILE
(default: NAME in the current directory), readable by you only (0600), and only once it is
complete and verified: an interrupted or damaged download leaves no file. An existing file is not
replaced without --force. With -o - the content goes to stdout: exactly its bytes into a pipe or
file; on a terminal as text with control characters shown as \\uXXXX (see coffer reveal --help).

Options:
  -o, --output F  where to write it (- for stdout)
  --force         replace an existing file
  --reason R      why you reveal it (recorded in the audit trail)
  --json          once written, print {secretId, attachmentId, name, size, output}
  -h, --help      this help

${EXIT_CODES_HELP}`;

const detachUsage = `Usage: coffer detach PATH NAME

Removes the file NAME from a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID): a new version of
the secret. Needs edit access. The file is kept aside, encrypted: restoring a version that had it
(coffer restore PATH --version N) brings it back.

Options:
  --json        print {secretId, attachmentId, name, removed}
  -h, --help    this help

${EXIT_CODES_HELP}`;

async function fileByName(client: CofferClient, secretId: string, name: string): Promise<Attachment> {
  const items = (await client.attachments.list(secretId)).items;
  const a = items.find((x) => x.name === name);
  if (!a) {
    const known = items.map((x) => x.name).join(', ');
    throw new CliError(`no file named "${name}" on this secret${known ? ` (it has: ${known})` : ''}`, CLIENT_EXIT.notFound);
  }
  return a;
}

export const attachCommand: Command = clientCommand({
  name: 'attach',
  summary: 'Attach a file to a secret',
  usage: attachUsage,
  options: { name: { type: 'string' }, type: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run({ values, positionals }) {
    const [arg, file] = positionals as [string, string];
    const name = str(values, 'name') ?? basename(file);
    const contentType = str(values, 'type');
    if (contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(contentType))
      throw new UsageError('--type takes a media type such as text/plain');
    let content: Buffer;
    try {
      if (statSync(file).size > ATTACH_READ_MAX) throw new Error(`larger than ${formatBytes(ATTACH_READ_MAX)}`);
      content = readFileSync(file);
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${formatError(e)}`);
    }
    const progress = startProgress({ bytes: true });
    try {
      const { client } = openSession({
        timeoutMs: 10 * 60_000,
        onUpload: (sent, total) => {
          if (sent < total) progress.update(`Uploading ${name}`, sent, total);
          else progress.update('Storing');
        },
      });
      const { secret } = await resolveSecret(client, arg);
      const a = await client.attachments.upload(secret.id, new Uint8Array(content), {
        name,
        ...(contentType ? { contentType } : {}),
        timeoutMs: 10 * 60_000,
      });
      progress.stop();
      if (flag(values, 'json')) outJson(a);
      else out(`Attached ${a.name} (${formatBytes(a.size)}) to ${arg}.`);
      return CLIENT_EXIT.ok;
    } finally {
      progress.stop();
    }
  },
});

export const filesCommand: Command = clientCommand({
  name: 'files',
  summary: 'List the files attached to a secret',
  usage: filesUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const { client } = openSession();
    const { secret } = await resolveSecret(client, positionals[0] as string);
    const items = (await client.attachments.list(secret.id)).items;
    if (flag(values, 'json')) {
      outJson(items);
      return CLIENT_EXIT.ok;
    }
    if (items.length) {
      const names = items.map((a) => safeLine(a.name));
      const width = Math.max(...names.map((n) => n.length)) + 2;
      out(
        items
          .map(
            (a, i) =>
              `${(names[i] as string).padEnd(width)}${formatBytes(a.size).padStart(10)}  ${safeLine(a.contentType)}  ${a.createdAt}`,
          )
          .join('\n'),
      );
    }
    return CLIENT_EXIT.ok;
  },
});

export const downloadCommand: Command = clientCommand({
  name: 'download',
  summary: 'Download a file attached to a secret (a reveal)',
  usage: downloadUsage,
  options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean' }, reason: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run({ values, positionals }) {
    const [arg, name] = positionals as [string, string];
    const output = str(values, 'output') ?? name;
    const toStdout = output === '-';
    if (toStdout && flag(values, 'json')) throw new UsageError('--json describes a written file: not with -o -');
    if (!toStdout) refuseExisting(output, flag(values, 'force'));
    const reason = str(values, 'reason');
    const { client } = openSession({ timeoutMs: 10 * 60_000 });
    const { secret } = await resolveSecret(client, arg);
    const a = await fileByName(client, secret.id, name);
    const { content } = await client.attachments.download(secret.id, a.id, {
      ...(reason !== undefined ? { reason } : {}),
      timeoutMs: 10 * 60_000,
    });
    if (toStdout) {
      // the file's bytes into a pipe; shown escaped on a terminal (terminal.ts)
      outValue(content);
      return CLIENT_EXIT.ok;
    }
    // written under a temporary name (0600, never readable by others), synced, then renamed: the
    // path holds either nothing or the whole verified file
    writePrivate(output, content);
    if (flag(values, 'json')) outJson({ secretId: secret.id, attachmentId: a.id, name, size: content.byteLength, output });
    else out(`Wrote ${output} (${formatBytes(content.byteLength)}).`);
    return CLIENT_EXIT.ok;
  },
});

export const detachCommand: Command = clientCommand({
  name: 'detach',
  summary: 'Remove a file from a secret (kept for version restore)',
  usage: detachUsage,
  options: {},
  positionals: { min: 2, max: 2 },
  async run({ values, positionals }) {
    const [arg, name] = positionals as [string, string];
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    const a = await fileByName(client, secret.id, name);
    await client.attachments.delete(secret.id, a.id);
    if (flag(values, 'json')) outJson({ secretId: secret.id, attachmentId: a.id, name, removed: true });
    else out(`Removed ${name} from ${arg}.`);
    return CLIENT_EXIT.ok;
  },
});
