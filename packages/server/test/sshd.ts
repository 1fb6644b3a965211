// A real OpenSSH server for the SSH connector tests: Debian's /usr/sbin/sshd on a free loopback
// port with its own temporary configuration and host key (never the system's service or port
// 22), root reachable only with a test key (AuthorizedKeysFile in the temporary directory), and
// throwaway Unix users made with useradd (the tests run as root) and removed afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';

const { utils } = ssh2;

import { freePort } from './server-process.ts';

export interface Sshd {
  port: number;
  /** root's private key (OpenSSH), authorized for this server only. */
  rootKey: string;
  /** `SHA256:` fingerprint of the server's host key. */
  hostKey: string;
  /** A new Unix user with this password; removed by close(). */
  user(password: string): string;
  close(): void;
}

function sshdUsable(): void {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

export async function startSshd(): Promise<Sshd> {
  sshdUsable();
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-sshd-'));
  const port = await freePort();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  const hostKey = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'host_key.pub')])
    .toString()
    .split(' ')[1] as string;
  const root = utils.generateKeyPairSync('ed25519');
  mkdirSync(path.join(dir, 'keys'));
  writeFileSync(path.join(dir, 'keys', 'root'), `${root.public}\n`, { mode: 0o600 });
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'keys')}/%u .ssh/authorized_keys`,
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'PrintMotd no',
      'LogLevel ERROR',
      'MaxStartups 500',
      'MaxSessions 100',
      'MaxAuthTries 20',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`sshd did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const users: string[] = [];
  return {
    port,
    rootKey: root.private,
    hostKey,
    user(password: string) {
      const name = `ct${randomBytes(5).toString('hex')}`;
      execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
      users.push(name);
      execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
      return name;
    },
    close() {
      child.kill('SIGTERM');
      for (const u of users) {
        try {
          execFileSync('userdel', ['-r', u], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
