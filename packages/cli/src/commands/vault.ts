import type { CofferClient, FolderRef } from '@coffer/sdk/client';
import { CliError, type Command, flag, out, outJson, str, UsageError } from '../cli.ts';
import { about, CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { cliPath, escapeName, splitPath } from '../paths.ts';
import { safeLine } from '../terminal.ts';

const createUsage = `Usage: coffer vault create NAME [--description D] [--e2e] [--json]

Creates a vault named NAME (taken as typed: no escaping; 1 to 200 characters, unique without
regard to case). You get manage access on it. Password auditors cannot create vaults.

Options:
  --description D   what the vault is for
  --e2e             end-to-end encrypted: values are encrypted here, one OpenPGP message per reader
                    (coffer keys init first; fixed at creation)
  --json            print the vault created
  -h, --help        this help

${EXIT_CODES_HELP}`;

const lsUsage = `Usage: coffer vault ls [--json]

Lists the vaults you can see, or see into: name (as a CLI path), your access level, description.

Options:
  --json        print [vault] (id, name, description, policy, myLevel, createdAt, updatedAt)
  -h, --help    this help

${EXIT_CODES_HELP}`;

const mkdirUsage = `Usage: coffer mkdir PATH [-p] [--json]

Creates the folder PATH = VAULT/FOLDER[/...] (e.g. Infra/Servers/Linux; a leading slash is
allowed). The vault and, without -p, the parent folder must exist; you need edit access on the
parent. Folder names cannot hold "/" or "\\"; in the vault name write a slash as \\/.

Options:
  -p, --parents   also create missing parent folders; a folder that exists already is no error
  --json          print {id, vaultId, path, created: [path]}, where path is the CLI path
  -h, --help      this help

${EXIT_CODES_HELP}`;

export const vaultCreateCommand: Command = clientCommand({
  name: 'vault create',
  summary: 'Create a vault',
  usage: createUsage,
  options: { description: { type: 'string' }, e2e: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const name = positionals[0] as string;
    if (!name.trim()) throw new UsageError('NAME is empty');
    const description = str(values, 'description');
    const { client } = openSession();
    const vault = await about(
      name,
      client.vaults.create({
        name,
        ...(description !== undefined ? { description } : {}),
        ...(flag(values, 'e2e') ? { encryption: 'e2e' as const } : {}),
      }),
    );
    if (flag(values, 'json')) outJson(vault);
    else out(`Created ${vault.encryption === 'e2e' ? 'end-to-end encrypted ' : ''}vault ${escapeName(vault.name)}/.`);
    return CLIENT_EXIT.ok;
  },
});

export const vaultLsCommand: Command = clientCommand({
  name: 'vault ls',
  summary: 'List vaults with your access level and description',
  usage: lsUsage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { client } = openSession();
    const vaults = (await client.vaults.list()).items.sort((a, b) => a.name.localeCompare(b.name));
    if (flag(values, 'json')) {
      outJson(vaults);
    } else if (vaults.length > 0) {
      const names = vaults.map((v) => safeLine(`${escapeName(v.name)}/`));
      const width = Math.max(...names.map((n) => n.length)) + 2;
      out(
        vaults
          .map((v, i) =>
            `${(names[i] as string).padEnd(width)}${(v.myLevel ?? '-').padEnd(8)}${safeLine(v.description.replace(/\s+/g, ' '))}`.trimEnd(),
          )
          .join('\n'),
      );
    }
    return CLIENT_EXIT.ok;
  },
});

const isNotFound = (e: unknown) => e instanceof CliError && e.exitCode === CLIENT_EXIT.notFound;
const isConflict = (e: unknown) => e instanceof CliError && e.exitCode === CLIENT_EXIT.conflict;

/** The folder (or vault top) at `/folders...` of `vault`, or undefined when it does not exist (or is not visible). */
async function lookupOrNone(client: CofferClient, vault: string, folders: string[], subject: string): Promise<FolderRef | undefined> {
  try {
    return await about(subject, client.lookup.folder({ vault, path: `/${folders.join('/')}` }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export const mkdirCommand: Command = clientCommand({
  name: 'mkdir',
  summary: 'Create a folder (-p: with its parents)',
  usage: mkdirUsage,
  options: { parents: { type: 'boolean', short: 'p' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const parents = flag(values, 'parents');
    const segs = splitPath(arg);
    if (segs.length < 2)
      throw new UsageError(`"${arg}" names no folder: write VAULT/FOLDER[/...] (a vault is made with coffer vault create)`);
    const vault = segs[0] as string;
    const folders = segs.slice(1).map((s) => s.trim());
    for (const f of folders) {
      if (/[/\\]/.test(f)) throw new UsageError(`a folder name cannot hold "/" or "\\": "${f}"`);
    }
    const { client } = openSession();
    const shown = (n: number) => cliPath(vault, `/${folders.slice(0, n).join('/')}`);
    const created: string[] = [];
    let current: { vaultId: string; folderId: string | null } | undefined;

    // the deepest existing ancestor: the parent alone without -p, else walked down from the vault top
    if (!parents) {
      const parent = await about(shown(folders.length - 1), client.lookup.folder({ vault, path: `/${folders.slice(0, -1).join('/')}` }));
      current = parent;
    }
    const first = parents ? 0 : folders.length - 1;
    if (parents) current = await about(vault, client.lookup.folder({ vault, path: '/' }));
    for (let i = first; i < folders.length; i++) {
      const here = current as { vaultId: string; folderId: string | null };
      const subject = shown(i + 1);
      if (parents) {
        const found = await lookupOrNone(client, vault, folders.slice(0, i + 1), subject);
        if (found) {
          current = found;
          continue;
        }
      }
      const name = folders[i] as string;
      try {
        const f = await about(
          subject,
          client.folders.create({ vaultId: here.vaultId, ...(here.folderId ? { parentId: here.folderId } : {}), name }),
        );
        current = { vaultId: f.vaultId, folderId: f.id };
        created.push(cliPath(vault, f.path));
      } catch (e) {
        // made by someone else meanwhile: with -p that is as good
        if (!parents || !isConflict(e)) throw e;
        const found = await lookupOrNone(client, vault, folders.slice(0, i + 1), subject);
        if (!found) throw e;
        current = found;
      }
    }
    const final = current as { vaultId: string; folderId: string | null };
    const path = shown(folders.length);
    if (flag(values, 'json')) {
      outJson({ id: final.folderId, vaultId: final.vaultId, path, created });
    } else if (created.length === 0) {
      out(`${path}/ exists already.`);
    } else {
      out(created.map((p) => `Created ${p}/`).join('\n'));
    }
    return CLIENT_EXIT.ok;
  },
});
