import type { CofferClient, Folder, Secret } from '@coffer/sdk/client';
import { CliError, type Command, flag, out, outJson } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { cliPath, escapeName, resolveFolder, resolveSecret, splitPath } from '../paths.ts';
import { withProgress } from '../progress.ts';
import { safeLine } from '../terminal.ts';

const usage = `Usage: coffer ls [PATH] [-R] [--json]

Lists the vaults you can see (no PATH), the folders and secrets of a vault or folder
(PATH = VAULT[/FOLDER/...]), or one secret (PATH = VAULT/[FOLDER/...]SECRET). Folders end in "/".
In vault and secret names write a slash as \\/ and a backslash as \\\\.

Options:
  -R, --recursive   everything below PATH, one path per line
  --json            print [{type: "vault"|"folder"|"secret", id, name, path, template?}], where path
                    is the CLI path to give other commands
  -h, --help        this help

${EXIT_CODES_HELP}`;

interface Entry {
  type: 'vault' | 'folder' | 'secret';
  id: string;
  name: string;
  path: string;
  template?: string;
}

const isNotFound = (e: unknown) => e instanceof CliError && e.exitCode === CLIENT_EXIT.notFound;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/**
 * The secrets directly in a vault's top or a folder (`direct`), else every secret below it
 * (search pages of 500). `direct` leaves the filtering to the server: only those are fetched.
 */
async function secretsIn(client: CofferClient, vaultId: string, folderId: string | null, direct: boolean): Promise<Secret[]> {
  const all: Secret[] = [];
  const query = { ...(folderId ? { folderId } : { vaultId }), ...(direct ? { direct: true } : {}), limit: 500 };
  for await (const s of client.secrets.searchAll(query)) if (s.vaultId === vaultId) all.push(s);
  return all;
}

async function subfolders(client: CofferClient, vaultId: string, parentId: string | null): Promise<Folder[]> {
  return (await client.folders.list(parentId ? { vaultId, parentId } : { vaultId })).items;
}

export const lsCommand: Command = clientCommand({
  name: 'ls',
  summary: 'List vaults, or the folders and secrets of a folder',
  usage,
  options: { recursive: { type: 'boolean', short: 'R' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }) {
    const { client } = openSession();
    const json = flag(values, 'json');
    const recursive = flag(values, 'recursive');
    const arg = positionals[0];
    const entries: Entry[] = [];

    if (arg === undefined || splitPath(arg).length === 0) {
      const vaults = (await client.vaults.list()).items.sort(byName);
      await withProgress({}, async (p) => {
        for (const [i, v] of vaults.entries()) {
          entries.push({ type: 'vault', id: v.id, name: v.name, path: escapeName(v.name) });
          if (!recursive) continue;
          p.update(`Listing ${v.name}`, i, vaults.length);
          entries.push(...(await listBelow(client, v.id, v.name, null, '/', true)));
        }
      });
    } else {
      let folder: Awaited<ReturnType<typeof resolveFolder>> | undefined;
      try {
        folder = await resolveFolder(client, arg);
      } catch (e) {
        // not a folder: perhaps a secret (VAULT/.../NAME without a trailing slash)
        if (!isNotFound(e) || arg.endsWith('/') || splitPath(arg).length < 2) throw e;
        let found: Awaited<ReturnType<typeof resolveSecret>>;
        try {
          found = await resolveSecret(client, arg);
        } catch (e2) {
          throw isNotFound(e2) ? e : e2;
        }
        const s = found.secret;
        const vaultName = splitPath(arg)[0] as string;
        entries.push({ type: 'secret', id: s.id, name: s.name, path: cliPath(vaultName, s.path, s.name), template: s.template });
      }
      if (folder) {
        const f = folder;
        entries.push(
          ...(await withProgress({}, async (p) => {
            p.update('Listing');
            return listBelow(client, f.vaultId, f.vaultName, f.folderId, f.path, recursive);
          })),
        );
      }
    }

    if (json) {
      outJson(entries);
    } else if (entries.length > 0) {
      const relative = arg !== undefined && !recursive;
      // one entry per line: a name from the store can hold no line break or escape here
      out(entries.map((e) => safeLine(`${relative ? escapeName(e.name) : e.path}${e.type === 'secret' ? '' : '/'}`)).join('\n'));
    }
    return CLIENT_EXIT.ok;
  },
});

/** The folders and secrets directly in a vault or folder, or (recursive) all below it. */
async function listBelow(
  client: CofferClient,
  vaultId: string,
  vaultName: string,
  folderId: string | null,
  folderPath: string,
  recursive: boolean,
): Promise<Entry[]> {
  // one search: directly in the folder, or (recursive) the whole subtree, sorted out per folder below
  const [folders, secrets] = await Promise.all([subfolders(client, vaultId, folderId), secretsIn(client, vaultId, folderId, !recursive)]);
  const entries: Entry[] = [];
  const direct = (recursive ? secrets.filter((s) => s.folderId === folderId) : secrets).sort(byName);
  for (const f of folders.sort(byName)) {
    entries.push({ type: 'folder', id: f.id, name: f.name, path: cliPath(vaultName, f.path) });
    if (recursive) entries.push(...(await listBelowKnown(client, vaultId, vaultName, f, secrets)));
  }
  for (const s of direct) {
    entries.push({ type: 'secret', id: s.id, name: s.name, path: cliPath(vaultName, folderPath, s.name), template: s.template });
  }
  return entries;
}

/** Recursion with the subtree's secrets already fetched: one folder listing per folder. */
async function listBelowKnown(
  client: CofferClient,
  vaultId: string,
  vaultName: string,
  folder: Folder,
  secrets: Secret[],
): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const f of (await subfolders(client, vaultId, folder.id)).sort(byName)) {
    entries.push({ type: 'folder', id: f.id, name: f.name, path: cliPath(vaultName, f.path) });
    entries.push(...(await listBelowKnown(client, vaultId, vaultName, f, secrets)));
  }
  for (const s of secrets.filter((x) => x.folderId === folder.id).sort(byName)) {
    entries.push({ type: 'secret', id: s.id, name: s.name, path: cliPath(vaultName, folder.path, s.name), template: s.template });
  }
  return entries;
}
