// The server process under a supervisor: one server per SQLite store (a lock that survives kill -9
// as stale), PostgreSQL nodes unaffected, the store commands of the CLI, and signals that reach
// the server through `npm start` and end it cleanly.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { dropSchema, PG_URL } from '../test/harness.ts';
import { CLI_MAIN, freePort, healthy, isAlive, type Proc, REPO_ROOT, spawnProc, startServer, until } from '../test/server-process.ts';

const lockOf = (dir: string) => path.join(dir, 'coffer.db.lock');
const holderPid = (dir: string) => (JSON.parse(readFileSync(lockOf(dir), 'utf8')) as { pid: number }).pid;
const ADMIN_PASSWORD = 'lifecycle-admin-password-1';

describe('server process lifecycle', () => {
  const dirs: string[] = [];
  const procs: Proc[] = [];
  const pids: number[] = [];
  const newDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'coffer-life-'));
    dirs.push(d);
    return d;
  };
  const track = (p: Proc) => {
    procs.push(p);
    return p;
  };
  after(() => {
    for (const p of procs) if (p.child.pid && isAlive(p.child.pid)) p.child.kill('SIGKILL');
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a second server on the same SQLite store with a clear message; a lock left by kill -9 is taken over', async () => {
    const dir = newDir();
    const port = await freePort();
    const s1 = track(startServer({ COFFER_DATA_DIR: dir, COFFER_PORT: String(port), COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD }));
    await healthy(port);
    assert.equal(holderPid(dir), s1.child.pid);

    const s2 = track(startServer({ COFFER_DATA_DIR: dir, COFFER_PORT: String(await freePort()) }));
    assert.equal(await s2.exited, 3, s2.out());
    assert.match(
      s2.out(),
      new RegExp(
        `^coffer: A Coffer server \\(pid ${s1.child.pid}, since [^)]+\\) is using the store ${path.join(dir, 'coffer.db')}\\. Only one process`,
      ),
    );
    // the same store reached through another data directory is the same store
    const other = newDir();
    const s3 = track(
      startServer({
        COFFER_DATA_DIR: other,
        COFFER_DATABASE_URL: `sqlite:${path.join(dir, 'coffer.db')}`,
        COFFER_PORT: String(await freePort()),
      }),
    );
    assert.equal(await s3.exited, 3, s3.out());
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, 'the running server is untouched');

    // the store commands: init and migrate are refused while the server runs, verify may read
    const cli = (args: string[]) => spawnProc(process.execPath, [CLI_MAIN, ...args], { COFFER_DATA_DIR: dir });
    const migrate = cli(['migrate']);
    assert.equal(await migrate.exited, 1, migrate.out());
    assert.match(migrate.out(), /^error: A Coffer server \(pid \d+, since .*\) is using the store/);
    const verify = cli(['audit', 'verify']);
    assert.equal(await verify.exited, 0, verify.out());
    assert.equal(holderPid(dir), s1.child.pid, 'the refused commands left the lock alone');

    s1.child.kill('SIGKILL');
    await s1.exited;
    assert.ok(existsSync(lockOf(dir)), 'kill -9 leaves its lock behind');
    const s4 = track(startServer({ COFFER_DATA_DIR: dir, COFFER_PORT: String(port) }));
    await healthy(port);
    assert.equal(holderPid(dir), s4.child.pid, 'the stale lock was taken over');

    // SIGTERM of the real process: a clean end, the lock released, the store closed
    s4.child.kill('SIGTERM');
    assert.equal(await s4.exited, 0, s4.out());
    assert.match(s4.out(), /"signal":"SIGTERM","msg":"shutting down"/);
    assert.ok(!existsSync(lockOf(dir)), 'a clean shutdown removes the lock');
    assert.ok(!existsSync(path.join(dir, 'coffer.db-wal')), 'the database was closed (write-ahead log folded in)');
    const migrated = cli(['migrate']);
    assert.equal(await migrated.exited, 0, migrated.out());
    assert.ok(!existsSync(lockOf(dir)), 'migrate released its lock');
  });

  it('does not lock PostgreSQL stores: two nodes run on one database', async () => {
    const dir = newDir();
    const schema = `life_${Date.now().toString(36)}`;
    const env = { COFFER_DATA_DIR: dir, COFFER_DATABASE_URL: `${PG_URL}?schema=${schema}`, COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD };
    const [p1, p2] = [await freePort(), await freePort()];
    const n1 = track(startServer({ ...env, COFFER_PORT: String(p1) }));
    try {
      await healthy(p1);
      const n2 = track(startServer({ ...env, COFFER_PORT: String(p2) }));
      await healthy(p2);
      assert.ok(!existsSync(lockOf(dir)));
      n2.child.kill('SIGTERM');
      assert.equal(await n2.exited, 0);
    } finally {
      n1.child.kill('SIGTERM');
      await n1.exited;
      await dropSchema(schema);
    }
  });

  for (const how of ['SIGTERM to npm', 'SIGINT to the process group'] as const) {
    it(`npm start: ${how} reaches the server, which shuts down cleanly`, async () => {
      const dir = newDir();
      const port = await freePort();
      // detached: npm leads its own process group, as under a supervisor or a terminal
      const npm = track(
        spawnProc(
          'npm',
          ['start'],
          { COFFER_DATA_DIR: dir, COFFER_PORT: String(port), COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD },
          { cwd: REPO_ROOT, detached: true },
        ),
      );
      await healthy(port);
      const server = holderPid(dir);
      pids.push(server);
      assert.notEqual(server, npm.child.pid, 'the server is a child of npm');
      if (how === 'SIGTERM to npm') process.kill(npm.child.pid as number, 'SIGTERM');
      else process.kill(-(npm.child.pid as number), 'SIGINT');
      await until('the server process to end', () => !isAlive(server));
      await npm.exited;
      const signal = how === 'SIGTERM to npm' ? 'SIGTERM' : 'SIGINT';
      assert.match(npm.out(), new RegExp(`"signal":"${signal}","msg":"shutting down"`), npm.out());
      assert.ok(!existsSync(lockOf(dir)), 'the server ended cleanly (its lock released), not killed');
    });
  }
});
