import { keyedHash } from '../../crypto/tokens.ts';
import { base32Encode, matchTotp, newTotpSecret, otpauthUri } from '../../crypto/totp.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { revokeAllCredentials } from '../identities/users.repository.ts';
import type { SealManager } from '../sys/seal.ts';
import { type RequestContext, requireUser } from './actor.ts';
import { newRecoveryCode } from './auth.service.ts';
import type { Reauth, ReauthProof } from './reauth.ts';

const RECOVERY_CODES = 10;

/**
 * TOTP second factor. Enrolment stores the seed encrypted (bound to the user and field) but
 * inactive; confirming with a valid code activates it and returns recovery codes (shown once,
 * stored as keyed hashes, each usable once). Changing the factor ends the user's other sessions.
 */
export function createTotpService(deps: { clock: Clock; seal: SealManager; audited: ReturnType<typeof createAudited>; reauth: Reauth }) {
  const { clock, seal, audited, reauth } = deps;
  const binding = (userId: string) => ({ type: 'user', id: userId, field: 'totp_secret' });

  /**
   * Needs re-authentication (the password: no TOTP yet). Without it a stolen session could turn
   * TOTP on with a seed only the thief holds; confirming would end the owner's other sessions and
   * the owner could not sign in again.
   */
  async function begin(ctx: RequestContext, proof: { currentPassword: string }) {
    const failure = await reauth.check(ctx, { currentPassword: proof.currentPassword });
    return audited(ctx, { action: 'mfa.totp_begin', objectType: 'user', objectId: ctx.actor.userId }, async (trx) => {
      requireUser(ctx.actor);
      const u = await trx
        .selectFrom('users')
        .select(['totp_enabled', 'username'])
        .where('id', '=', ctx.actor.userId)
        .executeTakeFirstOrThrow();
      // before the proof: with TOTP on, re-authentication asked for a code and checked nothing
      if (u.totp_enabled === 1) throw new AppError('conflict', 'TOTP is already enabled; disable it first.');
      if (failure) throw failure;
      const secret = newTotpSecret();
      const enc = await seal.encrypt(trx, binding(ctx.actor.userId), secret);
      await trx.updateTable('users').set({ totp_secret_enc: enc, totp_last_step: null }).where('id', '=', ctx.actor.userId).execute();
      return { secret: base32Encode(secret), otpauthUri: otpauthUri(secret, u.username) };
    });
  }

  async function confirm(ctx: RequestContext, code: string) {
    return audited(ctx, { action: 'mfa.totp_enable', objectType: 'user', objectId: ctx.actor.userId }, async (trx) => {
      requireUser(ctx.actor);
      const userId = ctx.actor.userId;
      const u = await trx
        .selectFrom('users')
        .select(['totp_enabled', 'totp_secret_enc'])
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      if (u.totp_enabled === 1) throw new AppError('conflict', 'TOTP is already enabled.');
      if (!u.totp_secret_enc) throw new AppError('conflict', 'Start the enrolment first.');
      const secret = await seal.decrypt(trx, binding(userId), u.totp_secret_enc);
      const step = matchTotp(secret, code, clock.now());
      secret.fill(0);
      if (step === undefined)
        throw new AppError('validation.failed', 'The code is wrong.', { details: [{ path: '/code', message: 'does not match' }] });
      await trx
        .updateTable('users')
        .set({ totp_enabled: 1, totp_last_step: step, updated_at: clock.now() })
        .where('id', '=', userId)
        .execute();
      const codes = await replaceRecoveryCodes(trx, userId);
      // other sessions were established without the second factor: end them
      await trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now() })
        .where('user_id', '=', userId)
        .where('id', '!=', ctx.actor.sessionId ?? '')
        .where('revoked_at', 'is', null)
        .execute();
      return { recoveryCodes: codes };
    });
  }

  async function replaceRecoveryCodes(trx: Parameters<Parameters<typeof audited>[2]>[0], userId: string): Promise<string[]> {
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    const key = seal.requireKeys().tokenHmacKey;
    await trx
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ user_id: userId, code_hash: keyedHash(key, `recovery:${userId}:${c}`) })))
      .execute();
    return codes;
  }

  /** Needs re-authentication: new codes would let a stolen session pass the second factor later. */
  async function regenerateRecoveryCodes(ctx: RequestContext, proof: ReauthProof) {
    const failure = await reauth.check(ctx, proof);
    return audited(ctx, { action: 'mfa.recovery_codes_regenerate', objectType: 'user', objectId: ctx.actor.userId }, async (trx) => {
      requireUser(ctx.actor);
      if (failure) throw failure;
      const u = await trx.selectFrom('users').select('totp_enabled').where('id', '=', ctx.actor.userId).executeTakeFirstOrThrow();
      if (u.totp_enabled !== 1) throw new AppError('conflict', 'TOTP is not enabled.');
      return { recoveryCodes: await replaceRecoveryCodes(trx, ctx.actor.userId) };
    });
  }

  /** Needs re-authentication (password and a code); ends every session and key of the user (a security change). */
  async function disable(ctx: RequestContext, proof: ReauthProof) {
    requireUser(ctx.actor);
    const userId = ctx.actor.userId;
    const failure = await reauth.check(ctx, proof);
    await audited(ctx, { action: 'mfa.totp_disable', objectType: 'user', objectId: userId }, async (trx) => {
      if (failure) throw failure;
      await trx
        .updateTable('users')
        .set({ totp_enabled: 0, totp_secret_enc: null, totp_last_step: null, updated_at: clock.now() })
        .where('id', '=', userId)
        .execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await revokeAllCredentials(trx, userId, clock.now(), { apiKeys: true });
    });
  }

  return { begin, confirm, disable, regenerateRecoveryCodes };
}
export type TotpService = ReturnType<typeof createTotpService>;
