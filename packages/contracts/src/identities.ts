import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { type Reauth, ReauthFields } from './reauth.ts';
import { Name, Text, TRIMMED_NAME_PATTERN } from './text.ts';

export const Role = Type.Union(
  [Type.Literal('administrator'), Type.Literal('password_administrator'), Type.Literal('password_auditor'), Type.Literal('password_user')],
  { description: "PMP's four roles" },
);
export type Role = Static<typeof Role>;

export const Username = Type.String({ minLength: 1, maxLength: 100, pattern: TRIMMED_NAME_PATTERN });
export const NewPassword = Type.String({
  minLength: 8,
  maxLength: 256,
  description:
    'At least 15 characters (8 when the account has TOTP), not on the list of breached/common passwords, and not easy to guess (zxcvbn score at least 3, or 2 with TOTP)',
});

export const Email = Type.Union([Type.Literal(''), Type.String({ format: 'email', maxLength: 254 })]);

const profileFields = {
  firstName: Name(100),
  lastName: Name(100),
  email: Email,
  department: Name(100),
  location: Name(200),
  landlineCountryCode: Name(8),
  landline: Name(40),
  landlineExt: Name(10),
  mobileCountryCode: Name(8),
  mobile: Name(40),
};

/** The host an API user is tied to (PMP: one API user per host). */
export const BoundHost = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9._:-]+$',
  description:
    "API users only: a host name or an IP address. Its API keys and sessions are accepted only from the addresses the name resolves to when a request comes (looked up again at most every minute; a name that does not resolve accepts nothing), besides each key's allowedCidrs",
});

/** Sign-in state of an account, for administrators (users.read) and the user themselves. */
export const LoginActivity = Type.Object(
  {
    locked: Type.Boolean({ description: 'Logins are refused now (a locked account answers like a wrong password)' }),
    lockedUntil: Type.Union([Timestamp, Type.Null()], {
      description: 'When a progressive lock ends; null when not locked, or locked until an administrator unlocks it (hardLocked)',
    }),
    hardLocked: Type.Boolean({ description: 'Locked until an administrator unlocks it: POST /api/v1/users/{id}/unlock' }),
    failedLogins: Type.Integer({ minimum: 0, description: 'Consecutive failed logins since the last success or unlock' }),
    lastFailedLoginAt: Type.Union([Timestamp, Type.Null()]),
    lastLoginAt: Type.Union([Timestamp, Type.Null()], { description: 'The last successful password login; null: none recorded' }),
  },
  { additionalProperties: false },
);
export type LoginActivity = Static<typeof LoginActivity>;

export const User = Type.Object(
  {
    id: Id,
    username: Type.String(),
    kind: Type.Union([Type.Literal('human'), Type.Literal('api')]),
    ...profileFields,
    role: Role,
    allPasswords: Type.Boolean({ description: 'Super-administrator scope: all passwords in the system' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    totpEnabled: Type.Boolean(),
    boundHost: Type.Union([BoundHost, Type.Null()], { description: 'The host an API user is tied to; null: not bound' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    loginActivity: Type.Optional(LoginActivity),
  },
  { additionalProperties: false, $id: 'User' },
);
export type User = Static<typeof User>;

export const CreateUser = Type.Object(
  {
    username: Username,
    kind: Type.Optional(Type.Union([Type.Literal('human'), Type.Literal('api')], { default: 'human' })),
    password: Type.Optional(NewPassword),
    ...Object.fromEntries(Object.entries(profileFields).map(([k, v]) => [k, Type.Optional(v)])),
    role: Role,
    allPasswords: Type.Optional(Type.Boolean()),
    boundHost: Type.Optional(BoundHost),
  },
  { additionalProperties: false },
);
export type CreateUser = Static<typeof CreateUser> & Partial<Record<keyof typeof profileFields, string>>;

export const UpdateUser = Type.Object(
  {
    ...Object.fromEntries(Object.entries(profileFields).map(([k, v]) => [k, Type.Optional(v)])),
    role: Type.Optional(Role),
    allPasswords: Type.Optional(Type.Boolean()),
    // changing someone's e-mail needs the caller's own re-authentication
    currentPassword: Type.Optional(ReauthFields.currentPassword),
    totpCode: ReauthFields.totpCode,
    recoveryCode: ReauthFields.recoveryCode,
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUser = Partial<Record<keyof typeof profileFields, string>> & { role?: Role; allPasswords?: boolean } & Partial<Reauth>;
/** A user change without the re-authentication proof: what an admin request stores and shows. */
export const UserPatch = Type.Object(
  {
    ...Object.fromEntries(Object.entries(profileFields).map(([k, v]) => [k, Type.Optional(v)])),
    role: Type.Optional(Role),
    allPasswords: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserPatch = Omit<UpdateUser, keyof Reauth>;

export const SetPassword = Type.Object({ password: NewPassword }, { additionalProperties: false });
export const ChangeOwnPassword = Type.Object({ ...ReauthFields, newPassword: NewPassword }, { additionalProperties: false });
export const ChangeOwnEmail = Type.Object({ ...ReauthFields, email: Email }, { additionalProperties: false });

export const Group = Type.Object(
  {
    id: Id,
    name: Type.String(),
    description: Type.String(),
    members: Type.Array(Id),
    createdAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Group' },
);
export type Group = Static<typeof Group>;
export const CreateGroup = Type.Object(
  { name: Name(100, { minLength: 1 }), description: Type.Optional(Text(1000)) },
  { additionalProperties: false },
);
export const UpdateGroup = Type.Object(
  { name: Type.Optional(Name(100, { minLength: 1 })), description: Type.Optional(Text(1000)) },
  { additionalProperties: false, minProperties: 1 },
);
export const GroupMemberParams = Type.Object({ id: Id, userId: Id }, { additionalProperties: false });

/** Finding a user to share with: one exact username, never a pattern. */
export const UserLookupQuery = Type.Object(
  {
    username: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'The exact username (compared in its canonical form: NFKC, trimmed, lower-case)',
    }),
  },
  { additionalProperties: false },
);
/** What any signed-in user may learn about another: enough to share with them, nothing more. */
export const UserRef = Type.Object(
  { id: Id, username: Type.String(), displayName: Type.String({ description: 'First and last name, or empty' }) },
  { additionalProperties: false, $id: 'UserRef' },
);
export type UserRef = Static<typeof UserRef>;
