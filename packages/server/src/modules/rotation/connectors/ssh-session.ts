// SSH sessions for the SSH connectors (ssh2, pure JS: its optional native `cpu-features` addon is
// never built — package.json denies its install script — and ssh2 loads it in a try/catch).
// The host key is pinned on first use and checked on every later connection; commands are fixed
// strings and everything secret goes through stdin (never a process argument on the target).
import { createHash } from 'node:crypto';
import ssh2, { type ClientChannel, type ConnectConfig, type Client as SshClient } from 'ssh2';

const { Client } = ssh2;

import { ConnectorError, type Credential, type Endpoint } from '../connector.ts';

/** `SHA256:<base64 without padding>` of a host key, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Account names that are safe to write into chpasswd's input and a script's argument. */
export function checkUsername(name: string): void {
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(name)) throw new ConnectorError('failed', 'The account name is not a valid Unix user name.');
}

/** A secret written to a line-based input must be one line. */
export function checkOneLine(secret: string): void {
  if (/[\r\n\0]/.test(secret)) throw new ConnectorError('failed', 'The new password contains a line break or NUL.');
}

export interface Session {
  client: SshClient;
  /** The host key seen (to pin it when none was pinned). */
  hostKey: string;
}

/**
 * Logs in. Rejects with `refused` (the server refused the credential), `host_key_mismatch` (the
 * pinned key differs: nothing is sent), or `unreachable`/`timeout`.
 */
export function connect(ep: Endpoint, cred: Credential): Promise<Session> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen = '';
    let mismatch = false;
    const cfg: ConnectConfig = {
      host: ep.address,
      port: ep.port,
      username: cred.username,
      readyTimeout: ep.timeoutMs,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        seen = fingerprint(key);
        if (ep.hostKey && ep.hostKey !== seen) {
          mismatch = true;
          return false;
        }
        return true;
      },
      ...(cred.type === 'key' ? { privateKey: cred.secret } : { password: cred.secret }),
    };
    client.on('ready', () => resolve({ client, hostKey: seen }));
    client.on('error', (err: Error & { level?: string }) => {
      client.end();
      if (mismatch) reject(new ConnectorError('host_key_mismatch', 'The SSH host key differs from the pinned one.'));
      else if (err.level === 'client-authentication') reject(new ConnectorError('refused', 'The SSH server refused the login.'));
      else if (err.level === 'client-timeout') reject(new ConnectorError('timeout', 'The SSH server did not answer in time.'));
      else reject(new ConnectorError('unreachable', 'The SSH server could not be reached.'));
    });
    try {
      client.connect(cfg);
    } catch {
      reject(new ConnectorError('failed', 'The SSH connection could not be set up (a malformed key?).'));
    }
  });
}

/** Runs a fixed command, writes `input` to its stdin, and resolves with its exit code and (bounded) stdout. */
export function exec(
  s: Session,
  command: string,
  input: string,
  opts: { pty?: boolean } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    s.client.exec(command, opts.pty ? { pty: true } : {}, (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(new ConnectorError('failed', 'The SSH server refused to run the command.'));
      let out = '';
      let code: number | null = null;
      ch.on('data', (d: Buffer) => {
        if (out.length < 8192) out += d.toString('utf8');
      });
      ch.stderr.on('data', () => {});
      ch.on('exit', (c: number | null) => {
        code = c;
      });
      ch.on('close', () => resolve({ code, out }));
      ch.end(input);
    });
  });
}

/**
 * Runs an interactive command on a pseudo-terminal and answers its prompts in order: each answer
 * is written when the output so far ends with its prompt. Resolves with the exit code.
 */
export function converse(s: Session, command: string, answers: Array<{ prompt: RegExp; reply: string }>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    s.client.exec(command, { pty: { term: 'dumb', rows: 24, cols: 200 } }, (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(new ConnectorError('failed', 'The SSH server refused to run the command.'));
      let pending = '';
      let next = 0;
      let code: number | null = null;
      ch.on('data', (d: Buffer) => {
        pending = (pending + d.toString('utf8')).slice(-2000);
        const a = answers[next];
        if (a?.prompt.test(pending)) {
          next++;
          pending = '';
          ch.write(`${a.reply}\n`);
        }
      });
      ch.stderr.on('data', () => {});
      ch.on('exit', (c: number | null) => {
        code = c;
      });
      ch.on('close', () => resolve(next === answers.length ? code : -1));
    });
  });
}

/** Opens a session, runs `fn`, always closes it. */
export async function withSession<T>(ep: Endpoint, cred: Credential, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await connect(ep, cred);
  try {
    return await fn(s);
  } finally {
    s.client.end();
  }
}
