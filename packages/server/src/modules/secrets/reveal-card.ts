// A reveal that also answers the secret's metadata: what a compatibility API that returns a whole
// credential (senhasegura's GET /iso/pam/credential/{id}) reads, in ONE audited reveal. Same checks
// as reveal.ts (level `reveal`, policy reason, workflow gate); the audit record is `secret.reveal`.

import type { Executor } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import { CLIENT_SEALED_READERS, SECRET_KIND } from '../e2e/master-password.ts';
import { e2eUnsupported } from '../e2e/messages.ts';
import type { PolicyNode } from '../vaults/policy-chain.ts';
import type { Core } from './core.ts';
import { notFound } from './core.ts';
import type { createReveal } from './reveal.ts';
import { type PageInfo, presentWith } from './secrets.presenter.ts';
import * as repo from './secrets.repository.ts';

/** The path of the secret's folder: from its policy chain (vault first, the folder last), else read. */
async function pathOf(exec: Executor, s: { parent_node_id: string; vault_id: string }, chain: PolicyNode[]): Promise<string> {
  if (s.parent_node_id === s.vault_id) return '/';
  const last = chain.at(-1);
  if (last && last.id === s.parent_node_id && last.type === 'folder') return last.path;
  return (await repo.folderPaths(exec, [s.parent_node_id]))[0]?.path ?? '/';
}

/** A kind of secret by its template and a tag (e.g. senhasegura's protected information items). */
export interface SecretKindMark {
  template: string;
  tag: string;
}

export function createRevealCard(core: Core, gateWithReason: ReturnType<typeof createReveal>['gateWithReason']) {
  const { deps, loadValues, loadCardValues, load, effectivePolicy } = core;
  // a template's slug never changes (and its id is never reused): kept per process
  const slugs = new Map<string, string>();
  async function slugOf(trx: Parameters<typeof load>[0], templateId: string): Promise<string> {
    const hit = slugs.get(templateId);
    if (hit !== undefined) return hit;
    const [t] = await repo.templateSlugs(trx, [templateId]);
    const slug = t?.slug ?? '';
    if (t) {
      if (slugs.size >= 10_000) slugs.clear();
      slugs.set(templateId, slug);
    }
    return slug;
  }

  /**
   * `exceptKind`: a secret of that kind answers exactly like a missing one (checked before the
   * policy and the gate, so the answer tells nothing of it); spares callers a separate lookup.
   */
  async function revealCard(
    ctx: RequestContext,
    id: string,
    input: {
      reason?: string;
      exceptKind?: SecretKindMark;
      /** Also answer the secret's files (id, name) and whether it is the caller's favourite. */
      include?: { attachments?: boolean; favorite?: boolean; rotationTarget?: boolean };
    },
  ) {
    return deps.audited(
      ctx,
      { action: 'secret.reveal', objectType: 'secret', objectId: id, reason: input.reason ?? null, readOnly: true },
      async (trx, ev) => {
        // loaded at `list` first: a secret of the excluded kind answers like a missing one, even
        // to someone who may list but not reveal it; then `reveal` as in reveal.ts
        const { s, level, viaTree } = await load(trx, ctx, id, 'list');
        const k = input.exceptKind;
        if (k && (JSON.parse(s.tags) as string[]).includes(k.tag) && (await slugOf(trx, s.template_id)) === k.template) {
          throw notFound();
        }
        if (level < levelRank.reveal) throw new AppError('forbidden', 'You need reveal access on this secret.');
        // compatibility APIs read values in clear: an E2E secret has none on the server (ADR 0022)
        // (a master-password secret's ciphertext goes to the surfaces whose clients open it)
        if (s.e2e && (s.e2e !== SECRET_KIND.masterPassword || !CLIENT_SEALED_READERS.has(ctx.via ?? 'native'))) {
          throw e2eUnsupported('Reading the value in clear through this API');
        }
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, input.reason, ev);
        // a whole-credential read takes the files and the favourite mark with the values (one statement)
        const withCard = input.include?.attachments === true || input.include?.favorite === true || input.include?.rotationTarget === true;
        const card = withCard ? await loadCardValues(trx, s, ctx.actor.userId ?? '') : null;
        const values = card ? card.sensitive : (await loadValues(trx, s)).sensitive;
        ev.details = { fields: Object.keys(values), version: s.version, ...reasonFrom };
        // what the presenter's page query would read, from what is at hand: the values' names
        // are the values just read, the slug is cached, the folder's path came with the policy
        // chain (its last link is the secret's folder)
        const info: PageInfo = {
          template: await slugOf(trx, s.template_id),
          path: await pathOf(trx, s, policy.chain),
          sensitiveFields: Object.keys(values).sort(),
        };
        const secret = presentWith(s, level, viaTree < levelRank.list, info);
        // the policy chain it was gated by: an adapter that shows the workflow settings merges it
        // (workflow/policy.ts mergePolicies) instead of reading it again
        // the vault and folders above the secret (vault first), from the chain already read
        const ancestors = policy.chain.map((n) => ({ id: n.id, type: n.type, name: n.name }));
        const attachments = input.include?.attachments ? card?.attachments : undefined;
        const favorite = input.include?.favorite ? card?.favorite : undefined;
        const rotationTarget = input.include?.rotationTarget ? card?.rotationTarget : undefined;
        return {
          secret,
          values,
          chain: policy.chain,
          requireReason: policy.requireReason === true,
          ancestors,
          attachments,
          favorite,
          rotationTarget,
        };
      },
    );
  }

  return { revealCard };
}
