import type { Db, Executor } from '../../db/database.ts';

/** The kinds of objects that get a number (one number space across all of them). */
export type NumberedKind =
  | 'secret'
  | 'folder'
  | 'vault'
  | 'user'
  | 'group'
  | 'request'
  | 'api_key'
  | 'template'
  | 'attachment'
  // Secret Server: a template's field (`<template id>/<field id>`), a secret's item and file
  // (`<secret id>/<field slug>`), metadata (`[node, section, name]`, `[section, name]`, section)
  | 'template_field'
  | 'secret_item'
  | 'secret_file'
  | 'metadata_item'
  | 'metadata_field'
  | 'metadata_section'
  // Passbolt: a grant (a permission), a registered key (`<user id>:<fingerprint>`), a user's
  // profile (the user id), a group membership (`<group id>:<user id>`)
  | 'grant'
  | 'gpgkey'
  | 'profile'
  | 'group_user'
  // Passbolt: a reader's message of an E2E secret (`secret_messages.id`), a user's effective
  // permission on a secret (`<secret id>/<user id>`), a favourite mark (`<user id>/<secret id>`)
  | 'secret_message'
  | 'permission'
  | 'favorite'
  // Passbolt: a comment on a resource (`secret_comments.id`)
  | 'comment';

/**
 * Stable integer ids for compatibility APIs (PMP, senhasegura and Secret Server clients parse
 * integers). A number is given on first need, persisted, and never reused: it comes from a counter
 * that only grows, and its row stays after the object is gone. The object's own id stays the
 * primary key everywhere else; adapters translate at the edge, services never see numbers.
 * Concurrent first uses of one object on two nodes: both insert, one wins the unique constraint,
 * both read the winner (the loser's number is burnt, never handed out again).
 */
/** Numbers kept per process, each way (oldest dropped first). */
const CACHE_SIZE = 100_000;

export function createNumbering() {
  // A number names one object forever and an object keeps its number: once read from committed
  // rows, an answer never goes stale (a deleted object's number still names it; the service that
  // loads the object says it is gone). Rows read inside a transaction may roll back: not kept.
  const numOf = new Map<string, number>();
  const idByNum = new Map<string, string>();
  const remember = <V>(m: Map<string, V>, k: string, v: V) => {
    if (m.size >= CACHE_SIZE) m.delete(m.keys().next().value as string);
    m.set(k, v);
  };
  async function read(exec: Executor, kind: NumberedKind, ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await exec
        .selectFrom('object_numbers')
        .select(['object_id', 'num'])
        .where('kind', '=', kind)
        .where('object_id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.object_id, Number(r.num));
    }
    return out;
  }

  async function allocate(exec: Executor, kind: NumberedKind, missing: readonly string[]): Promise<void> {
    const run = async (trx: Executor) => {
      const seq = await trx
        .updateTable('object_number_seq')
        .set((eb) => ({ last: eb('last', '+', missing.length) }))
        .where('id', '=', 1)
        .returning('last')
        .executeTakeFirstOrThrow();
      const first = Number(seq.last) - missing.length + 1;
      for (let i = 0; i < missing.length; i += 200) {
        await trx
          .insertInto('object_numbers')
          .values(missing.slice(i, i + 200).map((id, j) => ({ num: first + i + j, kind, object_id: id })))
          .onConflict((oc) => oc.columns(['kind', 'object_id']).doNothing())
          .execute();
      }
    };
    // inside the caller's transaction when there is one; else a short one of its own
    if (exec.isTransaction) await run(exec);
    else await (exec as Db).transaction().execute(run);
  }

  /** The numbers of these objects, given now to those that have none yet. */
  async function numbersOf(exec: Executor, kind: NumberedKind, ids: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const cacheable = !exec.isTransaction;
    const found = new Map<string, number>();
    const unknown: string[] = [];
    for (const id of unique) {
      const n = cacheable ? numOf.get(`${kind}:${id}`) : undefined;
      if (n === undefined) unknown.push(id);
      else found.set(id, n);
    }
    if (unknown.length === 0) return found;
    const read1 = await read(exec, kind, unknown);
    const missing = unknown.filter((id) => !read1.has(id));
    if (missing.length > 0) {
      await allocate(exec, kind, missing);
      for (const [id, n] of await read(exec, kind, missing)) read1.set(id, n);
    }
    for (const [id, n] of read1) {
      found.set(id, n);
      // allocated in the caller's transaction: may still roll back
      if (cacheable) remember(numOf, `${kind}:${id}`, n);
    }
    return found;
  }

  async function numberOf(exec: Executor, kind: NumberedKind, id: string): Promise<number> {
    return (await numbersOf(exec, kind, [id])).get(id) as number;
  }

  /** The object a number names, if it names one of this kind; never allocates. */
  async function idOf(exec: Executor, kind: NumberedKind, num: number | string): Promise<string | undefined> {
    const n = typeof num === 'number' ? num : /^[1-9]\d{0,15}$/.test(num.trim()) ? Number(num.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n <= 0) return undefined;
    const key = `${kind}:${n}`;
    const hit = exec.isTransaction ? undefined : idByNum.get(key);
    if (hit) return hit;
    const r = await exec.selectFrom('object_numbers').select('object_id').where('num', '=', n).where('kind', '=', kind).executeTakeFirst();
    if (r && !exec.isTransaction) remember(idByNum, key, r.object_id);
    return r?.object_id;
  }

  return { numbersOf, numberOf, idOf };
}
export type Numbering = ReturnType<typeof createNumbering>;
