// Where the Passbolt API's resources and folders live (ADR 0025 "Resources"): the E2E vault of
// personal items named by `passboltVault` (its top is Passbolt's root: no folder), created on
// first need by the vaults service; every other E2E vault the caller sees shows as a top-level
// folder (its UUID from the vault's object number). Server-encrypted vaults are not shown.
import type { FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../lib/app-error.ts';
import { invalid } from './body.ts';
import { ANY_UUID } from './ids.ts';
import type { PassboltContext } from './surface.ts';

export interface Place {
  vaultId: string;
  /** null: the vault's top. */
  folderId: string | null;
}

/** The Passbolt vault's id, created when missing (audited). */
export function homeVault(c: PassboltContext, req: FastifyRequest): Promise<string> {
  return c.vaults.ownedItemsVault(req.ctx, c.vaultName);
}

/** null for a vault or folder the caller cannot see (or that is gone); other errors stand. */
export async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isAppError(e) && (e.code === 'not_found' || e.code === 'forbidden')) return null;
    throw e;
  }
}

/** The E2E vaults the caller sees (the Passbolt vault among them once they have something in it). */
/** A vault (or node) whose values are OpenPGP messages: what this API deals in (not Passwork's master-password scheme). */
export const isOpenpgp = (v: { encryption: string; e2eScheme?: string }) => v.encryption === 'e2e' && v.e2eScheme !== 'master-password';

export async function visibleE2eVaults(c: PassboltContext, req: FastifyRequest) {
  const all = await c.vaults.listVaults(req.ctx);
  const e2e = all.items.filter(isOpenpgp);
  const canonical = c.vaultName.trim().toLowerCase();
  const home = e2e.find((v) => v.itemsOwnedByCreator && v.name.trim().toLowerCase() === canonical);
  return { vaults: e2e, home: home?.id };
}

/**
 * The place a `folder_parent_id` names: null or absent, the Passbolt vault's top; a folder's UUID,
 * that folder; an E2E vault's UUID, that vault's top. Anything else (another kind, a folder the
 * caller cannot see, a server-encrypted vault) is refused as a missing folder.
 */
export async function placeOf(c: PassboltContext, req: FastifyRequest, raw: unknown, summary: string): Promise<Place> {
  if (raw === undefined || raw === null || raw === '') return { vaultId: await homeVault(c, req), folderId: null };
  if (typeof raw !== 'string' || !ANY_UUID.test(raw)) {
    throw invalid('folder_parent_id', 'uuid', 'The folder parent identifier should be a valid UUID.', summary);
  }
  const missing = () => invalid('folder_parent_id', 'folder_exists', 'The folder parent does not exist.', summary);
  const orMissing = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (isAppError(e) && (e.code === 'not_found' || e.code === 'forbidden')) throw missing();
      throw e;
    }
  };
  const folderId = await c.ids.idOf('folder', raw);
  if (folderId) {
    const f = await orMissing(c.vaults.getFolder(req.ctx, folderId));
    // the folder's vault: seen through the folder at least; a server-encrypted one holds no resources
    const v = await orMissing(c.vaults.getVault(req.ctx, f.vaultId));
    if (!isOpenpgp(v)) throw missing();
    return { vaultId: f.vaultId, folderId };
  }
  const vaultId = await c.ids.idOf('vault', raw);
  if (vaultId) {
    const v = await orMissing(c.vaults.getVault(req.ctx, vaultId));
    if (!isOpenpgp(v)) throw missing();
    return { vaultId, folderId: null };
  }
  throw missing();
}

/** A Passbolt folder UUID -> the Coffer node it names (a folder, or an E2E vault's top); undefined: none. */
export async function nodeOfFolderUuid(c: PassboltContext, uuid: string): Promise<Place | undefined> {
  if (!ANY_UUID.test(uuid)) return undefined;
  const folderId = await c.ids.idOf('folder', uuid);
  if (folderId) return { vaultId: '', folderId };
  const vaultId = await c.ids.idOf('vault', uuid);
  return vaultId ? { vaultId, folderId: null } : undefined;
}

export const notFoundResource = () => new AppError('not_found', 'The resource does not exist.');
