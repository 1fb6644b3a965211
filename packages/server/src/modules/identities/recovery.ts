import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { systemActor } from '../auth/actor.ts';
import { accountKey } from '../auth/login-throttle.ts';
import { generatePassword } from '../sys/init.ts';
import type { SealManager } from '../sys/seal.ts';
import { canonicalUsername } from './username.ts';
import { revokeAllCredentials } from './users.repository.ts';

export interface RecoveredPassword {
  userId: string;
  username: string;
  /** Generated, temporary (must be changed at the next login); the caller shows it once. */
  password: string;
}

/**
 * Store-level recovery of a lost password (`coffer admin reset-password USER`), for when no
 * administrator can sign in. Whoever runs it proved they hold the unseal material: the caller
 * unsealed `seal` with the key file or the Shamir shares (like Vault's root-token generation), so
 * database access alone is not enough. Sets a generated temporary password, clears the login
 * lock, ends every session, refresh token and API key of the user, and writes the audit record as
 * the system naming the operator's OS account and host — all in one transaction, never the password.
 */
export async function recoverPassword(
  deps: { db: Db; clock: Clock; hasher: PasswordHasher; audit: AuditLog; seal: SealManager },
  opts: { username: string; operator: { user: string; host: string } },
): Promise<RecoveredPassword> {
  const keys = deps.seal.requireKeys();
  const canonical = canonicalUsername(opts.username);
  const found = await deps.db.selectFrom('users').select(['id', 'kind']).where('username_canonical', '=', canonical).executeTakeFirst();
  if (found?.kind !== 'human') throw new AppError('not_found', `No person is called "${opts.username}".`);
  const password = generatePassword();
  const hash = await deps.hasher.hash(password);
  const now = deps.clock.now();
  const username = await deps.db.transaction().execute(async (trx) => {
    const u = await trx.selectFrom('users').select(['id', 'username']).where('id', '=', found.id).executeTakeFirst();
    if (!u) throw new AppError('not_found', `No person is called "${opts.username}".`);
    await trx.updateTable('users').set({ password_hash: hash, must_change_password: 1, updated_at: now }).where('id', '=', u.id).execute();
    await revokeAllCredentials(trx, u.id, now, { apiKeys: true });
    await trx.deleteFrom('login_failures').where('account_key', '=', accountKey(keys.tokenHmacKey, canonical)).execute();
    const ctx = { actor: systemActor, requestId: newId('req', now), sourceIp: '', audited: false };
    await deps.audit.append(trx, ctx, {
      action: 'user.password_recover',
      objectType: 'user',
      objectId: u.id,
      outcome: 'success',
      reason: 'store-level recovery with the unseal material (coffer admin reset-password)',
      details: { username: u.username, operatorUser: opts.operator.user, operatorHost: opts.operator.host, temporary: true },
    });
    return u.username;
  });
  return { userId: found.id, username, password };
}
