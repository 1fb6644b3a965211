import type { BulkResult, CofferClient } from '@coffer/sdk/client';
import { CliError, type Command, err, flag, out, outJson } from '../cli.ts';
import { about, CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { cliPath, type ResolvedSecret, resolveFolder, resolveSecret } from '../paths.ts';
import { type Progress, withProgress } from '../progress.ts';
import { safeLine } from '../terminal.ts';

const mvUsage = `Usage: coffer mv PATH... DEST [--json]

Moves secrets (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) into the folder DEST (VAULT[/FOLDER/...];
a vault alone is its top level). Needs edit access on both ends. Several secrets move in one bulk
call, each on its own: the others still move when one fails.

Options:
  --json        print [{path, id, ok, error?}]
  -h, --help    this help

${EXIT_CODES_HELP}`;

const rmUsage = `Usage: coffer rm PATH... [--json]

Moves secrets (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) to the trash, from where they can be
restored. Needs edit access. Several secrets go in one bulk call, each on its own.

Options:
  --json        print [{path, id, ok, error?}]
  -h, --help    this help

${EXIT_CODES_HELP}`;

/** How many paths one command takes (the bulk API's limit). */
const MAX_PATHS = 1000;

/** Resolves every path first (nothing changes when one is missing), with a counter on long lists. */
async function resolveAll(client: CofferClient, args: string[], p: Progress): Promise<ResolvedSecret[]> {
  const out: ResolvedSecret[] = [];
  for (const [i, a] of args.entries()) {
    if (args.length > 1) p.update('Resolving paths', i, args.length);
    out.push(await resolveSecret(client, a));
  }
  const ids = new Set<string>();
  for (const r of out) {
    if (ids.has(r.secret.id)) throw new CliError(`${r.arg} names a secret given twice`, CLIENT_EXIT.usage);
    ids.add(r.secret.id);
  }
  return out;
}

interface ItemReport {
  path: string;
  id: string;
  ok: boolean;
  error?: { code: string; message: string };
}

const EXIT_BY_CODE: Record<string, number> = {
  not_found: CLIENT_EXIT.notFound,
  forbidden: CLIENT_EXIT.forbidden,
  conflict: CLIENT_EXIT.conflict,
  precondition_failed: CLIENT_EXIT.conflict,
};

/** Prints a bulk result (failures on stderr, one line each); the exit code of the first failure. */
function report(items: ResolvedSecret[], r: BulkResult, verb: string, json: boolean): number {
  const reports: ItemReport[] = items.map((it, i) => {
    const res = r.results.find((x) => x.index === i);
    return {
      path: it.arg,
      id: it.secret.id,
      ok: res?.ok === true,
      ...(res?.error ? { error: { code: res.error.code, message: res.error.message } } : {}),
    };
  });
  if (json) outJson(reports);
  let code: number = CLIENT_EXIT.ok;
  for (const x of reports) {
    if (x.ok) {
      if (!json) out(`${verb} ${x.path}`);
    } else {
      err(`error: ${safeLine(`${x.path}: ${x.error?.message ?? 'failed'} (${x.error?.code ?? 'unknown'})`)}`);
      if (code === CLIENT_EXIT.ok) code = EXIT_BY_CODE[x.error?.code ?? ''] ?? CLIENT_EXIT.error;
    }
  }
  return code;
}

export const mvCommand: Command = clientCommand({
  name: 'mv',
  summary: 'Move secrets to another folder',
  usage: mvUsage,
  options: {},
  positionals: { min: 2, max: MAX_PATHS + 1 },
  async run({ values, positionals }) {
    const dest = positionals.at(-1) as string;
    const paths = positionals.slice(0, -1);
    const json = flag(values, 'json');
    const { client } = openSession();
    return withProgress({}, async (p) => {
      const target = await resolveFolder(client, dest);
      const items = await resolveAll(client, paths, p);
      const where = cliPath(target.vaultName, target.path);
      if (items.length === 1) {
        const it = items[0] as ResolvedSecret;
        const s = await about(it.arg, client.secrets.update(it.secret.id, { vaultId: target.vaultId, folderId: target.folderId }));
        p.stop();
        if (json) outJson([{ path: it.arg, id: s.id, ok: true }]);
        else out(`Moved ${it.arg} to ${where}/.`);
        return CLIENT_EXIT.ok;
      }
      p.update(`Moving ${items.length} secrets`);
      const r = await client.bulk.move({ ids: items.map((i) => i.secret.id), vaultId: target.vaultId, folderId: target.folderId });
      p.stop();
      return report(items, r, `Moved to ${where}/:`, json);
    });
  },
});

export const rmCommand: Command = clientCommand({
  name: 'rm',
  summary: 'Move secrets to the trash',
  usage: rmUsage,
  options: {},
  positionals: { min: 1, max: MAX_PATHS },
  async run({ values, positionals }) {
    const json = flag(values, 'json');
    const { client } = openSession();
    return withProgress({}, async (p) => {
      const items = await resolveAll(client, positionals, p);
      if (items.length === 1) {
        const it = items[0] as ResolvedSecret;
        await about(it.arg, client.secrets.trash(it.secret.id));
        p.stop();
        if (json) outJson([{ path: it.arg, id: it.secret.id, ok: true }]);
        else out(`Moved ${it.arg} to the trash.`);
        return CLIENT_EXIT.ok;
      }
      p.update(`Deleting ${items.length} secrets`);
      const r = await client.bulk.trash(items.map((i) => i.secret.id));
      p.stop();
      return report(items, r, 'Moved to the trash:', json);
    });
  },
});
