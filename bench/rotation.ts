// Remote rotation throughput (issue 14): the real server (a child process) rotates 50 secrets at
// once — PostgreSQL roles (through the superuser) and Linux passwords on a local sshd the bench
// starts on a loopback port (through root's key) — for a few rounds, over the native API.
// Prints rotations per second and p50/p95 per rotation for each kind; checks at the end that every
// target has the vault's current password. Talks to 127.0.0.1 only.
//   BENCH_ROTATION_SECRETS=50 BENCH_ROTATION_ROUNDS=4 node bench/rotation.ts
//   BENCH_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?schema=benchrot' node bench/rotation.ts   (the schema is dropped after)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { scramVerifier, verifierMatches } from '../packages/server/src/modules/rotation/connectors/scram.ts';
import { dropSchema, PG_URL } from '../packages/server/test/harness.ts';
import { api, loginAs, newUser, startNode } from '../packages/server/test/server-process.ts';
import { startSshd } from '../packages/server/test/sshd.ts';

const N = Number(process.env.BENCH_ROTATION_SECRETS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROTATION_ROUNDS ?? 4);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function pgq(text: string, values: unknown[] = []) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query(text, values)).rows;
  } finally {
    await c.end();
  }
}

// `npm run bench` runs this after bench/run.ts: skipped when BENCH_SCENARIOS names others only
const only = (process.env.BENCH_SCENARIOS ?? '')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean);
if (only.length && !only.includes('rotation')) {
  console.log('remote rotation: not in BENCH_SCENARIOS, skipped');
  process.exit(0);
}

const dir = mkdtempSync(path.join(tmpdir(), 'coffer-bench-rotation-'));
const sshd = await startSshd();
const roles: string[] = [];
const node = await startNode({
  COFFER_DATA_DIR: dir,
  COFFER_DATABASE_URL: databaseUrl ?? `sqlite:${path.join(dir, 'coffer.db')}`,
  COFFER_ADMIN_PASSWORD: 'bench-rotation-admin-1',
});
try {
  const admin = await loginAs(node.base, 'admin', 'bench-rotation-admin-1');
  const owner = await newUser(node.base, admin, 'password_administrator');
  const token = await loginAs(node.base, owner.username, owner.password);
  const must = async (method: string, url: string, body?: unknown) => {
    const r = await api(node.base, method, url, token, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.raw}`);
    return r.body;
  };
  const vault = await must('POST', '/api/v1/vaults', { name: 'bench' });
  const secret = (template: string, name: string, fields: Record<string, string>) =>
    must('POST', '/api/v1/secrets', { vaultId: vault.id, template, name, fields });
  const su = await secret('database-account', 'su', { host: '127.0.0.1', username: new URL(PG_URL).username || 'postgres', password: 'x' });
  const root = await secret('ssh-key', 'root', { host: '127.0.0.1', username: 'root', 'private-key': sshd.rootKey });
  const kinds: Record<string, string[]> = { postgres: [], ssh: [] };
  for (let i = 0; i < N; i++) {
    const pw = `Pw-${randomBytes(12).toString('base64url')}`;
    if (i % 2 === 0) {
      const role = `coffer_b_${randomBytes(5).toString('hex')}`;
      roles.push(role);
      await pgq(`create role "${role}" login password '${scramVerifier(pw)}'`);
      const s = await secret('database-account', role, { host: '127.0.0.1', username: role, password: pw });
      await must('PUT', `/api/v1/secrets/${s.id}/rotation-target`, { kind: 'postgres', host: '127.0.0.1', privilegedSecretId: su.id });
      kinds.postgres?.push(s.id);
    } else {
      const user = sshd.user(pw);
      const s = await secret('unix-account', user, { host: '127.0.0.1', username: user, password: pw });
      await must('PUT', `/api/v1/secrets/${s.id}/rotation-target`, {
        kind: 'ssh',
        host: '127.0.0.1',
        port: sshd.port,
        privilegedSecretId: root.id,
      });
      kinds.ssh?.push(s.id);
    }
  }
  const all = [...(kinds.postgres ?? []), ...(kinds.ssh ?? [])];
  const kindOf = new Map(Object.entries(kinds).flatMap(([k, ids]) => ids.map((id) => [id, k] as const)));
  const times: Record<string, number[]> = { postgres: [], ssh: [] };
  let failed = 0;
  const started = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      all.map(async (id) => {
        const t0 = performance.now();
        const r = await api(node.base, 'POST', `/api/v1/secrets/${id}/rotate`, token, {});
        if (r.status !== 200) failed++;
        else times[kindOf.get(id) as string]?.push(performance.now() - t0);
      }),
    );
  }
  const seconds = (Date.now() - started) / 1000;
  // every target has the vault's current password
  let wrong = 0;
  for (const id of kinds.postgres ?? []) {
    const s = await must('POST', `/api/v1/secrets/${id}/reveal`, {});
    const [row] = await pgq('select rolpassword from pg_authid where rolname = $1', [
      s.username ?? (await must('GET', `/api/v1/secrets/${id}`)).username,
    ]);
    if (!verifierMatches(row?.rolpassword ?? null, s.values.password)) wrong++;
  }
  for (const id of kinds.ssh ?? []) {
    const v = await must('POST', `/api/v1/secrets/${id}/rotation/verify`);
    if (v.status !== 'ok') wrong++;
  }
  const total = all.length * ROUNDS;
  console.log(
    `${databaseUrl ? 'postgres' : 'sqlite'} store: ${total} rotations of ${all.length} secrets (${ROUNDS} rounds, ${all.length} at once) in ${seconds.toFixed(1)} s = ${(total / seconds).toFixed(1)} rotations/s; failed ${failed}; targets not matching the vault ${wrong}`,
  );
  for (const [k, xs] of Object.entries(times)) {
    if (xs.length)
      console.log(
        `  ${k}: ${xs.length} rotations, p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`,
      );
  }
  process.exitCode = failed || wrong ? 1 : 0;
} finally {
  await node.stop();
  sshd.close();
  for (const r of roles) await pgq(`drop role if exists "${r}"`);
  const schema = databaseUrl ? new URL(databaseUrl).searchParams.get('schema') : null;
  if (schema) await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
}
