import { type Group, isPendingApproval, type PageQuery, paginate, type User } from '@coffer/sdk/client';
import { type CommandGroup, change } from '../admin.ts';
import { type Command, flag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { directoryGroup, directoryUser, principalNames } from '../principals.ts';
import { table } from '../workflow-view.ts';

const GROUP_ARG = 'GROUP is a group name or id (grp_…).';

const lsUsage = `Usage: coffer groups ls [--json]

Lists the groups (needs groups.read: administrators, password administrators and auditors):
name, number of members, description.

Options:
  --json        print [group] (id, name, description, members: [user id], createdAt)
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const groupsLsCommand: Command = clientCommand({
  name: 'groups ls',
  summary: 'List groups',
  usage: lsUsage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { client } = openSession();
    const groups: Group[] = [];
    for await (const g of paginate((q: PageQuery) => client.groups.list(q), { limit: 500 })) groups.push(g);
    groups.sort((a, b) => a.name.localeCompare(b.name));
    if (flag(values, 'json')) outJson(groups);
    else if (groups.length)
      out(
        table(
          ['NAME', 'MEMBERS', 'DESCRIPTION'],
          groups.map((g) => [g.name, String(g.members.length), g.description.replace(/\s+/g, ' ')]),
        ),
      );
    return CLIENT_EXIT.ok;
  },
});

const showUsage = `Usage: coffer groups show GROUP [--json]

Shows a group and its members (by username when you may read the user directory).
${GROUP_ARG}

Options:
  --json        print the group
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const groupsShowCommand: Command = clientCommand({
  name: 'groups show',
  summary: 'Show a group and its members',
  usage: showUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const { client } = openSession();
    const g = await directoryGroup(client, positionals[0] as string);
    if (flag(values, 'json')) {
      outJson(g);
      return CLIENT_EXIT.ok;
    }
    const names = g.members.length ? await principalNames(client, { users: true, groups: false }) : new Map<string, string>();
    const members = g.members.map((id) => names.get(id) ?? id).sort();
    out(
      [
        `name:          ${g.name}`,
        `id:            ${g.id}`,
        ...(g.description ? [`description:   ${g.description}`] : []),
        `created:       ${g.createdAt}`,
        `members:       ${members.length ? members.join(', ') : '(none)'}`,
      ].join('\n'),
    );
    return CLIENT_EXIT.ok;
  },
});

const createUsage = `Usage: coffer groups create NAME [--description D] [--json]

Creates a group (names are unique without regard to case). Needs groups.write (administrators).

Options:
  --description D   what the group is for
  --json            print the group created
  -h, --help        this help

${EXIT_CODES_HELP}`;

export const groupsCreateCommand: Command = clientCommand({
  name: 'groups create',
  summary: 'Create a group',
  usage: createUsage,
  options: { description: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const name = positionals[0] as string;
    if (!name.trim()) throw new UsageError('NAME is empty');
    const description = str(values, 'description');
    const { client } = openSession();
    return change(values, () => client.groups.create({ name, ...(description !== undefined ? { description } : {}) }), {
      text: (g) => `Created group ${g.name}.`,
    });
  },
});

const rmUsage = `Usage: coffer groups rm GROUP [--json]

Deletes a group; the grants made to it end. Needs groups.write. ${GROUP_ARG}

Options:
  --json        print {id, name, deleted}
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const groupsRmCommand: Command = clientCommand({
  name: 'groups rm',
  summary: 'Delete a group',
  usage: rmUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const { client } = openSession();
    const g = await directoryGroup(client, positionals[0] as string);
    return change(values, () => client.groups.delete(g.id), {
      text: () => `Deleted group ${g.name}.`,
      json: () => ({ id: g.id, name: g.name, deleted: true }),
    });
  },
});

function membership(sub: 'add' | 'remove'): Command {
  const adding = sub === 'add';
  const usage = `Usage: coffer groups ${sub} GROUP USER... [--json]

${adding ? 'Adds users to a group' : 'Removes users from a group'} (no error when ${adding ? 'one is a member already' : 'one is not a member'}).
Needs groups.write. ${GROUP_ARG} USER is a username or a user id (usr_…).

Options:
  --json        print the group afterwards
  -h, --help    this help

${EXIT_CODES_HELP}`;
  return clientCommand({
    name: `groups ${sub}`,
    summary: adding ? 'Add users to a group' : 'Remove users from a group',
    usage,
    options: {},
    positionals: { min: 2, max: 100 },
    async run({ values, positionals }) {
      const [groupArg, ...userArgs] = positionals as [string, ...string[]];
      const { client } = openSession();
      const g = await directoryGroup(client, groupArg);
      const users: User[] = [];
      for (const arg of userArgs) users.push(await directoryUser(client, arg));
      return change(
        values,
        async () => {
          let after = g;
          for (const u of users) {
            const r = adding ? await client.groups.addMember(g.id, u.id) : await client.groups.removeMember(g.id, u.id);
            // gated (the group holds grants): the rest waits for the approval of this one
            if (isPendingApproval(r)) return r;
            after = r;
          }
          return after;
        },
        {
          text: (after) =>
            `${adding ? 'Added' : 'Removed'} ${users.map((u) => u.username).join(', ')} ${adding ? 'to' : 'from'} ${after.name}.`,
        },
      );
    },
  });
}

export const groupsAddCommand = membership('add');
export const groupsRemoveCommand = membership('remove');

export const groupsGroup: CommandGroup = {
  name: 'groups',
  summary: 'Manage groups of users (administrators; ls and show also password administrators and auditors)',
  commands: [groupsLsCommand, groupsShowCommand, groupsCreateCommand, groupsRmCommand, groupsAddCommand, groupsRemoveCommand],
};
