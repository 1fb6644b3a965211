// Client-side encryption at the edge of this API: which mode a session works in (it logged in
// with a master password or not), and the key material a client-encrypting client stored with a
// vault (kept as the vault's metadata, section "Passwork": ciphertexts and a hash the server
// cannot open). A session works only on items of its own mode.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { PassworkDeps } from './deps.ts';

export const KEY_SECTION = 'Passwork';
const KEY_FIELDS = ['vaultPasswordCrypted', 'salt', 'passwordHash', 'scope'] as const;

export interface VaultKeys {
  passwordCrypted: string;
  salt: string;
  passwordHash: string;
  scope: string;
}

/** Did the caller's session log in with a master password? */
export function encryptedSession(c: PassworkDeps, req: FastifyRequest): Promise<boolean> {
  return c.clientKeys.usesMasterPassword(c.db, req.ctx.actor.sessionFamilyId);
}

/** The key material of a client-encrypted vault, or null for a vault in clear. */
export async function vaultKeys(c: PassworkDeps, ctx: RequestContext, vaultId: string): Promise<VaultKeys | null> {
  let items: Awaited<ReturnType<PassworkDeps['metadata']['list']>>['items'];
  try {
    ({ items } = await c.metadata.list(ctx, vaultId));
  } catch (e) {
    // a user who reaches only a folder of the vault cannot read its metadata: a vault made by a
    // client-encrypting client is its creator's (README), so it counts as one in clear for them;
    // what they write there is refused to that client by the item check (requireItemMode)
    if (e instanceof AppError && (e.code === 'forbidden' || e.code === 'not_found')) return null;
    throw e;
  }
  const get = (name: string) => {
    const f = items.find((m) => m.section === KEY_SECTION && m.name === name);
    return typeof f?.value === 'string' ? f.value : '';
  };
  const passwordCrypted = get('vaultPasswordCrypted');
  if (!passwordCrypted) return null;
  return { passwordCrypted, salt: get('salt'), passwordHash: get('passwordHash'), scope: get('scope') || 'personal' };
}

/** Stores a new client-encrypted vault's key material. */
export async function storeVaultKeys(c: PassworkDeps, ctx: RequestContext, vaultId: string, keys: VaultKeys): Promise<void> {
  const values: Record<(typeof KEY_FIELDS)[number], string> = {
    vaultPasswordCrypted: keys.passwordCrypted,
    salt: keys.salt,
    passwordHash: keys.passwordHash,
    scope: keys.scope,
  };
  for (const name of KEY_FIELDS) {
    await c.metadata.set(ctx, { nodeId: vaultId, section: KEY_SECTION, name, type: 'string', value: values[name] });
  }
}

const mismatch = (encrypted: boolean) =>
  new AppError(
    'validation.failed',
    encrypted
      ? 'This vault is not client-side encrypted: log in without a master password to use it.'
      : 'This vault is client-side encrypted: log in with its master password to use it.',
    { reason: 'encrypted_vault' },
  );

/** Refuses a session of one mode on a vault of the other. */
export async function requireVaultMode(
  c: PassworkDeps,
  ctx: RequestContext,
  vaultId: string,
  encrypted: boolean,
): Promise<VaultKeys | null> {
  const keys = await vaultKeys(c, ctx, vaultId);
  if (Boolean(keys) !== encrypted) throw mismatch(encrypted);
  return keys;
}

/** Refuses a session of one mode on an item of the other (by the item's template). */
export function requireItemMode(template: string, encryptedTemplate: string, encrypted: boolean): void {
  if ((template === encryptedTemplate) !== encrypted) {
    throw new AppError(
      'validation.failed',
      encrypted
        ? 'This password is not client-side encrypted: log in without a master password to read it.'
        : 'This password is client-side encrypted: log in with the master password to read it.',
      { reason: 'encrypted_vault' },
    );
  }
}
