// What the use cases of the secrets service share: their dependencies, loading a secret with the
// caller's level, its values and effective policy, and writing a secret's content as a new
// version. No use case lives here.
import type { TemplateField } from '@coffer/contracts/secrets';
import type { AccessPolicy, Level } from '@coffer/contracts/vaults';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import { liveAttachments } from '../attachments/attachment-store.ts';
import type { createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import { type PolicyNode, policyChain } from '../vaults/policy-chain.ts';
import type { VaultsService } from '../vaults/vaults.service.ts';
import { valuesFilesFavorite } from './card.repository.ts';
import { COLUMN_SLUGS, type SplitValues } from './secret-values.ts';
import * as repo from './secrets.repository.ts';
import type { TemplatesService } from './templates.service.ts';

export interface SecretsDeps {
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
}

export const notFound = () => new AppError('not_found', 'No such secret.');
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

export function parseTime(v: string | null | undefined, path: string): number | null {
  if (v === undefined || v === null) return null;
  const t = Date.parse(v);
  if (!Number.isFinite(t))
    throw new AppError('validation.failed', 'Invalid date.', { details: [{ path, message: 'must be a date-time' }] });
  return t;
}

/** The row of a secret with new values, path and template: clear fields and search text rebuilt. */
export function rowFrom(base: SecretTable, values: SplitValues, path: string, searchable: TemplateField[]): SecretTable {
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

export function createCore(deps: SecretsDeps) {
  const { clock, seal, access, vaults } = deps;

  async function templateOf(exec: Executor, id: string) {
    const t = await repo.templateRow(exec, id);
    return { slug: t.slug, fields: JSON.parse(t.fields) as TemplateField[] };
  }

  async function pathOf(exec: Executor, s: Pick<SecretTable, 'parent_node_id' | 'vault_id'>): Promise<string> {
    if (s.parent_node_id === s.vault_id) return '/';
    const f = await repo.folderPathRow(exec, s.parent_node_id);
    return f?.path ?? '/';
  }

  async function folderPath(exec: Executor, parentNodeId: string, vaultId: string): Promise<string> {
    return pathOf(exec, { parent_node_id: parentNodeId, vault_id: vaultId });
  }

  async function loadValues(exec: Executor, s: SecretTable): Promise<SplitValues> {
    const rows = await repo.valueRows(exec, { id: s.id });
    const sensitive: Record<string, string> = {};
    for (const r of rows) sensitive[r.field] = (await seal.decrypt(exec, valueBinding(s.id, r.field), r.value_enc)).toString('utf8');
    const clear = JSON.parse(s.clear_fields) as ClearFields;
    return { username: s.username, host: s.host, url: s.url, clear: clear.values, custom: clear.custom, sensitive };
  }

  /** The sensitive values, the secret's files (by id), whether it is `userId`'s favourite and whether it has a rotation target: one statement. */
  async function loadCardValues(exec: Executor, s: SecretTable, userId: string) {
    const sensitive: Record<string, string> = {};
    const attachments: Array<{ id: string; name: string }> = [];
    let favorite = false;
    let rotationTarget = false;
    for (const r of await valuesFilesFavorite(exec, { id: s.id, user: userId })) {
      const k = Number(r.k);
      if (k === 0) sensitive[r.a ?? ''] = (await seal.decrypt(exec, valueBinding(s.id, r.a ?? ''), r.b ?? '')).toString('utf8');
      else if (k === 1) attachments.push({ id: r.a ?? '', name: r.b ?? '' });
      else if (k === 2) favorite = true;
      else rotationTarget = true;
    }
    return { sensitive, attachments, favorite, rotationTarget };
  }

  /**
   * The secret and the actor's level on it (and the part of it that comes through the tree);
   * 404 below `list`, 403 below `need`.
   */
  async function load(trx: Executor, ctx: RequestContext, id: string, need: Level, opts: { deleted?: boolean } = {}) {
    const userId = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    const [row] = await repo.secretWithLevels(trx, { id, user: userId ?? '', now: clock.now() });
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
    await repo.deleteValues(trx, id);
    const rows = [];
    for (const [field, value] of Object.entries(values.sensitive)) {
      rows.push({ secret_id: id, field, value_enc: await seal.encrypt(trx, valueBinding(id, field), value) });
    }
    if (rows.length) await repo.insertValues(trx, rows);
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
    await repo.insertVersion(trx, {
      secret_id: s.id,
      version: s.version,
      action,
      changed_by: ctx.actor.userId,
      changed_at: s.updated_at,
      changed_fields: JSON.stringify(changed),
      snapshot: JSON.stringify(snapshot),
      values_enc,
    });
  }

  /** The tags of a secret become `tags` (the caller decides whether they changed). */
  async function replaceTags(trx: Trx, id: string, tags: string[]) {
    await repo.deleteTags(trx, id);
    if (tags.length) await repo.insertTags(trx, id, tags);
  }

  /**
   * The vault or folder a secret goes into; the caller needs `edit` there — except at the root of
   * a vault of personal items (`items_owned_by_creator`), where anyone who may own items may put
   * one (`owned`: the creator then gets `manage` on it; ADR 0025).
   */
  async function placeOf(trx: Executor, ctx: RequestContext, vaultId: string, folderId: string | null | undefined) {
    const vault = await repo.vaultIdRow(trx, vaultId);
    if (!vault) throw new AppError('not_found', 'No such vault.');
    if (folderId) {
      await vaults.requireVisibleVault(trx, ctx, vaultId);
      const f = await repo.folderVaultRow(trx, folderId);
      if (!f || f.vault_id !== vaultId) throw new AppError('not_found', 'No such folder.');
    }
    const parent = folderId ?? vaultId;
    if (!folderId && (await vaults.mayCreateOwned(trx, ctx, vaultId))) return { parent, owned: true };
    await vaults.requireNode(trx, ctx, parent, 'edit', folderId ? 'folder' : 'vault');
    return { parent, owned: false };
  }

  /** The vault or folder a secret goes into; the caller needs `edit` there (see `placeOf`). */
  async function resolveParent(trx: Executor, ctx: RequestContext, vaultId: string, folderId: string | null | undefined) {
    return (await placeOf(trx, ctx, vaultId, folderId)).parent;
  }

  return {
    deps,
    templateOf,
    pathOf,
    folderPath,
    loadValues,
    loadCardValues,
    load,
    effectivePolicy,
    writeValues,
    writeVersion,
    replaceTags,
    placeOf,
    resolveParent,
  };
}
export type Core = ReturnType<typeof createCore>;
