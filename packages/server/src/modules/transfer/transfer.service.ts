import type { TemplateField } from '@coffer/contracts/secrets';
import type { ExportRequest, ImportReport, ImportRequest } from '@coffer/contracts/transfer';
import { SqliteAdapter, sql } from 'kysely';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { SecretTable, SecretValueTable, SecretVersionTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { COLUMN_SLUGS, customSlug, type SplitValues } from '../secrets/secret-values.ts';
import { type ClearFields, type SecretsService, searchText, valueBinding, versionBinding } from '../secrets/secrets.service.ts';
import type { SealManager } from '../sys/seal.ts';
import type { VaultsService } from '../vaults/vaults.service.ts';
import { parseBitwardenJson } from './bitwarden-import.ts';
import { parseCsvImport } from './csv-import.ts';
import type { ParsedImport, Skip } from './entries.ts';
import { type ExportPayload, exportSealer, type Gate, type KdfParams, openExportFile, payloadEntries } from './export-file.ts';
import { folderPlanner, type ImportTarget } from './folder-planner.ts';
import { clashResolver, updateFromEntry } from './import-conflicts.ts';
import { type ImportTemplate, importValues, SkipEntry } from './import-values.ts';
import { parseKeePassXml } from './keepass-import.ts';

/** Rows per multi-row INSERT: well under SQLite's 32766 and PostgreSQL's 65535 bound parameters. */
const BATCH = 500;

/**
 * Import from password-manager files and export to an encrypted Coffer file.
 *
 * Invariants:
 * - import needs `edit` on the target vault or folder; source folders are created below it with
 *   inherited permissions (an existing folder of the same name is reused when the caller may
 *   edit it, else its entries are skipped); a dry run checks everything and writes nothing but
 *   its audit record;
 * - an entry whose name is taken in its folder (canonical form, live visible secrets, or an
 *   earlier entry of the file) is skipped, updated or duplicated as `onConflict` says (default
 *   skip), so importing a file twice changes nothing the second time; an update is a new version
 *   of that secret with its own `secret.update` record, in the import's transaction;
 * - an import is one transaction and one audit record (`secret.import`, counts only): every
 *   secret is created as the secrets service creates one — values sealed bound to (secret,
 *   field), version 1 with its encrypted snapshot, search text — or none is;
 * - export contains only what the caller may reveal (scoped in SQL), with values, sealed with a
 *   key derived from the passphrase; one `secret.export` record lists the ids. A policy asking a
 *   reason to reveal applies to export too;
 * - reports and errors carry names, paths and counts, never values.
 */
export function createTransferService(deps: {
  db: Db;
  clock: Clock;
  seal: Pick<SealManager, 'decrypt' | 'requireKeys' | 'reloadKeyring'>;
  access: Access;
  vaults: Pick<VaultsService, 'requireNode' | 'seesInside' | 'requireVisibleVault'>;
  secrets: Pick<SecretsService, 'effectivePolicy' | 'gateReveal' | 'overwrite'>;
  audited: ReturnType<typeof createAudited>;
  audit: Pick<AuditLog, 'append'>;
  /** Argon2id parameters of new export files, the most memory a file may ask for, and the hashing gate. */
  kdf: { params: KdfParams; maxMemoryKiB: number; gate: Gate };
}) {
  const { db, clock, seal, access, vaults, secrets, audited, audit, kdf } = deps;

  /** The vault or folder to import into / export from; 404 unless visible, 403 below `need`. */
  async function target(exec: Executor, ctx: RequestContext, vaultId: string, folderId: string | null | undefined, need: 'edit' | 'list') {
    const vault = await exec.selectFrom('vaults').select('id').where('id', '=', vaultId).executeTakeFirst();
    if (!vault) throw new AppError('not_found', 'No such vault.');
    const t: ImportTarget = { vaultId, nodeId: vaultId, type: 'vault', path: '', depth: 0 };
    if (folderId) {
      await vaults.requireVisibleVault(exec, ctx, vaultId);
      const f = await exec.selectFrom('folders').select(['id', 'vault_id', 'path', 'depth']).where('id', '=', folderId).executeTakeFirst();
      if (!f || f.vault_id !== vaultId) throw new AppError('not_found', 'No such folder.');
      Object.assign(t, { nodeId: f.id, type: 'folder', path: f.path, depth: f.depth });
    }
    if (need === 'edit') {
      await vaults.requireNode(exec, ctx, t.nodeId, 'edit', t.type);
    } else {
      const level = await access.nodeLevel(exec, ctx.actor, t.nodeId);
      if (level < levelRank.list && !(await vaults.seesInside(exec, ctx, t.nodeId))) throw new AppError('not_found', `No such ${t.type}.`);
    }
    return t;
  }

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

  async function exportFile(ctx: RequestContext, input: ExportRequest) {
    requireUser(ctx.actor);
    await target(db, ctx, input.vaultId, input.folderId, 'list');
    // the slow key derivation happens before the transaction, not while holding it
    const sealer = await exportSealer(input.passphrase, kdf.params, kdf.gate);
    try {
      return await audited(
        ctx,
        {
          action: 'secret.export',
          objectType: input.folderId ? 'folder' : 'vault',
          objectId: input.folderId ?? input.vaultId,
          reason: input.reason ?? null,
        },
        async (trx, ev) => {
          const t = await target(trx, ctx, input.vaultId, input.folderId, 'list');
          const principals = await access.principalsOf(trx, ctx.actor);
          if (!principals) throw new AppError('auth.required', 'Authentication is required.');
          const rows = await trx
            .selectFrom('secrets as s')
            .selectAll('s')
            .where('s.deleted_at', 'is', null)
            .where('s.parent_node_id', 'in', (eb) =>
              eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId),
            )
            .where(access.secretVisible(ctx.actor, principals, 'reveal'))
            .orderBy('s.id')
            .execute();
          if (!input.reason?.trim()) {
            for (const parent of new Set(rows.map((r) => r.parent_node_id))) {
              if ((await secrets.effectivePolicy(trx, parent)).requireReason) {
                throw new AppError('validation.failed', 'A reason is required: a policy asks for one to reveal some of these secrets.', {
                  details: [{ path: '/reason', message: 'required by policy' }],
                });
              }
            }
          }
          // every exported value is a reveal: a secret behind an approval, someone else's exclusive
          // checkout or a closed time window stops the export (fail closed, nothing half-exported)
          let gated = 0;
          for (const s of rows) {
            try {
              await secrets.gateReveal(trx, ctx, s);
            } catch (e) {
              if (!(e instanceof AppError) || e.code === 'internal') throw e;
              gated++;
            }
          }
          if (gated > 0) {
            throw new AppError(
              'forbidden',
              `${gated} of these secrets can only be revealed through an approved access request or a checkout; export a folder without them.`,
            );
          }
          const folderRows = await trx
            .selectFrom('folders')
            .select(['id', 'path'])
            .where('id', 'in', (eb) => eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId))
            .orderBy('path')
            .execute();
          const pathOf = new Map(folderRows.map((f) => [f.id, f.path]));
          const rel = (p: string) => p.slice(t.path.length).split('/').filter(Boolean);
          let visible: Set<string> | null = null; // null: all of them (all-passwords scope)
          if (access.cap(ctx.actor, 0) !== levelRank.manage) {
            const now = clock.now();
            const reached = await trx
              .selectFrom('grants as g')
              .innerJoin('tree_paths as p', 'p.ancestor_id', 'g.node_id')
              .select('p.descendant_id')
              .where('g.principal_id', 'in', principals.ids)
              .where('p.inherits', '=', 1)
              .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
              .where('p.descendant_id', 'in', (eb) =>
                eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId),
              )
              .execute();
            visible = new Set(reached.map((r) => r.descendant_id));
          }
          const folders = folderRows.filter((f) => visible === null || visible.has(f.id)).map((f) => rel(f.path));

          const templates = new Map((await trx.selectFrom('templates').select(['id', 'slug']).execute()).map((x) => [x.id, x.slug]));
          const sensitive = new Map<string, Record<string, string>>();
          for (let i = 0; i < rows.length; i += BATCH) {
            const ids = rows.slice(i, i + BATCH).map((r) => r.id);
            const vals = await trx.selectFrom('secret_values').selectAll().where('secret_id', 'in', ids).execute();
            for (const v of vals) {
              const m = sensitive.get(v.secret_id) ?? {};
              m[v.field] = (await seal.decrypt(trx, valueBinding(v.secret_id, v.field), v.value_enc)).toString('utf8');
              sensitive.set(v.secret_id, m);
            }
          }
          const payload: ExportPayload = {
            format: 'coffer-export-data',
            version: 1,
            exportedAt: new Date(clock.now()).toISOString(),
            folders,
            secrets: rows.map((s) => {
              const clear = JSON.parse(s.clear_fields) as ClearFields;
              const values = sensitive.get(s.id) ?? {};
              const fields: Record<string, string> = {};
              for (const slug of COLUMN_SLUGS) if (s[slug]) fields[slug] = s[slug];
              Object.assign(fields, clear.values ?? {});
              for (const [k, v] of Object.entries(values)) if (!k.startsWith('custom:')) fields[k] = v;
              return {
                name: s.name,
                path: s.parent_node_id === t.nodeId ? [] : rel(pathOf.get(s.parent_node_id) ?? ''),
                template: templates.get(s.template_id) ?? '',
                description: s.description,
                tags: JSON.parse(s.tags) as string[],
                color: s.color,
                expiresAt: s.expires_at === null ? null : Number(s.expires_at),
                fields,
                customFields: (clear.custom ?? []).map((c) => ({
                  name: c.name,
                  type: c.type,
                  value: c.value ?? values[customSlug(c.name)] ?? '',
                })),
              };
            }),
          };
          ev.details = { count: rows.length, folders: folders.length, ids: rows.map((r) => r.id) };
          return { format: 'coffer-export' as const, content: sealer.seal(payload), count: rows.length };
        },
      );
    } finally {
      sealer.wipe();
    }
  }

  return { importFile, exportFile };
}
export type TransferService = ReturnType<typeof createTransferService>;
