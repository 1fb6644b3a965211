// Sign-in proven by the user's registered OpenPGP key (the Passbolt API's GPGAuth and JWT logins,
// ADR 0025 "Authentication"), the second factor such a session may still owe, and the JWT access
// tokens that wrap its sessions. The one-time tokens live in key_sign_in_tokens as keyed hashes
// (migration 0020). Every failure answers the same (auth.invalid_credentials: which check failed
// is never told) and is audited as an `auth.login` denial; an unknown key costs the same OpenPGP
// work as a known one.
import { randomUUID } from 'node:crypto';
import { constantTimeEqual, keyedHash } from '../../crypto/tokens.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import type { ServerOpenpgp } from '../e2e/server-openpgp.ts';
import { JWT_SIGNING_KEY, type JwtKeys, jwtKeys } from '../sys/jwt-key.ts';
import type { SealManager } from '../sys/seal.ts';
import { type Actor, type RequestContext, requireUser, type Via } from './actor.ts';
import { invalidToken } from './authenticate.ts';
import { signJwt, verifyJwt } from './jwt.ts';

const JWT_KEY_BINDING = { type: 'system_key', id: JWT_SIGNING_KEY, field: 'value' } as const;

import { accountKey, clearFailures, type createIpLimiter, isLocked, recordFailure } from './login-throttle.ts';
import { createSecondFactor } from './second-factor.ts';
import type { IssuedSession } from './sessions.ts';

/** GPGAuth's nonce: `gpgauthv1.3.0|36|<uuid>|gpgauthv1.3.0`. */
export const GPGAUTH_NONCE = /^gpgauthv1\.3\.0\|36\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\|gpgauthv1\.3\.0$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How long a GPGAuth stage-1 nonce may be answered. */
export const GPGAUTH_TTL_MS = 5 * 60_000;
/** How far ahead a JWT login challenge may say its verify_token expires (Passbolt's default: 1 hour). */
export const JWT_VERIFY_MAX_MS = 60 * 60_000;

type SignIn = (ctx: RequestContext, userId: string) => Promise<IssuedSession & { secondFactorPending: boolean }>;

export function createKeySignIn(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  pgp: ServerOpenpgp;
  signInWithKey: SignIn;
  authenticateSession: (sessionId: string, ip: string, via: Via) => Promise<Actor>;
  login: { freeFailures: number; hardLockFailures: number };
  /** The per-address limit of failed sign-ins shared with the password login (login-throttle.ts). */
  ipLimiter: ReturnType<typeof createIpLimiter>;
}) {
  const { db, clock, seal, audit, audited, pgp } = deps;
  const hmacKey = () => seal.requireKeys().tokenHmacKey;
  const hash = (kind: string, userId: string, token: string) => keyedHash(hmacKey(), `keysignin:${kind}:${userId}:${token}`);
  const { useTotp } = createSecondFactor({ db, clock, seal });
  const failed = () => new AppError('auth.invalid_credentials', 'The authentication failed.');

  /** An audited `auth.login` denial, then the one failure every check answers (counted per address). */
  async function deny(ctx: RequestContext, userId: string | null, step: string): Promise<never> {
    deps.ipLimiter.fail(ctx.sourceIp, clock.now());
    await writeDenial(ctx, userId, step, 'auth.invalid_credentials');
    throw failed();
  }

  /** An address past its failed sign-ins of the minute is refused before any OpenPGP work (audited). */
  async function throttle(ctx: RequestContext, step: string): Promise<void> {
    const wait = deps.ipLimiter.retryAfter(ctx.sourceIp, clock.now());
    if (wait <= 0) return;
    await writeDenial(ctx, null, step, 'auth.rate_limited');
    throw new AppError('auth.rate_limited', 'Too many failed logins from this address; try again later.', { retryAfter: wait });
  }

  async function writeDenial(ctx: RequestContext, userId: string | null, step: string, reason: string): Promise<void> {
    try {
      await db.transaction().execute((trx) =>
        audit.append(trx, ctx, {
          action: 'auth.login',
          objectType: 'user',
          objectId: userId,
          outcome: 'denied',
          reason,
          details: { method: 'openpgp', step },
        }),
      );
    } catch (e) {
      throw new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause: e });
    }
    ctx.audited = true;
  }

  async function activeUser(userId: string | undefined) {
    if (!userId) return undefined;
    const u = await db.selectFrom('users').select(['id', 'kind', 'status']).where('id', '=', userId).executeTakeFirst();
    return u?.kind === 'human' && u.status === 'active' ? u : undefined;
  }

  /**
   * GPGAuth stage 0: the text of a token the client encrypted to the server's key, returned only
   * when it is a GPGAuth nonce (the server never decrypts anything else for a caller).
   */
  async function verifyServer(armored: string): Promise<string> {
    const text = await pgp.decrypt(armored).catch(() => '');
    if (!GPGAUTH_NONCE.test(text)) {
      throw new AppError('validation.failed', 'The server verify token is missing or invalid.', {
        details: [{ path: '/gpg_auth', message: 'The server verify token is missing or invalid.', rule: 'server_verify_token' }],
      });
    }
    return text;
  }

  /**
   * GPGAuth stage 1: a fresh nonce for the user whose registered key has this fingerprint,
   * encrypted to that key and signed by the server. It replaces any earlier one of the user.
   */
  async function gpgauthChallenge(ctx: RequestContext, fingerprint: string): Promise<string> {
    await throttle(ctx, 'stage1');
    const key = await pgp.keyByFingerprint(fingerprint);
    const user = await activeUser(key?.userId);
    const nonce = `gpgauthv1.3.0|36|${randomUUID()}|gpgauthv1.3.0`;
    if (!key || !user) {
      // the same OpenPGP work as for a known key (to the server's own key), then the same refusal
      await pgp.encryptFor(nonce, (await pgp.publicKey()).armoredKey);
      return deny(ctx, key?.userId ?? null, 'stage1');
    }
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('key_sign_in_tokens').where('user_id', '=', user.id).where('kind', '=', 'gpgauth').execute();
      await trx.deleteFrom('key_sign_in_tokens').where('expires_at', '<', now).execute();
      await trx
        .insertInto('key_sign_in_tokens')
        .values({
          token_hash: hash('gpgauth', user.id, nonce),
          user_id: user.id,
          kind: 'gpgauth',
          expires_at: now + GPGAUTH_TTL_MS,
          used_at: null,
          created_at: now,
        })
        .execute();
    });
    return pgp.encryptFor(nonce, key.armoredKey);
  }

  /**
   * GPGAuth stage 2: the decrypted nonce must be the user's latest, unexpired and unused (compared
   * in constant time, spent by a conditional update); then the session (auth.signInWithKey).
   */
  async function gpgauthComplete(ctx: RequestContext, fingerprint: string, answer: string) {
    await throttle(ctx, 'stage2');
    const key = await pgp.keyByFingerprint(fingerprint);
    const userId = key?.userId ?? 'none';
    const presented = hash('gpgauth', userId, answer);
    const row = key
      ? await db
          .selectFrom('key_sign_in_tokens')
          .selectAll()
          .where('user_id', '=', userId)
          .where('kind', '=', 'gpgauth')
          .orderBy('created_at', 'desc')
          .executeTakeFirst()
      : undefined;
    const matches = constantTimeEqual(presented, row?.token_hash ?? hash('gpgauth', 'none', ''));
    const now = clock.now();
    if (!key || !row || !matches || row.used_at !== null || now >= Number(row.expires_at)) {
      return deny(ctx, key?.userId ?? null, 'stage2');
    }
    const spent = await db
      .updateTable('key_sign_in_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', row.token_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) return deny(ctx, key.userId, 'stage2');
    return deps.signInWithKey(ctx, key.userId);
  }

  /**
   * The JWT login: `challenge` is encrypted to the server and signed by the user's registered
   * key; its JSON says version 1.0.0, this server's `domain`, a UUID `verify_token` never used
   * before, and a `verify_token_expiry` (unix seconds) not past nor too far ahead. Then the
   * session, and `reply` to encrypt the answer to the user's key (signed by the server).
   */
  async function jwtLogin(ctx: RequestContext, userId: string | undefined, challenge: string, domain: string) {
    await throttle(ctx, 'jwt');
    const key = userId ? await pgp.keyOfUser(userId) : undefined;
    const user = await activeUser(key?.userId);
    if (!key || !user) {
      await pgp.decrypt(challenge).catch(() => '');
      return deny(ctx, key?.userId ?? null, 'jwt');
    }
    const text = await pgp.decrypt(challenge, { signedBy: key.armoredKey }).catch(() => undefined);
    let c: Record<string, unknown> = {};
    try {
      const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) c = parsed as Record<string, unknown>;
    } catch {
      // refused below with the others
    }
    const now = clock.now();
    const expiry = typeof c.verify_token_expiry === 'number' ? c.verify_token_expiry * 1000 : Number.NaN;
    const token = typeof c.verify_token === 'string' ? c.verify_token : '';
    const ok =
      c.version === '1.0.0' &&
      typeof c.domain === 'string' &&
      sameBase(c.domain, domain) &&
      UUID.test(token) &&
      expiry > now &&
      expiry <= now + JWT_VERIFY_MAX_MS;
    if (!ok) return deny(ctx, user.id, 'jwt');
    // used verify tokens are kept until their expiry only
    await db.deleteFrom('key_sign_in_tokens').where('expires_at', '<', now).execute();
    const fresh = await db
      .insertInto('key_sign_in_tokens')
      .values({
        token_hash: hash('jwt_verify', user.id, token.toLowerCase()),
        user_id: user.id,
        kind: 'jwt_verify',
        expires_at: expiry,
        used_at: now,
        created_at: now,
      })
      .onConflict((oc) => oc.column('token_hash').doNothing())
      .executeTakeFirst();
    if (Number(fresh.numInsertedOrUpdatedRows ?? 0) !== 1) return deny(ctx, user.id, 'jwt-replay');
    const issued = await deps.signInWithKey(ctx, user.id);
    return {
      issued,
      verifyToken: token,
      reply: (payload: Record<string, unknown>) => pgp.encryptFor(JSON.stringify(payload), key.armoredKey),
    };
  }

  /** The session family still owes its second factor (signed in by key, TOTP on, no code yet). */
  async function secondFactorPending(familyId: string | null | undefined): Promise<boolean> {
    if (!familyId) return false;
    const row = await db.selectFrom('session_second_factor').select('family_id').where('family_id', '=', familyId).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The second factor for the caller's session family: a TOTP code, accepted once (a replayed step
   * is refused). A wrong code counts toward the account's lockout like a failed login.
   */
  async function verifySecondFactor(ctx: RequestContext, code: string): Promise<void> {
    requireUser(ctx.actor);
    const actor = ctx.actor;
    const u = await db
      .selectFrom('users')
      .select(['username_canonical', 'totp_secret_enc', 'totp_enabled'])
      .where('id', '=', actor.userId)
      .executeTakeFirstOrThrow();
    const account = accountKey(hmacKey(), u.username_canonical);
    const now = clock.now();
    const locked = await isLocked(db, account, now);
    const ok = !locked && u.totp_enabled === 1 && /^\d{6}$/.test(code) && (await useTotp(actor.userId, u.totp_secret_enc, code));
    if (!ok && !locked) await recordFailure(db, account, now, deps.login);
    await audited(ctx, { action: 'auth.mfa_verify', objectType: 'session', objectId: actor.sessionId }, async (trx, ev) => {
      ev.details = { method: 'totp' };
      if (!ok) {
        throw new AppError('validation.failed', 'The OTP is not valid.', {
          details: [{ path: '/totp', message: 'The OTP is not valid.', rule: 'isValidOtp' }],
        });
      }
      await trx
        .deleteFrom('session_second_factor')
        .where('family_id', '=', actor.sessionFamilyId ?? '')
        .execute();
      await clearFailures(trx, account);
    });
  }

  // the JWT key pair, read (or made) once per process and unsealed
  let jwtKeyPair: Promise<JwtKeys> | undefined;
  const jwtKey = () => {
    seal.requireKeys();
    jwtKeyPair ??= jwtKeys(
      db,
      clock.now(),
      (value) => seal.encrypt(db, JWT_KEY_BINDING, value),
      (valueEnc) => seal.decrypt(db, JWT_KEY_BINDING, valueEnc),
    ).catch((e: unknown) => {
      jwtKeyPair = undefined;
      throw e;
    });
    return jwtKeyPair;
  };

  /** A JWT wrapping a session: `sub`/`iss` as the API names them, expiring after `lifetimeSeconds`. */
  async function sessionJwt(sessionId: string, claims: { sub: string; iss: string }, lifetimeSeconds: number) {
    const iat = Math.floor(clock.now() / 1000);
    const exp = iat + lifetimeSeconds;
    return { token: signJwt(await jwtKey(), { sid: sessionId, sub: claims.sub, iss: claims.iss, iat, exp }), exp };
  }

  /** A JWT of `sessionJwt` -> the session's actor (signature, expiry, then every session check). */
  async function authenticateJwt(token: string, ip: string, via: Via): Promise<Actor> {
    const claims = verifyJwt(await jwtKey(), token, clock.now());
    if (!claims) throw invalidToken();
    return deps.authenticateSession(claims.sid, ip, via);
  }

  /** The JWT key's public half: a JWKS and the PEM (for clients that verify the tokens). */
  async function jwtPublicKey() {
    const k = await jwtKey();
    const jwk = k.publicKey.export({ format: 'jwk' });
    return {
      jwks: { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: k.kid, n: jwk.n as string, e: jwk.e as string }] },
      pem: k.publicPem,
    };
  }

  return {
    verifyServer,
    gpgauthChallenge,
    gpgauthComplete,
    jwtLogin,
    secondFactorPending,
    verifySecondFactor,
    sessionJwt,
    authenticateJwt,
    jwtPublicKey,
    serverPublicKey: pgp.publicKey,
  };
}
export type KeySignIn = ReturnType<typeof createKeySignIn>;

/** Two base URLs name the same place (scheme, host, port and path; a trailing slash aside). */
function sameBase(a: string, b: string): boolean {
  const norm = (s: string) => {
    try {
      const u = new URL(s);
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
    } catch {
      return undefined;
    }
  };
  const na = norm(a);
  return na !== undefined && na === norm(b);
}
