import type { Role } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';

/** Who is calling. Built only by the auth plugin (or the CLI/system), never from a request body. */
export interface Actor {
  kind: 'user' | 'anonymous' | 'system';
  userId: string | null;
  username: string | null;
  role: Role | null;
  /** PMP's "All passwords in the system" super-administrator scope. */
  allPasswords: boolean;
  authMethod: 'session' | 'apikey' | 'none' | 'system';
  sessionId: string | null;
  /**
   * The session's family (a login and every refresh after it). Set for session tokens only; the
   * per-credential request budget is kept per family, so refreshing buys no fresh burst.
   */
  sessionFamilyId?: string | null;
  /** The session's absolute deadline (ms since the epoch); set for session tokens only. */
  sessionAbsoluteExpiresAt?: number;
  apiKeyId: string | null;
  /** When an API key has scopes, only these permissions are usable through it. */
  scopes: readonly Permission[] | null;
  /**
   * The user's password was set by an administrator (or generated at first start): until they
   * change it, every credential of theirs may only change it or log out (http/hooks.ts).
   */
  mustChangePassword?: boolean;
  /**
   * The session's family still owes its second factor (a key sign-in of a TOTP user, ADR 0025):
   * read with the session; the surface that made it keeps it to the second-factor step.
   */
  secondFactorOwed?: boolean;
}

/** What a service needs to know about the request besides the actor (for the audit record). */
export interface RequestContext {
  actor: Actor;
  requestId: string;
  sourceIp: string;
  /** Set once an audit record for this request has been written. */
  audited: boolean;
  /** The API surface the request came through (http/surface.ts); absent: native (or not a request). */
  via?: Via;
}

/** The API surfaces; every audit record names the one used. */
export const vias = ['native', 'web', 'pmp', 'senhasegura', 'secretserver', 'passwork', 'passbolt'] as const;
export type Via = (typeof vias)[number];

export const anonymousActor: Actor = Object.freeze({
  kind: 'anonymous',
  userId: null,
  username: null,
  role: null,
  allPasswords: false,
  authMethod: 'none',
  sessionId: null,
  apiKeyId: null,
  scopes: null,
});

export const systemActor: Actor = Object.freeze({
  ...anonymousActor,
  kind: 'system',
  username: 'system',
  authMethod: 'system',
});

export const permissions = [
  'users.read',
  'users.write',
  'groups.read',
  'groups.write',
  'apikeys.manage',
  'audit.read',
  'sys.manage',
  'templates.write',
] as const;
export type Permission = (typeof permissions)[number];

/**
 * The four PMP roles. Administrator: manages users, groups, API users, the keyring and settings,
 * and reads the audit trail (but sees no secret values without a grant or the all-passwords
 * scope, from the secrets issue on). Password Administrator: manages the secrets they own or are
 * granted (next issue) and can look up users and groups to share with. Password Auditor: reads the
 * audit trail and the user directory, never values. Password User: their own secrets and shares.
 */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  administrator: permissions,
  password_administrator: ['users.read', 'groups.read', 'templates.write'],
  password_auditor: ['users.read', 'groups.read', 'audit.read'],
  password_user: [],
};

export const roles: readonly Role[] = ['administrator', 'password_administrator', 'password_auditor', 'password_user'];

export function can(actor: Actor, permission: Permission): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind !== 'user' || actor.role === null) return false;
  if (!rolePermissions[actor.role].includes(permission)) return false;
  return actor.scopes === null || actor.scopes.includes(permission);
}

/** Throws `forbidden` (the caller's audit wrapper records the denial). */
export function authorize(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) {
    throw new AppError('forbidden', 'You do not have permission to do this.');
  }
}

/** Self-service actions need only an authenticated user (not an anonymous caller). */
export function requireUser(actor: Actor): asserts actor is Actor & { userId: string; username: string; role: Role } {
  if (actor.kind !== 'user' || actor.userId === null) {
    throw new AppError('auth.required', 'Authentication is required.');
  }
}
