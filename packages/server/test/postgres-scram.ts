// A second, throwaway PostgreSQL for the PostgreSQL connector tests whose pg_hba asks for a
// password: the shared test server (127.0.0.1:5432) trusts loopback, so a login there proves
// nothing and a self-change with a wrong current password gets in. Like test/sshd.ts: Debian's
// binaries (initdb, pg_ctl of the installed major version), a temporary data directory, a free
// loopback port, `scram-sha-256` for every TCP login; never the system's cluster or its pg_hba.
// initdb refuses to run as root, so under root (CI) the cluster runs as the `postgres` user.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './server-process.ts';

export interface ScramPostgres {
  port: number;
  /** The cluster's superuser (`postgres`) and its password. */
  superuser: { username: string; password: string };
  close(): void;
}

/** The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const major = majors[0];
  if (!major) throw new Error('initdb not found under /usr/lib/postgresql (Debian package postgresql; .ci/run installs it)');
  return path.join(root, major, 'bin');
}

export async function startScramPostgres(): Promise<ScramPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-pg-scram-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const password = `Su-${randomBytes(12).toString('base64url')}`;
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    `--pwfile=${pwfile}`,
    '--auth-local=scram-sha-256',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
  ]);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c shared_buffers=16MB -c max_connections=40`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  return {
    port,
    superuser: { username: 'postgres', password },
    close() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
