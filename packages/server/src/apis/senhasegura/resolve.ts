// senhasegura's ways of naming a credential -> a Coffer secret id: the integer id, the
// identifier, or username@hostname. What the caller cannot see answers like what does not exist.
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { Ctx } from './deps.ts';
import { INFO_KIND } from './mapper.ts';

const missing = () => new AppError('not_found', 'No such credential.');
const INT = /^[1-9][0-9]{0,14}$/;

/**
 * `ref` is the path segment (Fastify has decoded it; an unencoded `@` arrives as is). Order: an
 * integer id; else the identifier (the secret's name); else `username@hostname`, split at the
 * LAST `@` — hostnames hold no `@`, so a username with one still resolves (senhasegura documents
 * that case as not working). `deleted`: look in the trash (a reactivation).
 */
export async function resolveCredential(c: Ctx, ctx: RequestContext, ref: string, opts: { deleted?: boolean } = {}): Promise<string> {
  return (await resolveCredentialNumbered(c, ctx, ref, opts)).id;
}

/** As resolveCredential, with the integer id when the reference was one (spares a lookup). */
export async function resolveCredentialNumbered(
  c: Ctx,
  ctx: RequestContext,
  ref: string,
  opts: { deleted?: boolean; readsWithKindCheck?: boolean } = {},
): Promise<{ id: string; num?: number; checked: boolean }> {
  const r = ref.trim();
  if (!r) throw missing();
  if (INT.test(r)) {
    const id = await c.numbering.idOf(c.db, 'secret', Number(r));
    // a read checks visibility and kind itself, in its one audited reveal (revealCard's exceptKind)
    if (id && opts.readsWithKindCheck) return { id, num: Number(r), checked: false };
    // a visible secret that is not a protected information item (those are info.ts's)
    if (id && (await c.keys.byId(ctx, id, { ...opts, exceptKind: INFO_KIND }))) return { id, num: Number(r), checked: true };
  }
  // a protected information item (info.ts) is no credential, whatever its name
  const named = await c.keys.byName(ctx, r, { ...opts, exceptKind: INFO_KIND });
  const one = single(named);
  if (one) return { id: one, checked: true };
  const at = r.lastIndexOf('@');
  if (at > 0 && at < r.length - 1) {
    const found = await c.keys.byHostUser(ctx, r.slice(at + 1), r.slice(0, at), opts);
    const hit = single(found);
    if (hit) return { id: hit, checked: true };
  }
  throw missing();
}

function single(ids: string[]): string | undefined {
  if (ids.length > 1) throw new AppError('conflict', `${ids.length} credentials match; use the id.`);
  return ids[0];
}
