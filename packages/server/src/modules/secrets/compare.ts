// Which sensitive values a secret already holds, for idempotent saves: compatibility APIs answer
// "changed": false when a client sends again what is stored (the Ansible collection sends the
// password on every run). Needs `edit` (the caller could overwrite the values anyway); a value is
// compared only for a caller who could also reveal it without a gate (level `reveal`, no reason,
// approval, checkout or time window on the way), else it is reported as different, so comparing
// never tells more than a reveal would. Audited as a read (`secret.compare`), values never logged.
import { timingSafeEqual } from 'node:crypto';
import type { AccessPolicy } from '@coffer/contracts/vaults';
import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { Core } from './core.ts';

function gated(chain: Array<{ policy: AccessPolicy }>): boolean {
  return chain.some(({ policy: p }) => Boolean(p.requireReason || p.approval || p.checkout || p.timeWindow));
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createCompare(core: Core) {
  const { deps, load, loadValues, effectivePolicy } = core;

  /** The slugs of `values` (sensitive fields) whose stored value equals the given one. */
  async function sameSensitive(ctx: RequestContext, id: string, values: Record<string, string>): Promise<string[]> {
    return deps.audited(ctx, { action: 'secret.compare', objectType: 'secret', objectId: id, readOnly: true }, async (trx, ev) => {
      const { s, level } = await load(trx, ctx, id, 'edit');
      if (s.e2e || level < levelRank.reveal || gated((await effectivePolicy(trx, s.parent_node_id)).chain)) return [];
      const stored = (await loadValues(trx, s)).sensitive;
      const out = Object.entries(values)
        .filter(([slug, v]) => typeof stored[slug] === 'string' && same(stored[slug], v))
        .map(([slug]) => slug);
      ev.details = { fields: Object.keys(values) };
      return out;
    });
  }

  return { sameSensitive };
}
