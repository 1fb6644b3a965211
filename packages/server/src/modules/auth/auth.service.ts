import { createHmac, randomBytes } from 'node:crypto';
import type { Login, TokenPair } from '@coffer/contracts/auth';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import { keyedHash } from '../../crypto/tokens.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { createServerOpenpgp } from '../e2e/server-openpgp.ts';
import { canonicalUsername } from '../identities/username.ts';
import type { SealManager } from '../sys/seal.ts';
import type { RequestContext } from './actor.ts';
import { createAuthenticator } from './authenticate.ts';
import { createHostBinding, type HostBinding } from './host-binding.ts';
import { createKeySignIn } from './key-sign-in.ts';
import { accountKey, clearFailures, createIpLimiter, isLocked, recordFailure } from './login-throttle.ts';
import { createSecondFactor } from './second-factor.ts';
import { createSessions, type IssuedSession, type SessionLimits, tokenPair } from './sessions.ts';

export type { SessionLimits } from './sessions.ts';

const invalidCredentials = () => new AppError('auth.invalid_credentials', 'Invalid username or password.');

/**
 * Authentication: password (+TOTP) login here; bearer tokens -> Actor in authenticate.ts; sessions
 * after login (refresh with family revocation, logout, the API key -> session exchange) in
 * sessions.ts. Tokens are stored only as keyed hashes.
 */
export function createAuthService(deps: {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  seal: SealManager;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  session: SessionLimits;
  login: { freeFailures: number; hardLockFailures: number; perIpPerMinute: number };
  /** Where bound API users' host names are resolved (default: the system resolver). */
  hostBinding?: HostBinding;
}) {
  const { db, clock, hasher, seal, audit, audited } = deps;
  const ipLimiter = createIpLimiter(deps.login.perIpPerMinute);
  const hashToken = (token: string) => keyedHash(seal.requireKeys().tokenHmacKey, token);
  const { useTotp, useRecoveryCode } = createSecondFactor({ db, clock, seal });
  const auditHmac = (value: string) => createHmac('sha256', seal.requireKeys().auditHmacKey).update(value).digest('base64url').slice(0, 22);
  const hostBinding = deps.hostBinding ?? createHostBinding({ clock });
  const { authenticate, authenticateSession, checkApiKeyById } = createAuthenticator({
    db,
    clock,
    idleSeconds: deps.session.idleSeconds,
    hashToken,
    hostBinding,
  });
  const { issueSession, refresh, logout, exchangeApiKey, endReplacedWebSession } = createSessions({
    db,
    clock,
    audit,
    audited,
    session: deps.session,
    hashToken,
    checkApiKeyById,
  });

  /** Password login. Unknown user, wrong password, disabled and locked accounts all answer the same,
   * after the same amount of hashing work. */
  async function login(ctx: RequestContext, input: Login): Promise<TokenPair> {
    // a web session is made by loginWeb only: its token goes into a cookie, it has no refresh token
    if (ctx.via === 'web') throw new AppError('internal', 'Web sessions are made by loginWeb.');
    const { issued, mustChangePassword } = await signIn(ctx, input);
    const wire = tokenPair(issued);
    // the session works only for changing the password until then (http/surface.ts)
    return mustChangePassword ? { ...wire, mustChangePassword: true } : wire;
  }

  /**
   * The web UI's sign-in (ADR 0017): the same checks, lockout and audit as `login`, a session of
   * audience 'web' and no refresh token. The caller puts the token into an HttpOnly cookie.
   * `replaces`: the session token of the cookie the browser sent along, if any; once the sign-in
   * succeeds, that web session is ended (audited) in the same transaction.
   */
  async function loginWeb(
    ctx: RequestContext,
    input: Login,
    replaces: string | null = null,
  ): Promise<{ sessionToken: string; mustChangePassword: boolean }> {
    if (ctx.via !== 'web') throw new AppError('internal', 'loginWeb serves the web surface only.');
    const { issued, mustChangePassword } = await signIn(ctx, input, replaces);
    return { sessionToken: issued.accessToken, mustChangePassword };
  }

  /**
   * The web session's CSRF token: an HMAC of its id under the token key, with its own label so it
   * can never equal a token hash. Not stored; recomputed and compared in constant time.
   */
  function csrfToken(sessionId: string): string {
    return keyedHash(seal.requireKeys().tokenHmacKey, `csrf:${sessionId}`);
  }

  async function signIn(
    ctx: RequestContext,
    input: Login,
    replaces: string | null = null,
  ): Promise<{ issued: IssuedSession; mustChangePassword: boolean }> {
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
        const pair = await issueSession(trx, user.id, ctx.sourceIp, method, newId('fam', now), null, ctx.via ?? 'native');
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
        if (replaces !== null) await endReplacedWebSession(trx, actorCtx, replaces, pair.sessionId);
        ctx.audited = true;
        return { issued: pair, mustChangePassword: user.must_change_password === 1 };
      });
    } catch (e) {
      throw e instanceof AppError
        ? e
        : new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause: e });
    }
  }

  /**
   * A sign-in proven by the user's registered OpenPGP key instead of a password (the Passbolt API's
   * GPGAuth and JWT challenges: the caller has checked the proof). Same account checks as a
   * password sign-in (a human, active, not locked out), a session of the caller's API
   * (`ctx.via`), audited `auth.login` with the method. A user with TOTP gets a session all the
   * same, but its family owes the second factor (`secondFactorPending`, key-sign-in.ts) until a
   * code is given; the surface answers nothing else to it until then.
   */
  async function signInWithKey(ctx: RequestContext, userId: string): Promise<IssuedSession & { secondFactorPending: boolean }> {
    const now = clock.now();
    const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    const locked = user ? await isLocked(db, accountKey(seal.requireKeys().tokenHmacKey, user.username_canonical), now) : true;
    if (user?.kind !== 'human' || user.status !== 'active' || locked) {
      await writeLoginAudit(ctx, user?.id ?? null, 'denied', 'auth.invalid_credentials', user?.username ?? '');
      throw invalidCredentials();
    }
    try {
      return await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', user.id).execute();
        const familyId = newId('fam', now);
        const pair = await issueSession(trx, user.id, ctx.sourceIp, 'openpgp', familyId, null, ctx.via ?? 'native');
        const secondFactorPending = user.totp_enabled === 1;
        if (secondFactorPending) {
          await trx.insertInto('session_second_factor').values({ family_id: familyId, user_id: user.id, created_at: now }).execute();
        }
        await audit.append(
          trx,
          { ...ctx, actor: { ...ctx.actor, kind: 'user' as const, userId: user.id, username: user.username, role: user.role } },
          {
            action: 'auth.login',
            objectType: 'session',
            objectId: pair.sessionId,
            outcome: 'success',
            details: { method: 'openpgp', secondFactorPending },
          },
        );
        ctx.audited = true;
        return { ...pair, secondFactorPending };
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

  // the Passbolt API's GPGAuth and JWT logins, their second factor and JWTs (key-sign-in.ts)
  const keySignIn = createKeySignIn({
    db,
    clock,
    seal,
    audit,
    audited,
    pgp: createServerOpenpgp({ db, seal }),
    signInWithKey,
    authenticateSession,
    login: deps.login,
    ipLimiter,
  });

  return { login, loginWeb, signInWithKey, csrfToken, authenticate, refresh, logout, exchangeApiKey, hashToken, ...keySignIn };
}
export type AuthService = ReturnType<typeof createAuthService>;

export function newRecoveryCode(): string {
  const raw = randomBytes(10).toString('hex');
  return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10, 15)}-${raw.slice(15)}`;
}
