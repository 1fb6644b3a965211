import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Executor } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';

/** PBKDF2 parameters of master keys (Passwork's defaults): SHA-256, 300 000 rounds, 64 bytes. */
export const MASTER_KEY_KDF = { digest: 'sha256', iterations: 300_000, bytes: 64 } as const;

/** A session family lives at most this long (the longest absolute session lifetime allowed). */
const FAMILY_MAX_MS = 90 * 86_400_000;

/** Session families remembered per process (a family's mode never changes once it has a token). */
const CACHE_SIZE = 50_000;

const HASH = /^[0-9a-f]{64}$/;

/**
 * Client-side encryption profiles (Passwork's "master password" mode). The server stores what
 * clients need to agree on and nothing that opens their data:
 * - per user, the PBKDF2 salt their clients derive the master key with (`mkOptions`), made at their
 *   first login with a master password, and the SHA-256 of that master key as first presented (a
 *   pin: a client with another master password is refused before it writes what nobody else can
 *   decrypt);
 * - per session family, whether it logged in with a master password (the family keeps its mode
 *   through refreshes; other families of the same user work in clear).
 * The master password and the master key never reach the server.
 */
export function createClientKeysService(deps: { db: Db; clock: Clock; audited: ReturnType<typeof createAudited> }) {
  const { db, clock, audited } = deps;
  const modes = new Map<string, boolean>();
  const remember = (family: string, on: boolean) => {
    if (modes.size >= CACHE_SIZE) modes.delete(modes.keys().next().value as string);
    modes.set(family, on);
  };

  /**
   * Records the mode of a new session family, right after it was issued and before its token is
   * handed out. With a master password the user gets a profile (a fresh salt) if they had none.
   */
  async function startSession(ctx: RequestContext, familyId: string, useMasterPassword: boolean): Promise<void> {
    if (!useMasterPassword) {
      remember(familyId, false);
      return;
    }
    await audited(ctx, { action: 'client_keys.session', objectType: 'session_family', objectId: familyId }, async (trx, ev) => {
      requireUser(ctx.actor);
      const now = clock.now();
      const created = await trx
        .insertInto('client_key_profiles')
        .values({
          user_id: ctx.actor.userId,
          mk_salt: randomBytes(24).toString('base64url'),
          master_hash: null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .executeTakeFirst();
      await trx.insertInto('client_key_sessions').values({ family_id: familyId, user_id: ctx.actor.userId, created_at: now }).execute();
      // families that ended without a logout: none can still be alive after the longest lifetime
      await trx
        .deleteFrom('client_key_sessions')
        .where('user_id', '=', ctx.actor.userId)
        .where('created_at', '<', now - FAMILY_MAX_MS)
        .execute();
      ev.details = { profileCreated: Number(created.numInsertedOrUpdatedRows ?? 0) > 0 };
    });
    remember(familyId, true);
  }

  /** Did this session family log in with a master password? */
  async function usesMasterPassword(exec: Executor, familyId: string | null | undefined): Promise<boolean> {
    if (!familyId) return false;
    const hit = modes.get(familyId);
    if (hit !== undefined) return hit;
    const row = await exec.selectFrom('client_key_sessions').select('family_id').where('family_id', '=', familyId).executeTakeFirst();
    remember(familyId, row !== undefined);
    return row !== undefined;
  }

  /** Passwork's master key options of the caller's session: `pbkdf:sha256:<rounds>:<bytes>:<salt>`, or none in clear mode. */
  async function masterKeyOptions(ctx: RequestContext): Promise<{ mkOptions?: string }> {
    requireUser(ctx.actor);
    if (!(await usesMasterPassword(db, ctx.actor.sessionFamilyId))) return {};
    const p = await db.selectFrom('client_key_profiles').select('mk_salt').where('user_id', '=', ctx.actor.userId).executeTakeFirst();
    if (!p) return {};
    const { digest, iterations, bytes } = MASTER_KEY_KDF;
    return { mkOptions: `pbkdf:${digest}:${iterations}:${bytes}:${p.mk_salt}` };
  }

  /**
   * The SHA-256 of the master key a client of a master-password session presents: pinned the first
   * time, then compared (constant time). A different one is refused (reason `master_hash`).
   */
  async function checkMasterHash(ctx: RequestContext, hash: string): Promise<void> {
    requireUser(ctx.actor);
    const h = hash.trim().toLowerCase();
    const refuse = () =>
      new AppError('validation.failed', 'The master password does not match the one this account uses.', { reason: 'master_hash' });
    if (!HASH.test(h)) throw refuse();
    const p = await db.selectFrom('client_key_profiles').select('master_hash').where('user_id', '=', ctx.actor.userId).executeTakeFirst();
    if (!p) throw refuse();
    if (p.master_hash === null) {
      await audited(ctx, { action: 'client_keys.pin', objectType: 'user', objectId: ctx.actor.userId }, async (trx) => {
        await trx
          .updateTable('client_key_profiles')
          .set({ master_hash: h, updated_at: clock.now() })
          .where('user_id', '=', ctx.actor.userId as string)
          .where('master_hash', 'is', null)
          .execute();
      });
      const again = await db
        .selectFrom('client_key_profiles')
        .select('master_hash')
        .where('user_id', '=', ctx.actor.userId)
        .executeTakeFirst();
      if (again?.master_hash && timingSafeEqual(Buffer.from(again.master_hash), Buffer.from(h))) return;
      throw refuse();
    }
    if (!timingSafeEqual(Buffer.from(p.master_hash), Buffer.from(h))) throw refuse();
  }

  /** Forgets a session family (its sessions ended). */
  async function endSession(familyId: string | null | undefined): Promise<void> {
    if (!familyId) return;
    modes.delete(familyId);
    await db.deleteFrom('client_key_sessions').where('family_id', '=', familyId).execute();
  }

  return { startSession, usesMasterPassword, masterKeyOptions, checkMasterHash, endSession };
}
export type ClientKeysService = ReturnType<typeof createClientKeysService>;
