// Sharing one secret with one user: a grant on the secret marked as a share (vaults' grants).
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { Level } from '@coffer/contracts/vaults';
import type { RequestContext } from '../auth/actor.ts';
import { type Core, notFound } from './core.ts';

export function createShares(core: Core) {
  const { vaults, audited } = core.deps;

  async function share(
    ctx: RequestContext,
    id: string,
    input: { userId: string; level?: Level; expiresAt?: string | null; messages?: SecretMessage[] },
  ) {
    // only single secrets are shared this way (folders and vaults get grants)
    if (!id.startsWith('sec_')) {
      return audited(ctx, { action: 'secret.share', objectType: 'secret', objectId: id }, async () => {
        throw notFound();
      });
    }
    return vaults.createGrant(
      ctx,
      {
        nodeId: id,
        principalType: 'user',
        principalId: input.userId,
        level: input.level ?? 'reveal',
        ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
      },
      { share: true, ...(input.messages ? { messages: input.messages } : {}) },
    );
  }

  return { share };
}
