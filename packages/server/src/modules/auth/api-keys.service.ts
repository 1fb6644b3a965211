import type { PendingApproval } from '@coffer/contracts/admin-requests';
import type { ApiKey, ApiKeySettings, CreateApiKey } from '@coffer/contracts/auth';
import type { Static } from 'typebox';
import { keyedHash, newToken } from '../../crypto/tokens.ts';
import type { Trx } from '../../db/database.ts';
import type { ApiKeyTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { coversEveryAddress, parseCidr } from '../../lib/cidr.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { callMode, type DualControl, type GateMode } from '../admin-requests/dual-control.ts';
import type { AuditedEv, createAudited } from '../audit/audit-log.ts';
import type { SealManager } from '../sys/seal.ts';
import { authorize, can, type RequestContext, requireUser } from './actor.ts';
import type { Reauth } from './reauth.ts';

type ApiKeyWire = Static<typeof ApiKey>;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
const DAY_MS = 86_400_000;
/** A client's clock may run ahead of ours: an expiry up to this much past the maximum is accepted. */
const SKEW_MS = 3_600_000;

export function presentApiKey(k: ApiKeyTable): ApiKeyWire {
  const cidrs = JSON.parse(k.allowed_cidrs) as string[];
  return {
    id: k.id,
    userId: k.user_id,
    name: k.name,
    allowedCidrs: cidrs,
    scopes: JSON.parse(k.scopes),
    // a key without an expiry is refused (auth.service checkApiKey): it reads as expired at creation
    expiresAt: iso(k.expires_at ?? k.created_at) as string,
    expiryImposed: k.expiry_imposed === 1,
    anyAddress: coversEveryAddress(cidrs),
    createdAt: iso(k.created_at) as string,
    lastUsedAt: iso(k.last_used_at),
    revoked: k.revoked_at !== null,
  };
}

/**
 * API keys (PMP's API users' keys, or a person's own). The key is shown once; only its keyed hash
 * is stored. Expiry is mandatory, at most `maxDays` ahead; the key works only from the listed
 * addresses/networks, and a binding to every address needs `allowAnyAddress`. A user manages their
 * own keys; `apikeys.manage` manages anyone's. Creating one needs the caller's re-authentication
 * (an administrator creating a key for someone else re-authenticates as themselves).
 * A key for someone else lets its holder act as them: while dual control applies it becomes an
 * admin request, and the key is minted when the approved request is executed (shown once, to the
 * requester, who re-authenticates again then). The request stores the key's settings, never the proof.
 */
/** The key's settings without the re-authentication proof: what an admin request stores and shows. */
export function withoutProof(input: CreateApiKey): ApiKeySettings {
  const { currentPassword: _p, totpCode: _t, recoveryCode: _r, ...settings } = input;
  return settings;
}

export function createApiKeysService(deps: {
  clock: Clock;
  seal: SealManager;
  audited: ReturnType<typeof createAudited>;
  reauth: Reauth;
  dualControl: DualControl;
  maxDays: number;
}) {
  const { clock, seal, audited, reauth, dualControl } = deps;
  type Created = { apiKey: ApiKeyWire; key: string };

  function authorizeFor(ctx: RequestContext, userId: string) {
    requireUser(ctx.actor);
    if (ctx.actor.userId !== userId) authorize(ctx.actor, 'apikeys.manage');
  }

  function isAuthorizedFor(ctx: RequestContext, userId: string): boolean {
    return ctx.actor.kind === 'user' && ctx.actor.userId !== null && (ctx.actor.userId === userId || can(ctx.actor, 'apikeys.manage'));
  }

  /** The checked binding and expiry, or the validation error (judged before re-authentication, so
   * a refused input spends no TOTP code). */
  function validate(input: ApiKeySettings, now: number): { cidrs: string[]; anyAddress: boolean; expiresAt: number } | AppError {
    const cidrs: string[] = [];
    for (const [i, c] of input.allowedCidrs.entries()) {
      const p = parseCidr(c);
      if (!p)
        return new AppError('validation.failed', 'Not an IP address or CIDR.', {
          details: [{ path: `/allowedCidrs/${i}`, message: 'expected an IP address or CIDR' }],
        });
      cidrs.push(`${p.net}/${p.prefix}`);
    }
    const anyAddress = coversEveryAddress(cidrs);
    if (anyAddress && input.allowAnyAddress !== true) {
      return new AppError('validation.failed', 'These networks cover every address: set allowAnyAddress to true to confirm.', {
        details: [{ path: '/allowAnyAddress', message: 'must be true for a binding to every address (a /0 network)' }],
      });
    }
    const expiresAt = Date.parse(input.expiresAt);
    if (!Number.isFinite(expiresAt) || expiresAt <= now) {
      return new AppError('validation.failed', 'expiresAt must be in the future.', {
        details: [{ path: '/expiresAt', message: 'must be in the future' }],
      });
    }
    if (expiresAt > now + deps.maxDays * DAY_MS + SKEW_MS) {
      return new AppError('validation.failed', `An API key may live at most ${deps.maxDays} days.`, {
        details: [{ path: '/expiresAt', message: `must be at most ${deps.maxDays} days ahead (COFFER_API_KEY_MAX_DAYS)` }],
      });
    }
    return { cidrs, anyAddress, expiresAt };
  }

  /** The use case inside its transaction: directly, as an admin request, or executing an approved one. */
  async function createIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    userId: string,
    input: ApiKeySettings,
    mode: GateMode,
  ): Promise<Created | PendingApproval> {
    authorizeFor(ctx, userId);
    const now = clock.now();
    const checked = validate(input, now);
    if (checked instanceof AppError) throw checked;
    const { cidrs, anyAddress, expiresAt } = checked;
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
      expiry_imposed: 0,
    };
    await trx.insertInto('api_keys').values(row).execute();
    ev.objectId = row.id;
    ev.details = { userId, allowedCidrs: cidrs, anyAddress, expiresAt: iso(expiresAt), scopes: input.scopes ?? null };
    return { apiKey: presentApiKey(row), key };
  }

  async function create(ctx: RequestContext, userId: string, input: CreateApiKey): Promise<Created | PendingApproval> {
    const settings = withoutProof(input);
    const checked = validate(settings, clock.now());
    // authorization first: a caller who may not make this key spends no TOTP step, recovery code
    // or lockout count on the proof (the refusal is thrown and audited below)
    const allowed = isAuthorizedFor(ctx, userId);
    const failure = !allowed || checked instanceof AppError ? undefined : await reauth.check(ctx, input);
    return audited(ctx, { action: 'apikey.create', objectType: 'api_key' }, async (trx, ev) => {
      authorizeFor(ctx, userId);
      if (checked instanceof AppError) throw checked;
      if (failure) throw failure;
      return createIn(trx, ctx, ev, userId, settings, callMode);
    });
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
