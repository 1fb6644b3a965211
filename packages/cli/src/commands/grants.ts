import { type CofferClient, type CreateGrant, type Grant, isCofferError, type Level } from '@coffer/sdk/client';
import { type CommandGroup, change } from '../admin.ts';
import { CliError, type Command, flag, out, outJson, str, UsageError, type Values } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { cliPath, resolveSecret, splitPath } from '../paths.ts';
import { findGroup, findUser, principalNames } from '../principals.ts';
import { table, when } from '../workflow-view.ts';

const LEVELS: Level[] = ['list', 'view', 'reveal', 'edit', 'manage'];
const NODE_ID = /^id:((?:vlt|fld|sec)_[0-9a-z]{26})$/;

const PATH_HELP = `PATH is a vault (VAULT), a folder (VAULT/FOLDER/...), a secret (VAULT/[FOLDER/...]SECRET) or
id:ID of any of them. When a folder and a secret share a path, the folder is meant (name the
secret by id:ID). Grants on a vault or folder reach everything below it unless a folder breaks
inheritance. Needs manage access on PATH.`;

interface Node {
  id: string;
  /** As the user wrote it, or as the server names it. */
  shown: string;
}

const isNotFound = (e: unknown) => e instanceof CliError && e.exitCode === CLIENT_EXIT.notFound;

/** The vault, folder or secret PATH names. */
async function resolveNode(client: CofferClient, raw: string): Promise<Node> {
  const m = NODE_ID.exec(raw);
  if (m) return { id: m[1] as string, shown: raw };
  const segs = splitPath(raw);
  if (segs.length === 0) throw new UsageError(`"${raw}" names no vault, folder or secret`);
  const vault = segs[0] as string;
  try {
    const f = await client.lookup.folder({ vault, path: `/${segs.slice(1).join('/')}` });
    return { id: f.folderId ?? f.vaultId, shown: `${cliPath(vault, f.path)}/` };
  } catch (e) {
    if (!isCofferError(e, 'not_found')) throw e;
    if (segs.length < 2) throw new CliError(`${raw}: no such vault (or you may not see it)`, CLIENT_EXIT.notFound);
  }
  try {
    const { secret } = await resolveSecret(client, raw);
    return { id: secret.id, shown: raw };
  } catch (e) {
    if (isNotFound(e)) throw new CliError(`${raw}: no such vault, folder or secret (or you may not see it)`, CLIENT_EXIT.notFound);
    throw e;
  }
}

/** The principal of add/rm: USER positional or --group G. */
async function principal(
  client: CofferClient,
  values: Values,
  user: string | undefined,
): Promise<{ type: 'user' | 'group'; id: string; name: string }> {
  const group = str(values, 'group');
  if ((user === undefined) === (group === undefined)) throw new UsageError('name either a USER or a --group G');
  if (group !== undefined) {
    const g = await findGroup(client, group);
    return { type: 'group', id: g.id, name: g.name };
  }
  const u = await findUser(client, user as string);
  return { type: 'user', id: u.id, name: u.username };
}

const describe = (names: Map<string, string>, g: Grant) => `${g.principalType}:${names.get(g.principalId) ?? g.principalId}`;

const lsUsage = `Usage: coffer grants ls PATH [--json]

Lists the grants made directly on PATH: who (user:NAME or group:NAME; ids when you may not read
the directory), level, expiry, grant id.

${PATH_HELP}

Options:
  --json        print [grant] (id, nodeType, nodeId, principalType, principalId, level, expiresAt, createdAt)
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const grantsLsCommand: Command = clientCommand({
  name: 'grants ls',
  summary: 'List the grants on a vault, folder or secret',
  usage: lsUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const { client } = openSession();
    const node = await resolveNode(client, positionals[0] as string);
    const grants = (await client.grants.list(node.id)).items;
    if (flag(values, 'json')) {
      outJson(grants);
      return CLIENT_EXIT.ok;
    }
    if (grants.length === 0) return CLIENT_EXIT.ok;
    const names = await principalNames(client, {
      users: grants.some((g) => g.principalType === 'user'),
      groups: grants.some((g) => g.principalType === 'group'),
    });
    out(
      table(
        ['WHO', 'LEVEL', 'EXPIRES', 'ID'],
        grants.map((g) => [describe(names, g), g.level, g.expiresAt ? when(g.expiresAt) : 'never', g.id]),
      ),
    );
    return CLIENT_EXIT.ok;
  },
});

/** `--expires`: an ISO time, or a duration from now such as 90m, 8h, 7d. */
function expiresAt(raw: string | undefined, now = Date.now()): string | undefined {
  if (raw === undefined) return undefined;
  const d = /^(\d{1,6})([mhd])$/.exec(raw.trim());
  if (d) return new Date(now + Number(d[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 'm' | 'h' | 'd']).toISOString();
  const t = Date.parse(raw);
  if (!/^\d{4}-\d\d-\d\dT/.test(raw) || Number.isNaN(t))
    throw new UsageError(`--expires takes an ISO time (2030-01-07T18:00:00Z) or a duration (90m, 8h, 7d), got "${raw}"`);
  return new Date(t).toISOString();
}

const addUsage = `Usage: coffer grants add PATH (USER | --group G) --level L [--expires T] [--json]

Grants a user or a group a level of access on PATH. USER is an exact username (any signed-in user
may look one up) or a user id (usr_…); G is a group name (needs groups.read) or id (grp_…).

${PATH_HELP}

Options:
  --group G     grant to this group instead of a user
  --level L     ${LEVELS.join(', ')}
  --expires T   end the grant at T: an ISO time, or a duration from now (90m, 8h, 7d)
  --json        print the grant made
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const grantsAddCommand: Command = clientCommand({
  name: 'grants add',
  summary: 'Grant a user or group access to a vault, folder or secret',
  usage: addUsage,
  options: { group: { type: 'string' }, level: { type: 'string' }, expires: { type: 'string' } },
  positionals: { min: 1, max: 2 },
  async run({ values, positionals }) {
    const [path, user] = positionals as [string, string | undefined];
    const level = str(values, 'level');
    if (level === undefined || !LEVELS.includes(level as Level)) throw new UsageError(`give --level: ${LEVELS.join(', ')}`);
    const expires = expiresAt(str(values, 'expires'));
    const { client } = openSession();
    const node = await resolveNode(client, path);
    const who = await principal(client, values, user);
    const input: CreateGrant = {
      nodeId: node.id,
      principalType: who.type,
      principalId: who.id,
      level: level as Level,
      ...(expires ? { expiresAt: expires } : {}),
    };
    return change(values, () => client.grants.create(input), {
      text: (g) => `Granted ${level} on ${node.shown} to ${who.type} ${who.name}${g.expiresAt ? ` until ${when(g.expiresAt)}` : ''}.`,
    });
  },
});

const rmUsage = `Usage: coffer grants rm PATH (USER | --group G) [--json]
       coffer grants rm --id GRANT [--json]

Revokes the grant of a user or group made directly on PATH, or the grant GRANT (gra_…, see
coffer grants ls). USER and G as for coffer grants add.

${PATH_HELP}

Options:
  --group G     the group's grant instead of a user's
  --id GRANT    the grant by id
  --json        print {id, revoked}
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const grantsRmCommand: Command = clientCommand({
  name: 'grants rm',
  summary: 'Revoke a grant',
  usage: rmUsage,
  options: { group: { type: 'string' }, id: { type: 'string' } },
  positionals: { min: 0, max: 2 },
  async run({ values, positionals }) {
    const id = str(values, 'id');
    const { client } = openSession();
    let grantId: string;
    let what: string;
    if (id !== undefined) {
      if (positionals.length > 0 || values.group !== undefined)
        throw new UsageError('--id names the grant by itself: leave out PATH, USER and --group');
      if (!/^gra_[0-9a-z]{26}$/.test(id)) throw new UsageError(`--id takes a grant id (gra_…), got "${id}"`);
      grantId = id;
      what = `grant ${id}`;
    } else {
      const [path, user] = positionals as [string | undefined, string | undefined];
      if (path === undefined) throw new UsageError('give PATH and USER (or --group G), or --id GRANT');
      const node = await resolveNode(client, path);
      const who = await principal(client, values, user);
      const found = (await client.grants.list(node.id)).items.filter((g) => g.principalType === who.type && g.principalId === who.id);
      if (found.length === 0) throw new CliError(`${who.type} ${who.name} has no grant made on ${node.shown}`, CLIENT_EXIT.notFound);
      if (found.length > 1)
        throw new CliError(
          `${who.type} ${who.name} has ${found.length} grants on ${node.shown}: revoke one with --id`,
          CLIENT_EXIT.conflict,
        );
      grantId = (found[0] as Grant).id;
      what = `the ${(found[0] as Grant).level} grant of ${who.type} ${who.name} on ${node.shown}`;
    }
    return change(values, () => client.grants.delete(grantId), {
      text: () => `Revoked ${what}.`,
      json: () => ({ id: grantId, revoked: true }),
    });
  },
});

export const grantsGroup: CommandGroup = {
  name: 'grants',
  summary: 'List, add and revoke the grants on vaults, folders and secrets (manage access)',
  commands: [grantsLsCommand, grantsAddCommand, grantsRmCommand],
};
