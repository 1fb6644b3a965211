// Users' OpenPGP public keys (ADR 0022): registered or replaced by the user themself, read by the
// user, by writers of E2E secrets (through the readers of a secret) and by anyone who may look the
// user up by exact username. Replacing a key leaves the messages written for the old one in place:
// the secrets they belong to read `rotationRequired` until their value is written again.
import * as openpgp from 'openpgp';
import type { Executor, Trx } from '../../db/database.ts';
import type { UserOpenpgpKeyTable } from '../../db/schema-e2e.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser } from '../auth/actor.ts';
import type { UserLookupService } from '../identities/user-lookup.service.ts';
import { parsePublicKey } from './openpgp-checks.ts';

const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function presentKey(k: UserOpenpgpKeyTable) {
  return {
    userId: k.user_id,
    armoredKey: k.armored_key,
    fingerprint: k.fingerprint,
    keyId: k.key_id,
    algorithm: k.algorithm,
    bits: Number(k.bits),
    keyCreated: iso(k.key_created),
    expires: k.expires === null ? null : iso(k.expires),
  };
}

/** The e-mail address a user's key must carry: their e-mail, else their username when it is one. */
export function emailOf(u: { email: string; username: string }): string {
  if (u.email.trim()) return u.email.trim();
  return /^[^@\s]+@[^@\s]+$/.test(u.username) ? u.username : '';
}

/** The registered keys of these users, with the key ids that may receive messages. */
export async function keysOf(exec: Executor, userIds: string[]) {
  const out = new Map<string, { fingerprint: string; encryptionKeyIds: string[] }>();
  if (!userIds.length) return out;
  const rows = await exec
    .selectFrom('user_openpgp_keys')
    .select(['user_id', 'armored_key', 'fingerprint'])
    .where('user_id', 'in', userIds)
    .execute();
  for (const r of rows) {
    const key = await openpgp.readKey({ armoredKey: r.armored_key });
    const ids = [key.getKeyID().toHex(), ...key.subkeys.map((s) => s.getKeyID().toHex())];
    out.set(r.user_id, { fingerprint: r.fingerprint, encryptionKeyIds: ids });
  }
  return out;
}

/**
 * Registers (or replaces) `userId`'s key inside the caller's transaction, by the key rules
 * (openpgp-checks.ts: the user's e-mail in a user id, no private material, not expired, strong
 * enough, not another user's); the caller audits (the details are safe to record).
 */
export async function registerKeyIn(trx: Trx, now: number, userId: string, armoredKey: string) {
  const u = await trx.selectFrom('users').select(['email', 'username']).where('id', '=', userId).executeTakeFirstOrThrow();
  const parsed = await parsePublicKey(armoredKey, emailOf(u), new Date(now));
  const taken = await trx
    .selectFrom('user_openpgp_keys')
    .select('user_id')
    .where('fingerprint', '=', parsed.fingerprint)
    .where('user_id', '!=', userId)
    .executeTakeFirst();
  if (taken) throw new AppError('user.openpgp_key_invalid', 'That key is registered to another user.');
  const before = await trx.selectFrom('user_openpgp_keys').select('fingerprint').where('user_id', '=', userId).executeTakeFirst();
  const row: UserOpenpgpKeyTable = {
    user_id: userId,
    armored_key: parsed.armored,
    fingerprint: parsed.fingerprint,
    key_id: parsed.keyId,
    algorithm: parsed.algorithm,
    bits: parsed.bits,
    key_created: parsed.created,
    expires: parsed.expires,
    created_at: now,
    updated_at: now,
  };
  await trx.deleteFrom('user_openpgp_keys').where('user_id', '=', userId).execute();
  await trx.insertInto('user_openpgp_keys').values(row).execute();
  // the messages written for the old key: their secrets now read rotationRequired (messages.ts)
  const stale = before
    ? await trx
        .selectFrom('secret_messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    : { n: 0 };
  return { row, details: { fingerprint: parsed.fingerprint, replaced: before?.fingerprint ?? null, staleMessages: Number(stale.n) } };
}

export function createUserKeysService(deps: { clock: Clock; audited: ReturnType<typeof createAudited>; userLookup: UserLookupService }) {
  const { clock, audited } = deps;

  async function register(ctx: RequestContext, armoredKey: string) {
    return audited(ctx, { action: 'user.openpgp_key_set', objectType: 'user' }, async (trx, ev) => {
      requireUser(ctx.actor);
      ev.objectId = ctx.actor.userId;
      const { row, details } = await registerKeyIn(trx, clock.now(), ctx.actor.userId, armoredKey);
      ev.details = details;
      return presentKey(row);
    });
  }

  async function mine(ctx: RequestContext) {
    return audited(ctx, { action: 'user.openpgp_key_read', objectType: 'user', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      ev.objectId = ctx.actor.userId;
      const row = await trx.selectFrom('user_openpgp_keys').selectAll().where('user_id', '=', ctx.actor.userId).executeTakeFirst();
      if (!row) throw new AppError('not_found', 'You have registered no OpenPGP key.');
      return presentKey(row);
    });
  }

  /** Another user's public key, found like a user lookup (exact username, active users, rate-limited, audited). */
  async function byUsername(ctx: RequestContext, username: string) {
    const ref = await deps.userLookup.lookup(ctx, username);
    return audited(ctx, { action: 'user.openpgp_key_read', objectType: 'user', objectId: ref.id, readOnly: true }, async (trx) => {
      const row = await trx.selectFrom('user_openpgp_keys').selectAll().where('user_id', '=', ref.id).executeTakeFirst();
      if (!row) throw new AppError('not_found', 'That user has registered no OpenPGP key.');
      return presentKey(row);
    });
  }

  /** A user found like a user lookup (exact username), with their registered key row (null: none). */
  async function lookupWithKey(ctx: RequestContext, username: string) {
    const user = await deps.userLookup.lookup(ctx, username);
    return audited(ctx, { action: 'user.openpgp_key_read', objectType: 'user', objectId: user.id, readOnly: true }, async (trx) => {
      const key = await trx.selectFrom('user_openpgp_keys').selectAll().where('user_id', '=', user.id).executeTakeFirst();
      return { user, key: key ?? null };
    });
  }

  /**
   * Registered keys as the user directory shows them: a caller who may read the directory
   * (`users.read`) sees anyone's, another user only their own. `userIds` narrows, `modifiedAfter`
   * (ms) keeps the keys registered or replaced since.
   */
  async function directory(ctx: RequestContext, q: { userIds?: readonly string[]; modifiedAfter?: number } = {}) {
    return audited(ctx, { action: 'user.openpgp_key_read', objectType: 'user', readOnly: true }, async (trx) => {
      requireUser(ctx.actor);
      const ids = can(ctx.actor, 'users.read') ? q.userIds : (q.userIds ?? [ctx.actor.userId]).filter((id) => id === ctx.actor.userId);
      if (ids && !ids.length) return [];
      let query = trx.selectFrom('user_openpgp_keys').selectAll().orderBy('user_id');
      if (ids) query = query.where('user_id', 'in', [...ids]);
      if (q.modifiedAfter !== undefined) query = query.where('updated_at', '>', q.modifiedAfter);
      return query.execute();
    });
  }

  return { register, mine, byUsername, lookupWithKey, directory };
}
export type UserKeysService = ReturnType<typeof createUserKeysService>;
