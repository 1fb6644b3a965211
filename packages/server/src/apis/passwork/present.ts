// Pages of secrets -> Passwork passwords: the favourite marks and the breadcrumbs of a whole page
// in a fixed number of reads; one secret read in one audited reveal (revealCard).
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { PassworkDeps } from './deps.ts';
import { requireItemMode } from './keys.ts';
import { byName, ENCRYPTED_TEMPLATE, fullPassword, listPassword, pathOf, type SecretWire } from './mapper.ts';

/** The reason for a reveal: an X-Coffer-Reason header or `?reason=` (Passwork clients send none). */
export function reasonOf(req: FastifyRequest): string | undefined {
  const h = req.headers['x-coffer-reason'];
  const q = (req.query as { reason?: unknown } | undefined)?.reason;
  const r = typeof h === 'string' ? h : typeof q === 'string' ? q : undefined;
  return r?.trim() ? r.trim().slice(0, 500) : undefined;
}

/** Secrets as list items (no value), in name order. */
export async function presentList(c: PassworkDeps, ctx: RequestContext, items: SecretWire[], opts: { keepOrder?: boolean } = {}) {
  if (!items.length) return [];
  const favorites = ctx.actor.userId
    ? await c.secrets.favoritesAmong(
        c.db,
        ctx.actor.userId,
        items.map((s) => s.id),
      )
    : new Set<string>();
  const chains = await c.vaults.ancestries(
    c.db,
    items.map((s) => s.folderId ?? s.vaultId),
  );
  const out = items.map((s) => listPassword(s, { favorite: favorites.has(s.id), path: pathOf(chains.get(s.folderId ?? s.vaultId) ?? []) }));
  return opts.keepOrder ? out : out.sort(byName);
}

/** One password read whole: a reveal (level, reason, approval, checkout, time window; audited). */
export async function readPassword(c: PassworkDeps, req: FastifyRequest, id: string) {
  const encrypted = await c.clientKeys.usesMasterPassword(c.db, req.ctx.actor.sessionFamilyId);
  const card = await c.secrets.revealCard(req.ctx, id, { reason: reasonOf(req), include: { attachments: true, favorite: true } });
  // a client of the other mode could not read it (nor should it overwrite it)
  requireItemMode(card.secret.template, ENCRYPTED_TEMPLATE, encrypted);
  return fullPassword(card.secret as SecretWire, card.values, {
    favorite: card.favorite ?? false,
    path: pathOf(card.ancestors),
    attachments: [...(card.attachments ?? [])].sort(byName),
  });
}

/** Reads every page of a search (500 a page, at most `maxPages`). */
export async function searchAll(
  c: PassworkDeps,
  ctx: RequestContext,
  q: Parameters<PassworkDeps['secrets']['search']>[1],
  maxPages = 20,
): Promise<SecretWire[]> {
  const out: SecretWire[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await c.secrets.search(ctx, { ...q, limit: 500, sort: 'name', ...(cursor ? { cursor } : {}) });
    out.push(...(page.items as SecretWire[]));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ++pages < maxPages);
  return out;
}
