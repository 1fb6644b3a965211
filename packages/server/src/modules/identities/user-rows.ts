import type { CreateUser, UpdateUser, UserPatch } from '@coffer/contracts/identities';
import type { Role } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import type { Account } from '../admin-requests/gated-operations.ts';
import { canonicalUsername } from './username.ts';
import type { UserRow } from './users.repository.ts';

// What the users service builds rows and gate facts from (kept apart so the service holds only use cases).

export type NewUser = Omit<CreateUser, 'password'>;

/** A new active user row from the create-user input (PMP's fields; absent ones are empty). */
export function newUserRow(
  input: NewUser & { kind: 'human' | 'api' },
  passwordHash: string | null,
  now: number,
  temporary: boolean,
): UserRow {
  return {
    id: newId('usr', now),
    username: input.username.normalize('NFKC').trim(),
    username_canonical: canonicalUsername(input.username),
    kind: input.kind,
    first_name: input.firstName ?? '',
    last_name: input.lastName ?? '',
    email: input.email ?? '',
    department: input.department ?? '',
    location: input.location ?? '',
    landline_country_code: input.landlineCountryCode ?? '',
    landline: input.landline ?? '',
    landline_ext: input.landlineExt ?? '',
    mobile_country_code: input.mobileCountryCode ?? '',
    mobile: input.mobile ?? '',
    role: input.role,
    all_passwords: input.allPasswords ? 1 : 0,
    status: 'active',
    password_hash: passwordHash,
    totp_secret_enc: null,
    totp_enabled: 0,
    totp_last_step: null,
    created_at: now,
    updated_at: now,
    last_login_at: null,
    must_change_password: temporary ? 1 : 0,
    bound_host: input.boundHost ?? null,
  };
}

/** A patch without the re-authentication proof: what an admin request stores and shows. */
export function withoutProof(patch: UpdateUser): UserPatch {
  const { currentPassword: _p, totpCode: _t, recoveryCode: _r, ...rest } = patch;
  return rest;
}

export const accountOf = (u: UserRow): Account => ({
  role: u.role,
  allPasswords: u.all_passwords === 1,
  status: u.status,
  kind: u.kind,
});

/** Which roles may hold the all-passwords (super-administrator) scope, as in PMP. */
export const superScopeRoles: readonly Role[] = ['administrator', 'password_administrator'];

/** The profile fields of a user change and their columns. */
export const profileColumns: Readonly<Record<string, keyof UserRow>> = {
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  department: 'department',
  location: 'location',
  landlineCountryCode: 'landline_country_code',
  landline: 'landline',
  landlineExt: 'landline_ext',
  mobileCountryCode: 'mobile_country_code',
  mobile: 'mobile',
};
