import type { ImportConflict, ImportReport } from '@coffer/contracts/transfer';
import type { Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { isAppError } from '../../lib/app-error.ts';
import type { Access, Principals } from '../access/access.service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import { customSlug, type SplitValues } from '../secrets/secret-values.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { CustomValue, ImportEntry } from './entries.ts';
import { importValues, SkipEntry } from './import-values.ts';

/** At most this many ids of same-named secrets are listed per clash. */
const LISTED = 20;

type Clash = ImportReport['clashes'][number];

/** What the import loop does with one entry after the clash check. */
export type Decision =
  | { kind: 'create'; clash: Clash | null }
  | { kind: 'skip'; reason: string; clash: Clash }
  | { kind: 'update'; secretId: string; clash: Clash };

/**
 * Name clashes of one import. A clash is an entry whose canonical name (NFKC, trimmed,
 * lower-cased: the form folder and vault names are unique in) is already taken in its target
 * folder by a live secret the caller can see, or by an earlier entry of the same file. Existing
 * names are read once per folder, scoped in SQL like every list.
 */
export function clashResolver(deps: { access: Access }, trx: Trx, ctx: RequestContext, principals: Principals, mode: ImportConflict) {
  const existing = new Map<string, Map<string, string[]>>();
  const firstInFile = new Map<string, number>();

  async function namesIn(nodeId: string): Promise<Map<string, string[]>> {
    let names = existing.get(nodeId);
    if (!names) {
      const rows = await trx
        .selectFrom('secrets as s')
        .select(['s.id', 's.name'])
        .where('s.parent_node_id', '=', nodeId)
        .where('s.deleted_at', 'is', null)
        .where(deps.access.secretVisible(ctx.actor, principals, 'list'))
        .orderBy('s.id')
        .execute();
      names = new Map();
      for (const r of rows) {
        const key = canonicalUsername(r.name);
        const ids = names.get(key);
        if (ids) ids.push(r.id);
        else names.set(key, [r.id]);
      }
      existing.set(nodeId, names);
    }
    return names;
  }

  /** The decision for an entry about to go into `nodeId` (shown as `path`). */
  async function decide(e: ImportEntry, nodeId: string, path: string): Promise<Decision> {
    const key = canonicalUsername(e.name);
    const ids = (await namesIn(nodeId)).get(key) ?? [];
    const fileKey = `${nodeId}/${key}`;
    const earlier = firstInFile.get(fileKey);
    if (earlier === undefined) firstInFile.set(fileKey, e.index);
    if (ids.length === 0 && earlier === undefined) return { kind: 'create', clash: null };
    const clash = (outcome: Clash['outcome']): Clash => ({
      index: e.index,
      name: e.name,
      path,
      existingIds: ids.slice(0, LISTED),
      ...(earlier !== undefined ? { earlierIndex: earlier } : {}),
      outcome,
    });
    if (mode === 'duplicate') return { kind: 'create', clash: clash('duplicated') };
    if (earlier !== undefined) {
      return { kind: 'skip', reason: `repeats the name of entry ${earlier} in the same folder`, clash: clash('skipped') };
    }
    if (mode === 'skip') return { kind: 'skip', reason: 'a secret with this name exists in the folder', clash: clash('skipped') };
    if (ids.length > 1) {
      return { kind: 'skip', reason: `${ids.length} secrets with this name in the folder: none updated`, clash: clash('skipped') };
    }
    return { kind: 'update', secretId: ids[0] as string, clash: clash('updated') };
  }

  return { decide };
}

/**
 * The `update` outcome: the entry written over the existing secret as a new version, in the
 * import's transaction, audited as a `secret.update` of that secret. The file wins where it has a
 * value; fields, custom fields, tags, description, colour and expiry it leaves empty are kept.
 * The entry is read against the existing secret's template (a value that template refuses becomes
 * a custom field, as on create). Returns null, or the reason the entry was skipped instead.
 */
export async function updateFromEntry(
  deps: { secrets: Pick<SecretsService, 'overwrite'>; audit: Pick<AuditLog, 'append'> },
  trx: Trx,
  ctx: RequestContext,
  secretId: string,
  e: ImportEntry,
): Promise<string | null> {
  const fields = Object.fromEntries(Object.entries(e.fields).filter(([, v]) => v !== ''));
  const changed = [...Object.keys(fields), ...e.customFields.map((c) => customSlug(c.name))];
  if (e.tags.length) changed.push('tags');
  if (e.description) changed.push('description');
  if (e.color) changed.push('color');
  if (e.expiresAt !== null) changed.push('expiresAt');
  let row: SecretTable;
  try {
    row = await deps.secrets.overwrite(
      trx,
      ctx,
      secretId,
      (template, current) => {
        const values: SplitValues = importValues(
          { id: '', slug: template.slug, fields: template.fields },
          mergeCustom(e, fields, current),
          current,
        );
        return {
          values,
          ...(e.tags.length ? { tags: e.tags } : {}),
          ...(e.description ? { description: e.description } : {}),
          ...(e.color ? { color: e.color } : {}),
          ...(e.expiresAt !== null ? { expiresAt: e.expiresAt } : {}),
        };
      },
      changed,
    );
  } catch (err) {
    if (err instanceof SkipEntry) return err.message;
    // what an update by hand would answer: the caller may not edit it, or it changed meanwhile
    if (isAppError(err) && (err.code === 'forbidden' || err.code === 'not_found')) return 'no edit access on the existing secret';
    throw err;
  }
  await deps.audit.append(trx, ctx, {
    action: 'secret.update',
    objectType: 'secret',
    objectId: secretId,
    outcome: 'success',
    details: { version: row.version, changed, via: 'import' },
  });
  return null;
}

/** The entry with its non-empty fields only, and its custom fields laid over the existing ones by name. */
function mergeCustom(e: ImportEntry, fields: Record<string, string>, current: SplitValues): ImportEntry {
  const byName = new Map<string, CustomValue>();
  for (const c of current.custom) {
    byName.set(c.name, { name: c.name, type: c.type, value: c.value ?? current.sensitive[customSlug(c.name)] ?? '' });
  }
  for (const c of e.customFields) byName.set(c.name, c);
  return { ...e, fields, customFields: [...byName.values()] };
}
