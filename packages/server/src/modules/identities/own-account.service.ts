import type { User } from '@coffer/contracts/identities';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { Reauth, ReauthProof } from '../auth/reauth.ts';
import { accountWords, passwordProblems, passwordRulesError } from './password-rules.ts';
import { presentUser } from './users.presenter.ts';
import * as repo from './users.repository.ts';

/**
 * The refusal of one's own password on the administrators' path (direct reset, admin request filed
 * or executed): it changes only here, with re-authentication, so a stolen session (or an approver
 * who finds "their own account" harmless) cannot set it. `path` names the offending field.
 */
export const ownPasswordRefused = (path: string) =>
  new AppError('validation.failed', 'Change your own password with POST /api/v1/me/password (coffer passwd).', {
    details: [{ path, message: 'not your own account' }],
  });

/**
 * One's own account (`/api/v1/me/password`, `/api/v1/me/email`): changes a stolen session must not
 * make alone, so each needs re-authentication (auth/reauth.ts), checked outside the transaction
 * (Argon2) and thrown inside the audited use case.
 */
export function createOwnAccountService(deps: {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  audited: ReturnType<typeof createAudited>;
  reauth: Pick<Reauth, 'check'>;
}) {
  const { db, clock, hasher, audited, reauth } = deps;

  /** Needs re-authentication; the new password obeys the rules (checked first, so a refused one
   * spends no TOTP code). Clears a temporary password. Ends every session and key of the user. */
  async function changeOwnPassword(ctx: RequestContext, input: ReauthProof & { newPassword: string }): Promise<void> {
    requireUser(ctx.actor);
    const userId = ctx.actor.userId;
    const u = await repo.findUserById(db, userId);
    const problems = passwordProblems(input.newPassword, { totp: u?.totp_enabled === 1, userInputs: accountWords(u) }, '/newPassword');
    const failure = problems.length === 0 ? await reauth.check(ctx, input) : undefined;
    const hash = problems.length === 0 && !failure ? await hasher.hash(input.newPassword) : null;
    await audited(ctx, { action: 'user.password_change', objectType: 'user', objectId: userId }, async (trx) => {
      if (problems.length > 0) throw passwordRulesError(problems);
      if (failure) throw failure;
      if (!u || !hash) throw new AppError('auth.reauth_failed', 'Re-authentication failed.');
      if (u.must_change_password === 1 && input.newPassword === input.currentPassword) {
        throw new AppError('validation.failed', 'Choose a new password: the temporary one must be replaced.', {
          details: [{ path: '/newPassword', message: 'must differ from the current password' }],
        });
      }
      const now = clock.now();
      await repo.updateUser(trx, userId, { password_hash: hash, must_change_password: 0, updated_at: now });
      await repo.revokeAllCredentials(trx, userId, now, { apiKeys: true });
    });
  }

  /** Self-service e-mail change; needs re-authentication. */
  async function changeOwnEmail(ctx: RequestContext, input: ReauthProof & { email: string }): Promise<User> {
    requireUser(ctx.actor);
    const userId = ctx.actor.userId;
    const failure = await reauth.check(ctx, input);
    return audited(ctx, { action: 'user.email_change', objectType: 'user', objectId: userId }, async (trx, ev) => {
      if (failure) throw failure;
      const u = await repo.findUserById(trx, userId);
      if (!u) throw new AppError('not_found', 'No such user.');
      const now = clock.now();
      await repo.updateUser(trx, userId, { email: input.email, updated_at: now });
      ev.details = { fields: ['email'] };
      return presentUser({ ...u, email: input.email, updated_at: now });
    });
  }

  return { changeOwnPassword, changeOwnEmail };
}
export type OwnAccountService = ReturnType<typeof createOwnAccountService>;
