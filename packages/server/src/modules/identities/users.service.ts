import type { PendingApproval } from '@coffer/contracts/admin-requests';
import type { CreateUser, UpdateUser, User, UserPatch } from '@coffer/contracts/identities';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db, Trx } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { callMode, type DualControl, type GateMode } from '../admin-requests/dual-control.ts';
import type { AuditedEv, createAudited } from '../audit/audit-log.ts';
import { authorize, can, type RequestContext, requireUser } from '../auth/actor.ts';
import { isHostName } from '../auth/host-binding.ts';
import type { Reauth } from '../auth/reauth.ts';
import { loginActivities } from './login-activity.ts';
import { ownPasswordRefused } from './own-account.service.ts';
import { accountWords, assertPasswordRules, passwordProblems, passwordRulesError } from './password-rules.ts';
import { accountOf, type NewUser, newUserRow, profileColumns, superScopeRoles, withoutProof } from './user-rows.ts';
import { canonicalUsername } from './username.ts';
import { presentUser } from './users.presenter.ts';
import * as repo from './users.repository.ts';

const notFound = () => new AppError('not_found', 'No such user.');

/**
 * Users, as administered (one's own password and e-mail: own-account.service.ts): PMP's
 * create-user fields, the four roles, enable/disable/delete. Invariants:
 * - the canonical username is unique (case, width and surrounding space do not make a new user);
 * - every security change (password, role, scope, disable) ends every session, refresh token and
 *   API key of the user in the same transaction;
 * - the last active human administrator cannot be demoted, disabled or deleted;
 * - a password an administrator sets (at creation or by a reset) is temporary: the user must
 *   change it at the next login;
 * - the changes in the dual-control table (admin-requests/gated-operations.ts) become admin
 *   requests while dual control applies; nobody gives themselves the all-passwords scope;
 * - nobody sets their own password here, in any mode (it changes with re-authentication on
 *   /me/password), and an e-mail change is never filed on purpose as an admin request (it needs
 *   the caller's re-authentication, which only the direct PATCH carries).
 * Each gated use case is one `…In(trx, ctx, ev, input, mode)` function: the route calls it in
 * `call` mode, and executing an approved admin request calls it again in `execute` mode, so the
 * same checks run at request and at execute time.
 */
export function createUsersService(deps: {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  audited: ReturnType<typeof createAudited>;
  dualControl: DualControl;
  /** The login-throttle row key of a canonical username (auth/login-throttle.ts). */
  accountKey: (canonical: string) => string;
  /** The caller's re-authentication (auth/reauth.ts) for e-mail changes. */
  reauth: Pick<Reauth, 'check'>;
}) {
  const { db, clock, hasher, audited, dualControl, reauth } = deps;

  async function guardLastAdmin(trx: Parameters<typeof repo.countActiveAdministrators>[0], user: repo.UserRow) {
    if (user.role === 'administrator' && user.status === 'active' && user.kind === 'human') {
      if ((await repo.countActiveAdministrators(trx)) <= 1) {
        throw new AppError('conflict', 'This is the last active administrator; create another one first.');
      }
    }
  }

  async function load(trx: Trx, id: string): Promise<repo.UserRow> {
    const u = await repo.findUserById(trx, id);
    if (!u) throw notFound();
    return u;
  }

  async function createIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    input: NewUser,
    passwordHash: string | null,
    mode: GateMode,
  ): Promise<User | PendingApproval> {
    authorize(ctx.actor, 'users.write');
    const kind = input.kind ?? 'human';
    if (kind === 'human' && passwordHash === null) {
      throw new AppError('validation.failed', 'A password is required for a human user.', {
        details: [{ path: '/password', message: 'required' }],
      });
    }
    if (kind === 'api' && passwordHash !== null) {
      throw new AppError('validation.failed', 'API users sign in with API keys, not passwords.', {
        details: [{ path: '/password', message: 'not allowed for kind api' }],
      });
    }
    if (input.boundHost !== undefined && (kind !== 'api' || !isHostName(input.boundHost))) {
      throw new AppError('validation.failed', 'Only an API user is bound to a host, given by its name or IP address.', {
        details: [{ path: '/boundHost', message: kind === 'api' ? 'expected a host name or an IP address' : 'allowed for kind api only' }],
      });
    }
    if (input.allPasswords && !superScopeRoles.includes(input.role)) {
      throw new AppError('validation.failed', 'Only administrators and password administrators can have the all-passwords scope.');
    }
    const canonical = canonicalUsername(input.username);
    if (await repo.findUserByCanonical(trx, canonical)) throw new AppError('conflict', 'That username is taken.');
    const pending = await dualControl.gate(
      trx,
      ctx,
      ev,
      { type: 'user.create', user: { ...input, kind }, temporaryPassword: passwordHash !== null },
      { role: input.role, allPasswords: input.allPasswords === true },
      { mode, targetId: null, secret: passwordHash },
    );
    if (pending) return pending;
    const now = clock.now();
    // a password chosen by an administrator is known to them: the user replaces it at the first login
    const row = newUserRow({ ...input, kind }, passwordHash, now, passwordHash !== null);
    await repo.insertUser(trx, row);
    ev.objectId = row.id;
    ev.details = { role: row.role, kind, allPasswords: row.all_passwords === 1, ...(row.bound_host ? { boundHost: row.bound_host } : {}) };
    return presentUser(row);
  }

  async function create(ctx: RequestContext, input: CreateUser): Promise<User | PendingApproval> {
    const { password, ...rest } = input;
    const kind = input.kind ?? 'human';
    // judged before hashing (Argon2 is not spent on a refused password)
    const problems =
      password !== undefined && kind === 'human'
        ? passwordProblems(password, { totp: false, userInputs: [input.username, input.email ?? ''] }, '/password')
        : [];
    const passwordHash = password !== undefined && problems.length === 0 ? await hasher.hash(password) : null;
    return audited(ctx, { action: 'user.create', objectType: 'user' }, (trx, ev) => {
      authorize(ctx.actor, 'users.write');
      if (problems.length > 0) throw passwordRulesError(problems);
      return createIn(trx, ctx, ev, rest, passwordHash, callMode);
    });
  }

  async function list(ctx: RequestContext, q: { cursor?: string; limit?: number; kind?: 'human' | 'api' }) {
    return audited(ctx, { action: 'user.list', objectType: 'user' }, async (trx) => {
      authorize(ctx.actor, 'users.read');
      const limit = q.limit ?? 50;
      const rows = await repo.listUsers(trx, { after: q.cursor ?? null, limit: limit + 1, ...(q.kind ? { kind: q.kind } : {}) });
      const page = rows.slice(0, limit);
      const activity = await loginActivities(trx, page, deps.accountKey, clock.now());
      return { items: page.map((u, i) => presentUser(u, activity[i])), nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
    });
  }

  async function get(ctx: RequestContext, id: string): Promise<User> {
    return audited(ctx, { action: 'user.read', objectType: 'user', objectId: id }, async (trx) => {
      requireUser(ctx.actor);
      if (ctx.actor.userId !== id) authorize(ctx.actor, 'users.read');
      const u = await repo.findUserById(trx, id);
      if (!u) throw notFound();
      return presentUser(u, (await loginActivities(trx, [u], deps.accountKey, clock.now()))[0]);
    });
  }

  async function updateIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    id: string,
    patch: UserPatch,
    mode: GateMode,
  ): Promise<User | PendingApproval> {
    authorize(ctx.actor, 'users.write');
    const u = await load(trx, id);
    // an e-mail change needs the caller's re-authentication, which only the direct PATCH carries (a
    // gated PATCH proved it before it became a request); one filed on purpose carries none
    if (mode.kind === 'request' && patch.email !== undefined && patch.email !== u.email) {
      throw new AppError('validation.failed', 'Change an e-mail address with PATCH /api/v1/users/{id} (it needs your currentPassword).', {
        details: [{ path: '/operation/patch/email', message: 'not through an admin request' }],
      });
    }
    const role = patch.role ?? u.role;
    const allPasswords = patch.allPasswords ?? (u.all_passwords === 1 && superScopeRoles.includes(role));
    if (allPasswords && !superScopeRoles.includes(role)) {
      throw new AppError('validation.failed', 'Only administrators and password administrators can have the all-passwords scope.');
    }
    const privilegeChange = role !== u.role || allPasswords !== (u.all_passwords === 1);
    if (role !== 'administrator') await guardLastAdmin(trx, u);
    const pending = await dualControl.gate(
      trx,
      ctx,
      ev,
      { type: 'user.update', userId: id, patch },
      { self: ctx.actor.userId === id, before: accountOf(u), after: { role, allPasswords } },
      { mode, targetId: id },
    );
    if (pending) return pending;
    const now = clock.now();
    const set: Partial<repo.UserRow> = { updated_at: now, role, all_passwords: allPasswords ? 1 : 0 };
    for (const [k, col] of Object.entries(profileColumns)) {
      const v = (patch as Record<string, unknown>)[k];
      if (typeof v === 'string') (set as Record<string, unknown>)[col] = v;
    }
    await repo.updateUser(trx, id, set);
    if (privilegeChange) await repo.revokeAllCredentials(trx, id, now, { apiKeys: true });
    ev.details = { fields: Object.keys(patch), privilegeChange };
    return presentUser({ ...u, ...set } as repo.UserRow);
  }

  async function update(ctx: RequestContext, id: string, patch: UpdateUser): Promise<User | PendingApproval> {
    // changing an e-mail address needs the caller's own re-authentication (outside the transaction)
    const before = patch.email !== undefined && can(ctx.actor, 'users.write') ? await repo.findUserById(db, id) : undefined;
    const proven = before !== undefined && before.email !== patch.email ? ((await reauth.check(ctx, patch)) ?? true) : undefined;
    return audited(ctx, { action: 'user.update', objectType: 'user', objectId: id }, async (trx, ev) => {
      authorize(ctx.actor, 'users.write');
      const u = await load(trx, id);
      if (patch.email !== undefined && patch.email !== u.email && proven !== true) {
        throw proven ?? new AppError('auth.reauth_failed', 'Changing an e-mail address needs your currentPassword (and totpCode).');
      }
      // the proof is spent here: an admin request stores the patch without it
      return updateIn(trx, ctx, ev, id, withoutProof(patch), callMode);
    });
  }

  async function setStatusIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    id: string,
    status: 'active' | 'disabled',
    mode: GateMode,
  ): Promise<User | PendingApproval> {
    authorize(ctx.actor, 'users.write');
    const u = await load(trx, id);
    if (status === 'disabled') await guardLastAdmin(trx, u);
    const type = status === 'active' ? 'user.enable' : 'user.disable';
    const pending = await dualControl.gate(trx, ctx, ev, { type, userId: id }, { target: accountOf(u) }, { mode, targetId: id });
    if (pending) return pending;
    const now = clock.now();
    if (status === 'disabled') await repo.revokeAllCredentials(trx, id, now, { apiKeys: true });
    await repo.updateUser(trx, id, { status, updated_at: now });
    return presentUser({ ...u, status, updated_at: now });
  }

  async function setStatus(ctx: RequestContext, id: string, status: 'active' | 'disabled'): Promise<User | PendingApproval> {
    const action = status === 'active' ? 'user.enable' : 'user.disable';
    return audited(ctx, { action, objectType: 'user', objectId: id }, (trx, ev) => setStatusIn(trx, ctx, ev, id, status, callMode));
  }

  async function removeIn(trx: Trx, ctx: RequestContext, ev: AuditedEv, id: string, mode: GateMode): Promise<PendingApproval | null> {
    authorize(ctx.actor, 'users.write');
    const u = await load(trx, id);
    await guardLastAdmin(trx, u);
    const pending = await dualControl.gate(
      trx,
      ctx,
      ev,
      { type: 'user.delete', userId: id },
      { target: accountOf(u) },
      { mode, targetId: id },
    );
    if (pending) return pending;
    await repo.revokeAllCredentials(trx, id, clock.now(), { apiKeys: true });
    await repo.deleteUser(trx, id);
    ev.details = { username: u.username };
    return null;
  }

  async function remove(ctx: RequestContext, id: string): Promise<PendingApproval | null> {
    return audited(ctx, { action: 'user.delete', objectType: 'user', objectId: id }, (trx, ev) => removeIn(trx, ctx, ev, id, callMode));
  }

  async function resetPasswordIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    id: string,
    hash: string,
    mode: GateMode,
  ): Promise<PendingApproval | null> {
    authorize(ctx.actor, 'users.write');
    // in every mode: a request filed before this rule, or approved by someone who found "their own
    // account" harmless, must not set it without the re-authentication /me/password asks for
    if (ctx.actor.userId === id) throw ownPasswordRefused(mode.kind === 'call' ? '/id' : '/operation/userId');
    const u = await load(trx, id);
    if (u.kind !== 'human') throw new AppError('validation.failed', 'API users have no password.');
    const pending = await dualControl.gate(
      trx,
      ctx,
      ev,
      { type: 'user.password_reset', userId: id },
      { self: false },
      { mode, targetId: id, secret: hash },
    );
    if (pending) return pending;
    const now = clock.now();
    // set by someone else, so known to them: temporary until the user changes it
    await repo.updateUser(trx, id, { password_hash: hash, must_change_password: 1, updated_at: now });
    await repo.revokeAllCredentials(trx, id, now, { apiKeys: true });
    ev.details = { temporary: true };
    return null;
  }

  async function resetPassword(ctx: RequestContext, id: string, password: string): Promise<PendingApproval | null> {
    // the rules depend on the target: 8 characters suffice once it has TOTP
    const target = can(ctx.actor, 'users.write') ? await repo.findUserById(db, id) : undefined;
    const problems = passwordProblems(password, { totp: target?.totp_enabled === 1, userInputs: accountWords(target) }, '/password');
    const hash = problems.length === 0 ? await hasher.hash(password) : null;
    return audited(ctx, { action: 'user.password_reset', objectType: 'user', objectId: id }, async (trx, ev) => {
      authorize(ctx.actor, 'users.write');
      // one's own password changes with re-authentication only (a stolen session must not do it)
      if (ctx.actor.userId === id) throw ownPasswordRefused('/id');
      const u = await load(trx, id);
      if (u.kind !== 'human') throw new AppError('validation.failed', 'API users have no password.');
      if (problems.length > 0) throw passwordRulesError(problems);
      // TOTP was removed since the rules were judged: judge again as for an account without it
      if (u.totp_enabled !== 1 && target?.totp_enabled === 1)
        assertPasswordRules(password, { totp: false, userInputs: accountWords(u) }, '/password');
      if (!hash) throw notFound();
      return resetPasswordIn(trx, ctx, ev, id, hash, callMode);
    });
  }

  async function unlock(ctx: RequestContext, id: string): Promise<void> {
    await audited(ctx, { action: 'user.unlock', objectType: 'user', objectId: id }, async (trx) => {
      authorize(ctx.actor, 'users.write');
      const u = await repo.findUserById(trx, id);
      if (!u) throw notFound();
      await trx.deleteFrom('login_failures').where('account_key', '=', deps.accountKey(u.username_canonical)).execute();
    });
  }

  /**
   * First start: the initial administrator (no actor yet; the caller audits as system). A generated
   * password is temporary (it was printed on a terminal); one the operator chose is not.
   */
  async function createInitialAdmin(trx: Parameters<typeof repo.insertUser>[0], username: string, passwordHash: string, temporary = false) {
    const row = newUserRow({ username, kind: 'human', role: 'administrator' }, passwordHash, clock.now(), temporary);
    await repo.insertUser(trx, row);
    return row;
  }

  /** The gated use cases, for executing approved admin requests (admin-requests.service.ts). */
  const runners = {
    'user.create': createIn,
    'user.update': updateIn,
    'user.enable': (trx: Trx, ctx: RequestContext, ev: AuditedEv, id: string, mode: GateMode) =>
      setStatusIn(trx, ctx, ev, id, 'active', mode),
    'user.disable': (trx: Trx, ctx: RequestContext, ev: AuditedEv, id: string, mode: GateMode) =>
      setStatusIn(trx, ctx, ev, id, 'disabled', mode),
    'user.delete': removeIn,
    'user.password_reset': resetPasswordIn,
  };

  return {
    create,
    list,
    get,
    update,
    setStatus,
    remove,
    resetPassword,
    unlock,
    createInitialAdmin,
    can,
    runners,
  };
}
export type UsersService = ReturnType<typeof createUsersService>;
