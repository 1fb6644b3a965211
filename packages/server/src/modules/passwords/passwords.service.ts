import type { GeneratePasswords, PasswordPolicy, ResolvedPasswordPolicy } from '@coffer/contracts/passwords';
import { generatePasswords, type RandomInt, resolvePasswordPolicy } from '../../crypto/password-generator.ts';
import { estimateStrength, type PasswordStrength } from '../../crypto/password-strength.ts';
import type { Executor } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';

/**
 * Password generation under policies attached to vaults and folders, and a strength check.
 *
 * Invariants:
 * - a generation at a vault or folder needs at least `list` there; a node the caller cannot list
 *   answers exactly like a missing one (404);
 * - the node's effective password policy (vault down to the folder, reset where a folder does not
 *   inherit the policy) applies, and the caller's own fields override it;
 * - neither a generated nor a checked password reaches the audit trail, a log or an error message:
 *   the audit record holds the action, the node and a count.
 */
export function createPasswordsService(deps: {
  access: Access;
  secrets: Pick<SecretsService, 'effectivePolicy'>;
  audited: ReturnType<typeof createAudited>;
  /** Randomness source; crypto.randomInt unless a test passes another. */
  randomInt?: RandomInt;
}) {
  const { access, secrets, audited } = deps;

  /** The effective password policy of a vault or folder the caller may list; 404 otherwise. */
  async function nodePolicy(trx: Executor, ctx: RequestContext, folderId?: string, vaultId?: string): Promise<PasswordPolicy | null> {
    let nodeId: string;
    if (folderId) {
      const f = await trx.selectFrom('folders').select(['id', 'vault_id']).where('id', '=', folderId).executeTakeFirst();
      const visible = f && (!vaultId || f.vault_id === vaultId) && (await access.nodeLevel(trx, ctx.actor, f.id)) >= levelRank.list;
      if (!visible) throw new AppError('not_found', 'No such folder.');
      nodeId = folderId;
    } else if (vaultId) {
      const v = await trx.selectFrom('vaults').select('id').where('id', '=', vaultId).executeTakeFirst();
      if (!v || (await access.nodeLevel(trx, ctx.actor, v.id)) < levelRank.list) throw new AppError('not_found', 'No such vault.');
      nodeId = vaultId;
    } else return null;
    return (await secrets.effectivePolicy(trx, nodeId)).passwordPolicy ?? null;
  }

  async function generate(ctx: RequestContext, input: GeneratePasswords): Promise<{ passwords: string[]; policy: ResolvedPasswordPolicy }> {
    const objectId = input.folderId ?? input.vaultId ?? null;
    const objectType = input.folderId ? 'folder' : input.vaultId ? 'vault' : 'password';
    return audited(ctx, { action: 'password.generate', objectType, objectId }, async (trx, ev) => {
      requireUser(ctx.actor);
      const inherited = await nodePolicy(trx, ctx, input.folderId, input.vaultId);
      const policy = resolvePasswordPolicy(inherited, input.policy);
      const passwords = generatePasswords(policy, input.count ?? 1, deps.randomInt);
      ev.details = { count: passwords.length };
      return { passwords, policy };
    });
  }

  async function strength(ctx: RequestContext, password: string): Promise<PasswordStrength> {
    return audited(ctx, { action: 'password.strength', objectType: 'password' }, async () => {
      requireUser(ctx.actor);
      return estimateStrength(password);
    });
  }

  return { generate, strength };
}
export type PasswordsService = ReturnType<typeof createPasswordsService>;
