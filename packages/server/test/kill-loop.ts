// The kill -9 loop of remote rotation (issue 14): a real Coffer server process rotates a real
// PostgreSQL role's password through a TCP proxy (test/tcp-proxy.ts) and is killed with SIGKILL at
// a chosen step — while its change waits on the target, right after the target took the new
// password, after `changed` was recorded (its verify waits), around `verified`, or at a random
// moment. A new process is started on the same store; its reconciler must settle the entry, and
// the vault's current password must be the one the target has (a lockout otherwise). Used by
// kill9.test.ts (a few runs) and bench/rotation-kill9.ts (hundreds).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Dialect } from '../src/db/database.ts';
import { scramVerifier, verifierMatches } from '../src/modules/rotation/connectors/scram.ts';
import { dropSchema, PG_URL } from './harness.ts';
import { api, loginAs, newUser, type ServerProcess, startNode } from './server-process.ts';
import { startProxy } from './tcp-proxy.ts';

export const KILL_POINTS = ['begin', 'change_landed', 'changed', 'verified', 'random'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

export interface KillLoopResult {
  dialect: Dialect;
  runs: number;
  /** Journal state of the rotation when the process died ('none': not begun yet). */
  stateAtKill: Record<string, number>;
  /** How the reconciler settled the entries. */
  settled: Record<string, number>;
  unsettled: number;
  lockouts: number;
  /** Kill to settled, ms (restart included). */
  settleMs: number[];
  /** Kill to the restarted server answering /health, ms. */
  restartMs: number[];
  seconds: number;
}

const ADMIN_PASSWORD = 'kill9-admin-pw-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function pgQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** Reads the journal of the store while the server runs (SQLite file read-only, or the PG schema). */
function journalReader(dialect: Dialect, file: string, schema: string) {
  if (dialect === 'sqlite') {
    let db: DatabaseSync | undefined;
    const q = (sqlText: string, ...args: string[]) => {
      db ??= new DatabaseSync(file, { readOnly: true });
      return db.prepare(sqlText).all(...args) as Array<Record<string, unknown>>;
    };
    return {
      latest: async (secretId: string) =>
        (q('select state from rotation_journal where secret_id = ? order by created_at desc, id desc limit 1', secretId)[0]
          ?.state as string) ?? 'none',
      open: async (secretId: string) =>
        Number(q('select count(*) as n from rotation_journal where secret_id = ? and active = 1', secretId)[0]?.n),
      close: () => db?.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path="${schema}"` });
  return {
    latest: async (secretId: string) =>
      ((await pool.query('select state from rotation_journal where secret_id = $1 order by created_at desc, id desc limit 1', [secretId]))
        .rows[0]?.state as string) ?? 'none',
    open: async (secretId: string) =>
      Number((await pool.query('select count(*) as n from rotation_journal where secret_id = $1 and active = 1', [secretId])).rows[0]?.n),
    close: () => void pool.end(),
  };
}

export async function killLoop(opts: { dialect: Dialect; runs: number; log?: (line: string) => void }): Promise<KillLoopResult> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'coffer-kill9-'));
  const schema = `k9_${randomBytes(5).toString('hex')}`;
  const databaseUrl = opts.dialect === 'sqlite' ? `sqlite:${path.join(dir, 'coffer.db')}` : `${PG_URL}?schema=${schema}`;
  const pgPort = Number(new URL(PG_URL).port || 5432);
  const superuser = new URL(PG_URL).username || 'postgres';
  const proxy = await startProxy(pgPort);
  const role = `coffer_k9_${randomBytes(5).toString('hex')}`;
  const p0 = `Pw-${randomBytes(12).toString('base64url')}`;
  await pgQuery(`create role "${role}" login password '${scramVerifier(p0)}'`);
  const verifierOf = async () =>
    (await pgQuery<{ rolpassword: string }>('select rolpassword from pg_authid where rolname = $1', [role]))[0]?.rolpassword ?? '';
  const env = {
    COFFER_DATA_DIR: dir,
    COFFER_DATABASE_URL: databaseUrl,
    COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD,
    COFFER_ROTATION_LEASE_MS: '1500',
    COFFER_ROTATION_SWEEP_MS: '1000',
  };
  const result: KillLoopResult = {
    dialect: opts.dialect,
    runs: 0,
    stateAtKill: {},
    settled: {},
    unsettled: 0,
    lockouts: 0,
    settleMs: [],
    restartMs: [],
    seconds: 0,
  };
  let node: ServerProcess = await startNode(env);
  const journal = journalReader(opts.dialect, path.join(dir, 'coffer.db'), schema);
  try {
    const admin = await loginAs(node.base, 'admin', ADMIN_PASSWORD);
    const owner = await newUser(node.base, admin, 'password_administrator');
    const token = await loginAs(node.base, owner.username, owner.password);
    const must = async (method: string, url: string, body?: unknown) => {
      const r = await api(node.base, method, url, token, body);
      if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.raw}`);
      return r.body;
    };
    const vault = await must('POST', '/api/v1/vaults', { name: 'kill9' });
    const fields = (username: string, password: string) => ({ host: '127.0.0.1', username, password });
    const su = await must('POST', '/api/v1/secrets', {
      vaultId: vault.id,
      template: 'database-account',
      name: 'su',
      fields: fields(superuser, 'trusted'),
    });
    const sec = await must('POST', '/api/v1/secrets', {
      vaultId: vault.id,
      template: 'database-account',
      name: role,
      fields: fields(role, p0),
    });
    await must('PUT', `/api/v1/secrets/${sec.id}/rotation-target`, {
      kind: 'postgres',
      host: '127.0.0.1',
      port: proxy.port,
      privilegedSecretId: su.id,
    });

    /**
     * Kills between `verified` and the promotion. PostgreSQL: with the verify held at the proxy and
     * the secret row locked by the test (the promotion's first lock; recording `verified` takes
     * none on it), the held verify is dropped: the process asks again, records `verified`, and
     * waits on the row lock for its promotion. SQLite has one writer: by timing only.
     */
    let rowLock: pg.Client | undefined;
    async function stopAtVerified(secretId: string) {
      if (opts.dialect !== 'postgres') {
        await until('verified recorded', async () => ['verified', 'done'].includes(await journal.latest(secretId)), 20_000, 1);
        return;
      }
      await until('the verify held at the target', async () => proxy.held() >= 1 && (await journal.latest(secretId)) === 'changed');
      rowLock = new pg.Client({ connectionString: PG_URL, options: `-c search_path="${schema}"` });
      await rowLock.connect();
      await rowLock.query('begin');
      await rowLock.query('select id from secrets where id = $1 for update', [secretId]);
      proxy.release();
      await until('verified recorded', async () => (await journal.latest(secretId)) === 'verified');
    }

    for (let i = 0; i < opts.runs; i++) {
      const point: KillPoint = KILL_POINTS[i % KILL_POINTS.length] as KillPoint;
      const v0 = await verifierOf();
      // connection 1 is the change (as the privileged account), 2 the verify of the new password
      if (point === 'begin') proxy.holdFrom(1);
      else if (point === 'change_landed' || point === 'changed' || (point === 'verified' && opts.dialect === 'postgres')) proxy.holdFrom(2);
      else proxy.holdFrom(Number.POSITIVE_INFINITY);
      void api(node.base, 'POST', `/api/v1/secrets/${sec.id}/rotate`, token, {}).catch(() => null);
      if (point === 'begin') await until('the change held at the target', () => proxy.held() >= 1);
      else if (point === 'change_landed') await until('the target has the new password', async () => (await verifierOf()) !== v0);
      else if (point === 'changed') await until('changed recorded', async () => (await journal.latest(sec.id)) === 'changed');
      else if (point === 'verified') await stopAtVerified(sec.id);
      else await sleep(Math.floor(Math.random() * 400));
      node.child.kill('SIGKILL');
      await node.exited;
      await rowLock?.end();
      rowLock = undefined;
      const atKill = await journal.latest(sec.id);
      result.stateAtKill[`${point}:${atKill}`] = (result.stateAtKill[`${point}:${atKill}`] ?? 0) + 1;
      proxy.release();
      const killedAt = Date.now();
      node = await startNode(env);
      result.restartMs.push(Date.now() - killedAt);
      try {
        await until('the reconciler settled the entry', async () => (await journal.open(sec.id)) === 0, 60_000, 50);
      } catch {
        result.unsettled++;
      }
      result.settleMs.push(Date.now() - killedAt);
      const last = await journal.latest(sec.id);
      result.settled[last] = (result.settled[last] ?? 0) + 1;
      const reveal = await api(node.base, 'POST', `/api/v1/secrets/${sec.id}/reveal`, token, {});
      const current = reveal.body?.values?.password as string | undefined;
      const ok = current !== undefined && verifierMatches(await verifierOf(), current);
      if (!ok) result.lockouts++;
      result.runs++;
      opts.log?.(
        `${opts.dialect} run ${i + 1}/${opts.runs}: killed at ${point} (${atKill}), settled ${last}, ${ok ? 'password logs in' : 'LOCKOUT'}`,
      );
    }
  } finally {
    await node.stop();
    journal.close();
    await proxy.close();
    await pgQuery(`drop role if exists "${role}"`);
    if (opts.dialect === 'postgres') await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }
  result.seconds = Math.round((Date.now() - started) / 1000);
  return result;
}
