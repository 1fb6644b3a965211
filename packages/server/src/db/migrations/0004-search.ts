import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Frozen once released. Substring search over secrets.search_text served by an index, and a
// partial index for the default listing (live secrets by name).
//
// SQLite: an FTS5 table with the trigram tokenizer (case-sensitive: search_text is already
// lower-cased, and GLOB, which only a case-sensitive trigram index serves, is exact). FTS5 rows are
// keyed by integers; secrets are keyed by text ids and have no stable rowid (VACUUM may renumber
// implicit rowids), so `secret_search_keys` gives every secret a stable INTEGER PRIMARY KEY.
// Triggers keep both in step with `secrets`, whatever writes it (API, import, restore, purge).
//
// PostgreSQL: a GIN index with pg_trgm's operator class on search_text, which serves LIKE
// '%term%'. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension; where it cannot be
// created (no CREATE privilege, package missing) the index is left out and search still works,
// by a scan.
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  if (sqlite) {
    await sql`create table secret_search_keys (k integer primary key, secret_id text not null unique)`.execute(db);
    await sql`create virtual table secret_search using fts5(body, tokenize = 'trigram case_sensitive 1')`.execute(db);
    await sql`
      create trigger secrets_search_insert after insert on secrets begin
        insert into secret_search_keys (secret_id) values (new.id);
        insert into secret_search (rowid, body) values (last_insert_rowid(), new.search_text);
      end`.execute(db);
    await sql`
      create trigger secrets_search_update after update of search_text on secrets
      when new.search_text is not old.search_text begin
        update secret_search set body = new.search_text
          where rowid = (select k from secret_search_keys where secret_id = new.id);
      end`.execute(db);
    await sql`
      create trigger secrets_search_delete after delete on secrets begin
        delete from secret_search where rowid = (select k from secret_search_keys where secret_id = old.id);
        delete from secret_search_keys where secret_id = old.id;
      end`.execute(db);
    // rows written before this migration
    await sql`insert into secret_search_keys (secret_id) select id from secrets order by id`.execute(db);
    await sql`insert into secret_search (rowid, body) select k.k, s.search_text from secret_search_keys k join secrets s on s.id = k.secret_id`.execute(
      db,
    );
  } else {
    const installed = await sql<{ schema: string }>`
      select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db);
    let schema = installed.rows[0]?.schema ?? null;
    if (!schema) {
      const can = await sql<{ ok: boolean }>`
        select exists (select 1 from pg_available_extensions where name = 'pg_trgm')
          and (has_database_privilege(current_database(), 'CREATE')
               or (select rolsuper from pg_roles where rolname = current_user)) as ok`.execute(db);
      if (can.rows[0]?.ok) {
        await sql`create extension if not exists pg_trgm with schema public`.execute(db);
        schema = 'public';
      }
    }
    if (schema) {
      await sql`create index secrets_search_trgm on secrets using gin (search_text ${sql.id(schema)}.gin_trgm_ops)`.execute(db);
    }
  }
  await sql`create index secrets_live_name on secrets (name, id) where deleted_at is null`.execute(db);
}
