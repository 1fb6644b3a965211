// The signed-in side of the CLI: the credentials file, the SDK client built from it, and the
// mapping of SDK errors to one-line messages and exit codes. Invariants:
// - tokens live only in the credentials file (mode 0600, its directory 0700 when we create it),
//   never in argv, stdout or stderr;
// - a refresh token is single use and reusing one revokes the whole session family, so refreshes
//   are serialized across coffer processes by a lock file: a process whose refresh token was
//   already exchanged by another one adopts the stored tokens instead of sending it again;
// - the stored tokens are only ever sent to the URL stored with them (client commands take no --url).
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CofferClient, CofferError, CofferTransportError, createClient, type FetchLike, type TokenPair } from '@coffer/sdk/client';
import { CliError, type Command, env, type Values } from './cli.ts';

/** Exit codes of the client commands (the admin commands use 0, 1, 2 and audit verify's 3). */
export const CLIENT_EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  notFound: 3,
  forbidden: 4,
  auth: 5,
  conflict: 6,
  checkedOut: 7,
  approvalRequired: 8,
} as const;

export const EXIT_CODES_HELP = `Exit status: 0 done, 1 error, 2 bad usage, 3 not found (audit verify: tampering found),
4 permission denied, 5 not signed in or the session is invalid, 6 conflict or stale version,
7 checked out (in use) by someone else, 8 needs an approved access request (none yet, or waiting),
or another administrator's approval (an admin request was filed),
9 audit verify: nothing wrong found, but the MACs were not checked (no unseal material).`;

/** What `coffer login` stores. */
export interface Stored {
  url: string;
  username?: string | undefined;
  accessToken: string;
  refreshToken: string;
  absoluteExpiresAt?: string | undefined;
}

/** $COFFER_CLI_CONFIG, else $XDG_CONFIG_HOME/coffer/credentials.json, else ~/.config/coffer/credentials.json. */
export function credentialsFile(): string {
  const override = env('COFFER_CLI_CONFIG');
  if (override) return path.resolve(override);
  return path.join(env('XDG_CONFIG_HOME') ?? path.join(homedir(), '.config'), 'coffer', 'credentials.json');
}

let warnedMode = false;

/** The stored credentials, or undefined when there are none. */
export function readStored(file: string): Stored | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read the credentials file ${file}: ${(e as Error).message}`);
  }
  let v: Partial<Stored> | null;
  try {
    v = JSON.parse(text) as Partial<Stored> | null;
  } catch {
    v = null;
  }
  if (!v || typeof v.url !== 'string' || typeof v.accessToken !== 'string' || typeof v.refreshToken !== 'string') {
    throw new CliError(`the credentials file ${file} is damaged: run coffer login again`, CLIENT_EXIT.auth);
  }
  if (!warnedMode && (statSync(file).mode & 0o077) !== 0) {
    warnedMode = true;
    process.stderr.write(`warning: ${file} is readable by other users: chmod 600 it\n`);
  }
  return {
    url: v.url,
    accessToken: v.accessToken,
    refreshToken: v.refreshToken,
    ...(typeof v.username === 'string' ? { username: v.username } : {}),
    ...(typeof v.absoluteExpiresAt === 'string' ? { absoluteExpiresAt: v.absoluteExpiresAt } : {}),
  };
}

/** Creates the directory of the credentials file, 0700, when it does not exist. */
function ensureDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Replaces the credentials file atomically; the file is 0600 from its first byte. */
export function writeStored(file: string, stored: Stored): void {
  const dir = path.dirname(file);
  ensureDir(dir);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(stored, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function deleteStored(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return false;
    throw new CliError(`cannot delete the credentials file ${file}: ${(e as Error).message}`);
  }
}

const LOCK_WAIT_MS = 20_000;
const LOCK_STALE_MS = 30_000;

/** Runs `fn` holding `<file>.lock` (created exclusively; a lock older than 30 s is taken as abandoned). */
export async function withLock<T>(file: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' && !existsSync(path.dirname(file))) {
        ensureDir(path.dirname(file));
        continue;
      }
      if (code !== 'EEXIST') throw new CliError(`cannot lock ${file}: ${(e as Error).message}`);
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new CliError(`${lock} is held by another coffer process (remove it if none is running)`);
      await sleep(20 + Math.floor(Math.random() * 40));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  }
}

const isRefresh = (url: string, init: RequestInit) => init.method === 'POST' && new URL(url).pathname.endsWith('/api/v1/auth/refresh');

function refreshTokenSent(init: RequestInit): string | undefined {
  try {
    const v = JSON.parse(String(init.body)) as { refreshToken?: unknown };
    return typeof v.refreshToken === 'string' ? v.refreshToken : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends a request body that is a string or bytes as a stream of chunks, reporting the bytes handed to the
 * connection. The body must be re-readable (the SDK may send a call twice around a refresh), so
 * each call makes a new stream from the same bytes.
 */
export function countingFetch(inner: FetchLike, onUpload: (sent: number, total: number) => void): FetchLike {
  return (url, init) => {
    const raw = init.body;
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) return inner(url, init);
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const total = bytes.length;
    const CHUNK = 256 * 1024;
    let sent = 0;
    onUpload(0, total);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) {
          controller.close();
          return;
        }
        const end = Math.min(sent + CHUNK, total);
        controller.enqueue(bytes.subarray(sent, end));
        sent = end;
        onUpload(sent, total);
      },
    });
    const headers = { ...(init.headers as Record<string, string> | undefined), 'content-length': String(total) };
    return inner(url, { ...init, headers, body, duplex: 'half' } as RequestInit);
  };
}

export interface Session {
  client: CofferClient;
  file: string;
  stored: Stored;
}

/**
 * The SDK client of the signed-in user. Refreshed tokens are written back to the credentials file
 * (under the lock, see the file comment); `onUpload` reports the bytes of request bodies sent.
 */
export function openSession(opts: { onUpload?: (sent: number, total: number) => void; timeoutMs?: number } = {}): Session {
  const file = credentialsFile();
  const stored = readStored(file);
  if (!stored) throw new CliError('not signed in: run coffer login first', CLIENT_EXIT.auth);
  // refresh tokens this process has already written (so onTokens does not write a stale pair back)
  const persisted = new Set<string>();
  const base: FetchLike = (url, init) => globalThis.fetch(url, init);
  const inner = opts.onUpload ? countingFetch(base, opts.onUpload) : base;
  const fetch: FetchLike = async (url, init) => {
    if (!isRefresh(url, init)) return inner(url, init);
    return withLock(file, async () => {
      const now = readStored(file);
      if (now && now.url === stored.url && now.refreshToken !== refreshTokenSent(init)) {
        // another coffer process refreshed (or signed in) meanwhile: use its tokens
        persisted.add(now.refreshToken);
        const pair: TokenPair = {
          accessToken: now.accessToken,
          refreshToken: now.refreshToken,
          tokenType: 'Bearer',
          expiresIn: 0,
          absoluteExpiresAt: now.absoluteExpiresAt ?? new Date().toISOString(),
        };
        return new Response(JSON.stringify(pair), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const res = await base(url, init);
      if (!res.ok || !now) return res;
      const text = await res.text();
      try {
        const pair = JSON.parse(text) as TokenPair;
        if (typeof pair.accessToken === 'string' && typeof pair.refreshToken === 'string') {
          writeStored(file, {
            ...now,
            accessToken: pair.accessToken,
            refreshToken: pair.refreshToken,
            absoluteExpiresAt: pair.absoluteExpiresAt,
          });
          persisted.add(pair.refreshToken);
        }
      } catch {
        // not a token pair: the SDK reports it
      }
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    });
  };
  const client = createClient({
    baseUrl: stored.url,
    token: stored.accessToken,
    refreshToken: stored.refreshToken,
    fetch,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    onTokens: async (pair) => {
      if (persisted.has(pair.refreshToken)) return;
      await withLock(file, () => {
        const now = readStored(file) ?? stored;
        writeStored(file, {
          ...now,
          accessToken: pair.accessToken,
          refreshToken: pair.refreshToken,
          absoluteExpiresAt: pair.absoluteExpiresAt,
        });
        persisted.add(pair.refreshToken);
      });
    },
  });
  return { client, file, stored };
}

/** The exit code for an error answer of the server. */
export function exitFor(status: number): number {
  if (status === 404) return CLIENT_EXIT.notFound;
  if (status === 403) return CLIENT_EXIT.forbidden;
  if (status === 401) return CLIENT_EXIT.auth;
  if (status === 409 || status === 412) return CLIENT_EXIT.conflict;
  return CLIENT_EXIT.error;
}

/** `<message> (<code>, request <id>)` from a server error; the SDK's `(code, HTTP n)` suffix is dropped. */
export function describeServerError(e: CofferError): string {
  const suffix = ` (${e.code}, HTTP ${e.status})`;
  let message = e.message.endsWith(suffix) ? e.message.slice(0, -suffix.length) : e.message;
  // which parts of the request were refused (paths and rules, never the values sent)
  if (e.details?.length && e.code !== 'secret.checked_out')
    message = `${message} ${e.details.map((d) => `${d.path}: ${d.message}`).join('; ')}`;
  if (e.status === 401 && e.code !== 'auth.invalid_credentials' && e.code !== 'auth.mfa_required') {
    message = `${message} Sign in again with coffer login.`;
  }
  return `${message} (${e.code}, request ${e.requestId})`;
}

/** SDK errors as CliErrors with the exit code of their status; `subject` (a path) prefixes the message. */
export function asCliError(e: unknown, subject?: string): unknown {
  const prefix = subject ? `${subject}: ` : '';
  if (e instanceof CofferError) {
    if (e.code === 'secret.approval_required') {
      // the server's message is for every client; the CLI says which command asks for access
      const what = subject ?? 'PATH';
      return new CliError(
        `${prefix}this needs an approved access request: coffer request ${what} --reason R (${e.code}, request ${e.requestId})`,
        CLIENT_EXIT.approvalRequired,
      );
    }
    const code = e.code === 'secret.checked_out' ? CLIENT_EXIT.checkedOut : exitFor(e.status);
    return new CliError(`${prefix}${describeServerError(e)}`, code);
  }
  if (e instanceof CofferTransportError) return new CliError(`${prefix}${e.message}`, CLIENT_EXIT.error);
  return e;
}

/** Awaits `p`; an SDK error is reported about `subject` (e.g. the path that was being resolved). */
export async function about<T>(subject: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw asCliError(e, subject);
  }
}

/** A command whose SDK errors become one-line messages with the exit codes above. */
export function clientCommand(c: Command): Command {
  return {
    ...c,
    async run(args) {
      try {
        return await c.run(args);
      } catch (e) {
        throw asCliError(e);
      }
    },
  };
}

/** The values of a repeatable string option. */
export const strList = (values: Values, name: string): string[] => {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
};

const MAX_STDIN = 1024 * 1024;

/** All of stdin (a pipe or a file) as text, without one trailing line break. */
export function readAllStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stdin = process.stdin;
    stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_STDIN) {
        stdin.destroy();
        reject(new CliError('stdin holds more than 1 MiB'));
        return;
      }
      chunks.push(c);
    });
    stdin.on('end', () =>
      resolve(
        Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r?\n$/, ''),
      ),
    );
    stdin.on('error', (e) => reject(new CliError(`cannot read stdin: ${e.message}`)));
  });
}
