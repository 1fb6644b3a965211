// A second, throwaway PostgreSQL for the PostgreSQL connector tests whose pg_hba asks for a
// password: the shared test server (127.0.0.1:5432) trusts loopback, so a login there proves
// nothing and a self-change with a wrong current password gets in. Like test/sshd.ts: Debian's
// binaries (initdb, pg_ctl of the installed major version), a temporary data directory, a free
// loopback port, `scram-sha-256` for every TCP login; never the system's cluster or its pg_hba.
// initdb refuses to run as root, so under root (CI) the cluster runs as the `postgres` user.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './server-process.ts';

export interface ScramPostgres {
  port: number;
  /** With `tls`: the PEM of the CA that signed the server's certificate (SAN IP 127.0.0.1). */
  caPem?: string;
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

/** A throwaway CA (its PEM) and, with `server`, a certificate for 127.0.0.1 signed by it, made by openssl. */
export function makeCa(dir: string, name: string, server?: { cert: string; key: string }): string {
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const caKey = path.join(dir, `${name}-ca.key`);
  const caCert = path.join(dir, `${name}-ca.pem`);
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${name} test CA`]);
  if (server) {
    const csr = path.join(dir, `${name}.csr`);
    const ext = path.join(dir, `${name}.ext`);
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', server.key, '-out', csr, '-subj', '/CN=127.0.0.1']);
    ssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      server.cert,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
  }
  return readFileSync(caCert, 'utf8');
}

/**
 * `tls`: the cluster also has ssl=on with a certificate from a CA made here, and its pg_hba takes
 * TCP logins over TLS only (`hostssl`): a plain connection is refused.
 */
export async function startScramPostgres(opts: { tls?: boolean } = {}): Promise<ScramPostgres> {
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
  let options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c shared_buffers=16MB -c max_connections=40`;
  let caPem: string | undefined;
  if (opts.tls) {
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    caPem = makeCa(dir, 'pg', { cert, key });
    chmodSync(key, 0o600);
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(cert, uid, gid);
      chownSync(key, uid, gid);
    }
    // TCP logins over TLS only
    const hba = path.join(data, 'pg_hba.conf');
    writeFileSync(hba, 'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
    if (asRoot)
      chownSync(
        hba,
        Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
        Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
      );
    options += ` -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`;
  }
  run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  return {
    port,
    ...(caPem ? { caPem } : {}),
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
