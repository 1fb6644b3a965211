// Revealing values: the current ones, an old version's, and the gate both pass (the effective
// policy's reason, the workflow checks).
// The reveal path is hot (ADR 0006): load, policy chain, gate, values — nothing more.
import type { Executor } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../auth/actor.ts';
import { CLIENT_SEALED_READERS, SECRET_KIND } from '../e2e/master-password.ts';
import type { PolicyNode } from '../vaults/policy-chain.ts';
import { type Core, notFound, versionBinding } from './core.ts';
import { createE2e } from './e2e.ts';
import * as repo from './secrets.repository.ts';

export function createReveal(core: Core) {
  const { deps, loadValues, load, effectivePolicy } = core;
  const { seal, audited } = deps;
  const e2e = createE2e(core);

  /**
   * The workflow gate of a reveal, and its reason: the one given, else (when the policy requires
   * one) the reason of the caller's own live checkout or approved reveal request, which the audit
   * record then carries (`ev.reason`, and `reasonFrom` names where it came from). Without either,
   * a required reason is a validation error.
   */
  async function gateWithReason(
    exec: Executor,
    ctx: RequestContext,
    s: SecretTable,
    policy: { requireReason?: boolean | null; chain: PolicyNode[] },
    given: string | undefined,
    ev: { reason?: string | null },
  ): Promise<{ reasonFrom?: string }> {
    const hasReason = Boolean(given?.trim());
    const grant = await deps.revealGate?.(exec, ctx, s, policy.chain, { wantReason: policy.requireReason === true && !hasReason });
    if (!policy.requireReason || hasReason) return {};
    if (!grant?.reason?.trim()) {
      throw new AppError('validation.failed', 'A reason is required to reveal this secret.', {
        details: [{ path: '/reason', message: 'required by policy' }],
      });
    }
    ev.reason = grant.reason;
    return { reasonFrom: grant.from };
  }

  /** `within`: the vault or folder the caller names as the secret's parent (a compatibility API's
   * resource id); any other parent reads like a missing secret. */
  async function reveal(ctx: RequestContext, id: string, input: { reason?: string; fields?: string[]; within?: string }) {
    return audited(
      ctx,
      { action: 'secret.reveal', objectType: 'secret', objectId: id, reason: input.reason ?? null, readOnly: true },
      async (trx, ev) => {
        const { s } = await load(trx, ctx, id, 'reveal');
        if (input.within !== undefined && input.within !== s.parent_node_id) throw notFound();
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, input.reason, ev);
        if (s.e2e === SECRET_KIND.openpgp) {
          // a compatibility API that expects values in clear gets none of an E2E secret
          if (ctx.via && ctx.via !== 'native' && ctx.via !== 'web' && ctx.via !== 'passbolt') {
            throw e2e.unsupported('Reading the value in clear through this API');
          }
          // the same gate, the same audit record: what is handed out is the caller's own message
          const own = await e2e.reveal(trx, ctx.actor.userId as string, s);
          ev.details = { fields: [], e2e: true, version: s.version, ...reasonFrom };
          return { id: s.id, version: s.version, values: {} as Record<string, string>, e2e: own };
        }
        // a client's ciphertext (the master-password scheme) goes only where its client can be
        const clientSealed = s.e2e === SECRET_KIND.masterPassword;
        if (clientSealed && ctx.via && !CLIENT_SEALED_READERS.has(ctx.via))
          throw e2e.unsupported('Reading the value in clear through this API');
        const values = (await loadValues(trx, s)).sensitive;
        const picked: Record<string, string> = {};
        for (const [k, v] of Object.entries(values)) if (!input.fields || input.fields.includes(k)) picked[k] = v;
        ev.details = {
          fields: Object.keys(picked),
          version: s.version,
          ...(clientSealed ? { e2e: 'master-password' } : {}),
          ...reasonFrom,
        };
        return { id: s.id, version: s.version, values: picked, ...(clientSealed ? { e2eScheme: 'master-password' as const } : {}) };
      },
    );
  }

  /**
   * For an API that deals only in OpenPGP messages (Passbolt): the caller's own message of an E2E
   * secret through the same load, level, policy, gate and `secret.reveal` record as `reveal`; a
   * secret that is not end-to-end encrypted reads like a missing one, before any value is opened.
   * No rotation state (such an API's answer has no place for it: the readers computation is spared).
   */
  async function revealMessage(ctx: RequestContext, id: string, input: { reason?: string } = {}) {
    return audited(
      ctx,
      { action: 'secret.reveal', objectType: 'secret', objectId: id, reason: input.reason ?? null, readOnly: true },
      async (trx, ev) => {
        const { s } = await load(trx, ctx, id, 'reveal');
        if (s.e2e !== SECRET_KIND.openpgp) throw notFound();
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, input.reason, ev);
        const own = await e2e.ownMessageOf(trx, ctx.actor.userId as string, s);
        ev.details = { fields: [], e2e: true, version: s.version, ...reasonFrom };
        return { id: s.id, version: s.version, ...own };
      },
    );
  }

  async function revealVersion(ctx: RequestContext, id: string, version: number, reason?: string) {
    return audited(
      ctx,
      { action: 'secret.reveal_version', objectType: 'secret', objectId: id, reason: reason ?? null },
      async (trx, ev) => {
        const { s } = await load(trx, ctx, id, 'reveal');
        if (s.e2e) throw e2e.unsupported("Revealing an old version's value");
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, reason, ev);
        const v = await repo.versionRow(trx, id, version);
        if (!v) throw new AppError('not_found', 'No such version.');
        const values = v.values_enc
          ? (JSON.parse((await seal.decrypt(trx, versionBinding(id, version), v.values_enc)).toString('utf8')) as Record<string, string>)
          : {};
        ev.details = { version, fields: Object.keys(values), ...reasonFrom };
        return { id, version, values };
      },
    );
  }

  /** The workflow checks of a reveal (approval, exclusive checkout, time window) for other value paths. */
  const gateReveal = async (trx: Executor, ctx: RequestContext, secret: SecretTable, chain?: PolicyNode[]) =>
    deps.revealGate?.(trx, ctx, secret, chain);

  return { reveal, revealMessage, revealVersion, gateReveal, gateWithReason };
}
