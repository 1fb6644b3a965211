import type { Template } from '@coffer/sdk/client';
import type { CommandGroup } from '../admin.ts';
import { CliError, type Command, flag, out, outJson } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { canonical } from '../principals.ts';
import { table } from '../workflow-view.ts';

const lsUsage = `Usage: coffer templates ls [--json]

Lists the templates secrets are made from (coffer set --template SLUG): slug, name, built-in or
custom, fields (sensitive ones marked *, encrypted and shown only by coffer reveal).

Options:
  --json        print [template]
  -h, --help    this help

${EXIT_CODES_HELP}`;

const fieldList = (t: Template) => t.fields.map((f) => `${f.slug}${f.sensitive ? '*' : ''}`).join(', ');

export const templatesLsCommand: Command = clientCommand({
  name: 'templates ls',
  summary: 'List the templates of secrets',
  usage: lsUsage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { client } = openSession();
    const items = (await client.templates.list()).items.sort((a, b) => a.slug.localeCompare(b.slug));
    if (flag(values, 'json')) outJson(items);
    else if (items.length)
      out(
        table(
          ['SLUG', 'NAME', 'KIND', 'FIELDS'],
          items.map((t) => [t.slug, t.name, t.builtin ? 'built-in' : 'custom', fieldList(t)]),
        ),
      );
    return CLIENT_EXIT.ok;
  },
});

const showUsage = `Usage: coffer templates show TEMPLATE [--json]

Shows a template's fields: slug, name, type, required, searchable, sensitive. TEMPLATE is a slug,
a name or an id (tpl_…).

Options:
  --json        print the template
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const templatesShowCommand: Command = clientCommand({
  name: 'templates show',
  summary: "Show a template's fields",
  usage: showUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const { client } = openSession();
    const items = (await client.templates.list()).items;
    const t =
      items.find((x) => x.id === arg || x.slug === arg) ??
      items.find((x) => canonical(x.name) === canonical(arg) || x.slug === canonical(arg));
    if (!t) throw new CliError(`there is no template "${arg}": see coffer templates ls`, CLIENT_EXIT.notFound);
    if (flag(values, 'json')) {
      outJson(t);
      return CLIENT_EXIT.ok;
    }
    const yes = (b: boolean) => (b ? 'yes' : '');
    out(
      [
        `${t.name} (${t.slug}, ${t.builtin ? 'built-in' : 'custom'}, ${t.id})`,
        table(
          ['FIELD', 'NAME', 'TYPE', 'REQUIRED', 'SEARCHABLE', 'SENSITIVE'],
          t.fields.map((f) => [f.slug, f.name, f.type, yes(f.required), yes(f.searchable), yes(f.sensitive)]),
        ),
      ].join('\n'),
    );
    return CLIENT_EXIT.ok;
  },
});

export const templatesGroup: CommandGroup = {
  name: 'templates',
  summary: 'Show the templates secrets are made from',
  commands: [templatesLsCommand, templatesShowCommand],
};
