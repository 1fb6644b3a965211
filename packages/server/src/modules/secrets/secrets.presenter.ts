// Rows -> wire objects (an allow-list of fields) for secrets and their versions. Below `view` a
// secret shows only what `list` allows: no values' names, no user name, host, URL or tags.

import type { ValueFormat } from '@coffer/contracts/secrets';
import type { Executor } from '../../db/database.ts';
import type { SecretTable, SecretVersionTable } from '../../db/schema.ts';
import { levelName, levelRank } from '../access/levels.ts';
import { SECRET_KIND } from '../e2e/master-password.ts';
import type { ClearFields } from './core.ts';
import { COLUMN_SLUGS } from './secret-values.ts';
import * as repo from './secrets.repository.ts';

export const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export interface PageInfo {
  template: string;
  path: string;
  sensitiveFields: string[];
}

/** What presenting needs beyond the row, for a whole page in three queries. */
export async function pageInfo(exec: Executor, rows: SecretTable[]): Promise<PageInfo[]> {
  if (!rows.length) return [];
  const templateIds = [...new Set(rows.map((r) => r.template_id))];
  const folderIds = [...new Set(rows.filter((r) => r.parent_node_id !== r.vault_id).map((r) => r.parent_node_id))];
  const slugs = new Map((await repo.templateSlugs(exec, templateIds)).map((t) => [t.id, t.slug]));
  const paths = new Map(folderIds.length ? (await repo.folderPaths(exec, folderIds)).map((f) => [f.id, f.path]) : []);
  const fields = new Map<string, string[]>();
  const valueRows = await repo.valueFieldNames(
    exec,
    rows.map((r) => r.id),
  );
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

export function presentWith(s: SecretTable, level: number, shared: boolean, info: PageInfo) {
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
    ...(s.e2e ? { e2e: true } : {}),
    ...(s.e2e === SECRET_KIND.masterPassword ? { e2eScheme: 'master-password' as const } : {}),
    ...(s.e2e && s.value_format ? { valueFormat: s.value_format as ValueFormat } : {}),
    myLevel: levelName(level),
    shared,
    deletedAt: iso(s.deleted_at),
    createdAt: iso(s.created_at) as string,
    updatedAt: iso(s.updated_at) as string,
  };
}

/** One secret as the caller sees it at `level`; `shared`: it reaches them only as a share. */
export async function present(exec: Executor, s: SecretTable, level: number, shared: boolean) {
  const [info] = await pageInfo(exec, [s]);
  return presentWith(s, level, shared, info as PageInfo);
}

/** A secret's versions: who changed which fields when, never the values. */
export function presentHistory(rows: Array<SecretVersionTable & { by_username: string | null }>) {
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
}
