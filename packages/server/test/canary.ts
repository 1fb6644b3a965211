// The canary scanner of the leak tests (SECURITY.md, "Canary scan"): a value in every form it could
// take in a log line, a record or a file, and the raw store to search it in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Harness } from './harness.ts';

export interface Canary {
  name: string;
  texts: string[];
  bytes: Buffer[];
}

/** Base64 (or base64url) characters that depend only on `b`, when `b` starts `k` bytes into the encoded stream. */
function base64At(b: Buffer, k: number, alphabet: 'base64' | 'base64url'): string {
  const all = Buffer.concat([Buffer.alloc(k), b]).toString(alphabet);
  const start = Math.ceil((8 * k) / 6);
  const end = Math.floor((8 * (k + b.length) - 6) / 6) + 1;
  return all.slice(start, end);
}

/** A value and every form it could take in a log line, a record or a file. */
export function canary(name: string, value: string): Canary {
  const b = Buffer.from(value, 'utf8');
  const texts = new Set([value, value.toLowerCase(), value.toUpperCase(), JSON.stringify(value).slice(1, -1)]);
  texts.add(b.toString('hex'));
  texts.add(b.toString('hex').toUpperCase());
  for (const k of [0, 1, 2]) {
    texts.add(base64At(b, k, 'base64'));
    texts.add(base64At(b, k, 'base64url'));
  }
  for (const t of texts) assert.ok(t.length >= 16, `${name}: the form ${t} is long enough to search without false hits`);
  return { name, texts: [...texts], bytes: [...texts].map((t) => Buffer.from(t, 'utf8')) };
}

/** A fresh canary value: recognisable, random, at least 16 characters. */
export const value = (what: string) => `${what}-cnry-${randomBytes(8).toString('hex')}`;

export interface Scan {
  where: string;
  text?: string;
  bytes?: Buffer;
}

export function hits(canaries: Canary[], scans: Scan[]): string[] {
  const out: string[] = [];
  for (const c of canaries) {
    for (const s of scans) {
      if (s.text !== undefined) for (const t of c.texts) if (s.text.includes(t)) out.push(`${c.name} (${t.slice(0, 14)}…) in ${s.where}`);
      if (s.bytes !== undefined)
        for (const b of c.bytes) if (s.bytes.includes(b)) out.push(`${c.name} (bytes of ${b.toString().slice(0, 14)}…) in ${s.where}`);
    }
  }
  return out;
}

/** The SQLite file with its WAL and shared memory as bytes, or every row of every PostgreSQL table as text. */
export async function storeScans(h: Harness): Promise<Scan[]> {
  if (h.database.dialect === 'sqlite') {
    const file = h.database.file as string;
    const out: Scan[] = [];
    for (const f of [file, `${file}-wal`, `${file}-shm`])
      if (existsSync(f)) out.push({ where: `file ${f.slice(file.length - 9)}`, bytes: readFileSync(f) });
    assert.ok(out.some((s) => s.where.endsWith('-wal')) || out.length >= 1);
    return out;
  }
  const tables = await sql<{
    table_name: string;
  }>`select table_name from information_schema.tables where table_schema = ${h.schema}`.execute(h.database.db);
  assert.ok(tables.rows.length >= 25, `all tables of the schema: ${tables.rows.length}`);
  const out: Scan[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql
      .raw<{ j: string }>(`select row_to_json(t)::text as j from "${h.schema}"."${table_name}" t`)
      .execute(h.database.db);
    out.push({ where: `table ${table_name}`, text: rows.rows.map((r) => r.j).join('\n') });
  }
  return out;
}

/**
 * No canary anywhere: the server's logs (which must have been written: the harness at debug level),
 * every audit record (some of them by each API of `vias`), the answers noted by the test and the raw
 * store files or tables.
 */
export async function assertNoCanary(h: Harness, canaries: Canary[], answers: Scan[], vias: string[]): Promise<void> {
  const records = await h.database.db.selectFrom('audit_log').selectAll().execute();
  for (const via of vias)
    assert.ok(
      records.some((r) => r.via === via),
      `no audit record via ${via}`,
    );
  const found = hits(canaries, [
    { where: 'logs', text: h.logs() },
    { where: 'audit records', text: JSON.stringify(records) },
    ...answers,
    ...(await storeScans(h)),
  ]);
  assert.deepEqual(found, []);
  assert.ok(h.logs().length > 1000, 'the logs were written (debug level)');
}
