import { keyedHash } from '../../crypto/tokens.ts';
import { matchTotp } from '../../crypto/totp.ts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { SealManager } from '../sys/seal.ts';

/**
 * The second factor, shared by login and re-authentication: a TOTP step is accepted once per user
 * (a conditional update on `totp_last_step`), a recovery code once (deleted on use). Both run as
 * single statements outside any transaction, so a racing second use of the same code loses.
 */
export function createSecondFactor(deps: { db: Db; clock: Clock; seal: SealManager }) {
  const { db, clock, seal } = deps;

  /** Accepts a TOTP code once: the step must be newer than the last accepted one. */
  async function useTotp(userId: string, secretEnc: string | null, code: string): Promise<boolean> {
    if (!secretEnc) return false;
    const secret = await seal.decrypt(db, { type: 'user', id: userId, field: 'totp_secret' }, secretEnc);
    const step = matchTotp(secret, code, clock.now());
    secret.fill(0);
    if (step === undefined) return false;
    const r = await db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async function useRecoveryCode(userId: string, code: string): Promise<boolean> {
    const r = await db
      .deleteFrom('recovery_codes')
      .where('user_id', '=', userId)
      .where('code_hash', '=', keyedHash(seal.requireKeys().tokenHmacKey, `recovery:${userId}:${code.trim().toLowerCase()}`))
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  return { useTotp, useRecoveryCode };
}
export type SecondFactor = ReturnType<typeof createSecondFactor>;
