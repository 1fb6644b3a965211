import type { TokenPair } from '@coffer/contracts/auth';
import { newToken, tokenKind } from '../../crypto/tokens.ts';
import type { Db, Trx } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser, type Via } from './actor.ts';
import { type Authenticator, invalidToken } from './authenticate.ts';

/** A session just made: its id, its token and, unless it is a web session, its refresh token. */
export type IssuedSession = Omit<TokenPair, 'refreshToken' | 'mustChangePassword'> & { sessionId: string; refreshToken: string | null };

/** The wire pair of a session that has a refresh token (every audience but the web UI's). */
export function tokenPair(s: IssuedSession): TokenPair {
  const { sessionId: _s, refreshToken, ...rest } = s;
  if (refreshToken === null) throw new AppError('internal', 'A web session has no refresh token to hand out.');
  return { ...rest, refreshToken };
}

export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
  refreshSeconds: number;
}

/**
 * Sessions after login: issuing one (opaque access token + single-use refresh token, idle and
 * absolute deadlines, a family that every refresh keeps), refresh with family revocation on reuse,
 * logout of the whole family, and the API key -> session exchange. Tokens are stored only as
 * keyed hashes.
 */
export function createSessions(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  session: SessionLimits;
  hashToken: (token: string) => string;
  checkApiKeyById: Authenticator['checkApiKeyById'];
}) {
  const { db, clock, audit, audited, hashToken, checkApiKeyById } = deps;

  /**
   * A new session (and, except for the web UI, its refresh token). A web session has none: the
   * browser never holds a refresh token, activity alone renews the session (ADR 0017).
   */
  async function issueSession(
    trx: Trx,
    userId: string,
    ip: string,
    method: 'password' | 'password+totp' | 'apikey-exchange' | 'openpgp',
    familyId: string,
    apiKeyId: string | null,
    audience: Via,
    absoluteAt?: number,
  ): Promise<IssuedSession> {
    const now = clock.now();
    const accessToken = newToken('session');
    const refreshToken = audience === 'web' ? null : newToken('refresh');
    const sessionId = newId('ses', now);
    const absolute = absoluteAt ?? now + deps.session.absoluteSeconds * 1000;
    await trx
      .insertInto('sessions')
      .values({
        id: sessionId,
        user_id: userId,
        family_id: familyId,
        token_hash: hashToken(accessToken),
        auth_method: method,
        api_key_id: apiKeyId,
        source_ip: ip,
        created_at: now,
        last_seen_at: now,
        idle_expires_at: Math.min(now + deps.session.idleSeconds * 1000, absolute),
        absolute_expires_at: absolute,
        revoked_at: null,
        audience,
      })
      .execute();
    if (refreshToken !== null) {
      await trx
        .insertInto('refresh_tokens')
        .values({
          token_hash: hashToken(refreshToken),
          family_id: familyId,
          session_id: sessionId,
          user_id: userId,
          expires_at: Math.min(now + deps.session.refreshSeconds * 1000, absolute),
          used_at: null,
          created_at: now,
        })
        .execute();
    }
    return {
      sessionId,
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: deps.session.idleSeconds,
      absoluteExpiresAt: new Date(absolute).toISOString(),
    };
  }

  /**
   * Single use: the refresh token is consumed by a conditional update; presenting a used one again
   * (a stolen copy, or the thief after the owner) revokes the whole family of sessions.
   * `opts.userId`: the user the caller says the token is of (refused unspent when it is not).
   */
  async function refresh(ctx: RequestContext, refreshToken: string, opts: { userId?: string } = {}): Promise<TokenPair> {
    const now = clock.now();
    const hash = tokenKind(refreshToken) === 'refresh' ? hashToken(refreshToken) : '';
    let reused: { family: string; userId: string } | null = null;
    const result = await audited(ctx, { action: 'auth.refresh', objectType: 'session' }, async (trx, ev) => {
      const row = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
      if (!row) throw invalidToken();
      // a client that names the user (Passbolt's refresh): another user's token is refused unspent
      if (opts.userId !== undefined && opts.userId !== row.user_id) throw invalidToken();
      const claim = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) !== 1) {
        reused = { family: row.family_id, userId: row.user_id };
        throw invalidToken();
      }
      if (now >= Number(row.expires_at)) throw invalidToken();
      const old = await trx.selectFrom('sessions').selectAll().where('id', '=', row.session_id).executeTakeFirst();
      const user = await trx.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
      if (!old || old.revoked_at !== null || !user || user.status !== 'active') throw invalidToken();
      // refreshed only through the surface that issued it (a refresh token of one API is refused by
      // the others); a web session is never refreshed (it has no refresh token: ADR 0017)
      if (old.audience !== (ctx.via ?? 'native') || old.audience === 'web') throw invalidToken();
      // an idle session is over: its refresh token must not revive it (only activity extends it)
      if (now >= Number(old.absolute_expires_at) || now >= Number(old.idle_expires_at)) throw invalidToken();
      if (old.api_key_id) await checkApiKeyById(old.api_key_id, ctx.sourceIp, now, trx);
      await trx.updateTable('sessions').set({ revoked_at: now }).where('id', '=', old.id).execute();
      // the new session keeps the family's absolute deadline
      const pair = await issueSession(
        trx,
        user.id,
        ctx.sourceIp,
        old.auth_method,
        old.family_id,
        old.api_key_id,
        old.audience as Via,
        Number(old.absolute_expires_at),
      );
      ev.objectId = pair.sessionId;
      // the success record names the user the refreshed session belongs to
      ctx.actor = { ...ctx.actor, kind: 'user', userId: user.id, username: user.username, role: user.role };
      const wire = tokenPair(pair);
      return user.must_change_password === 1 ? { ...wire, mustChangePassword: true } : wire;
    }).catch(async (e) => {
      if (reused) await revokeFamily(ctx, reused);
      throw e;
    });
    return result;
  }

  async function revokeFamily(ctx: RequestContext, r: { family: string; userId: string }) {
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('family_id', '=', r.family)
        .where('revoked_at', 'is', null)
        .execute();
      await trx.deleteFrom('refresh_tokens').where('family_id', '=', r.family).where('used_at', 'is', null).execute();
      await audit.append(
        trx,
        { ...ctx, audited: false },
        {
          action: 'auth.refresh_reuse',
          objectType: 'session_family',
          objectId: r.family,
          outcome: 'denied',
          reason: 'refresh token reused; family revoked',
          details: { userId: r.userId },
        },
      );
    });
  }

  async function logout(ctx: RequestContext): Promise<void> {
    await audited(ctx, { action: 'auth.logout', objectType: 'session', objectId: ctx.actor.sessionId }, async (trx) => {
      requireUser(ctx.actor);
      if (!ctx.actor.sessionId) throw new AppError('validation.failed', 'API keys have no session to end; revoke the key instead.');
      const s = await trx.selectFrom('sessions').select('family_id').where('id', '=', ctx.actor.sessionId).executeTakeFirstOrThrow();
      await trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now() })
        .where('family_id', '=', s.family_id)
        .where('revoked_at', 'is', null)
        .execute();
      await trx.deleteFrom('refresh_tokens').where('family_id', '=', s.family_id).execute();
    });
  }

  /**
   * A browser signed in again (ADR 0017): the web session its earlier cookie named is ended, in the
   * new sign-in's transaction, and audited. Anything else in the cookie (garbage, a native token, a
   * session already over) is left alone: it was no live web session of this browser.
   */
  async function endReplacedWebSession(trx: Trx, ctx: RequestContext, token: string, replacedBy: string): Promise<void> {
    if (tokenKind(token) !== 'session') return;
    const old = await trx
      .selectFrom('sessions')
      .select(['id', 'family_id', 'user_id'])
      .where('token_hash', '=', hashToken(token))
      .where('audience', '=', 'web')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!old) return;
    await trx
      .updateTable('sessions')
      .set({ revoked_at: clock.now() })
      .where('family_id', '=', old.family_id)
      .where('revoked_at', 'is', null)
      .execute();
    await audit.append(
      trx,
      { ...ctx, audited: false },
      {
        action: 'auth.logout',
        objectType: 'session',
        objectId: old.id,
        outcome: 'success',
        reason: 'replaced by a new sign-in in the same browser',
        details: { userId: old.user_id, replacedBy },
      },
    );
  }

  /** Passwork's flow: an API key (already authenticated by the caller) exchanged for a session. */
  async function exchangeApiKey(ctx: RequestContext): Promise<TokenPair> {
    return audited(ctx, { action: 'auth.apikey_exchange', objectType: 'api_key', objectId: ctx.actor.apiKeyId }, async (trx) => {
      requireUser(ctx.actor);
      if (ctx.actor.authMethod !== 'apikey' || !ctx.actor.apiKeyId) {
        throw new AppError('validation.failed', 'Present an API key (not a session token) to exchange it.');
      }
      const issued = await issueSession(
        trx,
        ctx.actor.userId,
        ctx.sourceIp,
        'apikey-exchange',
        newId('fam', clock.now()),
        ctx.actor.apiKeyId,
        ctx.via ?? 'native',
      );
      return tokenPair(issued);
    });
  }

  return { issueSession, refresh, logout, exchangeApiKey, endReplacedWebSession };
}
