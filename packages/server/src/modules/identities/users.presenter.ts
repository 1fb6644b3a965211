import type { LoginActivity, User } from '@coffer/contracts/identities';
import type { UserRow } from './users.repository.ts';

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** Row -> wire object, by allow-list: the password hash and TOTP seed never leave. The login
 * activity only where the caller may see it (users.read, or their own record). */
export function presentUser(u: UserRow, activity?: LoginActivity): User {
  return {
    id: u.id,
    username: u.username,
    kind: u.kind,
    firstName: u.first_name,
    lastName: u.last_name,
    email: u.email,
    department: u.department,
    location: u.location,
    landlineCountryCode: u.landline_country_code,
    landline: u.landline,
    landlineExt: u.landline_ext,
    mobileCountryCode: u.mobile_country_code,
    mobile: u.mobile,
    role: u.role,
    allPasswords: u.all_passwords === 1,
    status: u.status,
    totpEnabled: u.totp_enabled === 1,
    boundHost: u.bound_host ?? null,
    createdAt: iso(u.created_at),
    updatedAt: iso(u.updated_at),
    ...(activity ? { loginActivity: activity } : {}),
  };
}
