import type { PendingApproval } from '@coffer/contracts/admin-requests';
import type { ApiKey, CreateApiKey } from '@coffer/contracts/auth';
import type { Static } from 'typebox';
import { keyedHash, newToken } from '../../crypto/tokens.ts';
import type { Trx } from '../../db/database.ts';
import type { ApiKeyTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { parseCidr } from '../../lib/cidr.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { callMode, type DualControl, type GateMode } from '../admin-requests/dual-control.ts';
import type { AuditedEv, createAudited } from '../audit/audit-log.ts';
import type { SealManager } from '../sys/seal.ts';
import { authorize, type RequestContext, requireUser } from './actor.ts';

type ApiKeyWire = Static<typeof ApiKey>;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function presentApiKey(k: ApiKeyTable): ApiKeyWire {
  return {
    id: k.id,
    userId: k.user_id,
    name: k.name,
    allowedCidrs: JSON.parse(k.allowed_cidrs),
    scopes: JSON.parse(k.scopes),
    expiresAt: k.expires_at === null ? 'never' : (iso(k.expires_at) as string),
    createdAt: iso(k.created_at) as string,
    lastUsedAt: iso(k.last_used_at),
    revoked: k.revoked_at !== null,
  };
}

/**
 * API keys (PMP's API users' keys, or a person's own). The key is shown once; only its keyed hash
 * is stored. Expiry is mandatory (a date, or the explicit "never"); the key works only from the
 * listed addresses/networks. A user manages their own keys; `apikeys.manage` manages anyone's.
 * A key for someone else lets its holder act as them: while dual control applies it becomes an
 * admin request, and the key is minted when the approved request is executed (shown once, to the
 * requester).
 */
export function createApiKeysService(deps: {
  clock: Clock;
  seal: SealManager;
  audited: ReturnType<typeof createAudited>;
  dualControl: DualControl;
}) {
  const { clock, seal, audited, dualControl } = deps;
  type Created = { apiKey: ApiKeyWire; key: string };

  function authorizeFor(ctx: RequestContext, userId: string) {
    requireUser(ctx.actor);
    if (ctx.actor.userId !== userId) authorize(ctx.actor, 'apikeys.manage');
  }

  async function createIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    userId: string,
    input: CreateApiKey,
    mode: GateMode,
  ): Promise<Created | PendingApproval> {
    authorizeFor(ctx, userId);
    const now = clock.now();
    const cidrs: string[] = [];
    input.allowedCidrs.forEach((c, i) => {
      const p = parseCidr(c);
      if (!p)
        throw new AppError('validation.failed', 'Not an IP address or CIDR.', {
          details: [{ path: `/allowedCidrs/${i}`, message: 'expected an IP address or CIDR' }],
        });
      cidrs.push(`${p.net}/${p.prefix}`);
    });
    let expiresAt: number | null = null;
    if (input.expiresAt !== 'never') {
      expiresAt = Date.parse(input.expiresAt);
      if (!Number.isFinite(expiresAt) || expiresAt <= now) {
        throw new AppError('validation.failed', 'expiresAt must be in the future (or "never").', {
          details: [{ path: '/expiresAt', message: 'must be in the future' }],
        });
      }
    }
    const user = await trx.selectFrom('users').select(['id', 'status']).where('id', '=', userId).executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such user.');
    if (user.status !== 'active') throw new AppError('conflict', 'The user is disabled.');
    const pending = await dualControl.gate(
      trx,
      ctx,
      ev,
      { type: 'apikey.create', userId, apiKey: input },
      { self: ctx.actor.userId === userId },
      { mode, targetId: userId },
    );
    if (pending) return pending;
    const key = newToken('apikey');
    const row: ApiKeyTable = {
      id: newId('key', now),
      user_id: userId,
      name: input.name,
      key_hash: keyedHash(seal.requireKeys().tokenHmacKey, key),
      allowed_cidrs: JSON.stringify(cidrs),
      scopes: JSON.stringify(input.scopes ?? null),
      expires_at: expiresAt,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    await trx.insertInto('api_keys').values(row).execute();
    ev.objectId = row.id;
    ev.details = { userId, allowedCidrs: cidrs, expiresAt: expiresAt === null ? 'never' : iso(expiresAt), scopes: input.scopes ?? null };
    return { apiKey: presentApiKey(row), key };
  }

  async function create(ctx: RequestContext, userId: string, input: CreateApiKey): Promise<Created | PendingApproval> {
    return audited(ctx, { action: 'apikey.create', objectType: 'api_key' }, (trx, ev) => createIn(trx, ctx, ev, userId, input, callMode));
  }

  async function list(ctx: RequestContext, userId: string) {
    return audited(ctx, { action: 'apikey.list', objectType: 'user', objectId: userId }, async (trx) => {
      authorizeFor(ctx, userId);
      const rows = await trx.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('id').execute();
      return { items: rows.map(presentApiKey), nextCursor: null };
    });
  }

  async function revoke(ctx: RequestContext, keyId: string) {
    await audited(ctx, { action: 'apikey.revoke', objectType: 'api_key', objectId: keyId }, async (trx) => {
      requireUser(ctx.actor);
      const k = await trx.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
      // someone else's key reads exactly like a missing one
      if (!k) throw new AppError('not_found', 'No such API key.');
      if (k.user_id !== ctx.actor.userId) {
        try {
          authorize(ctx.actor, 'apikeys.manage');
        } catch {
          throw new AppError('not_found', 'No such API key.');
        }
      }
      const now = clock.now();
      await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
      await trx.updateTable('sessions').set({ revoked_at: now }).where('api_key_id', '=', keyId).where('revoked_at', 'is', null).execute();
    });
  }

  return { create, list, revoke, runners: { 'apikey.create': createIn } };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
