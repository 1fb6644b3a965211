import type { SearchQuery, Secret } from '@coffer/sdk/client';
import { type Command, flag, intFlag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession, strList } from '../client.ts';
import { cliPath, resolveFolder, resolveSecret, secretCliPath, splitPath, vaultNames } from '../paths.ts';
import { safeLine } from '../terminal.ts';

const searchUsage = `Usage: coffer search [TEXT] [--tag T ...] [--template T] [--vault V] [--limit N] [--json]

Finds the secrets you can see whose name or searchable fields (username, host, URL, ...) match
TEXT, never their encrypted values. Secrets shared with you are included.

Options:
  --tag T        only secrets with this tag (repeatable: all of them)
  --template T   only secrets of this template (slug)
  --vault V      only secrets in this vault (by name)
  --limit N      at most N results (default: all)
  --json         print [secret] (metadata only, with "cliPath")
  -h, --help     this help

${EXIT_CODES_HELP}`;

const historyUsage = `Usage: coffer history PATH [--json]

The versions of a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID), newest first: who changed
it, when, and which fields (names only, never values).

Options:
  --json        print [{version, action, changedBy, byUsername, changedAt, changedFields}]
                (changedBy: the user id; byUsername: null when the user no longer exists)
  -h, --help    this help

${EXIT_CODES_HELP}`;

const restoreUsage = `Usage: coffer restore PATH --version N [--json]

Makes version N of a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) current again, as a new
version: its fields, values and attached files (see \`coffer history PATH\`). Needs edit access.
Refused with exit 6 when the secret changes between reading it and restoring.

Options:
  --version N   the version to bring back
  --json        print the secret as it is now (metadata only, with "restoredVersion")
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const searchCommand: Command = clientCommand({
  name: 'search',
  summary: 'Search secrets by name, tag, template or vault',
  usage: searchUsage,
  options: {
    tag: { type: 'string', multiple: true },
    template: { type: 'string' },
    vault: { type: 'string' },
    limit: { type: 'string' },
  },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }) {
    const text = positionals[0];
    if (text !== undefined && text.length > 200) throw new UsageError('TEXT has more than 200 characters');
    const limit = intFlag(values, 'limit', 1, 1_000_000);
    const tags = strList(values, 'tag');
    const template = str(values, 'template');
    const vault = str(values, 'vault');
    const { client } = openSession();
    const query: SearchQuery = { limit: Math.min(limit ?? 500, 500) };
    if (text) query.q = text;
    if (tags.length) query.tag = tags.length === 1 ? (tags[0] as string) : tags;
    if (template) query.template = template;
    if (vault !== undefined) {
      if (splitPath(vault).length !== 1) throw new UsageError('--vault takes a vault name (write a slash in it as \\/)');
      query.vaultId = (await resolveFolder(client, vault)).vaultId;
    }
    const found: Secret[] = [];
    for await (const s of client.secrets.searchAll(query)) {
      found.push(s);
      if (limit !== undefined && found.length >= limit) break;
    }
    const names = await vaultNames(client);
    if (flag(values, 'json')) {
      outJson(found.map((s) => ({ ...s, cliPath: secretCliPath(names, s) })));
    } else if (found.length > 0) {
      const paths = found.map((s) => safeLine(secretCliPath(names, s)));
      const width = Math.max(...paths.map((p) => p.length)) + 2;
      out(
        found
          .map((s, i) => {
            const who = s.username && s.host ? `${s.username}@${s.host}` : s.username || s.host || s.url;
            return `${(paths[i] as string).padEnd(width)}${safeLine(`${s.template}${who ? `  ${who}` : ''}`)}`.trimEnd();
          })
          .join('\n'),
      );
    }
    return CLIENT_EXIT.ok;
  },
});

export const historyCommand: Command = clientCommand({
  name: 'history',
  summary: 'Show the versions of a secret',
  usage: historyUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    const versions = (await client.secrets.history(secret.id)).items;
    if (flag(values, 'json')) {
      outJson(versions);
      return CLIENT_EXIT.ok;
    }
    const title = arg.startsWith('id:') ? arg : cliPath(splitPath(arg)[0] as string, secret.path, secret.name);
    const lines = [`History of ${safeLine(title)}:`];
    for (const v of versions) {
      const fields = v.changedFields.length ? `  ${v.changedFields.join(', ')}` : '';
      lines.push(
        safeLine(
          `  v${String(v.version).padEnd(4)} ${v.changedAt}  ${v.action.padEnd(8)} by ${v.byUsername ?? v.changedBy ?? 'unknown'}${fields}`,
        ),
      );
    }
    out(lines.join('\n'));
    return CLIENT_EXIT.ok;
  },
});

export const restoreCommand: Command = clientCommand({
  name: 'restore',
  summary: 'Make an old version of a secret current again',
  usage: restoreUsage,
  options: { version: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const version = intFlag(values, 'version', 1, 2_147_483_647);
    if (version === undefined) throw new UsageError('--version N is required (see coffer history PATH)');
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    // bound to the version just read: a change in between is refused (412), not overwritten
    const now = await client.secrets.restoreVersion(secret.id, version, { ifMatch: secret.version });
    if (flag(values, 'json')) {
      outJson({ ...now, restoredVersion: version });
      return CLIENT_EXIT.ok;
    }
    const title = arg.startsWith('id:') ? arg : cliPath(splitPath(arg)[0] as string, now.path, now.name);
    out(`Restored ${title} to version ${version} (now version ${now.version}).`);
    return CLIENT_EXIT.ok;
  },
});
