#!/usr/bin/env node
// The `coffer` command: initialisation, migrations and audit verification work on the database
// directly; seal status, unseal and key rotation talk to a running server over HTTP; the client
// commands (login … import) use the session stored by `coffer login`, through the SDK.
import { parseArgs } from 'node:util';
import { type CommandGroup, groupUsage } from './admin.ts';
import { CliError, type Command, EXIT, formatError, type Options, UsageError } from './cli.ts';
import { EXIT_CODES_HELP } from './client.ts';
import { passwdCommand, totpGroup, whoamiCommand } from './commands/account.ts';
import { adminResetPasswordCommand } from './commands/admin-reset-password.ts';
import { auditVerifyCommand } from './commands/audit-verify.ts';
import { checkinCommand, checkoutCommand, checkoutsCommand, rotateCommand } from './commands/checkout.ts';
import { exportCommand } from './commands/export.ts';
import { attachCommand, detachCommand, downloadCommand, filesCommand } from './commands/files.ts';
import { genCommand } from './commands/gen.ts';
import { getCommand, revealCommand } from './commands/get.ts';
import { grantsGroup } from './commands/grants.ts';
import { groupsGroup } from './commands/groups.ts';
import { importCommand } from './commands/import.ts';
import { initCommand } from './commands/init.ts';
import { keysGroup } from './commands/keys.ts';
import { loginCommand, logoutCommand } from './commands/login.ts';
import { lsCommand } from './commands/ls.ts';
import { migrateCommand } from './commands/migrate.ts';
import { mvCommand, rmCommand } from './commands/move.ts';
import { approveCommand, rejectCommand, requestCommand, requestsCommand } from './commands/request.ts';
import { rotateKeyCommand } from './commands/rotate-key.ts';
import { rotationGroup } from './commands/rotation.ts';
import { sealStatusCommand } from './commands/seal-status.ts';
import { historyCommand, restoreCommand, searchCommand } from './commands/search.ts';
import { setCommand } from './commands/set.ts';
import { shareCommand } from './commands/share.ts';
import { heartbeatCommand, targetCommand, verifyCommand } from './commands/target.ts';
import { templatesGroup } from './commands/templates.ts';
import { trashGroup } from './commands/trash.ts';
import { unsealCommand } from './commands/unseal.ts';
import { usersGroup } from './commands/users.ts';
import { mkdirCommand, vaultCreateCommand, vaultLsCommand } from './commands/vault.ts';
import { safeLine } from './terminal.ts';
import { CLI_VERSION } from './version.ts';

const adminCommands: Command[] = [
  initCommand,
  migrateCommand,
  sealStatusCommand,
  unsealCommand,
  auditVerifyCommand,
  rotateKeyCommand,
  adminResetPasswordCommand,
];
const clientCommands: Command[] = [
  loginCommand,
  logoutCommand,
  lsCommand,
  getCommand,
  revealCommand,
  setCommand,
  mvCommand,
  rmCommand,
  searchCommand,
  shareCommand,
  historyCommand,
  restoreCommand,
  attachCommand,
  filesCommand,
  downloadCommand,
  detachCommand,
  genCommand,
  importCommand,
  vaultCreateCommand,
  vaultLsCommand,
  mkdirCommand,
  requestCommand,
  requestsCommand,
  approveCommand,
  rejectCommand,
  checkoutCommand,
  checkinCommand,
  checkoutsCommand,
  rotateCommand,
  targetCommand,
  verifyCommand,
  heartbeatCommand,
];
// your account and the administration of users, groups, grants, templates and the trash
const accountCommands: Command[] = [whoamiCommand, passwdCommand, exportCommand];
const commandGroups: CommandGroup[] = [
  totpGroup,
  keysGroup,
  usersGroup,
  groupsGroup,
  grantsGroup,
  templatesGroup,
  trashGroup,
  rotationGroup,
];
const commands: Command[] = [...adminCommands, ...clientCommands, ...accountCommands];
const vaultCommands: Command[] = [vaultCreateCommand, vaultLsCommand];

const auditUsage = `Usage: coffer audit <command> [options]

Commands:
  verify    ${auditVerifyCommand.summary}

Run coffer audit verify --help for its options.`;

const adminUsage = `Usage: coffer admin <command> [options]

Commands:
  reset-password    ${adminResetPasswordCommand.summary}

Run coffer admin reset-password --help for its options.`;

const vaultUsage = `Usage: coffer vault <command> [options]

Commands:
${vaultCommands.map((c) => `  ${c.name.slice('vault '.length).padEnd(10)}${c.summary}`).join('\n')}

Run coffer vault <command> --help for its options.`;

const globalUsage = `Usage: coffer <command> [options]

Administration:
${adminCommands.map((c) => `  ${c.name.padEnd(22)}${c.summary}`).join('\n')}

Secrets (sign in first with coffer login):
${clientCommands.map((c) => `  ${c.name.padEnd(14)}${c.summary}`).join('\n')}

Your account and user administration (sign in first; coffer GROUP --help lists a group's commands):
${accountCommands.map((c) => `  ${c.name.padEnd(14)}${c.summary}`).join('\n')}
${commandGroups.map((g) => `  ${g.name.padEnd(14)}${g.commands.map((c) => c.name.slice(g.name.length + 1)).join(', ')}`).join('\n')}

Every command takes --help and --json (machine-readable output); coffer --version prints the version.
Database commands read the server's configuration (COFFER_* variables); server commands talk to
--url, else COFFER_URL, else http://127.0.0.1:7300. The secrets commands talk to the server of
the session stored by coffer login (COFFER_CLI_CONFIG, else ~/.config/coffer/credentials.json).
Paths: VAULT/FOLDER/.../SECRET (a slash inside a vault or secret name is written \\/), or id:ID.
${EXIT_CODES_HELP}`;

const common: Options = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } };

const isHelp = (a: string | undefined) => a === '--help' || a === '-h';

/** Finds the command named by the leading arguments; returns it with the remaining arguments. */
function resolve(argv: string[]): { cmd: Command; rest: string[] } | { help: string } {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given', globalUsage);
  if (isHelp(first)) return { help: globalUsage };
  if (first === '--version' || first === '-V') return { help: `coffer ${CLI_VERSION}` };
  if (first === 'help') {
    if (rest.length === 0) return { help: globalUsage };
    const r = resolve(rest);
    return 'help' in r ? r : { help: r.cmd.usage };
  }
  if (first === 'audit') {
    const [sub, ...subRest] = rest;
    if (isHelp(sub)) return { help: auditUsage };
    if (sub === undefined) throw new UsageError('coffer audit needs a command', auditUsage);
    if (sub !== 'verify') throw new UsageError(`unknown command "audit ${sub}"`, auditUsage);
    return { cmd: auditVerifyCommand, rest: subRest };
  }
  if (first === 'admin') {
    const [sub, ...subRest] = rest;
    if (isHelp(sub)) return { help: adminUsage };
    if (sub === undefined) throw new UsageError('coffer admin needs a command', adminUsage);
    if (sub !== 'reset-password') throw new UsageError(`unknown command "admin ${sub}"`, adminUsage);
    return { cmd: adminResetPasswordCommand, rest: subRest };
  }
  if (first === 'vault') {
    const [sub, ...subRest] = rest;
    if (isHelp(sub)) return { help: vaultUsage };
    if (sub === undefined) throw new UsageError('coffer vault needs a command', vaultUsage);
    const cmd = vaultCommands.find((c) => c.name === `vault ${sub}`);
    if (!cmd) throw new UsageError(`unknown command "vault ${sub}"`, vaultUsage);
    return { cmd, rest: subRest };
  }
  const group = commandGroups.find((g) => g.name === first);
  if (group) {
    const [sub, ...subRest] = rest;
    if (isHelp(sub)) return { help: groupUsage(group) };
    if (sub === undefined) throw new UsageError(`coffer ${first} needs a command`, groupUsage(group));
    const cmd = group.commands.find((c) => c.name === `${first} ${sub}`);
    if (!cmd) throw new UsageError(`unknown command "${first} ${sub}"`, groupUsage(group));
    return { cmd, rest: subRest };
  }
  const cmd = commands.find((c) => c.name === first);
  if (!cmd) throw new UsageError(first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"`, globalUsage);
  return { cmd, rest };
}

async function main(argv: string[]): Promise<number> {
  const r = resolve(argv);
  if ('help' in r) {
    process.stdout.write(`${r.help}\n`);
    return EXIT.ok;
  }
  const { cmd, rest } = r;
  let parsed: { values: Record<string, string | boolean | Array<string | boolean> | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, ...common }, allowPositionals: cmd.positionals.max > 0, strict: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((e as Error).message, cmd.usage);
    throw e;
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${cmd.usage}\n`);
    return EXIT.ok;
  }
  if (parsed.positionals.length < cmd.positionals.min || parsed.positionals.length > cmd.positionals.max) {
    throw new UsageError(`wrong number of arguments for coffer ${cmd.name}`, cmd.usage);
  }
  try {
    return await cmd.run(parsed);
  } catch (e) {
    if (e instanceof UsageError && e.usage === undefined) e.usage = cmd.usage;
    throw e;
  }
}

/** Exits once stdout and stderr are flushed (an open handle must never keep the CLI alive). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`coffer: ${safeLine(e.message)}\n\n${e.usage ?? globalUsage}\n`);
    exit(EXIT.usage);
    return;
  }
  // messages carry the server's words and names from the store: one line, nothing a terminal obeys
  process.stderr.write(`error: ${safeLine(formatError(e))}\n`);
  if (process.env.COFFER_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  exit(e instanceof CliError ? e.exitCode : EXIT.error);
});
