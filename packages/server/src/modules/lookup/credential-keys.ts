import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { DB, SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Access } from '../access/access.service.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';

/** A sort of secret an adapter keeps apart: a template and a tag it carries. */
export interface SecretKind {
  template: string;
  tag: string;
}

/** `deleted`: in the trash instead; `kind`: only secrets of this kind; `exceptKind`: none of that kind. */
export interface KeyOptions {
  deleted?: boolean;
  kind?: SecretKind;
  exceptKind?: SecretKind;
}

/** Matches beyond this are not loaded (an ambiguity is reported by the caller). */
const CAP = 20;

function sameText(column: 's.name' | 's.username' | 's.host', value: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(trim(${sql.ref(column)})) = lower(cast(${value} as text))`;
}

function ofKind(eb: ExpressionBuilder<DB & { s: SecretTable }, 's'>, k: SecretKind): Expression<SqlBool> {
  return eb.and([
    eb('s.template_id', 'in', eb.selectFrom('templates').select('id').where('slug', '=', k.template)),
    eb('s.id', 'in', eb.selectFrom('secret_tags').select('secret_id').where('tag', '=', k.tag)),
  ]);
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

  async function find(ctx: RequestContext, action: string, where: Array<Expression<SqlBool>>, opts: KeyOptions): Promise<string[]> {
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
      const { kind, exceptKind } = opts;
      if (kind) q = q.where((eb) => ofKind(eb, kind));
      if (exceptKind) q = q.where((eb) => eb.not(ofKind(eb, exceptKind)));
      const rows = await q.orderBy('s.id').limit(CAP).execute();
      ev.details = { matches: rows.length, ...(opts.deleted ? { trash: true } : {}) };
      if (rows.length === 1) ev.objectId = rows[0]?.id ?? null;
      return rows.map((r) => r.id);
    });
  }

  /** Secrets named `name` (trimmed, case-insensitive). */
  const byName = (ctx: RequestContext, name: string, opts: KeyOptions = {}) =>
    find(ctx, 'lookup.credential_name', [sameText('s.name', name.trim())], opts);

  /** Secrets with this host and username (trimmed, case-insensitive). */
  const byHostUser = (ctx: RequestContext, host: string, username: string, opts: KeyOptions = {}) =>
    find(ctx, 'lookup.credential_host', [sameText('s.host', host.trim()), sameText('s.username', username.trim())], opts);

  /** The secret with this id when the caller may see it (with `deleted`: in the trash, at `edit`) and it is of `kind`. */
  const byId = async (ctx: RequestContext, id: string, opts: KeyOptions = {}) =>
    (await find(ctx, 'lookup.credential_id', [sql<SqlBool>`${sql.ref('s.id')} = ${id}`], opts))[0];

  return { byName, byHostUser, byId };
}
export type CredentialKeys = ReturnType<typeof createCredentialKeys>;
