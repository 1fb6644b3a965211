import type { CofferClient, CreateUser, Role, UpdateUser, User } from '@coffer/sdk/client';
import { paginate, type UserListQuery } from '@coffer/sdk/client';
import { type CommandGroup, change, snake } from '../admin.ts';
import { CliError, type Command, flag, type Options, out, outJson, str, UsageError, type Values } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { directoryUser } from '../principals.ts';
import { readNewSecret } from '../stdin.ts';
import { table } from '../workflow-view.ts';

const ROLES: Role[] = ['administrator', 'password_administrator', 'password_auditor', 'password_user'];

/** Profile fields: option name -> field of CreateUser/UpdateUser. */
const PROFILE: Record<string, keyof UpdateUser> = {
  'first-name': 'firstName',
  'last-name': 'lastName',
  email: 'email',
  department: 'department',
  location: 'location',
  'landline-country-code': 'landlineCountryCode',
  landline: 'landline',
  'landline-ext': 'landlineExt',
  'mobile-country-code': 'mobileCountryCode',
  mobile: 'mobile',
};
const profileOptions: Options = Object.fromEntries(Object.keys(PROFILE).map((k) => [k, { type: 'string' }]));
const PROFILE_HELP = `  --first-name, --last-name, --email, --department, --location, --mobile,
  --mobile-country-code, --landline, --landline-country-code, --landline-ext T
                      profile fields (in clear: no secrets)`;

const USER_ARG = 'USER is a username (disabled users included; needs users.read) or a user id (usr_…).';

function profile(values: Values): Partial<UpdateUser> {
  const p: Record<string, string> = {};
  for (const [opt, field] of Object.entries(PROFILE)) {
    const v = str(values, opt);
    if (v !== undefined) p[field] = v;
  }
  return p as Partial<UpdateUser>;
}

function role(raw: string): Role {
  const r = snake(raw);
  if (!(ROLES as string[]).includes(r)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${raw}"`);
  return r as Role;
}

const displayName = (u: User) => `${u.firstName} ${u.lastName}`.trim();

/** The password for a person, never from argv: asked twice at a terminal, or one line of stdin with --password-stdin. */
async function newPassword(values: Values, whose: string): Promise<string> {
  if (!flag(values, 'password-stdin') && !process.stdin.isTTY)
    throw new UsageError('no terminal to ask the password on: pipe it in with --password-stdin');
  const pw = await readNewSecret(`New password for ${whose} (input hidden): `, 'Again (input hidden): ');
  if (!pw) throw new CliError('no password given', CLIENT_EXIT.usage);
  return pw;
}

const cmd = (c: Omit<Command, 'positionals'> & { positionals?: Command['positionals'] }): Command =>
  clientCommand({ positionals: { min: 1, max: 1 }, ...c });

const lsUsage = `Usage: coffer users ls [--kind human|api] [--json]

Lists the users (needs users.read: administrators, password administrators and auditors):
username, role (+all: the all-passwords scope), status, kind, TOTP, sign-in (locked, failed logins
in a row, last login), name.

Options:
  --kind K      only people (human) or only API users (api)
  --json        print [user]
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const usersLsCommand: Command = cmd({
  name: 'users ls',
  summary: 'List users',
  usage: lsUsage,
  options: { kind: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const kind = str(values, 'kind');
    if (kind !== undefined && kind !== 'human' && kind !== 'api') throw new UsageError('--kind must be human or api');
    const { client } = openSession();
    const users: User[] = [];
    for await (const u of paginate((q: UserListQuery) => client.users.list(q), { limit: 500, ...(kind ? { kind } : {}) })) users.push(u);
    users.sort((a, b) => a.username.localeCompare(b.username));
    if (flag(values, 'json')) outJson(users);
    else if (users.length)
      out(
        table(
          ['USERNAME', 'ROLE', 'STATUS', 'KIND', 'TOTP', 'SIGN-IN', 'NAME'],
          users.map((u) => [
            u.username,
            `${u.role}${u.allPasswords ? ' +all' : ''}`,
            u.status,
            u.kind,
            u.totpEnabled ? 'on' : 'off',
            signIn(u),
            displayName(u),
          ]),
        ),
      );
    return CLIENT_EXIT.ok;
  },
});

const showUsage = `Usage: coffer users show USER [--json]

Shows a user's record (never a password or TOTP seed). You may always show yourself by id.
${USER_ARG}

Options:
  --json        print the user
  -h, --help    this help

${EXIT_CODES_HELP}`;

/** One cell: locked (until when, or until unlocked), failed logins in a row, the last login. */
function signIn(u: User): string {
  const a = u.loginActivity;
  if (!a) return '-';
  const short = (t: string) => t.slice(0, 16).replace('T', ' ');
  const lock = a.hardLocked ? 'LOCKED' : a.locked ? `locked until ${a.lockedUntil ? short(a.lockedUntil) : '?'}` : '';
  const failed = a.failedLogins > 0 ? `${a.failedLogins} failed` : '';
  const last = a.lastLoginAt ? `last ${short(a.lastLoginAt)}` : 'never';
  return [lock, failed, last].filter(Boolean).join(', ');
}

export function describeUser(u: User): string {
  const rows: Array<[string, string]> = [
    ['id', u.id],
    ['username', u.username],
    ['kind', u.kind],
    ['role', u.role],
    ['all passwords', u.allPasswords ? 'yes' : 'no'],
    ['status', u.status],
    ['TOTP', u.totpEnabled ? 'on' : 'off'],
    ['name', displayName(u)],
    ['email', u.email],
    ['department', u.department],
    ['location', u.location],
    ['mobile', [u.mobileCountryCode, u.mobile].filter(Boolean).join(' ')],
    ['landline', [u.landlineCountryCode, u.landline, u.landlineExt ? `ext ${u.landlineExt}` : ''].filter(Boolean).join(' ')],
    ['created', u.createdAt],
    ['updated', u.updatedAt],
    ...loginRows(u),
  ];
  return rows
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`)
    .join('\n');
}

function loginRows(u: User): Array<[string, string]> {
  const a = u.loginActivity;
  if (!a) return [];
  return [
    ['locked', a.hardLocked ? 'yes, until an administrator unlocks it (coffer users unlock)' : a.locked ? `until ${a.lockedUntil}` : 'no'],
    ['failed logins', `${a.failedLogins} in a row${a.lastFailedLoginAt ? `, the last at ${a.lastFailedLoginAt}` : ''}`],
    ['last login', a.lastLoginAt ?? 'never'],
  ];
}

export const usersShowCommand: Command = cmd({
  name: 'users show',
  summary: "Show a user's record",
  usage: showUsage,
  options: {},
  async run({ values, positionals }) {
    const { client } = openSession();
    const u = await directoryUser(client, positionals[0] as string);
    if (flag(values, 'json')) outJson(u);
    else out(describeUser(u));
    return CLIENT_EXIT.ok;
  },
});

const createUsage = `Usage: coffer users create USERNAME --role R [--api] [--all-passwords] [--password-stdin] [profile options] [--json]

Creates a person (with a password) or, with --api, an API user (signs in with API keys only).
Needs users.write (administrators). The password is never taken from the command line: it is
asked for twice without echo at a terminal, or read from the first line of stdin with
--password-stdin.

Options:
  --role R            ${ROLES.join(', ')}
  --api               an API user (no password)
  --all-passwords     the all-passwords scope (administrators and password administrators only)
  --password-stdin    read the password from the first line of stdin
${PROFILE_HELP}
  --json              print the user created
  -h, --help          this help

${EXIT_CODES_HELP}`;

export const usersCreateCommand: Command = cmd({
  name: 'users create',
  summary: 'Create a person or an API user',
  usage: createUsage,
  options: {
    role: { type: 'string' },
    api: { type: 'boolean' },
    'all-passwords': { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
    ...profileOptions,
  },
  async run({ values, positionals }) {
    const username = positionals[0] as string;
    const r = str(values, 'role');
    if (r === undefined) throw new UsageError(`give --role: ${ROLES.join(', ')}`);
    const api = flag(values, 'api');
    if (api && flag(values, 'password-stdin')) throw new UsageError('an API user has no password: leave out --password-stdin');
    const input: CreateUser = {
      username,
      role: role(r),
      ...(api ? { kind: 'api' } : {}),
      ...(flag(values, 'all-passwords') ? { allPasswords: true } : {}),
      ...profile(values),
    };
    const { client } = openSession();
    if (!api) input.password = await newPassword(values, username);
    return change(values, () => client.users.create(input), {
      text: (u) => `Created ${u.kind === 'api' ? 'API user' : 'user'} ${u.username} (${u.role}${u.allPasswords ? ', all passwords' : ''}).`,
    });
  },
});

const updateUsage = `Usage: coffer users update USER [--role R] [--all-passwords | --no-all-passwords] [profile options] [--json]

Changes a user's role, all-passwords scope or profile fields. A role or scope change ends the
user's sessions and API keys. Needs users.write.
${USER_ARG}

Options:
  --role R              ${ROLES.join(', ')}
  --all-passwords       give the all-passwords scope
  --no-all-passwords    take it away
${PROFILE_HELP}
  --json                print the user
  -h, --help            this help

${EXIT_CODES_HELP}`;

export const usersUpdateCommand: Command = cmd({
  name: 'users update',
  summary: "Change a user's role, scope or profile",
  usage: updateUsage,
  options: { role: { type: 'string' }, 'all-passwords': { type: 'boolean' }, 'no-all-passwords': { type: 'boolean' }, ...profileOptions },
  async run({ values, positionals }) {
    if (flag(values, 'all-passwords') && flag(values, 'no-all-passwords'))
      throw new UsageError('give --all-passwords or --no-all-passwords, not both');
    const r = str(values, 'role');
    const patch: UpdateUser = {
      ...(r !== undefined ? { role: role(r) } : {}),
      ...(flag(values, 'all-passwords') ? { allPasswords: true } : {}),
      ...(flag(values, 'no-all-passwords') ? { allPasswords: false } : {}),
      ...profile(values),
    };
    if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: give --role, --all-passwords or a profile option');
    const { client } = openSession();
    const u = await directoryUser(client, positionals[0] as string);
    return change(values, () => client.users.update(u.id, patch), { text: (x) => `Updated ${x.username}.` });
  },
});

/** disable, enable, rm, unlock: one user, one call. */
function simple(
  sub: string,
  summary: string,
  help: string,
  run: (client: CofferClient, u: User) => Promise<unknown>,
  done: (u: User) => string,
  extra: { options?: Options; check?: (values: Values) => void; json?: (u: User, r: unknown) => unknown } = {},
): Command {
  const usage = `Usage: coffer users ${sub} USER${extra.options?.yes ? ' --yes' : ''} [--json]

${help}
${USER_ARG}

Options:${extra.options?.yes ? '\n  --yes         yes, this cannot be undone' : ''}
  --json        print the result
  -h, --help    this help

${EXIT_CODES_HELP}`;
  return cmd({
    name: `users ${sub}`,
    summary,
    usage,
    options: extra.options ?? {},
    async run({ values, positionals }) {
      extra.check?.(values);
      const { client } = openSession();
      const u = await directoryUser(client, positionals[0] as string);
      return change(values, () => run(client, u), {
        text: () => done(u),
        json: (r) => (extra.json ? extra.json(u, r) : r),
      });
    },
  });
}

export const usersDisableCommand = simple(
  'disable',
  'Disable a user (ends their sessions and keys)',
  'Disables a user: every session and API key of theirs ends at once. Needs users.write.',
  (c, u) => c.users.disable(u.id),
  (u) => `Disabled ${u.username}.`,
);

export const usersEnableCommand = simple(
  'enable',
  'Enable a disabled user',
  'Enables a disabled user. Needs users.write.',
  (c, u) => c.users.enable(u.id),
  (u) => `Enabled ${u.username}.`,
);

export const usersRmCommand = simple(
  'rm',
  'Delete a user',
  'Deletes a user for good (their sessions and keys end). Needs users.write.',
  (c, u) => c.users.delete(u.id),
  (u) => `Deleted ${u.username}.`,
  {
    options: { yes: { type: 'boolean' } },
    check: (values) => {
      if (!flag(values, 'yes')) throw new UsageError('deleting a user cannot be undone: add --yes (or coffer users disable)');
    },
    json: (u) => ({ id: u.id, username: u.username, deleted: true }),
  },
);

export const usersUnlockCommand = simple(
  'unlock',
  'Clear the login lock of a user',
  'Clears the login lock (after too many failed logins) of a user. Needs users.write.',
  (c, u) => c.users.unlock(u.id),
  (u) => `Unlocked ${u.username}.`,
  { json: (u) => ({ id: u.id, username: u.username, unlocked: true }) },
);

const resetUsage = `Usage: coffer users reset-password USER [--password-stdin] [--json]

Sets a person's password; every session and API key of theirs ends. Needs users.write.
${USER_ARG} The password is never taken from the command line: it is asked for twice without
echo at a terminal, or read from the first line of stdin with --password-stdin. (To change your
own password use coffer passwd.)

Options:
  --password-stdin    read the new password from the first line of stdin
  --json              print {id, username, passwordSet}
  -h, --help          this help

${EXIT_CODES_HELP}`;

export const usersResetPasswordCommand: Command = cmd({
  name: 'users reset-password',
  summary: "Set a user's password",
  usage: resetUsage,
  options: { 'password-stdin': { type: 'boolean' } },
  async run({ values, positionals }) {
    const { client } = openSession();
    const u = await directoryUser(client, positionals[0] as string);
    const pw = await newPassword(values, u.username);
    return change(values, () => client.users.resetPassword(u.id, pw), {
      text: () => `Set the password of ${u.username}; their sessions and keys ended.`,
      json: () => ({ id: u.id, username: u.username, passwordSet: true }),
    });
  },
});

export const usersGroup: CommandGroup = {
  name: 'users',
  summary: 'Manage users (administrators; ls and show also password administrators and auditors)',
  commands: [
    usersLsCommand,
    usersShowCommand,
    usersCreateCommand,
    usersUpdateCommand,
    usersDisableCommand,
    usersEnableCommand,
    usersRmCommand,
    usersUnlockCommand,
    usersResetPasswordCommand,
  ],
};
