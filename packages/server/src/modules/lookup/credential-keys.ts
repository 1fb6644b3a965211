import { type Expression, type SqlBool, sql } from 'kysely';
import { AppError } from '../../lib/app-error.ts';
import type { Access } from '../access/access.service.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';

/** Matches beyond this are not loaded (an ambiguity is reported by the caller). */
const CAP = 20;

function sameText(column: 's.name' | 's.username' | 's.host', value: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(trim(${sql.ref(column)})) = lower(cast(${value} as text))`;
}

/**
 * Candidate secrets for a compatibility API's natural keys: by name (senhasegura's credential
 * `identifier`), by host + username (its `hostname` + `username`). Same rules as the other lookups
 * (README): scoped in SQL with access.secretVisible (hidden secrets are never loaded nor counted),
 * case-insensitive on trimmed text, one audit record per lookup. `deleted` looks in the trash
 * instead (visible at `edit`, as the trash list), for a reactivation.
 */
export function createCredentialKeys(deps: { access: Access; audited: ReturnType<typeof createAudited> }) {
  const { access, audited } = deps;

  async function find(
    ctx: RequestContext,
    action: string,
    where: Array<Expression<SqlBool>>,
    opts: { deleted?: boolean },
  ): Promise<string[]> {
    return audited(ctx, { action, objectType: 'secret', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const p = await access.principalsOf(trx, ctx.actor);
      if (!p) throw new AppError('auth.required', 'Authentication is required.');
      let q = trx
        .selectFrom('secrets as s')
        .select('s.id')
        .where('s.deleted_at', opts.deleted ? 'is not' : 'is', null)
        .where(access.secretVisible(ctx.actor, p, opts.deleted ? 'edit' : 'list'));
      for (const w of where) q = q.where(w);
      const rows = await q.orderBy('s.id').limit(CAP).execute();
      ev.details = { matches: rows.length, ...(opts.deleted ? { trash: true } : {}) };
      if (rows.length === 1) ev.objectId = rows[0]?.id ?? null;
      return rows.map((r) => r.id);
    });
  }

  /** Secrets named `name` (trimmed, case-insensitive). */
  const byName = (ctx: RequestContext, name: string, opts: { deleted?: boolean } = {}) =>
    find(ctx, 'lookup.credential_name', [sameText('s.name', name.trim())], opts);

  /** Secrets with this host and username (trimmed, case-insensitive). */
  const byHostUser = (ctx: RequestContext, host: string, username: string, opts: { deleted?: boolean } = {}) =>
    find(ctx, 'lookup.credential_host', [sameText('s.host', host.trim()), sameText('s.username', username.trim())], opts);

  return { byName, byHostUser };
}
export type CredentialKeys = ReturnType<typeof createCredentialKeys>;
