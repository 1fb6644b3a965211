import { type Static, Type } from 'typebox';
import { Id, Str, Timestamp } from './common.ts';
import { type Reauth, ReauthFields } from './reauth.ts';

export const Role = Type.Union(
  [Type.Literal('administrator'), Type.Literal('password_administrator'), Type.Literal('password_auditor'), Type.Literal('password_user')],
  { description: "PMP's four roles" },
);
export type Role = Static<typeof Role>;

export const Username = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\s\\x00-\\x1f](.*[^\\s\\x00-\\x1f])?$' });
export const NewPassword = Type.String({
  minLength: 8,
  maxLength: 256,
  description:
    'At least 15 characters (8 when the account has TOTP), not on the list of breached/common passwords, and not easy to guess (zxcvbn score at least 3, or 2 with TOTP)',
});

export const Email = Type.Union([Type.Literal(''), Type.String({ format: 'email', maxLength: 254 })]);

const profileFields = {
  firstName: Str(100),
  lastName: Str(100),
  email: Email,
  department: Str(100),
  location: Str(200),
  landlineCountryCode: Str(8),
  landline: Str(40),
  landlineExt: Str(10),
  mobileCountryCode: Str(8),
  mobile: Str(40),
};

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
    createdAt: Timestamp,
    updatedAt: Timestamp,
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
  { name: Type.String({ minLength: 1, maxLength: 100 }), description: Type.Optional(Str(1000)) },
  { additionalProperties: false },
);
export const UpdateGroup = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), description: Type.Optional(Str(1000)) },
  { additionalProperties: false, minProperties: 1 },
);
export const GroupMemberParams = Type.Object({ id: Id, userId: Id }, { additionalProperties: false });
