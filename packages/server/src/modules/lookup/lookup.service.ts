import type { CredentialLookupQuery, FolderLookupQuery, FolderRef, PmpLookupQuery, SecretLookupQuery } from '@coffer/contracts/lookup';
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import type { FolderTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Access, Principals } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { VaultsService } from '../vaults/vaults.service.ts';

/** Deeper paths than this cannot exist in practice; refusing them bounds the walk. */
const MAX_SEGMENTS = 100;
/** Matches counted for an ambiguity message; beyond it the message says "more than". */
const COUNT_CAP = 100;

const noFolder = () => new AppError('not_found', 'No such folder.');
const noSecret = () => new AppError('not_found', 'No such secret.');
const noAccount = () => new AppError('not_found', 'No such resource or account.');

/**
 * `/A/B`, `\A\B`, `A/B/`, ` a / b ` -> the canonical segment names ['a', 'b'] (NFKC, trimmed,
 * lower-cased, the form of folders.name_canonical). Empty segments are dropped, so `/`, `\` and
 * `` name the vault top. Folder names cannot hold a slash or a backslash, so splitting is exact.
 */
export function pathSegments(path: string): string[] {
  const segments = path
    .split(/[\\/]/)
    .map(canonicalUsername)
    .filter((s) => s.length > 0);
  if (segments.length > MAX_SEGMENTS) {
    throw new AppError('validation.failed', 'The path is too deep.', {
      details: [{ path: '/path', message: `at most ${MAX_SEGMENTS} folders` }],
    });
  }
  return segments;
}

/** senhasegura's `username@hostname`, split at the last `@` (a username may hold one). */
export function splitIdentifier(identifier: string): { username: string; host: string } {
  const at = identifier.lastIndexOf('@');
  const username = at < 0 ? '' : identifier.slice(0, at).trim();
  const host = at < 0 ? '' : identifier.slice(at + 1).trim();
  if (!username || !host) {
    throw new AppError('validation.failed', 'The identifier must be username@hostname.', {
      details: [{ path: '/identifier', message: 'must be username@hostname' }],
    });
  }
  return { username, host };
}

/** Case-insensitive equality of a text column and a value, evaluated by the database on both sides. */
function sameText(column: 's.name' | 's.username' | 's.host', value: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(trim(${sql.ref(column)})) = lower(cast(${value} as text))`;
}

function ambiguous(n: number, what: string): AppError {
  const count = n > COUNT_CAP ? `More than ${COUNT_CAP}` : String(n);
  return new AppError('conflict', `${count} ${what} match; use the id, or make the names unique.`);
}

/**
 * Lookups by names: Secret Server folder paths, secrets by path and name, PMP resource/account
 * names, senhasegura `username@hostname`.
 *
 * Invariants:
 * - scoped to the caller: what they cannot see answers exactly like what does not exist (404,
 *   one message per lookup whichever part of the name is missing or hidden);
 * - secret candidates are selected in SQL with access.secretVisible, so hidden secrets are never
 *   loaded, never counted, and never make a lookup ambiguous;
 * - several visible matches are a 409 with their count, never their ids;
 * - names match without regard to case and surrounding spaces: folders and vaults through their
 *   canonical column, secrets by `lower(trim(column))` in the database (ASCII case folding on
 *   SQLite, the collation's on PostgreSQL);
 * - each lookup writes one audit record; the secret it returns is read at `view` like GET /secrets/:id.
 */
export function createLookupService(deps: {
  access: Access;
  vaults: Pick<VaultsService, 'seesInside'>;
  secrets: Pick<SecretsService, 'load' | 'present'>;
  audited: ReturnType<typeof createAudited>;
}) {
  const { access, vaults, secrets, audited } = deps;

  async function principals(trx: Executor, ctx: RequestContext): Promise<Principals> {
    requireUser(ctx.actor);
    const p = await access.principalsOf(trx, ctx.actor);
    if (!p) throw new AppError('auth.required', 'Authentication is required.');
    return p;
  }

  /** Vault name + canonical segments -> the vault and the folder (null: the vault top). No access check. */
  async function walk(trx: Executor, vaultName: string, segments: string[]) {
    const vault = await trx.selectFrom('vaults').select('id').where('name_canonical', '=', canonicalUsername(vaultName)).executeTakeFirst();
    if (!vault) return undefined;
    let folder: FolderTable | null = null;
    let parent = vault.id;
    for (const segment of segments) {
      // folder names are unique among siblings in this canonical form: at most one row
      const next = await trx
        .selectFrom('folders')
        .selectAll()
        .where('parent_node_id', '=', parent)
        .where('name_canonical', '=', segment)
        .executeTakeFirst();
      if (!next) return undefined;
      folder = next;
      parent = next.id;
    }
    return { vaultId: vault.id, folder };
  }

  /** The matched secret, read like GET /secrets/:id (403 below `view`). */
  async function presentOne(trx: Executor, ctx: RequestContext, p: Principals, id: string) {
    const { s, level } = await secrets.load(trx, ctx, id, 'view');
    const viaFolder = await access.nodeLevel(trx, ctx.actor, s.parent_node_id, p);
    return secrets.present(trx, s, level, viaFolder < levelRank.list);
  }

  async function folder(ctx: RequestContext, q: FolderLookupQuery): Promise<FolderRef> {
    return audited(ctx, { action: 'lookup.folder', objectType: 'folder' }, async (trx, ev) => {
      await principals(trx, ctx);
      const found = await walk(trx, q.vault, pathSegments(q.path));
      if (!found) throw noFolder();
      const nodeId = found.folder?.id ?? found.vaultId;
      // visible like GET /folders/:id: a grant on it or above, or something visible inside it
      const level = await access.nodeLevel(trx, ctx.actor, nodeId);
      if (level < levelRank.list && !(await vaults.seesInside(trx, ctx, nodeId))) throw noFolder();
      ev.objectId = nodeId;
      return { vaultId: found.vaultId, folderId: found.folder?.id ?? null, path: found.folder?.path ?? '/' };
    });
  }

  async function secret(ctx: RequestContext, q: SecretLookupQuery) {
    return audited(ctx, { action: 'lookup.secret', objectType: 'secret' }, async (trx, ev) => {
      const p = await principals(trx, ctx);
      const name = q.name.trim();
      if (!name) throw noSecret();
      // no visibility check on the folders on the way: a secret shared to the caller sits in a
      // folder they may not see, and its path is part of what they can read about it
      const found = await walk(trx, q.vault, pathSegments(q.path));
      if (!found) throw noSecret();
      const rows = await trx
        .selectFrom('secrets as s')
        .select('s.id')
        .where('s.parent_node_id', '=', found.folder?.id ?? found.vaultId)
        .where('s.deleted_at', 'is', null)
        .where(sameText('s.name', name))
        .where(access.secretVisible(ctx.actor, p, 'list'))
        .limit(COUNT_CAP + 1)
        .execute();
      ev.details = { matches: rows.length };
      const [only] = rows;
      if (!only) throw noSecret();
      if (rows.length > 1) throw ambiguous(rows.length, 'secrets with this name in this folder');
      ev.objectId = only.id;
      return presentOne(trx, ctx, p, only.id);
    });
  }

  async function pmp(ctx: RequestContext, q: PmpLookupQuery) {
    return audited(ctx, { action: 'lookup.pmp', objectType: 'secret' }, async (trx, ev) => {
      const p = await principals(trx, ctx);
      const resource = canonicalUsername(q.resourceName);
      const account = q.accountName.trim();
      if (!resource || !account) throw noAccount();
      // a visible secret makes its folder visible too (a grant reaches it or lies inside it), so
      // scoping the secrets scopes the resources
      const candidates = (by: 's.username' | 's.name') =>
        trx
          .selectFrom('secrets as s')
          .select(['s.id', 's.parent_node_id'])
          // the resource is a folder, or a vault for the accounts at its top (PMP's model in apis/pmp)
          .where((eb) =>
            eb.or([
              eb('s.parent_node_id', 'in', eb.selectFrom('folders').select('folders.id').where('folders.name_canonical', '=', resource)),
              eb('s.parent_node_id', 'in', eb.selectFrom('vaults').select('vaults.id').where('vaults.name_canonical', '=', resource)),
            ]),
          )
          .where('s.deleted_at', 'is', null)
          .where(sameText(by, account))
          .where(access.secretVisible(ctx.actor, p, 'list'))
          .limit(COUNT_CAP + 1)
          .execute();
      let rows = await candidates('s.username');
      if (rows.length === 0) rows = await candidates('s.name');
      ev.details = { matches: rows.length };
      const [only] = rows;
      if (!only) throw noAccount();
      if (rows.length > 1) throw ambiguous(rows.length, 'accounts with this resource and account name');
      ev.objectId = only.id;
      return { resourceId: only.parent_node_id, accountId: only.id };
    });
  }

  async function credential(ctx: RequestContext, q: CredentialLookupQuery) {
    return audited(ctx, { action: 'lookup.credential', objectType: 'secret' }, async (trx, ev) => {
      const p = await principals(trx, ctx);
      const { username, host } = splitIdentifier(q.identifier);
      const rows = await trx
        .selectFrom('secrets as s')
        .select('s.id')
        .where('s.deleted_at', 'is', null)
        .where(sameText('s.username', username))
        .where(sameText('s.host', host))
        .where(access.secretVisible(ctx.actor, p, 'list'))
        .limit(COUNT_CAP + 1)
        .execute();
      ev.details = { matches: rows.length };
      const [only] = rows;
      if (!only) throw noSecret();
      if (rows.length > 1) throw ambiguous(rows.length, 'credentials with this username and host');
      ev.objectId = only.id;
      return presentOne(trx, ctx, p, only.id);
    });
  }

  return { folder, secret, pmp, credential };
}
export type LookupService = ReturnType<typeof createLookupService>;
