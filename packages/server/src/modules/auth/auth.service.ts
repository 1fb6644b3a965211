import { createHmac, randomBytes } from 'node:crypto';
import type { Login, TokenPair } from '@coffer/contracts/auth';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import { keyedHash, newToken, tokenKind } from '../../crypto/tokens.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { ApiKeyTable, SessionTable, UserTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { ipAllowed } from '../../lib/cidr.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { canonicalUsername } from '../identities/username.ts';
import type { SealManager } from '../sys/seal.ts';
import { type Actor, type Permission, type RequestContext, requireUser } from './actor.ts';
import { accountKey, clearFailures, createIpLimiter, isLocked, recordFailure } from './login-throttle.ts';
import { createSecondFactor } from './second-factor.ts';

const invalidCredentials = () => new AppError('auth.invalid_credentials', 'Invalid username or password.');
const invalidToken = () => new AppError('auth.invalid_token', 'The token is invalid or has expired.');

/** How often a session's idle deadline is pushed forward (limits writes on hot paths). */
const TOUCH_INTERVAL_MS = 30_000;

export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
  refreshSeconds: number;
}

/**
 * Authentication: password (+TOTP) login, opaque sessions with idle and absolute lifetimes,
 * single-use refresh tokens with family revocation, API keys as bearer tokens, and the API key ->
 * session exchange. Tokens are stored only as keyed hashes.
 */
type OwnerColumns = Pick<UserTable, 'username' | 'role' | 'all_passwords' | 'status' | 'must_change_password'> & { uid: string };
type SessionRow = Pick<SessionTable, 'revoked_at' | 'idle_expires_at' | 'absolute_expires_at' | 'last_seen_at' | 'api_key_id'> & {
  sid: string;
} & OwnerColumns;
type ApiKeyRow = Pick<ApiKeyTable, 'id' | 'allowed_cidrs' | 'scopes' | 'expires_at' | 'revoked_at' | 'last_used_at'> & OwnerColumns;

export function createAuthService(deps: {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  seal: SealManager;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  session: SessionLimits;
  login: { freeFailures: number; hardLockFailures: number; perIpPerMinute: number };
}) {
  const { db, clock, hasher, seal, audit, audited } = deps;
  const ipLimiter = createIpLimiter(deps.login.perIpPerMinute);
  const hashToken = (token: string) => keyedHash(seal.requireKeys().tokenHmacKey, token);
  const { useTotp, useRecoveryCode } = createSecondFactor({ db, clock, seal });
  const auditHmac = (value: string) => createHmac('sha256', seal.requireKeys().auditHmacKey).update(value).digest('base64url').slice(0, 22);

  async function issueSession(
    trx: Trx,
    userId: string,
    ip: string,
    method: 'password' | 'password+totp' | 'apikey-exchange',
    familyId: string,
    apiKeyId: string | null,
    absoluteAt?: number,
  ): Promise<TokenPair & { sessionId: string }> {
    const now = clock.now();
    const accessToken = newToken('session');
    const refreshToken = newToken('refresh');
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
      })
      .execute();
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
    return {
      sessionId,
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: deps.session.idleSeconds,
      absoluteExpiresAt: new Date(absolute).toISOString(),
    };
  }

  /** Password login. Unknown user, wrong password, disabled and locked accounts all answer the same,
   * after the same amount of hashing work. */
  async function login(ctx: RequestContext, input: Login): Promise<TokenPair> {
    const now = clock.now();
    const wait = ipLimiter.retryAfter(ctx.sourceIp, now);
    if (wait > 0) {
      const err = new AppError('auth.rate_limited', 'Too many failed logins from this address; try again later.', { retryAfter: wait });
      await writeLoginAudit(ctx, null, 'denied', err.code, input.username);
      throw err;
    }
    const canonical = canonicalUsername(input.username);
    const account = accountKey(seal.requireKeys().tokenHmacKey, canonical);
    const locked = await isLocked(db, account, now);
    const user = await db.selectFrom('users').selectAll().where('username_canonical', '=', canonical).executeTakeFirst();
    const usable = user && user.kind === 'human' && user.status === 'active' && user.password_hash !== null;
    let ok = false;
    let needsRehash = false;
    if (usable && user.password_hash) {
      const r = await hasher.verify(user.password_hash, input.password);
      ok = r.ok;
      needsRehash = r.needsRehash;
    } else {
      await hasher.dummyVerify(input.password);
    }
    if (!ok || locked || !user) return failLogin(ctx, account, user?.id ?? null, input.username);

    let method: 'password' | 'password+totp' = 'password';
    if (user.totp_enabled === 1) {
      if (!input.totpCode && !input.recoveryCode) {
        const err = new AppError('auth.mfa_required', 'A TOTP code or recovery code is required.');
        await writeLoginAudit(ctx, user.id, 'denied', err.code, input.username);
        throw err;
      }
      const second = input.totpCode
        ? await useTotp(user.id, user.totp_secret_enc, input.totpCode)
        : await useRecoveryCode(user.id, input.recoveryCode as string);
      if (!second) return failLogin(ctx, account, user.id, input.username);
      method = 'password+totp';
    }
    const rehash = needsRehash ? await hasher.hash(input.password) : null;
    try {
      return await db.transaction().execute(async (trx) => {
        await clearFailures(trx, account);
        // the last login, for administrators reviewing accounts (GET /users: loginActivity)
        await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', user.id).execute();
        if (rehash) await trx.updateTable('users').set({ password_hash: rehash }).where('id', '=', user.id).execute();
        const pair = await issueSession(trx, user.id, ctx.sourceIp, method, newId('fam', now), null);
        const actorCtx = {
          ...ctx,
          actor: { ...ctx.actor, kind: 'user' as const, userId: user.id, username: user.username, role: user.role },
        };
        await audit.append(trx, actorCtx, {
          action: 'auth.login',
          objectType: 'session',
          objectId: pair.sessionId,
          outcome: 'success',
          details: { method },
        });
        ctx.audited = true;
        const { sessionId: _s, ...wire } = pair;
        // the session works only for changing the password until then (http/hooks.ts)
        return user.must_change_password === 1 ? { ...wire, mustChangePassword: true } : wire;
      });
    } catch (e) {
      throw e instanceof AppError
        ? e
        : new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause: e });
    }
  }

  async function failLogin(ctx: RequestContext, account: string, userId: string | null, attempted: string): Promise<never> {
    const now = clock.now();
    ipLimiter.fail(ctx.sourceIp, now);
    try {
      await db.transaction().execute(async (trx) => {
        await recordFailure(trx, account, now, deps.login);
        await audit.append(trx, ctx, {
          action: 'auth.login',
          objectType: 'user',
          objectId: userId,
          outcome: 'denied',
          reason: 'auth.invalid_credentials',
          details: { usernameHmac: auditHmac(canonicalUsername(attempted)) },
        });
      });
    } catch (e) {
      throw new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause: e });
    }
    throw invalidCredentials();
  }

  async function writeLoginAudit(ctx: RequestContext, userId: string | null, outcome: 'denied', reason: string, attempted: string) {
    try {
      await db.transaction().execute((trx) =>
        audit.append(trx, ctx, {
          action: 'auth.login',
          objectType: 'user',
          objectId: userId,
          outcome,
          reason,
          details: { usernameHmac: auditHmac(canonicalUsername(attempted)) },
        }),
      );
    } catch (e) {
      throw new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause: e });
    }
  }

  /**
   * Resolves a bearer token to an actor, or throws auth.invalid_token. Checks on every request:
   * session not revoked, idle and absolute deadlines, user active; for API keys (and sessions
   * exchanged from one) the key is not revoked or expired and the caller's address is allowed.
   */
  const sessionQuery = prepared<'hash', SessionRow>((db, p) =>
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as sid',
        'sessions.revoked_at',
        'sessions.idle_expires_at',
        'sessions.absolute_expires_at',
        'sessions.last_seen_at',
        'sessions.api_key_id',
        'users.id as uid',
        'users.username',
        'users.role',
        'users.all_passwords',
        'users.status',
        'users.must_change_password',
      ])
      .where('sessions.token_hash', '=', p('hash')),
  );

  async function authenticate(token: string, ip: string): Promise<Actor> {
    const kind = tokenKind(token);
    const now = clock.now();
    if (kind === 'session') {
      const [row] = await sessionQuery(db, { hash: hashToken(token) });
      if (!row || row.revoked_at !== null || row.status !== 'active') throw invalidToken();
      if (now >= Number(row.idle_expires_at) || now >= Number(row.absolute_expires_at)) throw invalidToken();
      let scopes: Permission[] | null = null;
      if (row.api_key_id) scopes = (await checkApiKeyById(row.api_key_id, ip, now)).scopes;
      if (now - Number(row.last_seen_at) > TOUCH_INTERVAL_MS) {
        await db
          .updateTable('sessions')
          .set({ last_seen_at: now, idle_expires_at: Math.min(now + deps.session.idleSeconds * 1000, Number(row.absolute_expires_at)) })
          .where('id', '=', row.sid)
          .execute();
      }
      return {
        kind: 'user',
        userId: row.uid,
        username: row.username,
        role: row.role,
        allPasswords: row.all_passwords === 1,
        authMethod: 'session',
        sessionId: row.sid,
        apiKeyId: row.api_key_id,
        scopes,
        mustChangePassword: row.must_change_password === 1,
      };
    }
    if (kind === 'apikey') {
      const k = await checkApiKey({ hash: hashToken(token) }, ip, now);
      const row = { id: k.id };
      return {
        kind: 'user',
        userId: k.userId,
        username: k.username,
        role: k.role,
        allPasswords: k.allPasswords,
        authMethod: 'apikey',
        sessionId: null,
        apiKeyId: row.id,
        scopes: k.scopes,
        mustChangePassword: k.mustChangePassword,
      };
    }
    throw invalidToken();
  }

  async function checkApiKeyById(id: string, ip: string, now: number, exec: Executor = db) {
    return checkApiKey({ id }, ip, now, exec);
  }

  const apiKeyQuery = (column: 'api_keys.id' | 'api_keys.key_hash') =>
    prepared<'v', ApiKeyRow>((db, p) =>
      db
        .selectFrom('api_keys')
        .innerJoin('users', 'users.id', 'api_keys.user_id')
        .select([
          'api_keys.id',
          'api_keys.allowed_cidrs',
          'api_keys.scopes',
          'api_keys.expires_at',
          'api_keys.revoked_at',
          'api_keys.last_used_at',
          'users.id as uid',
          'users.username',
          'users.role',
          'users.all_passwords',
          'users.status',
          'users.must_change_password',
        ])
        .where(column, '=', p('v')),
    );
  const apiKeyById = apiKeyQuery('api_keys.id');
  const apiKeyByHash = apiKeyQuery('api_keys.key_hash');

  /** One query: the key (by id or by its keyed hash) with its owner. */
  async function checkApiKey(by: { id: string } | { hash: string }, ip: string, now: number, exec: Executor = db) {
    const [k] = 'id' in by ? await apiKeyById(exec, { v: by.id }) : await apiKeyByHash(exec, { v: by.hash });
    if (!k || k.revoked_at !== null || k.status !== 'active') throw invalidToken();
    // expiry is mandatory (migration 0009 gave every old key one): a key without one fails closed
    if (k.expires_at === null || now >= Number(k.expires_at)) throw invalidToken();
    if (!ipAllowed(ip, JSON.parse(k.allowed_cidrs) as string[])) throw invalidToken();
    if (k.last_used_at === null || now - Number(k.last_used_at) > TOUCH_INTERVAL_MS) {
      await exec.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', k.id).execute();
    }
    return {
      id: k.id,
      userId: k.uid,
      username: k.username,
      role: k.role,
      allPasswords: k.all_passwords === 1,
      scopes: JSON.parse(k.scopes) as Permission[] | null,
      mustChangePassword: k.must_change_password === 1,
    };
  }

  /**
   * Single use: the refresh token is consumed by a conditional update; presenting a used one again
   * (a stolen copy, or the thief after the owner) revokes the whole family of sessions.
   */
  async function refresh(ctx: RequestContext, refreshToken: string): Promise<TokenPair> {
    const now = clock.now();
    const hash = tokenKind(refreshToken) === 'refresh' ? hashToken(refreshToken) : '';
    let reused: { family: string; userId: string } | null = null;
    const result = await audited(ctx, { action: 'auth.refresh', objectType: 'session' }, async (trx, ev) => {
      const row = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
      if (!row) throw invalidToken();
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
        Number(old.absolute_expires_at),
      );
      ev.objectId = pair.sessionId;
      // the success record names the user the refreshed session belongs to
      ctx.actor = { ...ctx.actor, kind: 'user', userId: user.id, username: user.username, role: user.role };
      const { sessionId: _s, ...wire } = pair;
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

  /** Passwork's flow: an API key (already authenticated by the caller) exchanged for a session. */
  async function exchangeApiKey(ctx: RequestContext): Promise<TokenPair> {
    return audited(ctx, { action: 'auth.apikey_exchange', objectType: 'api_key', objectId: ctx.actor.apiKeyId }, async (trx) => {
      requireUser(ctx.actor);
      if (ctx.actor.authMethod !== 'apikey' || !ctx.actor.apiKeyId) {
        throw new AppError('validation.failed', 'Present an API key (not a session token) to exchange it.');
      }
      const { sessionId: _s, ...wire } = await issueSession(
        trx,
        ctx.actor.userId,
        ctx.sourceIp,
        'apikey-exchange',
        newId('fam', clock.now()),
        ctx.actor.apiKeyId,
      );
      return wire;
    });
  }

  return { login, authenticate, refresh, logout, exchangeApiKey, hashToken };
}
export type AuthService = ReturnType<typeof createAuthService>;

export function newRecoveryCode(): string {
  const raw = randomBytes(10).toString('hex');
  return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10, 15)}-${raw.slice(15)}`;
}
