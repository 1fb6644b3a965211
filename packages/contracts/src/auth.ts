import { type Static, Type } from 'typebox';
import { Id, Str, Timestamp } from './common.ts';
import { Role } from './identities.ts';

export const Login = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    totpCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
    recoveryCode: Type.Optional(Type.String({ minLength: 8, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type Login = Static<typeof Login>;

export const TokenPair = Type.Object(
  {
    accessToken: Type.String({ description: 'Bearer token for the Authorization header' }),
    refreshToken: Type.String({ description: 'Single use; exchange at /auth/refresh' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token idles out' }),
    absoluteExpiresAt: Timestamp,
    mustChangePassword: Type.Optional(
      Type.Boolean({
        description:
          'Present (true) when the password was set by an administrator or generated: until it is changed (POST /api/v1/me/password) this session can only change it or log out',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TokenPair = Static<typeof TokenPair>;

export const Refresh = Type.Object({ refreshToken: Type.String({ minLength: 10, maxLength: 200 }) }, { additionalProperties: false });

export const WhoAmI = Type.Object(
  {
    userId: Id,
    username: Type.String(),
    role: Role,
    allPasswords: Type.Boolean(),
    authMethod: Type.Union([Type.Literal('session'), Type.Literal('apikey')]),
    sessionId: Type.Union([Id, Type.Null()]),
    apiKeyId: Type.Union([Id, Type.Null()]),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  },
  { additionalProperties: false },
);

export const Scope = Type.Union(
  ['users.read', 'users.write', 'groups.read', 'groups.write', 'apikeys.manage', 'audit.read', 'sys.manage'].map((s) => Type.Literal(s)),
);

export const CreateApiKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    allowedCidrs: Type.Array(Type.String({ minLength: 2, maxLength: 64 }), {
      minItems: 1,
      maxItems: 50,
      description: 'Hosts or networks the key may be used from, e.g. 10.0.0.5 or 10.0.0.0/24',
    }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Literal('never')], {
      description: 'Mandatory: a future time, or the explicit "never"',
    }),
    scopes: Type.Optional(Type.Array(Scope, { maxItems: 20, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type CreateApiKey = Static<typeof CreateApiKey>;

export const ApiKey = Type.Object(
  {
    id: Id,
    userId: Id,
    name: Type.String(),
    allowedCidrs: Type.Array(Type.String()),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
    expiresAt: Type.Union([Timestamp, Type.Literal('never')]),
    createdAt: Timestamp,
    lastUsedAt: Type.Union([Timestamp, Type.Null()]),
    revoked: Type.Boolean(),
  },
  { additionalProperties: false, $id: 'ApiKey' },
);
export const CreatedApiKey = Type.Object(
  { apiKey: ApiKey, key: Type.String({ description: 'Shown once; only a keyed hash is stored' }) },
  { additionalProperties: false },
);

export const TotpEnrollment = Type.Object(
  {
    secret: Type.String({ description: 'Base32 seed, shown once' }),
    otpauthUri: Type.String(),
  },
  { additionalProperties: false },
);
export const TotpCode = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });
export const RecoveryCodes = Type.Object(
  { recoveryCodes: Type.Array(Type.String(), { description: 'Shown once; each works once' }) },
  { additionalProperties: false },
);
export const DisableTotp = Type.Object({ password: Str(256, { minLength: 1 }) }, { additionalProperties: false });
