import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { SealManager } from '../sys/seal.ts';
import { type RequestContext, requireUser } from './actor.ts';
import { accountKey, clearFailures, isLocked, recordFailure } from './login-throttle.ts';
import type { SecondFactor } from './second-factor.ts';

/** What the caller sends to prove it is still the account's owner (contracts `ReauthFields`). */
export interface ReauthProof {
  currentPassword?: string | undefined;
  totpCode?: string | undefined;
  recoveryCode?: string | undefined;
}

const wrongProof = () =>
  new AppError('auth.reauth_failed', 'Re-authentication failed: the current password or the second factor is wrong.');

/**
 * Re-authentication for changes a stolen session must not make on its own: new recovery codes, API
 * keys, TOTP removal, password and e-mail change. The caller proves again what login asked for:
 * the current password, plus a TOTP code (or a recovery code) when the account has TOTP.
 *
 * - The password is checked with the Argon2 hasher; a TOTP step and a recovery code are accepted
 *   once, as at login (second-factor.ts).
 * - A wrong answer counts on the account's login-failure row, exactly like a failed login (same
 *   key, same progressive and hard lock); a locked account's re-authentication fails whatever it
 *   answers. A right one clears the row, as a successful login does.
 * - It answers `auth.reauth_failed` (403): the session itself stays valid, so clients keep it.
 *
 * `check` runs outside any transaction (Argon2 must not hold the database) and before the use
 * case; it returns the error for the use case to throw inside its `audited()` call, so the denial
 * is recorded under the use case's own action, after its authorization check.
 */
export function createReauth(deps: {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  seal: SealManager;
  secondFactor: SecondFactor;
  login: { freeFailures: number; hardLockFailures: number };
}) {
  const { db, clock, hasher, seal, secondFactor } = deps;

  async function check(ctx: RequestContext, proof: ReauthProof): Promise<AppError | undefined> {
    requireUser(ctx.actor);
    if (!proof.currentPassword) {
      return new AppError('auth.reauth_failed', 'Confirm this change with your current password (currentPassword).', {
        details: [{ path: '/currentPassword', message: 'required' }],
      });
    }
    const user = await db
      .selectFrom('users')
      .select(['id', 'kind', 'status', 'password_hash', 'username_canonical', 'totp_enabled', 'totp_secret_enc'])
      .where('id', '=', ctx.actor.userId)
      .executeTakeFirst();
    if (user?.kind !== 'human' || user.status !== 'active' || user.password_hash === null) {
      // API users have no password: their keys are made by an administrator
      return new AppError('auth.reauth_failed', 'This account has no password to confirm changes with.');
    }
    const totpOn = user.totp_enabled === 1;
    if (totpOn && !proof.totpCode && !proof.recoveryCode) {
      // asked before the password is checked: the answer says nothing about the password
      return new AppError('auth.reauth_failed', 'Your account has TOTP: send totpCode (or recoveryCode) with currentPassword.', {
        details: [{ path: '/totpCode', message: 'required when TOTP is enabled' }],
      });
    }
    const account = accountKey(seal.requireKeys().tokenHmacKey, user.username_canonical);
    const locked = await isLocked(db, account, clock.now());
    const passwordOk = (await hasher.verify(user.password_hash, proof.currentPassword)).ok;
    let secondOk = true;
    // the second factor is spent only once the password is right (as at login)
    if (passwordOk && !locked && totpOn) {
      secondOk = proof.totpCode
        ? await secondFactor.useTotp(user.id, user.totp_secret_enc, proof.totpCode)
        : await secondFactor.useRecoveryCode(user.id, proof.recoveryCode as string);
    }
    if (!passwordOk || locked || !secondOk) {
      const now = clock.now();
      await db.transaction().execute((trx) => recordFailure(trx, account, now, deps.login));
      return wrongProof();
    }
    await clearFailures(db, account);
    return undefined;
  }

  return { check };
}
export type Reauth = ReturnType<typeof createReauth>;
