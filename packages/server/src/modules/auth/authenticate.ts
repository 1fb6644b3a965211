import { tokenKind } from '../../crypto/tokens.ts';
import type { Db, Executor } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { ApiKeyTable, SessionTable, UserTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { ipAllowed } from '../../lib/cidr.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Actor, Permission, Via } from './actor.ts';
import type { HostBinding } from './host-binding.ts';

export const invalidToken = () => new AppError('auth.invalid_token', 'The token is invalid or has expired.');

/** How often a session's idle deadline is pushed forward (limits writes on hot paths). */
const TOUCH_INTERVAL_MS = 30_000;

type OwnerColumns = Pick<UserTable, 'username' | 'role' | 'all_passwords' | 'status' | 'must_change_password' | 'bound_host'> & {
  uid: string;
};
type SessionRow = Pick<
  SessionTable,
  'family_id' | 'revoked_at' | 'idle_expires_at' | 'absolute_expires_at' | 'last_seen_at' | 'api_key_id' | 'audience'
> & {
  sid: string;
  /** The family's second factor is still owed (a key sign-in of a TOTP user): its id, else null. */
  mfa_owed: string | null;
  /** The API key a session was exchanged from (all null when none, or when the key is gone). */
  k_allowed_cidrs: string | null;
  k_scopes: string | null;
  k_expires_at: number | null;
  k_revoked_at: number | null;
  k_last_used_at: number | null;
} & OwnerColumns;
type ApiKeyRow = Pick<ApiKeyTable, 'id' | 'allowed_cidrs' | 'scopes' | 'expires_at' | 'revoked_at' | 'last_used_at'> & OwnerColumns;

/**
 * Bearer token -> Actor, on every request: session tokens (not revoked, inside their idle and
 * absolute deadlines, user active) and API keys (not revoked or expired, caller's address allowed;
 * checked again for every session exchanged from a key). Tokens are looked up by keyed hash.
 */
/** The user columns an Actor is made of, read with the session or the API key in one statement. */
const ACTOR_USER_COLUMNS = [
  'users.id as uid',
  'users.username',
  'users.role',
  'users.all_passwords',
  'users.status',
  'users.must_change_password',
  'users.bound_host',
] as const;

export function createAuthenticator(deps: {
  db: Db;
  clock: Clock;
  idleSeconds: number;
  hashToken: (token: string) => string;
  /** An API user bound to a host acts only from its addresses (host-binding.ts). */
  hostBinding: Pick<HostBinding, 'allows'>;
}) {
  const { db, clock, hashToken, hostBinding } = deps;

  /** A user bound to a host: the caller's address must be one of the host's. */
  async function checkHost(boundHost: string | null | undefined, ip: string): Promise<void> {
    if (boundHost != null && !(await hostBinding.allows(boundHost, ip))) throw invalidToken();
  }

  const sessionQuery = (column: 'sessions.token_hash' | 'sessions.id') =>
    prepared<'v', SessionRow>((db, p) =>
      db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        // the key a session was exchanged from is checked again on every use: read in the same query
        .leftJoin('api_keys as k', 'k.id', 'sessions.api_key_id')
        // a second factor still owed by the family (key sign-ins of TOTP users): in the same query
        .leftJoin('session_second_factor as mfa', 'mfa.family_id', 'sessions.family_id')
        .select([
          'mfa.family_id as mfa_owed',
          'k.allowed_cidrs as k_allowed_cidrs',
          'k.scopes as k_scopes',
          'k.expires_at as k_expires_at',
          'k.revoked_at as k_revoked_at',
          'k.last_used_at as k_last_used_at',
          'sessions.id as sid',
          'sessions.family_id',
          'sessions.revoked_at',
          'sessions.idle_expires_at',
          'sessions.absolute_expires_at',
          'sessions.last_seen_at',
          'sessions.api_key_id',
          'sessions.audience',
          ...ACTOR_USER_COLUMNS,
        ])
        .where(column, '=', p('v')),
    );
  const sessionByHash = sessionQuery('sessions.token_hash');
  const sessionById = sessionQuery('sessions.id');

  /** A session row (by token hash or id) -> Actor, or auth.invalid_token. */
  async function acceptSession(row: SessionRow | undefined, ip: string, via: Via, now: number): Promise<Actor> {
    if (!row || row.revoked_at !== null || row.status !== 'active' || row.audience !== via) throw invalidToken();
    if (now >= Number(row.idle_expires_at) || now >= Number(row.absolute_expires_at)) throw invalidToken();
    await checkHost(row.bound_host, ip);
    let scopes: Permission[] | null = null;
    if (row.api_key_id) {
      // the key's owner is the session's user, checked above
      scopes = await acceptKey(
        {
          id: row.api_key_id,
          allowed_cidrs: row.k_allowed_cidrs,
          scopes: row.k_scopes,
          expires_at: row.k_expires_at,
          revoked_at: row.k_revoked_at,
          last_used_at: row.k_last_used_at,
        },
        ip,
        now,
        db,
      );
    }
    if (now - Number(row.last_seen_at) > TOUCH_INTERVAL_MS) {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: now, idle_expires_at: Math.min(now + deps.idleSeconds * 1000, Number(row.absolute_expires_at)) })
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
      // refresh keeps the family: the request budget follows it (credential-rate-limit.ts)
      sessionFamilyId: row.family_id,
      sessionAbsoluteExpiresAt: Number(row.absolute_expires_at),
      apiKeyId: row.api_key_id,
      scopes,
      mustChangePassword: row.must_change_password === 1,
      ...(row.mfa_owed !== null ? { secondFactorOwed: true } : {}),
    };
  }

  /**
   * A session named by its id, for credentials that wrap one (a signed JWT whose signature the
   * caller has checked): the same checks as a session token.
   */
  async function authenticateSession(sessionId: string, ip: string, via: Via): Promise<Actor> {
    const [row] = await sessionById(db, { v: sessionId });
    return acceptSession(row, ip, via, clock.now());
  }

  /** Resolves a bearer token to an actor, or throws auth.invalid_token. A session token counts only
   * on the surface that issued it (`via`); an API key on every surface that takes keys. */
  async function authenticate(token: string, ip: string, via: Via = 'native'): Promise<Actor> {
    const kind = tokenKind(token);
    const now = clock.now();
    if (kind === 'session') {
      const [row] = await sessionByHash(db, { v: hashToken(token) });
      return acceptSession(row, ip, via, now);
    }
    if (kind === 'apikey') {
      const k = await checkApiKey({ hash: hashToken(token) }, ip, now);
      return {
        kind: 'user',
        userId: k.userId,
        username: k.username,
        role: k.role,
        allPasswords: k.allPasswords,
        authMethod: 'apikey',
        sessionId: null,
        apiKeyId: k.id,
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
          ...ACTOR_USER_COLUMNS,
        ])
        .where(column, '=', p('v')),
    );
  const apiKeyById = apiKeyQuery('api_keys.id');
  const apiKeyByHash = apiKeyQuery('api_keys.key_hash');

  /**
   * The key's own checks (not revoked, not expired, the caller's address allowed), its last use
   * touched now and then; its scopes. A key read through an outer join that found nothing (all
   * null) fails closed: a key without an expiry is refused.
   */
  async function acceptKey(
    k: {
      id: string;
      allowed_cidrs: string | null;
      scopes: string | null;
      expires_at: number | null;
      revoked_at: number | null;
      last_used_at: number | null;
    },
    ip: string,
    now: number,
    exec: Executor,
  ): Promise<Permission[] | null> {
    if (k.revoked_at !== null) throw invalidToken();
    // expiry is mandatory (migration 0009 gave every old key one): a key without one fails closed
    if (k.expires_at === null || now >= Number(k.expires_at)) throw invalidToken();
    if (!ipAllowed(ip, JSON.parse(k.allowed_cidrs ?? '[]') as string[])) throw invalidToken();
    if (k.last_used_at === null || now - Number(k.last_used_at) > TOUCH_INTERVAL_MS) {
      await exec.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', k.id).execute();
    }
    return JSON.parse(k.scopes ?? 'null') as Permission[] | null;
  }

  /** One query: the key (by id or by its keyed hash) with its owner. */
  async function checkApiKey(by: { id: string } | { hash: string }, ip: string, now: number, exec: Executor = db) {
    const [k] = 'id' in by ? await apiKeyById(exec, { v: by.id }) : await apiKeyByHash(exec, { v: by.hash });
    if (!k) throw invalidToken();
    if (k.revoked_at !== null || k.status !== 'active') throw invalidToken();
    await checkHost(k.bound_host, ip);
    const scopes = await acceptKey(k, ip, now, exec);
    return {
      id: k.id,
      userId: k.uid,
      username: k.username,
      role: k.role,
      allPasswords: k.all_passwords === 1,
      scopes,
      mustChangePassword: k.must_change_password === 1,
    };
  }

  return { authenticate, authenticateSession, checkApiKeyById };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
