// The floor: the least a reveal with Coffer's guarantees can cost on this machine, written as
// directly as Node allows — Fastify without hooks or schemas, node:sqlite prepared statements,
// no query builder, no services. It answers "how far is Coffer from the minimum", which a ratio
// against a bare `GET /whoami` alone cannot. Started by run.ts as a child process (scenario `floor`).
//
// Per request it does what a reveal cannot skip:
//   1. authentication: an API key looked up by its keyed hash (HMAC-SHA-256 with a server pepper);
//   2. authorization over the folder tree: the highest grant of the user or one of their groups on
//      the secret's folder or an ancestor (closure table, the same shape as Coffer's tree_paths);
//   3. the values: read and AES-256-GCM-decrypted, each bound to (secret, field) as associated data;
//   4. an audit record, hash-chained to the one before, committed durably (WAL, synchronous=FULL)
//      before the answer; concurrent requests share a commit (group commit, as in Coffer).
// What it leaves out compared with Coffer: the folder policy chain (reason, workflow gate), key
// terms and keyring reloads, request ids, security headers, input/output schemas, the error
// envelope, API-key expiry/CIDR/IP checks, idle-session bookkeeping. So it is a lower bound, not a
// competitor: Coffer has to do more than this.
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import Fastify from 'fastify';

const port = Number(process.env.BENCH_PORT);
const token = process.env.BENCH_FLOOR_TOKEN ?? '';
const secretsCount = Number(process.env.BENCH_FLOOR_SECRETS ?? 1000);
if (!Number.isInteger(port) || port <= 0 || !/^[A-Za-z0-9_-]{20,200}$/.test(token) || !Number.isInteger(secretsCount)) {
  process.stderr.write('floor-server: BENCH_PORT, BENCH_FLOOR_TOKEN and BENCH_FLOOR_SECRETS must be set\n');
  process.exit(2);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-floor-'));
const db = new DatabaseSync(path.join(dir, 'floor.db'));
db.exec('PRAGMA journal_mode = WAL');
// FULL as in Coffer; BENCH_FLOOR_SYNCHRONOUS=NORMAL (no fsync per commit) only shows what durability costs
const synchronous = process.env.BENCH_FLOOR_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';
db.exec(`PRAGMA synchronous = ${synchronous}`);
db.exec(`
  create table users (id text primary key, username text not null, disabled integer not null);
  create table api_keys (hash blob primary key, user_id text not null, expires_at integer) without rowid;
  create table group_members (user_id text not null, group_id text not null, primary key (user_id, group_id)) without rowid;
  create table tree_paths (descendant text not null, ancestor text not null, depth integer not null, primary key (descendant, ancestor)) without rowid;
  create table grants (node_id text not null, principal_id text not null, level integer not null, primary key (node_id, principal_id)) without rowid;
  create table secrets (id text primary key, parent_node_id text not null, version integer not null, deleted_at integer);
  create table secret_values (secret_id text not null, field text not null, value_enc blob not null, primary key (secret_id, field)) without rowid;
  create table audit_log (seq integer primary key, id text not null, time integer not null, actor_id text, action text not null,
    object_id text, outcome text not null, source_ip text, details text, prev_hash text not null, hash text not null);
  create table audit_head (id integer primary key, seq integer not null, hash text not null);
`);

// the data: a user in two groups, a tree of 3 levels (10 × 10 × secrets/100 leaves), a reveal grant
// for one group on each top folder, a password and every tenth secret a note
// keys imported once as KeyObjects: a raw Buffer key is imported again on every call (~10 µs)
const pepper = createSecretKey(randomBytes(32));
const dataKey = createSecretKey(randomBytes(32));
const keyHash = (t: string) => createHmac('sha256', pepper).update(t).digest();
const seal = (binding: string, value: string) => {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', dataKey, iv).setAAD(Buffer.from(binding));
  const ct = Buffer.concat([c.update(value, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
};
const open = (binding: string, blob: Uint8Array) => {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const d = createDecipheriv('aes-256-gcm', dataKey, b.subarray(0, 12)).setAAD(Buffer.from(binding));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
};
db.exec('begin');
db.prepare('insert into users values (?, ?, 0)').run('usr_reader', 'bench-reader');
db.prepare('insert into api_keys values (?, ?, null)').run(keyHash(token), 'usr_reader');
db.prepare('insert into group_members values (?, ?)').run('usr_reader', 'grp_a');
db.prepare('insert into group_members values (?, ?)').run('usr_reader', 'grp_b');
const addNode = db.prepare('insert into tree_paths values (?, ?, ?)');
const leaves: string[] = [];
for (let a = 0; a < 10; a++) {
  const top = `fld_${a}`;
  addNode.run(top, top, 0);
  db.prepare('insert into grants values (?, ?, 3)').run(top, 'grp_a');
  for (let b = 0; b < 10; b++) {
    const mid = `${top}_${b}`;
    addNode.run(mid, mid, 0);
    addNode.run(mid, top, 1);
    for (let c = 0; c < Math.max(1, Math.round(secretsCount / 1000)); c++) {
      const leaf = `${mid}_${c}`;
      addNode.run(leaf, leaf, 0);
      addNode.run(leaf, mid, 1);
      addNode.run(leaf, top, 2);
      leaves.push(leaf);
    }
  }
}
const addSecret = db.prepare('insert into secrets values (?, ?, 1, null)');
const addValue = db.prepare('insert into secret_values values (?, ?, ?)');
for (let i = 0; i < secretsCount; i++) {
  const id = `sec_${String(i).padStart(8, '0')}`;
  addSecret.run(id, leaves[i % leaves.length] as string);
  addValue.run(id, 'password', seal(`secret:${id}:password`, randomBytes(18).toString('base64url')));
  if (i % 10 === 0) addValue.run(id, 'notes', seal(`secret:${id}:notes`, 'a note of a few words'));
}
db.prepare('insert into audit_head values (1, 0, ?)').run('0'.repeat(64));
db.exec('commit');
db.exec('analyze');

const authStmt = db.prepare(
  'select u.id, u.username from api_keys k join users u on u.id = k.user_id where k.hash = ? and u.disabled = 0 and (k.expires_at is null or k.expires_at > ?)',
);
const levelStmt = db.prepare(`
  select s.version,
    (select max(g.level) from tree_paths tp join grants g on g.node_id = tp.ancestor
      where tp.descendant = s.parent_node_id
        and (g.principal_id = ?1 or g.principal_id in (select group_id from group_members where user_id = ?1))) as level
  from secrets s where s.id = ?2 and s.deleted_at is null`);
const valuesStmt = db.prepare('select field, value_enc from secret_values where secret_id = ?');
const headStmt = db.prepare('select seq, hash from audit_head where id = 1');
const insertAudit = db.prepare('insert into audit_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
const updateHead = db.prepare('update audit_head set seq = ?, hash = ? where id = 1');

interface Pending {
  actor: string;
  objectId: string;
  ip: string;
  details: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}
const queue: Pending[] = [];
let flushing = false;
async function flush() {
  flushing = true;
  try {
    while (queue.length) {
      await new Promise((r) => setImmediate(r));
      const batch = queue.splice(0, 500);
      try {
        db.exec('begin immediate');
        const head = headStmt.get() as { seq: number; hash: string };
        let seq = head.seq;
        let prev = head.hash;
        for (const p of batch) {
          seq += 1;
          const time = Date.now();
          const id = `aud_${randomUUID()}`;
          const hash = createHash('sha256')
            .update(JSON.stringify([seq, id, time, p.actor, 'secret.reveal', p.objectId, 'success', p.ip, p.details, prev]))
            .digest('hex');
          insertAudit.run(seq, id, time, p.actor, 'secret.reveal', p.objectId, 'success', p.ip, p.details, prev, hash);
          prev = hash;
        }
        updateHead.run(seq, prev);
        db.exec('commit');
        for (const p of batch) p.resolve();
      } catch (e) {
        if (db.isTransaction) db.exec('rollback');
        for (const p of batch) p.reject(e);
      }
    }
  } finally {
    flushing = false;
  }
}
const audit = (p: Omit<Pending, 'resolve' | 'reject'>) =>
  new Promise<void>((resolve, reject) => {
    queue.push({ ...p, resolve, reject });
    if (!flushing) void flush();
  });

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/reveal/:id', async (req, reply) => {
  const m = /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(req.headers.authorization ?? '');
  if (!m) return reply.code(401).send({ error: 'auth.required' });
  const user = authStmt.get(keyHash(m[1] as string), Date.now()) as { id: string; username: string } | undefined;
  if (!user) return reply.code(401).send({ error: 'auth.invalid_token' });
  const id = (req.params as { id: string }).id;
  const row = levelStmt.get(user.id, id) as { version: number; level: number | null } | undefined;
  if (!row || (row.level ?? 0) < 3) return reply.code(404).send({ error: 'not_found' });
  const values: Record<string, string> = {};
  for (const v of valuesStmt.all(id) as Array<{ field: string; value_enc: Uint8Array }>) {
    values[v.field] = open(`secret:${id}:${v.field}`, v.value_enc);
  }
  await audit({ actor: user.id, objectId: id, ip: req.ip, details: JSON.stringify({ fields: Object.keys(values), version: row.version }) });
  return { id, version: row.version, values };
});

await app.listen({ host: '127.0.0.1', port });

const shutdown = () => {
  app.close().then(
    () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    },
    () => process.exit(1),
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
