// The signed-in user's own account: who am I, password change, TOTP second factor.

import { type CommandGroup, change } from '../admin.ts';
import { type Command, flag, out, outJson, UsageError, type Values } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, deleteStored, EXIT_CODES_HELP, openSession, withLock } from '../client.ts';
import { askReauth, factorOf, hasTotp } from '../reauth.ts';
import { readPlainLine } from '../stdin.ts';

const whoamiUsage = `Usage: coffer whoami [--json]

Shows who the stored session belongs to: server, username, role, the all-passwords scope, and how
you signed in (password session, or an API key and its scopes).

Options:
  --json        print {url, userId, username, role, allPasswords, authMethod, sessionId, apiKeyId, scopes}
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const whoamiCommand: Command = clientCommand({
  name: 'whoami',
  summary: 'Show who you are signed in as',
  usage: whoamiUsage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { client } = openSession();
    const me = await client.auth.whoami();
    if (flag(values, 'json')) {
      outJson({ url: client.baseUrl, ...me });
      return CLIENT_EXIT.ok;
    }
    const via =
      me.authMethod === 'apikey' ? `API key ${me.apiKeyId}` : me.apiKeyId ? `session from API key ${me.apiKeyId}` : 'password session';
    out(
      [
        `${me.username} (${me.userId}) on ${client.baseUrl}`,
        `role:          ${me.role}${me.allPasswords ? ', all passwords' : ''}`,
        `signed in by:  ${via}`,
        ...(me.scopes ? [`scopes:        ${me.scopes.join(', ') || '(none)'}`] : []),
      ].join('\n'),
    );
    return CLIENT_EXIT.ok;
  },
});

/** After a change that ended every session of the user: the stored one is dead, so forget it. */
async function forgetSession(file: string): Promise<void> {
  await withLock(file, () => deleteStored(file));
}

function needsTerminal(values: Values, opt: string): void {
  if (!flag(values, opt) && !process.stdin.isTTY) throw new UsageError(`no terminal to ask on: pipe the input in with --${opt}`);
}

const passwdUsage = `Usage: coffer passwd [--password-stdin] [--json]

Changes your password. Every session and API key of yours ends, this one included: sign in again
afterwards (the stored session is deleted). Passwords are never taken from the command line: they
are asked for without echo at a terminal (the new one twice), or read from stdin with
--password-stdin (first line: the current password, second line: the new one, third line: with
TOTP on, the code the app shows or a recovery code). The new password needs at least 15
characters (8 with TOTP), must not be a breached or common password, nor easy to guess.

Options:
  --password-stdin    read the current and the new password (and the code) from the lines of stdin
  --json              print {passwordChanged, signedOut}
  -h, --help          this help

${EXIT_CODES_HELP}`;

export const passwdCommand: Command = clientCommand({
  name: 'passwd',
  summary: 'Change your password',
  usage: passwdUsage,
  options: { 'password-stdin': { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    needsTerminal(values, 'password-stdin');
    const { client, file } = openSession();
    const { proof, newPassword } = await askReauth({ totp: await hasTotp(client), newPassword: true });
    return change(
      values,
      async () => {
        await client.users.changeOwnPassword(proof.currentPassword, newPassword as string, factorOf(proof));
        await forgetSession(file);
      },
      {
        text: () => 'Password changed. Every session and API key of yours has ended: sign in again with coffer login.',
        json: () => ({ passwordChanged: true, signedOut: true }),
      },
    );
  },
});

const CODE = /^\d{6}$/;

async function readCode(): Promise<string> {
  const code = await readPlainLine('Code shown by the app: ');
  if (code && !CODE.test(code)) throw new UsageError('the code is the 6 digits the authenticator app shows');
  return code;
}

/** Confirms the pending enrolment and shows the recovery codes, once. */
async function confirm(values: Values, code: string): Promise<number> {
  const { client } = openSession();
  const json = flag(values, 'json');
  const { recoveryCodes } = await client.totp.confirm(code);
  if (json) out(JSON.stringify({ enabled: true, recoveryCodes }));
  else
    out(
      [
        'TOTP is on: signing in now needs a code from the app.',
        'Recovery codes (shown only now; each signs in once without the app; keep them somewhere safe):',
        ...recoveryCodes.map((c) => `  ${c}`),
      ].join('\n'),
    );
  return CLIENT_EXIT.ok;
}

const enrollUsage = `Usage: coffer totp enroll [--password-stdin] [--json]

Turns on the TOTP second factor. Needs your password first (asked without echo at a terminal, or
the first line of stdin with --password-stdin). Prints the otpauth:// URI (for an authenticator
app or a QR code generator) and the secret behind it, once; then asks for the code the app shows
(at a terminal, else the next line of stdin) and prints your recovery codes, once. Without a code
the enrolment waits: finish it with coffer totp confirm. Your other sessions end once it is on.

Options:
  --password-stdin    read your password from the first line of stdin (the code from the next)
  --json              print one JSON line {secret, otpauthUri}, and after the code one line
                      {enabled, recoveryCodes}
  -h, --help          this help

${EXIT_CODES_HELP}`;

export const totpEnrollCommand: Command = clientCommand({
  name: 'totp enroll',
  summary: 'Turn on the TOTP second factor',
  usage: enrollUsage,
  options: { 'password-stdin': { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    needsTerminal(values, 'password-stdin');
    const { client } = openSession();
    // no TOTP yet: the password alone
    const { proof } = await askReauth({ totp: false });
    const e = await client.totp.begin({ currentPassword: proof.currentPassword });
    if (flag(values, 'json')) out(JSON.stringify(e));
    else
      out(
        [
          'Add this account to your authenticator app (shown only now):',
          `  ${e.otpauthUri}`,
          `Secret, to type in by hand: ${e.secret}`,
        ].join('\n'),
      );
    const code = await readCode();
    if (!code) {
      process.stderr.write('No code given: TOTP is not on yet. Finish with coffer totp confirm.\n');
      return CLIENT_EXIT.ok;
    }
    return confirm(values, code);
  },
});

const confirmUsage = `Usage: coffer totp confirm [--json]

Finishes a TOTP enrolment begun by coffer totp enroll: asks for the code the app shows (at a
terminal, else the first line of stdin) and prints your recovery codes, once.

Options:
  --json        print {enabled, recoveryCodes}
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const totpConfirmCommand: Command = clientCommand({
  name: 'totp confirm',
  summary: 'Finish a TOTP enrolment with a code',
  usage: confirmUsage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const code = await readCode();
    if (!code) throw new UsageError('give the code the authenticator app shows');
    return confirm(values, code);
  },
});

const disableUsage = `Usage: coffer totp disable [--password-stdin] [--json]

Turns the TOTP second factor off. Needs your password and a code from the app (or a recovery code),
asked for without echo at a terminal, or the first two lines of stdin with --password-stdin. Every
session and API key of yours ends, this one included: sign in again afterwards (the stored session
is deleted).

Options:
  --password-stdin    read your password (first line) and the code (second line) from stdin
  --json              print {enabled, signedOut}
  -h, --help          this help

${EXIT_CODES_HELP}`;

export const totpDisableCommand: Command = clientCommand({
  name: 'totp disable',
  summary: 'Turn the TOTP second factor off',
  usage: disableUsage,
  options: { 'password-stdin': { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    needsTerminal(values, 'password-stdin');
    const { client, file } = openSession();
    // turning TOTP off always takes a code of it (or a recovery code)
    const { proof } = await askReauth({ totp: true });
    return change(
      values,
      async () => {
        await client.totp.disable(proof);
        await forgetSession(file);
      },
      {
        text: () => 'TOTP is off. Every session and API key of yours has ended: sign in again with coffer login.',
        json: () => ({ enabled: false, signedOut: true }),
      },
    );
  },
});

export const totpGroup: CommandGroup = {
  name: 'totp',
  summary: 'Turn the TOTP second factor of your account on or off',
  commands: [totpEnrollCommand, totpConfirmCommand, totpDisableCommand],
};
