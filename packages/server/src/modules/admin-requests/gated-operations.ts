// The one list of administrative operations under dual control (ADR 0010), for review in one place.
// Each use case (users, groups, API keys) hands the gate the facts it loaded anyway; the gate asks
// this table whether the call needs another administrator's approval. Dual control applies with
// COFFER_DUAL_CONTROL=always, or (auto, the default) while more than one active human
// administrator exists; the system actor (first start, store-level recovery, jobs) is never gated.
import type { AdminOperationType } from '@coffer/contracts/admin-requests';
import type { Role } from '../../db/schema.ts';
import type { Permission } from '../auth/actor.ts';

/** What the gate needs to know about an account an operation touches. */
export interface Account {
  role: Role;
  allPasswords: boolean;
  status: 'active' | 'disabled';
  kind: 'human' | 'api';
}

/** Facts each gated use case hands the gate. */
export interface GateFacts {
  'user.create': { role: Role; allPasswords: boolean };
  'user.update': { self: boolean; before: Account; after: { role: Role; allPasswords: boolean } };
  'user.enable': { target: Account };
  'user.disable': { target: Account };
  'user.delete': { target: Account };
  'user.password_reset': { self: boolean };
  'group.member_add': { groupHoldsGrants: boolean; groupApproves: boolean };
  'apikey.create': { self: boolean };
}

export interface GatedOperation<K extends AdminOperationType> {
  /** The permission the use case needs: the requester's at request and execute time, the approver's too. */
  permission: Permission;
  /** The audit object type of the effect. */
  objectType: 'user' | 'group' | 'api_key';
  /** When it is gated, and why: it opens values, or lets one administrator defeat dual control. */
  when: string;
  /**
   * Whether this call needs approval, given that dual control applies. `activeAdmins` counts the
   * active human administrators before the change.
   */
  gated(facts: GateFacts[K], activeAdmins: number): boolean;
  /** Refused outright, with or without approval (a message), else null. */
  refused?(facts: GateFacts[K]): string | null;
}

const isActiveHumanAdmin = (a: Account) => a.role === 'administrator' && a.status === 'active' && a.kind === 'human';

/**
 * Creating, promoting to or re-enabling an administrator is gated only once two active human
 * administrators exist: with one (COFFER_DUAL_CONTROL=always) nobody could ever approve the
 * second one. A lone administrator is trusted with everything anyway; from the second one on,
 * a third (possibly a puppet approving its creator's requests) needs the other's approval.
 */
const ADMIN_BOOTSTRAP = 2;

export const gatedOperations: { [K in AdminOperationType]: GatedOperation<K> } = {
  'user.create': {
    permission: 'users.write',
    objectType: 'user',
    when: 'with the all-passwords scope (opens every value), or as an administrator (another administrator could approve its creator’s requests)',
    gated: (f, admins) => f.allPasswords || (f.role === 'administrator' && admins >= ADMIN_BOOTSTRAP),
  },
  'user.update': {
    permission: 'users.write',
    objectType: 'user',
    when: 'giving the all-passwords scope (opens every value); promoting to administrator (a puppet approver); demoting an active administrator (leaves one administrator alone)',
    gated: (f, admins) =>
      (f.after.allPasswords && !f.before.allPasswords) ||
      (f.after.role === 'administrator' && f.before.role !== 'administrator' && admins >= ADMIN_BOOTSTRAP) ||
      (isActiveHumanAdmin(f.before) && f.after.role !== 'administrator'),
    refused: (f) =>
      f.self && f.after.allPasswords && !f.before.allPasswords ? 'Nobody can give the all-passwords scope to themselves.' : null,
  },
  'user.enable': {
    permission: 'users.write',
    objectType: 'user',
    when: 're-enabling an administrator (a puppet approver) or an account holding the all-passwords scope (opens every value)',
    gated: (f, admins) =>
      f.target.status === 'disabled' && (f.target.allPasswords || (f.target.role === 'administrator' && admins >= ADMIN_BOOTSTRAP)),
  },
  'user.disable': {
    permission: 'users.write',
    objectType: 'user',
    when: 'disabling an active administrator (leaves one administrator alone)',
    gated: (f) => isActiveHumanAdmin(f.target),
  },
  'user.delete': {
    permission: 'users.write',
    objectType: 'user',
    when: 'deleting an active administrator (leaves one administrator alone)',
    gated: (f) => isActiveHumanAdmin(f.target),
  },
  'user.password_reset': {
    permission: 'users.write',
    objectType: 'user',
    when: "setting another user's password (whoever knows it can sign in as them and read what they can); one's own is refused in every mode, before the gate (it changes with re-authentication: POST /me/password)",
    gated: (f) => !f.self,
  },
  'group.member_add': {
    permission: 'groups.write',
    objectType: 'group',
    when: 'adding anyone to a group that holds a grant (the member reaches what the group reaches), or to a group named as an approver in a vault or folder policy or a waiting access request (the member approves access requests: a puppet would approve its creator’s); oneself, or a user one created and can sign in as',
    gated: (f) => f.groupHoldsGrants || f.groupApproves,
  },
  'apikey.create': {
    permission: 'apikeys.manage',
    objectType: 'api_key',
    when: 'creating an API key for another user (whoever holds the key acts as them)',
    gated: (f) => !f.self,
  },
};
