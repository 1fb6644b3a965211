// Import: parse the file (before the transaction), then in one transaction create the folders,
// decide each name clash, update or create the secrets in batches, and write one audit record.
import type { TemplateField } from '@coffer/contracts/secrets';
import type { ImportReport, ImportRequest } from '@coffer/contracts/transfer';
import { SqliteAdapter, sql } from 'kysely';
import type { Executor, Trx } from '../../db/database.ts';
import type { SecretTable, SecretValueTable, SecretVersionTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { e2eUnsupported } from '../e2e/messages.ts';
import { COLUMN_SLUGS, type SplitValues } from '../secrets/secret-values.ts';
import { type ClearFields, searchText, valueBinding, versionBinding } from '../secrets/secrets.service.ts';
import { parseBitwardenJson } from './bitwarden-import.ts';
import { BATCH, type Core } from './core.ts';
import { parseCsvImport } from './csv-import.ts';
import type { ParsedImport, Skip } from './entries.ts';
import { openExportFile, payloadEntries } from './export-file.ts';
import { folderPlanner } from './folder-planner.ts';
import { clashResolver, updateFromEntry } from './import-conflicts.ts';
import { type ImportTemplate, importValues, SkipEntry } from './import-values.ts';
import { parseKeePassXml } from './keepass-import.ts';

export function createImporter(core: Core) {
  const { deps, target } = core;
  const { db, clock, seal, access, secrets, audited, audit, kdf } = deps;

  async function parse(input: ImportRequest): Promise<ParsedImport> {
    if (input.format !== 'coffer-export' && input.passphrase !== undefined) {
      throw new AppError('validation.failed', 'A passphrase applies to coffer-export files only.', {
        details: [{ path: '/passphrase', message: 'only for coffer-export' }],
      });
    }
    switch (input.format) {
      case 'csv':
        return parseCsvImport(input.content);
      case 'keepass-xml':
        return parseKeePassXml(input.content);
      case 'bitwarden-json':
        return parseBitwardenJson(input.content);
      case 'coffer-export': {
        if (!input.passphrase) {
          throw new AppError('validation.failed', 'A coffer-export file needs its passphrase.', {
            details: [{ path: '/passphrase', message: 'required' }],
          });
        }
        return payloadEntries(await openExportFile(input.content, input.passphrase, { maxMemoryKiB: kdf.maxMemoryKiB }, kdf.gate));
      }
    }
  }

  /**
   * Seals values for one batch of an import. It does what `seal.encrypt` does for each value —
   * the cluster's active key term is read (and the keyring reloaded when another node rotated),
   * then the value is sealed under that term, bound to (record type, id, field) — but reads the
   * term once per batch instead of once per value: one query per 500 secrets rather than ~3 per
   * secret on the hot path of a 100k-row import.
   */
  async function batchSealer(trx: Trx) {
    const state = await trx.selectFrom('keyring_state').select('active_term').where('id', '=', 1).executeTakeFirst();
    if (state && state.active_term !== seal.requireKeys().keyring.activeTerm) await seal.reloadKeyring(trx);
    const keyring = seal.requireKeys().keyring;
    return (binding: { type: string; id: string; field: string }, plaintext: string) => keyring.encrypt(binding, plaintext);
  }

  async function refreshStatistics(exec: Executor) {
    if (exec.getExecutor().adapter instanceof SqliteAdapter) {
      await sql`pragma optimize`.execute(exec);
      // the import's large transactions left a large write-ahead log: fold it into the store and
      // cut it, so later reads do not look pages up in it
      await sql`pragma wal_checkpoint(truncate)`.execute(exec);
    } else {
      // VACUUM, not only ANALYZE: it also sets the new rows' hint bits and marks their pages
      // all-visible, so index-only scans (tree_paths, the grant and tag probes) stop visiting the
      // heap and the first readers do not pay for writing hint bits. Autovacuum would get there
      // later, or never where it is turned off. It skips pages already all-visible, so the cost is
      // the imported rows, not the table. Not in a transaction (VACUUM refuses one).
      await sql`vacuum (analyze) secrets, secret_values, secret_tags, secret_versions, folders, tree_paths`.execute(exec);
    }
  }

  async function importFile(ctx: RequestContext, input: ImportRequest): Promise<ImportReport> {
    requireUser(ctx.actor);
    // refuse early, before the parsing and key-derivation work (re-checked in the transaction)
    await target(db, ctx, input.vaultId, input.folderId, 'edit');
    const parsed = await parse(input);
    const dryRun = input.dryRun ?? false;
    const onConflict = input.onConflict ?? 'skip';
    const report = await audited(
      ctx,
      { action: 'secret.import', objectType: input.folderId ? 'folder' : 'vault', objectId: input.folderId ?? input.vaultId },
      async (trx, ev) => {
        const t = await target(trx, ctx, input.vaultId, input.folderId, 'edit');
        // the server cannot read or write the values of an end-to-end encrypted vault (ADR 0022)
        if (
          (await trx.selectFrom('vaults').select('encryption').where('id', '=', input.vaultId).executeTakeFirst())?.encryption === 'e2e'
        ) {
          throw e2eUnsupported('Importing values');
        }
        const userId = ctx.actor.userId;
        const folders = await folderPlanner({ access, clock }, trx, ctx, t, dryRun);
        const principals = await access.principalsOf(trx, ctx.actor);
        if (!principals) throw new AppError('auth.required', 'Authentication is required.');
        const clashes = clashResolver({ access }, trx, ctx, principals, onConflict);
        const clashList: ImportReport['clashes'] = [];
        let updated = 0;
        for (const f of parsed.folders) await folders.resolve(f);

        const templates = new Map<string, ImportTemplate | null>();
        const templateOf = async (slug: string) => {
          if (!templates.has(slug)) {
            const row = await trx.selectFrom('templates').selectAll().where('slug', '=', slug).executeTakeFirst();
            templates.set(slug, row ? { id: row.id, slug: row.slug, fields: JSON.parse(row.fields) as TemplateField[] } : null);
          }
          return templates.get(slug) ?? null;
        };

        const skipped: Skip[] = [...parsed.skipped];
        const items: ImportReport['items'] = [];
        const now = clock.now();
        let pending = {
          secrets: [] as SecretTable[],
          tags: [] as Array<{ secret_id: string; tag: string }>,
          values: [] as SecretValueTable[],
          versions: [] as SecretVersionTable[],
        };
        let sealValue = await batchSealer(trx);
        const flush = async () => {
          const p = pending;
          pending = { secrets: [], tags: [], values: [], versions: [] };
          for (let i = 0; i < p.secrets.length; i += BATCH)
            await trx
              .insertInto('secrets')
              .values(p.secrets.slice(i, i + BATCH))
              .execute();
          for (let i = 0; i < p.tags.length; i += BATCH * 2)
            await trx
              .insertInto('secret_tags')
              .values(p.tags.slice(i, i + BATCH * 2))
              .execute();
          for (let i = 0; i < p.values.length; i += BATCH * 2)
            await trx
              .insertInto('secret_values')
              .values(p.values.slice(i, i + BATCH * 2))
              .execute();
          for (let i = 0; i < p.versions.length; i += BATCH)
            await trx
              .insertInto('secret_versions')
              .values(p.versions.slice(i, i + BATCH))
              .execute();
          sealValue = await batchSealer(trx);
        };

        for (const e of parsed.entries) {
          const tpl = await templateOf(e.template);
          if (!tpl) {
            skipped.push({ index: e.index, reason: `unknown template "${e.template}"` });
            continue;
          }
          let values: SplitValues;
          try {
            values = importValues(tpl, e);
          } catch (err) {
            if (!(err instanceof SkipEntry)) throw err;
            skipped.push({ index: e.index, reason: err.message });
            continue;
          }
          const node = await folders.resolve(e.folder);
          if (node.blocked) {
            skipped.push({ index: e.index, reason: 'no edit access on the folder' });
            continue;
          }
          const path = node.path || '/';
          const decision = await clashes.decide(e, node.id, path);
          if (decision.clash) clashList.push(decision.clash);
          if (decision.kind === 'skip') {
            skipped.push({ index: e.index, reason: decision.reason });
            continue;
          }
          if (decision.kind === 'update') {
            const refused = dryRun ? null : await updateFromEntry({ secrets, audit }, trx, ctx, decision.secretId, e);
            if (refused) {
              decision.clash.outcome = 'skipped';
              skipped.push({ index: e.index, reason: refused });
              continue;
            }
            items.push({ name: e.name, path, template: tpl.slug, id: decision.secretId, outcome: 'updated' });
            updated++;
            continue;
          }
          if (dryRun) {
            items.push({ name: e.name, path, template: tpl.slug, outcome: 'created' });
            continue;
          }
          const id = newId('sec', now);
          const clear: ClearFields = { values: values.clear, custom: values.custom };
          const extra = tpl.fields
            .filter((f) => f.searchable && !(COLUMN_SLUGS as readonly string[]).includes(f.slug))
            .map((f) => values.clear[f.slug]);
          const row: SecretTable = {
            id,
            vault_id: t.vaultId,
            parent_node_id: node.id,
            template_id: tpl.id,
            name: e.name,
            username: values.username,
            host: values.host,
            url: values.url,
            description: e.description,
            color: e.color,
            tags: JSON.stringify(e.tags),
            clear_fields: JSON.stringify(clear),
            search_text: searchText([e.name, values.username, values.host, values.url, e.description, path, ...e.tags, ...extra]),
            expires_at: e.expiresAt,
            version: 1,
            created_by: userId,
            created_at: now,
            updated_at: now,
            deleted_at: null,
            deleted_by: null,
          };
          pending.secrets.push(row);
          for (const tag of e.tags) pending.tags.push({ secret_id: id, tag });
          for (const [field, value] of Object.entries(values.sensitive)) {
            pending.values.push({ secret_id: id, field, value_enc: sealValue(valueBinding(id, field), value) });
          }
          const snapshot = {
            name: row.name,
            username: row.username,
            host: row.host,
            url: row.url,
            description: row.description,
            tags: e.tags,
            color: row.color,
            expiresAt: row.expires_at,
            clear,
            parentNodeId: row.parent_node_id,
          };
          pending.versions.push({
            secret_id: id,
            version: 1,
            action: 'import',
            changed_by: userId,
            changed_at: now,
            changed_fields: JSON.stringify(Object.keys(e.fields)),
            snapshot: JSON.stringify(snapshot),
            values_enc: Object.keys(values.sensitive).length ? sealValue(versionBinding(id, 1), JSON.stringify(values.sensitive)) : null,
          });
          items.push({ name: e.name, path, template: tpl.slug, id, outcome: 'created' });
          if (pending.secrets.length >= BATCH) await flush();
        }
        await flush();
        skipped.sort((a, b) => a.index - b.index);
        const report: ImportReport = {
          dryRun,
          onConflict,
          created: items.length - updated,
          updated,
          folders: folders.created(),
          skipped,
          items,
          clashes: clashList,
        };
        ev.details = {
          format: input.format,
          dryRun,
          onConflict,
          created: report.created,
          updated,
          folders: report.folders,
          skipped: skipped.length,
          clashes: clashList.length,
        };
        return report;
      },
    );
    // A large import changes the shape of the tables: refresh the planner's statistics now rather
    // than when autovacuum (PostgreSQL) or a later optimize (SQLite) gets to it.
    if (!dryRun && report.created >= 1000) await refreshStatistics(db);
    return report;
  }

  return { importFile };
}
