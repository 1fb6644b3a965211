import { createHash } from 'node:crypto';
import type { CreateSecret, SearchQuery, TemplateField, UpdateSecret } from '@coffer/contracts/secrets';
import type { AccessPolicy, Level } from '@coffer/contracts/vaults';
import { type SqlBool, SqliteAdapter, sql } from 'kysely';
import type { Db, Executor, Trx } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelName, levelRank } from '../access/levels.ts';
import { archiveAttachment, liveAttachments, unarchiveAttachment } from '../attachments/attachment-store.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import { type PolicyNode, policyChain } from '../vaults/policy-chain.ts';
import type { VaultsService } from '../vaults/vaults.service.ts';
import { COLUMN_SLUGS, customSlug, type SplitValues, splitValues } from './secret-values.ts';
import type { TemplatesService } from './templates.service.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
const notFound = () => new AppError('not_found', 'No such secret.');
export const valueBinding = (id: string, field: string) => ({ type: 'secret', id, field });
export const versionBinding = (id: string, version: number) => ({ type: 'secret_version', id: `${id}:${version}`, field: 'values' });

export interface ClearFields {
  values: Record<string, string>;
  custom: Array<{ name: string; type: SplitValues['custom'][number]['type']; value: string | null }>;
}

export function searchText(parts: Array<string | undefined>): string {
  return parts
    .filter((p): p is string => Boolean(p))
    .join('\n')
    .normalize('NFKC')
    .toLowerCase();
}

function likeEscape(q: string): string {
  return q.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * Secrets: typed values (sensitive ones encrypted, bound to the secret and the field), metadata in
 * clear for search, a version for every change, trash, shares.
 *
 * Invariants:
 * - reading metadata needs `view`, revealing values `reveal` (plus a reason when the effective
 *   policy asks for one; the reason lands in the audit record), writing `edit`, sharing `manage`;
 * - a secret the caller may not see reads exactly like a missing one (404);
 * - lists and searches are scoped in SQL (access.secretVisible), never filtered after loading;
 * - every change writes a version row: who, when, which fields (names only), and the values as
 *   an encrypted snapshot, so an old version can be revealed (audited) and restored;
 * - a write carrying a stale version (If-Match) gets 412.
 */
export function createSecretsService(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  access: Access;
  vaults: VaultsService;
  templates: TemplatesService;
  audited: ReturnType<typeof createAudited>;
  /**
   * Access workflows (approval, exclusive checkout, time window): throws when the caller may not
   * reveal now; returns the caller's own checkout or approved request it found, with its reason
   * (`wantReason`: look for one even where the policy does not need it). `chain`: the secret's
   * policy chain when the caller has read it already.
   */
  revealGate?: (
    trx: Executor,
    ctx: RequestContext,
    secret: SecretTable,
    chain?: PolicyNode[],
    opts?: { wantReason?: boolean },
  ) => Promise<{ from: string; reason: string | null } | undefined>;
}) {
  const { db, clock, seal, access, vaults, templates, audited } = deps;
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;

  async function templateOf(exec: Executor, id: string) {
    const t = await exec.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { slug: t.slug, fields: JSON.parse(t.fields) as TemplateField[] };
  }

  async function pathOf(exec: Executor, s: Pick<SecretTable, 'parent_node_id' | 'vault_id'>): Promise<string> {
    if (s.parent_node_id === s.vault_id) return '/';
    const f = await exec.selectFrom('folders').select('path').where('id', '=', s.parent_node_id).executeTakeFirst();
    return f?.path ?? '/';
  }

  const valuesQuery = prepared<'id', { field: string; value_enc: string }>((db, p) =>
    db.selectFrom('secret_values').select(['field', 'value_enc']).where('secret_id', '=', p('id')),
  );

  async function loadValues(exec: Executor, s: SecretTable): Promise<SplitValues> {
    const rows = await valuesQuery(exec, { id: s.id });
    const sensitive: Record<string, string> = {};
    for (const r of rows) sensitive[r.field] = (await seal.decrypt(exec, valueBinding(s.id, r.field), r.value_enc)).toString('utf8');
    const clear = JSON.parse(s.clear_fields) as ClearFields;
    return { username: s.username, host: s.host, url: s.url, clear: clear.values, custom: clear.custom, sensitive };
  }

  async function present(exec: Executor, s: SecretTable, level: number, shared: boolean) {
    const [info] = await pageInfo(exec, [s]);
    return presentWith(s, level, shared, info as PageInfo);
  }

  interface PageInfo {
    template: string;
    path: string;
    sensitiveFields: string[];
  }

  /** What presenting needs beyond the row, for a whole page in three queries. */
  async function pageInfo(exec: Executor, rows: SecretTable[]): Promise<PageInfo[]> {
    if (!rows.length) return [];
    const templateIds = [...new Set(rows.map((r) => r.template_id))];
    const folderIds = [...new Set(rows.filter((r) => r.parent_node_id !== r.vault_id).map((r) => r.parent_node_id))];
    const slugs = new Map(
      (await exec.selectFrom('templates').select(['id', 'slug']).where('id', 'in', templateIds).execute()).map((t) => [t.id, t.slug]),
    );
    const paths = new Map(
      folderIds.length
        ? (await exec.selectFrom('folders').select(['id', 'path']).where('id', 'in', folderIds).execute()).map((f) => [f.id, f.path])
        : [],
    );
    const fields = new Map<string, string[]>();
    const valueRows = await exec
      .selectFrom('secret_values')
      .select(['secret_id', 'field'])
      .where(
        'secret_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('secret_id')
      .orderBy('field')
      .execute();
    for (const v of valueRows) {
      const list = fields.get(v.secret_id);
      if (list) list.push(v.field);
      else fields.set(v.secret_id, [v.field]);
    }
    return rows.map((r) => ({
      template: slugs.get(r.template_id) ?? '',
      path: r.parent_node_id === r.vault_id ? '/' : (paths.get(r.parent_node_id) ?? '/'),
      sensitiveFields: fields.get(r.id) ?? [],
    }));
  }

  function presentWith(s: SecretTable, level: number, shared: boolean, info: PageInfo) {
    const clear = JSON.parse(s.clear_fields) as ClearFields;
    const viewable = level >= levelRank.view;
    const sensitiveFields = viewable ? info.sensitiveFields : [];
    const fields: Record<string, string> = {};
    if (viewable) {
      for (const slug of COLUMN_SLUGS) if (s[slug]) fields[slug] = s[slug];
      Object.assign(fields, clear.values);
    }
    return {
      id: s.id,
      vaultId: s.vault_id,
      folderId: s.parent_node_id === s.vault_id ? null : s.parent_node_id,
      path: info.path,
      template: info.template,
      name: s.name,
      username: viewable ? s.username : '',
      host: viewable ? s.host : '',
      url: viewable ? s.url : '',
      description: viewable ? s.description : '',
      tags: viewable ? (JSON.parse(s.tags) as string[]) : [],
      color: s.color,
      expiresAt: iso(s.expires_at),
      fields,
      sensitiveFields,
      customFields: viewable ? clear.custom : [],
      version: s.version,
      myLevel: levelName(level),
      shared,
      deletedAt: iso(s.deleted_at),
      createdAt: iso(s.created_at) as string,
      updatedAt: iso(s.updated_at) as string,
    };
  }

  /** The secret, the best live grant on itself and the best one its folder inherits, in one query. */
  const loadQuery = prepared<'id' | 'user' | 'now', SecretTable & { direct_level: number | null; tree_level: number | null }>((db, p) => {
    // membership probed per grant through the (group_id, user_id) key: an `in (select group_id …
    // where user_id = ?)` list was planned as a scan of every membership whenever the statistics
    // dated from a small group_members table (1.7 ms a reveal at 50k memberships instead of 4 µs)
    const mine = sql`(g.principal_id = ${p('user')} or exists (select 1 from group_members m where m.group_id = g.principal_id and m.user_id = ${p('user')}))`;
    const live = sql`(g.expires_at is null or g.expires_at > ${p('now')})`;
    return {
      compile: () =>
        sql`select s.*,
                (select max(g.level) from grants g where g.node_id = s.id and ${mine} and ${live}) as direct_level,
                (select max(g.level) from tree_paths t join grants g on g.node_id = t.ancestor_id
                  where t.descendant_id = s.parent_node_id and t.inherits = 1 and ${mine} and ${live}) as tree_level
              from secrets s where s.id = ${p('id')}`.compile(db),
    };
  });

  /**
   * The secret and the actor's level on it (and the part of it that comes through the tree);
   * 404 below `list`, 403 below `need`.
   */
  async function load(trx: Executor, ctx: RequestContext, id: string, need: Level, opts: { deleted?: boolean } = {}) {
    const userId = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    const [row] = await loadQuery(trx, { id, user: userId ?? '', now: clock.now() });
    if (!row || (row.deleted_at !== null) !== (opts.deleted ?? false)) throw notFound();
    const { direct_level, tree_level, ...s } = row;
    const viaTree = userId ? access.cap(ctx.actor, Number(tree_level ?? 0)) : 0;
    const level = userId ? Math.max(access.cap(ctx.actor, Number(direct_level ?? 0)), viaTree) : 0;
    if (level < levelRank.list) throw notFound();
    if (level < levelRank[need]) throw new AppError('forbidden', `You need ${need} access on this secret.`);
    return { s: s as SecretTable, level, viaTree };
  }

  /** The effective access policy: merged from the vault down to the secret's folder; a folder
   * that does not inherit the policy starts afresh. `source` names where requireReason comes from.
   * `chain` is what it was merged from, for the workflow gate (one query for both). */
  async function effectivePolicy(exec: Executor, nodeId: string): Promise<AccessPolicy & { source: string | null; chain: PolicyNode[] }> {
    const chain = await policyChain(exec, nodeId);
    let policy: AccessPolicy = {};
    let source: string | null = null;
    for (const link of chain) {
      if (!link.inherits) {
        policy = {};
        source = null;
      }
      const own = link.policy;
      if (own.requireReason !== undefined && own.requireReason !== null) {
        policy = { ...policy, requireReason: own.requireReason };
        source = link.id;
      }
      // field by field: a folder that sets only `length` keeps the vault's other fields
      if (own.passwordPolicy !== undefined && own.passwordPolicy !== null) {
        policy = { ...policy, passwordPolicy: { ...policy.passwordPolicy, ...own.passwordPolicy } };
      }
    }
    return { ...policy, source, chain };
  }

  async function writeValues(trx: Trx, id: string, values: SplitValues) {
    await trx.deleteFrom('secret_values').where('secret_id', '=', id).execute();
    const rows = [];
    for (const [field, value] of Object.entries(values.sensitive)) {
      rows.push({ secret_id: id, field, value_enc: await seal.encrypt(trx, valueBinding(id, field), value) });
    }
    if (rows.length) await trx.insertInto('secret_values').values(rows).execute();
  }

  async function writeVersion(trx: Trx, ctx: RequestContext, s: SecretTable, values: SplitValues, action: string, changed: string[]) {
    const snapshot = {
      name: s.name,
      username: s.username,
      host: s.host,
      url: s.url,
      description: s.description,
      tags: JSON.parse(s.tags),
      color: s.color,
      expiresAt: s.expires_at,
      clear: JSON.parse(s.clear_fields),
      parentNodeId: s.parent_node_id,
      // which files the secret had at this version (ids only: the content stays encrypted in the
      // attachment tables; removed files are kept so that a restore brings them back)
      attachments: action === 'create' ? [] : await liveAttachments(trx, s.id),
    };
    const values_enc = Object.keys(values.sensitive).length
      ? await seal.encrypt(trx, versionBinding(s.id, s.version), JSON.stringify(values.sensitive))
      : null;
    await trx
      .insertInto('secret_versions')
      .values({
        secret_id: s.id,
        version: s.version,
        action,
        changed_by: ctx.actor.userId,
        changed_at: s.updated_at,
        changed_fields: JSON.stringify(changed),
        snapshot: JSON.stringify(snapshot),
        values_enc,
      })
      .execute();
  }

  async function folderPath(exec: Executor, parentNodeId: string, vaultId: string): Promise<string> {
    return pathOf(exec, { parent_node_id: parentNodeId, vault_id: vaultId });
  }

  function rowFrom(base: SecretTable, values: SplitValues, path: string, searchable: TemplateField[]): SecretTable {
    const clear: ClearFields = { values: values.clear, custom: values.custom };
    const tags = JSON.parse(base.tags) as string[];
    const extra = searchable.filter((f) => f.searchable && !COLUMN_SLUGS.includes(f.slug as 'url')).map((f) => values.clear[f.slug]);
    return {
      ...base,
      username: values.username,
      host: values.host,
      url: values.url,
      clear_fields: JSON.stringify(clear),
      search_text: searchText([base.name, values.username, values.host, values.url, base.description, path, ...tags, ...extra]),
    };
  }

  /** Rebuilds the search text of the secrets directly in these folders after their paths changed. */
  async function reindexFolders(trx: Trx, folderIds: string[]) {
    const templateFields = new Map<string, TemplateField[]>();
    for (let i = 0; i < folderIds.length; i += 500) {
      const chunk = folderIds.slice(i, i + 500);
      const rows = await trx.selectFrom('secrets').selectAll().where('parent_node_id', 'in', chunk).execute();
      if (!rows.length) continue;
      const paths = new Map(
        (await trx.selectFrom('folders').select(['id', 'path']).where('id', 'in', chunk).execute()).map((f) => [f.id, f.path]),
      );
      for (const s of rows) {
        let fields = templateFields.get(s.template_id);
        if (!fields) {
          fields = (await templateOf(trx, s.template_id)).fields;
          templateFields.set(s.template_id, fields);
        }
        const clear = JSON.parse(s.clear_fields) as ClearFields;
        const values: SplitValues = {
          username: s.username,
          host: s.host,
          url: s.url,
          clear: clear.values,
          custom: clear.custom,
          sensitive: {},
        };
        const next = rowFrom(s, values, paths.get(s.parent_node_id) ?? '/', fields).search_text;
        if (next !== s.search_text) await trx.updateTable('secrets').set({ search_text: next }).where('id', '=', s.id).execute();
      }
    }
  }
  vaults.onPathsChanged(reindexFolders);

  async function resolveParent(trx: Executor, ctx: RequestContext, vaultId: string, folderId: string | null | undefined) {
    const vault = await trx.selectFrom('vaults').select('id').where('id', '=', vaultId).executeTakeFirst();
    if (!vault) throw new AppError('not_found', 'No such vault.');
    if (folderId) {
      await vaults.requireVisibleVault(trx, ctx, vaultId);
      const f = await trx.selectFrom('folders').select(['id', 'vault_id']).where('id', '=', folderId).executeTakeFirst();
      if (!f || f.vault_id !== vaultId) throw new AppError('not_found', 'No such folder.');
    }
    const parent = folderId ?? vaultId;
    await vaults.requireNode(trx, ctx, parent, 'edit', folderId ? 'folder' : 'vault');
    return parent;
  }

  function parseTime(v: string | null | undefined, path: string): number | null {
    if (v === undefined || v === null) return null;
    const t = Date.parse(v);
    if (!Number.isFinite(t))
      throw new AppError('validation.failed', 'Invalid date.', { details: [{ path, message: 'must be a date-time' }] });
    return t;
  }

  async function create(ctx: RequestContext, input: CreateSecret, idempotencyKey?: string) {
    return audited(ctx, { action: 'secret.create', objectType: 'secret' }, async (trx, ev) => {
      requireUser(ctx.actor);
      const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
      if (idempotencyKey) {
        const prior = await trx
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('actor_id', '=', ctx.actor.userId)
          .where('key', '=', idempotencyKey)
          .executeTakeFirst();
        if (prior) {
          if (prior.request_hash !== requestHash) throw new AppError('conflict', 'This Idempotency-Key was used with a different request.');
          const replay = JSON.parse(prior.response) as { id: string };
          ev.objectId = replay.id;
          ev.details = { idempotentReplay: true };
          const again = await load(trx, ctx, replay.id, 'view');
          return present(trx, again.s, again.level, false);
        }
      }
      const parent = await resolveParent(trx, ctx, input.vaultId, input.folderId);
      const t = await templates.bySlug(trx, input.template);
      const fields = JSON.parse(t.fields) as TemplateField[];
      const values = splitValues(fields, input.fields ?? {}, input.customFields, null);
      const now = clock.now();
      const id = newId('sec', now);
      const tags = [...new Set((input.tags ?? []).map((x) => x.trim()).filter(Boolean))];
      const base: SecretTable = {
        id,
        vault_id: input.vaultId,
        parent_node_id: parent,
        template_id: t.id,
        name: input.name.trim(),
        username: '',
        host: '',
        url: '',
        description: input.description ?? '',
        color: input.color ?? '',
        tags: JSON.stringify(tags),
        clear_fields: '{}',
        search_text: '',
        expires_at: parseTime(input.expiresAt, '/expiresAt'),
        version: 1,
        created_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
        deleted_at: null,
        deleted_by: null,
      };
      const row = rowFrom(base, values, await folderPath(trx, parent, input.vaultId), fields);
      await trx.insertInto('secrets').values(row).execute();
      if (tags.length)
        await trx
          .insertInto('secret_tags')
          .values(tags.map((tag) => ({ secret_id: id, tag })))
          .execute();
      await writeValues(trx, id, values);
      await writeVersion(trx, ctx, row, values, 'create', Object.keys(input.fields ?? {}));
      if (idempotencyKey) {
        await trx
          .insertInto('idempotency_keys')
          .values({
            actor_id: ctx.actor.userId,
            key: idempotencyKey,
            request_hash: requestHash,
            response: JSON.stringify({ id }),
            created_at: now,
          })
          .execute();
      }
      ev.objectId = id;
      ev.details = { vaultId: input.vaultId, parent, template: t.slug };
      return present(trx, row, await access.secretLevel(trx, ctx.actor, row), false);
    });
  }

  async function get(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.read', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      const { s, level, viaTree } = await load(trx, ctx, id, 'view');
      return present(trx, s, level, viaTree < levelRank.list);
    });
  }

  async function update(ctx: RequestContext, id: string, patch: UpdateSecret, ifMatch?: number) {
    return audited(ctx, { action: 'secret.update', objectType: 'secret', objectId: id }, async (trx, ev) => {
      const { s } = await load(trx, ctx, id, 'edit');
      if (ifMatch !== undefined && ifMatch !== s.version) {
        throw new AppError('precondition_failed', `The secret changed (now version ${s.version}); re-read it and retry.`);
      }
      const fields = (await templateOf(trx, s.template_id)).fields;
      const current = await loadValues(trx, s);
      const values = splitValues(fields, patch.fields ?? {}, patch.customFields, current);
      let parent = s.parent_node_id;
      let vaultId = s.vault_id;
      if (patch.folderId !== undefined || patch.vaultId !== undefined) {
        vaultId = patch.vaultId ?? s.vault_id;
        const folderId = patch.folderId === undefined ? (s.parent_node_id === s.vault_id ? null : s.parent_node_id) : patch.folderId;
        parent = await resolveParent(trx, ctx, vaultId, folderId);
      }
      const now = clock.now();
      const tags = patch.tags ? [...new Set(patch.tags.map((x) => x.trim()).filter(Boolean))] : (JSON.parse(s.tags) as string[]);
      const base: SecretTable = {
        ...s,
        name: patch.name?.trim() ?? s.name,
        description: patch.description ?? s.description,
        color: patch.color ?? s.color,
        tags: JSON.stringify(tags),
        expires_at: patch.expiresAt === undefined ? s.expires_at : parseTime(patch.expiresAt, '/expiresAt'),
        parent_node_id: parent,
        vault_id: vaultId,
        version: s.version + 1,
        updated_at: now,
      };
      const row = rowFrom(base, values, await folderPath(trx, parent, vaultId), fields);
      const claimed = await trx
        .updateTable('secrets')
        .set({ ...row, id: undefined } as Partial<SecretTable>)
        .where('id', '=', id)
        .where('version', '=', s.version)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new AppError('precondition_failed', 'The secret changed concurrently; re-read it and retry.');
      if (patch.tags) {
        await trx.deleteFrom('secret_tags').where('secret_id', '=', id).execute();
        if (tags.length)
          await trx
            .insertInto('secret_tags')
            .values(tags.map((tag) => ({ secret_id: id, tag })))
            .execute();
      }
      await writeValues(trx, id, values);
      const changed = [...Object.keys(patch).filter((k) => k !== 'fields' && k !== 'customFields'), ...Object.keys(patch.fields ?? {})];
      if (patch.customFields) changed.push(...patch.customFields.map((c) => customSlug(c.name)));
      await writeVersion(trx, ctx, row, values, parent !== s.parent_node_id ? 'move' : 'update', changed);
      ev.details = { version: row.version, changed };
      return present(trx, row, await access.secretLevel(trx, ctx.actor, row), false);
    });
  }

  /**
   * The workflow gate of a reveal, and its reason: the one given, else (when the policy requires
   * one) the reason of the caller's own live checkout or approved reveal request, which the audit
   * record then carries (`ev.reason`, and `reasonFrom` names where it came from). Without either,
   * a required reason is a validation error.
   */
  async function gateWithReason(
    exec: Executor,
    ctx: RequestContext,
    s: SecretTable,
    policy: { requireReason?: boolean | null; chain: PolicyNode[] },
    given: string | undefined,
    ev: { reason?: string | null },
  ): Promise<{ reasonFrom?: string }> {
    const hasReason = Boolean(given?.trim());
    const grant = await deps.revealGate?.(exec, ctx, s, policy.chain, { wantReason: policy.requireReason === true && !hasReason });
    if (!policy.requireReason || hasReason) return {};
    if (!grant?.reason?.trim()) {
      throw new AppError('validation.failed', 'A reason is required to reveal this secret.', {
        details: [{ path: '/reason', message: 'required by policy' }],
      });
    }
    ev.reason = grant.reason;
    return { reasonFrom: grant.from };
  }

  async function reveal(ctx: RequestContext, id: string, input: { reason?: string; fields?: string[] }) {
    return audited(
      ctx,
      { action: 'secret.reveal', objectType: 'secret', objectId: id, reason: input.reason ?? null, readOnly: true },
      async (trx, ev) => {
        const { s } = await load(trx, ctx, id, 'reveal');
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, input.reason, ev);
        const values = (await loadValues(trx, s)).sensitive;
        const picked: Record<string, string> = {};
        for (const [k, v] of Object.entries(values)) if (!input.fields || input.fields.includes(k)) picked[k] = v;
        ev.details = { fields: Object.keys(picked), version: s.version, ...reasonFrom };
        return { id: s.id, version: s.version, values: picked };
      },
    );
  }

  async function history(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.history', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      await load(trx, ctx, id, 'view');
      const rows = await trx
        .selectFrom('secret_versions')
        .leftJoin('users', 'users.id', 'secret_versions.changed_by')
        .selectAll('secret_versions')
        .select('users.username as by_username')
        .where('secret_versions.secret_id', '=', id)
        .orderBy('secret_versions.version', 'desc')
        .execute();
      return {
        items: rows.map((r) => ({
          version: r.version,
          action: r.action,
          changedBy: r.changed_by,
          byUsername: r.by_username ?? null,
          changedAt: iso(r.changed_at) as string,
          changedFields: JSON.parse(r.changed_fields) as string[],
        })),
        nextCursor: null,
      };
    });
  }

  async function revealVersion(ctx: RequestContext, id: string, version: number, reason?: string) {
    return audited(
      ctx,
      { action: 'secret.reveal_version', objectType: 'secret', objectId: id, reason: reason ?? null },
      async (trx, ev) => {
        const { s } = await load(trx, ctx, id, 'reveal');
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, reason, ev);
        const v = await trx
          .selectFrom('secret_versions')
          .selectAll()
          .where('secret_id', '=', id)
          .where('version', '=', version)
          .executeTakeFirst();
        if (!v) throw new AppError('not_found', 'No such version.');
        const values = v.values_enc
          ? (JSON.parse((await seal.decrypt(trx, versionBinding(id, version), v.values_enc)).toString('utf8')) as Record<string, string>)
          : {};
        ev.details = { version, fields: Object.keys(values), ...reasonFrom };
        return { id, version, values };
      },
    );
  }

  async function restoreVersion(ctx: RequestContext, id: string, version: number, ifMatch?: number) {
    return audited(ctx, { action: 'secret.restore_version', objectType: 'secret', objectId: id }, async (trx, ev) => {
      const { s } = await load(trx, ctx, id, 'edit');
      if (ifMatch !== undefined && ifMatch !== s.version)
        throw new AppError('precondition_failed', `The secret changed (now version ${s.version}).`);
      const v = await trx
        .selectFrom('secret_versions')
        .selectAll()
        .where('secret_id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst();
      if (!v) throw new AppError('not_found', 'No such version.');
      const snap = JSON.parse(v.snapshot) as {
        name: string;
        username: string;
        host: string;
        url: string;
        description: string;
        tags: string[];
        color: string;
        expiresAt: number | null;
        clear: ClearFields;
        /** Absent in versions written before migration 0007: their restore leaves the files as they are. */
        attachments?: Array<{ id: string; name: string }>;
      };
      const sensitive = v.values_enc
        ? (JSON.parse((await seal.decrypt(trx, versionBinding(id, version), v.values_enc)).toString('utf8')) as Record<string, string>)
        : {};
      const values: SplitValues = {
        username: snap.username,
        host: snap.host,
        url: snap.url,
        clear: snap.clear.values,
        custom: snap.clear.custom,
        sensitive,
      };
      const now = clock.now();
      const fields = (await templateOf(trx, s.template_id)).fields;
      const base: SecretTable = {
        ...s,
        name: snap.name,
        description: snap.description,
        tags: JSON.stringify(snap.tags),
        color: snap.color,
        expires_at: snap.expiresAt,
        version: s.version + 1,
        updated_at: now,
      };
      const row = rowFrom(base, values, await pathOf(trx, s), fields);
      const claimed = await trx
        .updateTable('secrets')
        .set({ ...row, id: undefined } as Partial<SecretTable>)
        .where('id', '=', id)
        .where('version', '=', s.version)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('precondition_failed', 'The secret changed concurrently.');
      await trx.deleteFrom('secret_tags').where('secret_id', '=', id).execute();
      if (snap.tags.length)
        await trx
          .insertInto('secret_tags')
          .values(snap.tags.map((tag) => ({ secret_id: id, tag })))
          .execute();
      await writeValues(trx, id, values);
      const files = snap.attachments ? await restoreAttachments(trx, ctx, id, snap.attachments, now) : null;
      await writeVersion(trx, ctx, row, values, `restore:${version}`, ['*']);
      ev.details = { restoredVersion: version, version: row.version, ...(files ? { attachments: files } : {}) };
      return present(trx, row, await access.secretLevel(trx, ctx.actor, row), false);
    });
  }

  /**
   * Makes the secret's files those of a version: files added since are set aside (kept, like
   * versions), files removed since come back. A file that can no longer be found is counted as
   * missing; the restore goes on.
   */
  async function restoreAttachments(trx: Trx, ctx: RequestContext, id: string, want: Array<{ id: string; name: string }>, now: number) {
    const wanted = new Set(want.map((a) => a.id));
    const live = await liveAttachments(trx, id);
    const liveIds = new Set(live.map((a) => a.id));
    let setAside = 0;
    let restored = 0;
    let missing = 0;
    for (const a of live) {
      if (wanted.has(a.id)) continue;
      await archiveAttachment(trx, a.id, ctx.actor.userId, now);
      setAside++;
    }
    for (const a of want) {
      if (liveIds.has(a.id)) continue;
      if (await unarchiveAttachment(trx, id, a.id)) restored++;
      else missing++;
    }
    return { restored, setAside, missing };
  }

  async function trash(ctx: RequestContext, id: string) {
    await audited(ctx, { action: 'secret.trash', objectType: 'secret', objectId: id }, async (trx) => {
      await load(trx, ctx, id, 'edit');
      await trx.updateTable('secrets').set({ deleted_at: clock.now(), deleted_by: ctx.actor.userId }).where('id', '=', id).execute();
    });
  }

  async function restore(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.restore', objectType: 'secret', objectId: id }, async (trx) => {
      const { s, level } = await load(trx, ctx, id, 'edit', { deleted: true });
      await trx.updateTable('secrets').set({ deleted_at: null, deleted_by: null }).where('id', '=', id).execute();
      return present(trx, { ...s, deleted_at: null, deleted_by: null }, level, false);
    });
  }

  async function purge(ctx: RequestContext, id: string) {
    await audited(ctx, { action: 'secret.purge', objectType: 'secret', objectId: id }, async (trx) => {
      await load(trx, ctx, id, 'manage', { deleted: true });
      await trx.deleteFrom('grants').where('node_id', '=', id).execute();
      await trx.deleteFrom('metadata').where('node_id', '=', id).execute(); // attachments go by foreign-key cascade
      await trx.deleteFrom('secrets').where('id', '=', id).execute();
    });
  }

  /**
   * A change that another module made to something the secret owns (an attachment): a new version
   * with the same values, naming what changed. The caller has authorized and holds the transaction.
   */
  async function recordChange(trx: Trx, ctx: RequestContext, s: SecretTable, action: string, changed: string[]): Promise<SecretTable> {
    const row: SecretTable = { ...s, version: s.version + 1, updated_at: clock.now() };
    const claimed = await trx
      .updateTable('secrets')
      .set({ version: row.version, updated_at: row.updated_at })
      .where('id', '=', s.id)
      .where('version', '=', s.version)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('precondition_failed', 'The secret changed concurrently; retry.');
    await writeVersion(trx, ctx, row, await loadValues(trx, row), action, changed);
    return row;
  }

  /**
   * Rotation (access workflows): a new value of one sensitive field, stored as a new version in the
   * caller's transaction. The caller has authorized; the value never reaches the version's metadata.
   */
  async function writeSecretValue(trx: Trx, ctx: RequestContext, s: SecretTable, field: string, value: string, action: string) {
    const value_enc = await seal.encrypt(trx, valueBinding(s.id, field), value);
    await trx.deleteFrom('secret_values').where('secret_id', '=', s.id).where('field', '=', field).execute();
    await trx.insertInto('secret_values').values({ secret_id: s.id, field, value_enc }).execute();
    return recordChange(trx, ctx, s, action, [field]);
  }

  /**
   * An import's `update` of an existing secret: `next` builds the new content from the secret's
   * template and current values, which is written as a new version (action `import`) as an update
   * writes one. Needs `edit`; the caller holds the transaction and writes the audit record.
   */
  async function overwrite(
    trx: Trx,
    ctx: RequestContext,
    id: string,
    next: (
      template: { slug: string; fields: TemplateField[] },
      current: SplitValues,
    ) => { values: SplitValues; tags?: string[]; description?: string; color?: string; expiresAt?: number | null },
    changed: string[],
  ): Promise<SecretTable> {
    const { s } = await load(trx, ctx, id, 'edit');
    const template = await templateOf(trx, s.template_id);
    const n = next(template, await loadValues(trx, s));
    const tags = n.tags ?? (JSON.parse(s.tags) as string[]);
    const base: SecretTable = {
      ...s,
      description: n.description ?? s.description,
      color: n.color ?? s.color,
      tags: JSON.stringify(tags),
      expires_at: n.expiresAt === undefined ? s.expires_at : n.expiresAt,
      version: s.version + 1,
      updated_at: clock.now(),
    };
    const row = rowFrom(base, n.values, await folderPath(trx, s.parent_node_id, s.vault_id), template.fields);
    const claimed = await trx
      .updateTable('secrets')
      .set({ ...row, id: undefined } as Partial<SecretTable>)
      .where('id', '=', id)
      .where('version', '=', s.version)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('precondition_failed', 'The secret changed concurrently; retry.');
    if (n.tags) {
      await trx.deleteFrom('secret_tags').where('secret_id', '=', id).execute();
      if (tags.length)
        await trx
          .insertInto('secret_tags')
          .values(tags.map((tag) => ({ secret_id: id, tag })))
          .execute();
    }
    await writeValues(trx, id, n.values);
    await writeVersion(trx, ctx, row, n.values, 'import', changed);
    return row;
  }

  async function share(ctx: RequestContext, id: string, input: { userId: string; level?: Level; expiresAt?: string | null }) {
    // only single secrets are shared this way (folders and vaults get grants)
    if (!id.startsWith('sec_')) {
      return audited(ctx, { action: 'secret.share', objectType: 'secret', objectId: id }, async () => {
        throw notFound();
      });
    }
    return vaults.createGrant(
      ctx,
      {
        nodeId: id,
        principalType: 'user',
        principalId: input.userId,
        level: input.level ?? 'reveal',
        ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
      },
      { share: true },
    );
  }

  function decodeCursor(c: string | undefined): [string | number, string] | null {
    if (!c) return null;
    try {
      const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' && (typeof v[0] === 'string' || typeof v[0] === 'number')) {
        return v as [string | number, string];
      }
    } catch {
      // fall through
    }
    throw new AppError('validation.failed', 'Invalid cursor.', { details: [{ path: '/cursor', message: 'invalid' }] });
  }

  /**
   * Search and list. Text matches name, username, host, URL, tags, description, folder path and
   * searchable fields — never encrypted values. Scoped in SQL to what the caller may list.
   */
  async function search(ctx: RequestContext, q: SearchQuery & { trash?: boolean; sharedOnly?: boolean }) {
    const action = q.trash ? 'secret.trash_list' : q.sharedOnly ? 'secret.shared_with_me' : 'secret.search';
    return audited(ctx, { action, objectType: 'secret', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const principals = await access.principalsOf(trx, ctx.actor);
      if (!principals) throw new AppError('auth.required', 'Authentication is required.');
      const limit = q.limit ?? 50;
      const sort = q.sort ?? 'name';
      const term = q.q?.trim().normalize('NFKC').toLowerCase() ?? '';
      const tags = q.tag === undefined ? [] : Array.isArray(q.tag) ? q.tag : [q.tag];
      // a text, tag or folder condition usually narrows to few rows: probe visibility per row then
      const narrowed = term !== '' || tags.length > 0 || q.folderId !== undefined;
      // SQLite: a text of three characters or more is looked up in the trigram index, whose
      // candidates then drive the query; folder and visibility conditions are checked per candidate
      // (a top folder holds a large share of all secrets: driving by it, or building its reachable
      // set, cost ~20-45 ms at 1M secrets for a one-row answer). The unary `+` keeps SQLite's
      // planner from using the parent index for them.
      // PostgreSQL: the same, through the pg_trgm index (which also serves three characters and up).
      const textIndexed = [...term].length >= 3;
      const parentCol = textIndexed && sqlite ? sql<string>`+"s"."parent_node_id"` : sql<string>`"s"."parent_node_id"`;
      // a subtree listing finds the subtree's reachable folders once (not with an indexed text)
      const within = q.folderId && !q.direct && !textIndexed && !q.sharedOnly ? q.folderId : undefined;
      let query = trx.selectFrom('secrets as s').selectAll('s');
      query = q.trash ? query.where('s.deleted_at', 'is not', null) : query.where('s.deleted_at', 'is', null);
      if (q.sharedOnly) {
        const now = clock.now();
        query = query.where('s.id', 'in', (eb) =>
          eb
            .selectFrom('grants as g')
            .select('g.node_id')
            .where('g.principal_id', '=', principals.userId)
            .where('g.is_share', '=', 1)
            .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
        );
      } else {
        // a subtree listing finds the subtree's reachable folders once; other narrowed queries
        // probe per candidate row; a plain listing builds the reachable set once
        query = query.where(
          access.secretVisible(ctx.actor, principals, q.trash ? 'edit' : 'list', { correlated: narrowed, ...(within ? { within } : {}) }),
        );
        if (q.includeShared === false) {
          // only what a folder or vault grant reaches: leave out secrets shared one by one
          const now = clock.now();
          query = query.where((eb) =>
            eb.exists(
              eb
                .selectFrom('tree_paths as t')
                .innerJoin('grants as g', 'g.node_id', 't.ancestor_id')
                .select('g.id')
                .whereRef('t.descendant_id', '=', 's.parent_node_id')
                .where('t.inherits', '=', 1)
                .where('g.principal_id', 'in', principals.ids)
                .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
            ),
          );
        }
      }
      if (term) {
        if (textIndexed && sqlite) {
          // the FTS5 trigram index (migration 0004); GLOB is exact, so no second check is needed
          const glob = `*${term.replace(/[*?[\]]/g, (c) => `[${c}]`)}*`;
          query = query.where(
            sql<SqlBool>`s.id in (select k.secret_id from secret_search_keys k where k.k in (select rowid from secret_search where body glob ${glob}))`,
          );
        } else {
          // PostgreSQL: served by the pg_trgm GIN index; SQLite below three characters: a scan
          query = query.where(sql<SqlBool>`s.search_text like ${`%${likeEscape(term)}%`} escape '!'`);
        }
      }
      if (q.vaultId) query = query.where('s.vault_id', '=', q.vaultId);
      if (q.direct) {
        const parent = q.folderId ?? q.vaultId;
        if (!parent)
          throw new AppError('validation.failed', 'direct needs a folderId or a vaultId.', {
            details: [{ path: '/direct', message: 'needs folderId or vaultId' }],
          });
        query = query.where(parentCol, '=', parent);
      } else if (q.folderId && textIndexed) {
        const folderId = q.folderId;
        query = query.where((eb) => {
          const inFolder = eb
            .selectFrom('tree_paths as f')
            .select('f.depth')
            .whereRef('f.descendant_id', '=', parentCol)
            .where('f.ancestor_id', '=', folderId);
          // PostgreSQL would hash the whole subtree instead of probing the candidates (see access.service)
          return eb.exists(sqlite ? inFolder : inFolder.offset(0));
        });
      } else if (q.folderId) {
        const folderId = q.folderId;
        query = query.where('s.parent_node_id', 'in', (eb) =>
          eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', folderId),
        );
      }
      if (q.template) {
        const slug = q.template;
        query = query.where('s.template_id', 'in', (eb) => eb.selectFrom('templates').select('id').where('slug', '=', slug));
      }
      for (const tag of tags)
        query = query.where('s.id', 'in', (eb) => eb.selectFrom('secret_tags').select('secret_id').where('tag', '=', tag));
      const colors = q.color === undefined ? [] : Array.isArray(q.color) ? q.color : [q.color];
      if (colors.length) query = query.where('s.color', 'in', colors);
      if (q.expiringBefore) {
        const t = parseTime(q.expiringBefore, '/expiringBefore') as number;
        query = query.where('s.expires_at', 'is not', null).where('s.expires_at', '<', t);
      }
      const cursor = decodeCursor(q.cursor);
      if (sort === 'name') {
        if (cursor)
          query = query.where((eb) =>
            eb.or([eb('s.name', '>', String(cursor[0])), eb.and([eb('s.name', '=', String(cursor[0])), eb('s.id', '>', cursor[1])])]),
          );
        // PostgreSQL, a folder's subtree: sort what the folder holds rather than walk the name index
        // hoping to meet 51 of its secrets soon (a subtree is a small share of a large store:
        // 100 ms instead of 16 at 1M); `|| ''` keeps the order and hides the index
        query = within && !sqlite ? query.orderBy(sql`s.name || ''`).orderBy('s.id') : query.orderBy('s.name').orderBy('s.id');
      } else {
        const col = sort === 'updated' ? 's.updated_at' : 's.created_at';
        if (cursor)
          query = query.where((eb) =>
            eb.or([eb(col, '<', Number(cursor[0])), eb.and([eb(col, '=', Number(cursor[0])), eb('s.id', '<', cursor[1])])]),
          );
        query = query.orderBy(col, 'desc').orderBy('s.id', 'desc');
      }
      const rows = await query.limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const levels = await access.secretLevels(trx, ctx.actor, principals, page);
      const infos = await pageInfo(trx, page);
      const items = page.map((s, i) => {
        const l = levels.get(s.id) ?? { level: 0, viaTree: 0 };
        return presentWith(s, l.level, l.viaTree < levelRank.list, infos[i] as PageInfo);
      });
      const last = page.at(-1);
      const nextCursor =
        rows.length > limit && last
          ? Buffer.from(
              JSON.stringify([sort === 'name' ? last.name : sort === 'updated' ? last.updated_at : last.created_at, last.id]),
            ).toString('base64url')
          : null;
      ev.details = { count: items.length, ...(q.q ? { query: true } : {}) };
      return { items, nextCursor };
    });
  }

  async function policyOf(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.policy', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      const { s } = await load(trx, ctx, id, 'view');
      const p = await effectivePolicy(trx, s.parent_node_id);
      return { requireReason: p.requireReason ?? false, source: p.source };
    });
  }

  return {
    create,
    get,
    update,
    reveal,
    history,
    revealVersion,
    restoreVersion,
    trash,
    restore,
    purge,
    share,
    search,
    policyOf,
    /** The workflow checks of a reveal (approval, exclusive checkout, time window) for other value paths. */
    gateReveal: async (trx: Executor, ctx: RequestContext, secret: SecretTable, chain?: PolicyNode[]) =>
      deps.revealGate?.(trx, ctx, secret, chain),
    load,
    present,
    effectivePolicy,
    recordChange,
    writeSecretValue,
    overwrite,
  };
}
export type SecretsService = ReturnType<typeof createSecretsService>;
