// Where this API's objects live: one vault (a setting, default "senhasegura", created on first use
// by the API user, who then owns it) with one folder per device (its hostname).
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { Ctx } from './deps.ts';

async function retryOnConflict<T>(find: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> {
  const found = await find();
  if (found !== undefined) return found;
  try {
    return await create();
  } catch (e) {
    // created by a concurrent request in between: use it
    if (isAppError(e) && e.code === 'conflict') {
      const again = await find();
      if (again !== undefined) return again;
    }
    throw e;
  }
}

const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p;
  } catch (e) {
    if (isAppError(e) && e.code === 'not_found') return undefined;
    throw e;
  }
};

/** The vault's id, created when it does not exist; one that exists but is hidden is refused. */
export async function ensureVault(c: Ctx, ctx: RequestContext): Promise<string> {
  try {
    return await retryOnConflict(
      async () => (await orUndefined(c.lookup.folder(ctx, { vault: c.vaultName, path: '/' })))?.vaultId,
      async () =>
        (await c.vaults.createVault(ctx, { name: c.vaultName, description: 'Credentials and devices created through the senhasegura API' }))
          .id,
    );
  } catch (e) {
    if (isAppError(e) && e.code === 'conflict') {
      throw new AppError(
        'forbidden',
        `The vault "${c.vaultName}" exists but this API user has no access to it; ask an administrator for a grant.`,
      );
    }
    throw e;
  }
}

/** The device's folder in the vault, if it exists and is visible. */
export async function findDevice(c: Ctx, ctx: RequestContext, hostname: string): Promise<string | undefined> {
  if (!validHostname(hostname)) return undefined;
  const ref = await orUndefined(c.lookup.folder(ctx, { vault: c.vaultName, path: `/${hostname}` }));
  return ref?.folderId ?? undefined;
}

/** The device's folder, created when missing. */
export async function ensureDevice(
  c: Ctx,
  ctx: RequestContext,
  vaultId: string,
  hostname: string,
): Promise<{ id: string; created: boolean }> {
  if (!validHostname(hostname)) {
    throw new AppError('validation.failed', 'A hostname cannot hold a slash or a backslash.', {
      details: [{ path: '/hostname', message: 'invalid' }],
    });
  }
  let created = false;
  const id = await retryOnConflict(
    () => findDevice(c, ctx, hostname),
    async () => {
      const f = await c.vaults.createFolder(ctx, { vaultId, name: hostname });
      created = true;
      return f.id;
    },
  );
  return { id, created };
}

function validHostname(h: string): boolean {
  return h.length > 0 && h.length <= 200 && !/[\\/]/.test(h);
}
