// Inviting a user who signs in by OpenPGP key (Passbolt's account setup, ADR 0025). Coffer has no
// mail: the administrator who creates the user gets the setup token once, in the create answer,
// and hands it over; the user completes the setup by registering their key with it. Invariants:
// - the user is created by the users service (its authorization, dual control, audit), with a
//   random password nobody knows (temporary, as any administrator-set one): until the setup they
//   can do nothing with it;
// - the token is a keyed hash (the server's setup key) of the account's id and password hash (a
//   fresh random one per account), in the form of a UUID: nothing stored, compared in constant time, and void
//   once the setup is complete (the account then has a key and no temporary password), once it
//   expires (SETUP_TTL_MS after the creation), or when the password is reset;
// - completing registers the key by the key rules (user-keys.ts: the user's e-mail in a user id,
//   no private material, strength, not another user's), in the same transaction; a wrong, spent or
//   expired token and an unknown user answer alike.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { User } from '@coffer/contracts/identities';
import type { Db } from '../../db/database.ts';
import type { Role } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import { registerKeyIn } from '../e2e/user-keys.ts';
import { presentUser } from './users.presenter.ts';
import { findUserById, type UserRow } from './users.repository.ts';
import type { UsersService } from './users.service.ts';

/** How long a setup token is good for after the user's creation. */
export const SETUP_TTL_MS = 7 * 86_400_000;

const invalidToken = () =>
  new AppError('validation.failed', 'The setup token is not valid, or has expired or been used.', {
    details: [{ path: '/authenticationtoken', message: 'The authentication token is not valid.', rule: 'isValid' }],
  });

export function createSetupService(deps: {
  db: Db;
  clock: Clock;
  audited: ReturnType<typeof createAudited>;
  users: Pick<UsersService, 'create'>;
  /** The server's key for setup tokens (derived from the sealed keyring). */
  setupKey: () => Buffer;
}) {
  const { db, clock, audited } = deps;

  function tokenOf(u: Pick<UserRow, 'id' | 'password_hash'>): string {
    const h = createHmac('sha256', deps.setupKey())
      .update(`${u.id}\n${u.password_hash ?? ''}`)
      .digest('hex');
    // a UUID (version 4, variant 8), as Passbolt's clients expect of a token
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Still waiting for its setup: active, no key, the temporary password, not expired. */
  async function pending(exec: Parameters<typeof findUserById>[0], u: UserRow, now: number): Promise<boolean> {
    if (u.status !== 'active' || u.kind !== 'human' || u.must_change_password !== 1 || !u.password_hash) return false;
    if (!(Number(u.created_at) + SETUP_TTL_MS > now)) return false;
    const key = await exec.selectFrom('user_openpgp_keys').select('user_id').where('user_id', '=', u.id).executeTakeFirst();
    return key === undefined;
  }

  /**
   * Creates the user (users service) and answers their setup token, or the admin request filed
   * when dual control holds the creation (no token then: the user is not created yet).
   */
  async function invite(ctx: RequestContext, input: { email: string; firstName: string; lastName: string; role: Role }) {
    const password = `${randomBytes(24).toString('base64url')}-Aa1!`;
    const created = await deps.users.create(ctx, {
      username: input.email,
      email: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      role: input.role,
      password,
    });
    if ('status' in created && created.status === 'pending_approval') return { pending: created };
    const row = (await findUserById(db, created.id)) as UserRow;
    return { user: created as User, token: tokenOf(row), expiresAt: Number(row.created_at) + SETUP_TTL_MS };
  }

  /** The token checked in constant time against the account's; a wrong, spent or expired one (or no account) refused alike. */
  async function requirePending(exec: Parameters<typeof findUserById>[0], userId: string, token: string): Promise<UserRow> {
    const u = await findUserById(exec, userId);
    const expected = Buffer.from(u ? tokenOf(u) : tokenOf({ id: userId, password_hash: null }));
    const given = Buffer.from(token.toLowerCase().padEnd(expected.length).slice(0, expected.length));
    const match = timingSafeEqual(expected, given) && token.length === expected.length;
    if (!match || !u || !(await pending(exec, u, clock.now()))) throw invalidToken();
    return u;
  }

  /** The account a setup link is for (its holder sees whom they set up: username and names). */
  async function inspect(ctx: RequestContext, userId: string, token: string): Promise<User> {
    return audited(ctx, { action: 'user.setup_read', objectType: 'user', objectId: userId, readOnly: true }, async (exec) =>
      presentUser(await requirePending(exec, userId, token)),
    );
  }

  /** Completes the setup: the token checked, the key registered, the temporary password spent. */
  async function complete(ctx: RequestContext, userId: string, token: string, armoredKey: string) {
    return audited(ctx, { action: 'user.setup_complete', objectType: 'user', objectId: userId }, async (trx, ev) => {
      const now = clock.now();
      await requirePending(trx, userId, token);
      const { details } = await registerKeyIn(trx, now, userId, armoredKey);
      await trx.updateTable('users').set({ must_change_password: 0, updated_at: now }).where('id', '=', userId).execute();
      ev.details = details;
      return { userId };
    });
  }

  return { invite, inspect, complete };
}
export type SetupService = ReturnType<typeof createSetupService>;
