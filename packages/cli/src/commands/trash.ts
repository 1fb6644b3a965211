import { type CofferClient, paginate, type SearchQuery, type Secret } from '@coffer/sdk/client';
import { type CommandGroup, change } from '../admin.ts';
import { CliError, type Command, flag, out, outJson, str, UsageError } from '../cli.ts';
import { about, CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { secretCliPath, splitPath, vaultNames } from '../paths.ts';
import { table, when } from '../workflow-view.ts';

const ITEM_HELP = `ITEM is a trashed secret's path as coffer trash ls shows it (VAULT/[FOLDER/...]NAME), or id:ID.`;

interface Trashed {
  secret: Secret;
  path: string;
}

/** Every trashed secret you can restore, with its CLI path. */
async function trashed(client: CofferClient, vaultId?: string): Promise<Trashed[]> {
  const names = await vaultNames(client);
  const items: Trashed[] = [];
  const query: SearchQuery = { limit: 500, ...(vaultId ? { vaultId } : {}) };
  for await (const s of paginate((q: SearchQuery) => client.secrets.listTrash(q), query)) {
    items.push({ secret: s, path: secretCliPath(names, s) });
  }
  return items.sort((a, b) => a.path.localeCompare(b.path));
}

/** The trashed secret ITEM names: by id, or by its path (several of one path: name it by id). */
function pick(items: Trashed[], arg: string): Trashed {
  const id = /^id:(sec_[0-9a-z]{26})$/.exec(arg)?.[1];
  const wanted = id ? undefined : splitPath(arg).join('\u0000');
  const found = items.filter((t) => (id ? t.secret.id === id : splitPath(t.path).join('\u0000') === wanted));
  if (found.length === 0)
    throw new CliError(`${arg}: not in the trash (or you may not restore it): see coffer trash ls`, CLIENT_EXIT.notFound);
  if (found.length > 1)
    throw new CliError(
      `${arg}: ${found.length} trashed secrets have this path: name one by id (${found.map((t) => `id:${t.secret.id}`).join(', ')})`,
      CLIENT_EXIT.conflict,
    );
  return found[0] as Trashed;
}

const lsUsage = `Usage: coffer trash ls [--vault V] [--json]

Lists the trashed secrets you can restore: path, when it was deleted, id.

Options:
  --vault V     only this vault's
  --json        print [secret] (metadata, never values)
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const trashLsCommand: Command = clientCommand({
  name: 'trash ls',
  summary: 'List the trashed secrets you can restore',
  usage: lsUsage,
  options: { vault: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const vault = str(values, 'vault');
    const { client } = openSession();
    let vaultId: string | undefined;
    if (vault !== undefined) {
      const segs = splitPath(vault);
      if (segs.length !== 1) throw new UsageError('--vault takes a vault name (write a slash in it as \\/)');
      vaultId = (await about(vault, client.lookup.folder({ vault: segs[0] as string, path: '/' }))).vaultId;
    }
    const items = await trashed(client, vaultId);
    if (flag(values, 'json')) outJson(items.map((t) => t.secret));
    else if (items.length)
      out(
        table(
          ['PATH', 'DELETED', 'ID'],
          items.map((t) => [t.path, t.secret.deletedAt ? when(t.secret.deletedAt) : '', `id:${t.secret.id}`]),
        ),
      );
    return CLIENT_EXIT.ok;
  },
});

function trashCommand(sub: 'restore' | 'purge'): Command {
  const restore = sub === 'restore';
  const usage = `Usage: coffer trash ${sub} ITEM...${restore ? '' : ' --yes'} [--json]

${
  restore
    ? 'Restores trashed secrets to where they were (needs edit access there).'
    : 'Deletes trashed secrets for good, with their versions and files (needs manage access).'
} ${ITEM_HELP}

Options:${restore ? '' : '\n  --yes         yes, this cannot be undone'}
  --json        print [{path, id, ${restore ? 'restored' : 'purged'}}]
  -h, --help    this help

${EXIT_CODES_HELP}`;
  return clientCommand({
    name: `trash ${sub}`,
    summary: restore ? 'Restore secrets from the trash' : 'Delete trashed secrets for good',
    usage,
    options: restore ? {} : { yes: { type: 'boolean' } },
    positionals: { min: 1, max: 100 },
    async run({ values, positionals }) {
      if (!restore && !flag(values, 'yes')) throw new UsageError('purging cannot be undone: add --yes');
      const { client } = openSession();
      const items = await trashed(client);
      const chosen = positionals.map((arg) => pick(items, arg));
      return change(
        values,
        async () => {
          for (const t of chosen)
            await about<unknown>(t.path, restore ? client.secrets.restore(t.secret.id) : client.secrets.purge(t.secret.id));
          return chosen.map((t) => ({ path: t.path, id: t.secret.id, [restore ? 'restored' : 'purged']: true }));
        },
        { text: () => chosen.map((t) => `${restore ? 'Restored' : 'Purged'} ${t.path}`).join('\n') },
      );
    },
  });
}

export const trashRestoreCommand = trashCommand('restore');
export const trashPurgeCommand = trashCommand('purge');

export const trashGroup: CommandGroup = {
  name: 'trash',
  summary: 'List, restore and purge trashed secrets',
  commands: [trashLsCommand, trashRestoreCommand, trashPurgeCommand],
};
