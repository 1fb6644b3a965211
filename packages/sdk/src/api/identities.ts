import { seg, type Transport } from '../transport.ts';
import type {
  CreateGroup,
  CreateUser,
  Group,
  Page,
  PageQuery,
  PendingApproval,
  Reauth,
  SecondFactor,
  UpdateGroup,
  UpdateUser,
  User,
  UserListQuery,
  UserRef,
} from '../types.ts';

/**
 * People and API users (PMP's four roles). The calls marked "gated" answer a `PendingApproval`
 * instead (nothing changed yet; see `isPendingApproval` and `adminRequests`) while dual control
 * applies and the change opens values: the all-passwords scope, another user's password,
 * creating, promoting, re-enabling, demoting, disabling or deleting an administrator.
 */
export function usersApi(t: Transport) {
  return {
    /**
     * Creates a person (`kind: 'human'`, with a password they must change at the first login) or
     * an API user (`kind: 'api'`). Gated with the all-passwords scope or as an administrator.
     */
    create(input: CreateUser): Promise<User | PendingApproval> {
      return t.json({ method: 'POST', path: '/api/v1/users', body: input });
    },
    /** One page of users, optionally only people or only API users. */
    list(query: UserListQuery = {}): Promise<Page<User>> {
      return t.json({ method: 'GET', path: '/api/v1/users', query });
    },
    /** A user (anyone may read themselves). */
    get(id: string): Promise<User> {
      return t.json({ method: 'GET', path: `/api/v1/users/${seg(id)}` });
    },
    /**
     * Changes profile fields, role or scope; a role or scope change ends the user's sessions and
     * keys. Changing `email` needs your own `currentPassword` (and `totpCode`) in the patch. Gated
     * (scope, administrator role).
     */
    update(id: string, patch: UpdateUser): Promise<User | PendingApproval> {
      return t.json({ method: 'PATCH', path: `/api/v1/users/${seg(id)}`, body: patch });
    },
    /** Disables a user and ends their sessions and keys. Gated for an administrator. */
    disable(id: string): Promise<User | PendingApproval> {
      return t.json({ method: 'POST', path: `/api/v1/users/${seg(id)}/disable` });
    },
    /** Enables a disabled user. Gated for an administrator or an all-passwords account. */
    enable(id: string): Promise<User | PendingApproval> {
      return t.json({ method: 'POST', path: `/api/v1/users/${seg(id)}/enable` });
    },
    /** Deletes a user (undefined when done). Gated for an administrator. */
    async delete(id: string): Promise<PendingApproval | undefined> {
      return (await t.json<PendingApproval | undefined>({ method: 'DELETE', path: `/api/v1/users/${seg(id)}` })) ?? undefined;
    },
    /**
     * Sets a user's password; ends their sessions and keys. At least 15 characters (8 when the user
     * has TOTP), not a breached/common password, not easy to guess (`validation.failed` names the
     * rule); temporary: they must change it at the next login. Undefined when done. Gated.
     */
    async resetPassword(id: string, password: string): Promise<PendingApproval | undefined> {
      const r = await t.json<PendingApproval | { ok: true }>({
        method: 'POST',
        path: `/api/v1/users/${seg(id)}/password`,
        body: { password },
      });
      return 'request' in r ? r : undefined;
    },
    /** Clears the login lock of a user. */
    async unlock(id: string): Promise<void> {
      await t.json({ method: 'POST', path: `/api/v1/users/${seg(id)}/unlock` });
    },
    /**
     * Changes your own password (the same rules as `resetPassword`); give `second` when you have
     * TOTP. Ends all your sessions and keys, this client's session included. The one call (with
     * `auth.logout`) a session with `mustChangePassword` may make.
     */
    async changeOwnPassword(currentPassword: string, newPassword: string, second: SecondFactor = {}): Promise<void> {
      await t.json({ method: 'POST', path: '/api/v1/me/password', body: { currentPassword, ...second, newPassword } });
    },
    /** Changes your own e-mail address (needs re-authentication). */
    changeOwnEmail(email: string, proof: Reauth): Promise<User> {
      return t.json({ method: 'POST', path: '/api/v1/me/email', body: { ...proof, email } });
    },
    /**
     * An active user by exact username (compared without regard to case, width or surrounding
     * space; never a prefix or pattern), to share with: anyone signed in may ask. Unknown and
     * disabled users answer `not_found`; too many lookups in a minute answer `auth.rate_limited`.
     */
    lookup(username: string): Promise<UserRef> {
      return t.json({ method: 'GET', path: '/api/v1/users/lookup', query: { username } });
    },
  };
}

/** Groups of users, to grant access to many at once. */
export function groupsApi(t: Transport) {
  return {
    create(input: CreateGroup): Promise<Group> {
      return t.json({ method: 'POST', path: '/api/v1/groups', body: input });
    },
    list(query: PageQuery = {}): Promise<Page<Group>> {
      return t.json({ method: 'GET', path: '/api/v1/groups', query });
    },
    get(id: string): Promise<Group> {
      return t.json({ method: 'GET', path: `/api/v1/groups/${seg(id)}` });
    },
    /** Renames or describes a group. */
    update(id: string, patch: UpdateGroup): Promise<Group> {
      return t.json({ method: 'PATCH', path: `/api/v1/groups/${seg(id)}`, body: patch });
    },
    async delete(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/groups/${seg(id)}` });
    },
    /** Adds a member (idempotent); answers the group. Gated when the group holds a grant. */
    addMember(id: string, userId: string): Promise<Group | PendingApproval> {
      return t.json({ method: 'PUT', path: `/api/v1/groups/${seg(id)}/members/${seg(userId)}` });
    },
    /** Removes a member (idempotent); answers the group. */
    removeMember(id: string, userId: string): Promise<Group> {
      return t.json({ method: 'DELETE', path: `/api/v1/groups/${seg(id)}/members/${seg(userId)}` });
    },
  };
}
