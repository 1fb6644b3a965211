// What the administration commands share: how a change is carried out and reported, the
// sub-command groups' help, and the sign-in check of commands that need none of a path's lookups.
import type { PendingApproval } from '@coffer/sdk/client';
import { type Command, flag, out, outJson, type Values } from './cli.ts';
import { CLIENT_EXIT, EXIT_CODES_HELP } from './client.ts';
import { settleGated } from './commands/admin-requests.ts';

/**
 * Carries out one administrative change and reports it: `text` for people, `json` (default: the
 * server's answer) for --json. Every change of the users, groups, grants, trash and account
 * commands goes through here, so an answer that is not the change itself (e.g. one that waits for
 * a second administrator) is handled in this one place.
 */
export async function change<R>(
  values: Values,
  run: () => Promise<R>,
  report: { text: (result: Exclude<R, PendingApproval>) => string; json?: (result: Exclude<R, PendingApproval>) => unknown },
): Promise<number> {
  // a call that became an admin request (dual control): printed, exit 8
  const result = settleGated(await run(), { json: flag(values, 'json') }) as Exclude<R, PendingApproval>;
  if (flag(values, 'json')) outJson(report.json ? report.json(result) : result);
  else out(report.text(result));
  return CLIENT_EXIT.ok;
}

/** A group of sub-commands (`coffer users ls`, `coffer users create` …). */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}

export function groupUsage(g: CommandGroup): string {
  const subs = g.commands.map((c) => c.name.slice(g.name.length + 1));
  const width = Math.max(10, ...subs.map((s) => s.length + 2));
  return `Usage: coffer ${g.name} <command> [options]

${g.summary}.

Commands:
${g.commands.map((c, i) => `  ${(subs[i] as string).padEnd(width)}${c.summary}`).join('\n')}

Run coffer ${g.name} <command> --help for its options.
${EXIT_CODES_HELP}`;
}

/** `password-user`, `Password User` -> `password_user`. */
export const snake = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
