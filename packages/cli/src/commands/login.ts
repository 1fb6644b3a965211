import type { ReadStream } from 'node:tty';
import { type CofferClient, createClient, isCofferError, type TokenPair } from '@coffer/sdk/client';
import { CliError, type Command, flag, out, outJson, str, UsageError, type Values } from '../cli.ts';
import {
  CLIENT_EXIT,
  clientCommand,
  credentialsFile,
  deleteStored,
  describeServerError,
  openSession,
  readStored,
  withLock,
  writeStored,
} from '../client.ts';
import { serverUrl } from '../http.ts';
import { askReauth, factorOf, secondFactor } from '../reauth.ts';
import { readPlainLine, readSecretLine } from '../stdin.ts';

const loginUsage = `Usage: coffer login [--url URL] [--username U] [--password-stdin [--new-password-stdin]] [--totp CODE] [--json]
       coffer login [--url URL] --api-key-stdin [--json]

Signs in and stores the session (URL, access and refresh token) in the credentials file:
COFFER_CLI_CONFIG, else $XDG_CONFIG_HOME/coffer/credentials.json, else
~/.config/coffer/credentials.json, created with mode 0600 (its directory 0700). The other client
commands use it, and write refreshed tokens back to it. The password is never taken from the
command line: it is asked for without echo at a terminal, or read from stdin (one line) with
--password-stdin.

A password set by an administrator (or generated at the first start) must be changed at the first
login: the command asks for a new one twice (without echo), or reads it from the second line of
stdin with --new-password-stdin, changes it, and signs in with it. With TOTP the change needs a
second code, a later one than the code you signed in with (or a recovery code), and signing in
with the new password a third (or another recovery code): asked for at a terminal, else the third
and fourth lines of stdin.

Options:
  --url URL          the server (default: COFFER_URL, else http://127.0.0.1:7300)
  --username U       who signs in (asked for at a terminal when left out)
  --password-stdin   read the password from the first line of stdin
  --new-password-stdin  when the password must be changed: the new one is the second line of stdin
                     (with TOTP, the codes for the change and the new sign-in the third and fourth)
  --totp CODE        the current TOTP code (asked for at a terminal when the account needs one)
  --api-key-stdin    sign in with an API key (cfk_…) read from stdin, exchanged for a session
  --json             print {url, username, userId, role, credentialsFile}
  -h, --help         this help`;

const stdinIsTty = () => (process.stdin as ReadStream).isTTY === true;

interface PasswordLogin {
  pair: TokenPair;
  username: string;
  password: string;
  /** A second factor was sent: the account has TOTP (as far as the CLI can tell). */
  secondFactor: boolean;
}

async function passwordLogin(client: CofferClient, v: Values): Promise<PasswordLogin> {
  let username = str(v, 'username');
  const fromStdin = flag(v, 'password-stdin');
  if (flag(v, 'new-password-stdin') && !fromStdin)
    throw new UsageError('--new-password-stdin needs --password-stdin (the two passwords are lines of stdin)');
  if (!fromStdin && !stdinIsTty()) throw new UsageError('no terminal to ask the password on: pipe it in with --password-stdin');
  if (username === undefined) {
    if (fromStdin || !stdinIsTty()) throw new UsageError('give --username (stdin is taken by the password)');
    username = await readPlainLine('Username: ');
  }
  if (!username) throw new UsageError('the username is empty');
  const password = await readSecretLine('Password (input hidden): ');
  if (!password) throw new CliError('no password given', CLIENT_EXIT.usage);
  const totpCode = str(v, 'totp');
  const done = (pair: TokenPair, secondFactor: boolean) => ({ pair, username: username as string, password, secondFactor });
  try {
    return done(await client.auth.login(username, password, totpCode ? { totpCode } : {}), totpCode !== undefined);
  } catch (e) {
    if (!isCofferError(e, 'auth.mfa_required') || totpCode !== undefined || fromStdin || !stdinIsTty()) throw e;
    const code = await readPlainLine('TOTP code (or a recovery code): ');
    return done(await client.auth.login(username, password, secondFactor(code)), true);
  }
}

/**
 * The forced first change of a password an administrator set: the new one (asked twice at a
 * terminal, or the second line of stdin) replaces it, with the re-authentication every password
 * change needs (with TOTP, a later code than the one just used, or a recovery code), which ends
 * every session; then a sign-in with it (with TOTP, yet another code).
 */
async function changeTemporaryPassword(client: CofferClient, login: PasswordLogin, v: Values): Promise<TokenPair> {
  const tty = stdinIsTty();
  if (!tty && !flag(v, 'new-password-stdin')) {
    await client.auth.logout().catch(() => {});
    throw new CliError(
      'your password was set by an administrator and must be changed first: run coffer login at a terminal, or pass the new password as the second line of stdin with --new-password-stdin',
      CLIENT_EXIT.auth,
    );
  }
  if (tty) process.stderr.write('Your password was set by an administrator: choose a new one.\n');
  let asked: Awaited<ReturnType<typeof askReauth>>;
  try {
    asked = await askReauth({
      totp: login.secondFactor,
      currentPassword: login.password,
      newPassword: true,
      codePrompt: 'Your account has TOTP: the next code from the app (not the one you signed in with), or a recovery code (input hidden): ',
    });
  } catch (e) {
    await client.auth.logout().catch(() => {});
    throw e;
  }
  const next = asked.newPassword as string;
  try {
    await client.users.changeOwnPassword(login.password, next, factorOf(asked.proof));
  } catch (e) {
    // refused (a wrong or spent code, a weak password): the restricted session is of no more use
    await client.auth.logout().catch(() => {});
    throw e;
  }
  if (!login.secondFactor) return client.auth.login(login.username, next);
  // each TOTP step is accepted once: signing in again takes a later code still
  const code = await readSecretLine('Signing in with the new password: the next code from the app, or a recovery code (input hidden): ');
  if (!code) throw new CliError('the password was changed; sign in again with coffer login and a new TOTP code', CLIENT_EXIT.auth);
  return client.auth.login(login.username, next, secondFactor(code));
}

export const loginCommand: Command = clientCommand({
  name: 'login',
  summary: 'Sign in and store the session for the client commands',
  usage: loginUsage,
  options: {
    url: { type: 'string' },
    username: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'new-password-stdin': { type: 'boolean' },
    totp: { type: 'string' },
    'api-key-stdin': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const url = serverUrl(str(values, 'url'));
    const apiKey = flag(values, 'api-key-stdin');
    if (
      apiKey &&
      (values.username !== undefined || flag(values, 'password-stdin') || flag(values, 'new-password-stdin') || values.totp !== undefined)
    ) {
      throw new UsageError('--api-key-stdin signs in with a key: leave out --username, --password-stdin and --totp');
    }
    const totp = str(values, 'totp');
    if (totp !== undefined && !/^\d{6,8}$/.test(totp)) throw new UsageError('--totp takes the 6 to 8 digits shown by the authenticator');
    const file = credentialsFile();
    let pair: TokenPair;
    let client: CofferClient;
    try {
      if (apiKey) {
        const key = await readSecretLine('API key (input hidden): ');
        if (!key) throw new UsageError('no API key on stdin');
        client = createClient({ baseUrl: url, apiKey: key });
        pair = await client.auth.exchangeApiKey();
      } else {
        client = createClient({ baseUrl: url });
        const first = await passwordLogin(client, values);
        pair = first.pair.mustChangePassword ? await changeTemporaryPassword(client, first, values) : first.pair;
      }
    } catch (e) {
      if (isCofferError(e) && e.status === 401) throw new CliError(describeServerError(e), CLIENT_EXIT.auth);
      throw e;
    }
    const me = await client.auth.whoami();
    const previous = (() => {
      try {
        return readStored(file);
      } catch {
        return undefined;
      }
    })();
    await withLock(file, () =>
      writeStored(file, {
        url: client.baseUrl,
        username: me.username,
        accessToken: pair.accessToken,
        refreshToken: pair.refreshToken,
        absoluteExpiresAt: pair.absoluteExpiresAt,
      }),
    );
    // the session this one replaces should not outlive it (best effort: it may be dead already)
    if (previous && previous.refreshToken !== pair.refreshToken) {
      await createClient({ baseUrl: previous.url, token: previous.accessToken, refreshToken: previous.refreshToken, timeoutMs: 5000 })
        .auth.logout()
        .catch(() => {});
    }
    if (flag(values, 'json')) {
      outJson({ url: client.baseUrl, username: me.username, userId: me.userId, role: me.role, credentialsFile: file });
    } else {
      out(`Signed in to ${client.baseUrl} as ${me.username}. Session stored in ${file}.`);
    }
    return CLIENT_EXIT.ok;
  },
});

const logoutUsage = `Usage: coffer logout [--json]

Ends the stored session on the server and deletes the stored tokens. When the server cannot be
reached the tokens are deleted all the same, and the command fails (the session then ends by
itself when it idles out).

Options:
  --json        print {signedOut, serverSessionEnded}
  -h, --help    this help`;

export const logoutCommand: Command = clientCommand({
  name: 'logout',
  summary: 'End the stored session and delete its tokens',
  usage: logoutUsage,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const file = credentialsFile();
    const stored = readStored(file);
    const json = flag(values, 'json');
    if (!stored) {
      if (json) outJson({ signedOut: false, serverSessionEnded: false });
      else out('Not signed in.');
      return CLIENT_EXIT.ok;
    }
    let failure: unknown;
    let ended = true;
    try {
      // through the session client: an idle-expired access token is refreshed first, so the
      // refresh token is revoked too
      await openSession().client.auth.logout();
    } catch (e) {
      // 401: the session had already ended
      if (!(isCofferError(e) && e.status === 401)) {
        failure = e;
        ended = false;
      }
    }
    await withLock(file, () => deleteStored(file));
    if (failure) {
      const why = isCofferError(failure) ? describeServerError(failure) : (failure as Error).message;
      throw new CliError(`the stored tokens were deleted, but the server did not end the session: ${why}`);
    }
    if (json) outJson({ signedOut: true, serverSessionEnded: ended });
    else out(`Signed out of ${stored.url}.`);
    return CLIENT_EXIT.ok;
  },
});
