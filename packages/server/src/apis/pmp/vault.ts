// Where resources created through PMP land: the vault whose metadata names the API user (section
// "PMP", user field "Default vault for"), else the vault named "PMP", created on first use by the
// first API user who needs it (its creator gets manage on it, like any vault's creator).
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { PMP_DEFAULT_VAULT } from '../../modules/lookup/pmp-resources.ts';
import type { Kit } from './kit.ts';

export async function pmpVault(kit: Kit, ctx: RequestContext): Promise<string> {
  const found = await kit.resources.vaultFor(ctx);
  if (found) return found;
  try {
    const v = await kit.deps.vaults.createVault(ctx, {
      name: PMP_DEFAULT_VAULT,
      description: 'Resources created through the PMP API (apis/pmp).',
    });
    return v.id;
  } catch (e) {
    // created meanwhile by another request
    if (e instanceof AppError && e.code === 'conflict') {
      const again = await kit.resources.vaultFor(ctx);
      if (again) return again;
    }
    throw e;
  }
}
