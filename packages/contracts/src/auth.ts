import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { Role } from './identities.ts';
import { Reauth, ReauthFields } from './reauth.ts';
import { Name } from './text.ts';

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

const apiKeySettings = {
  name: Name(100, { minLength: 1 }),
  allowedCidrs: Type.Array(Type.String({ minLength: 2, maxLength: 64 }), {
    minItems: 1,
    maxItems: 50,
    description: 'Hosts or networks the key may be used from, e.g. 10.0.0.5 or 10.0.0.0/24',
  }),
  expiresAt: Type.String({
    format: 'date-time',
    description: 'Mandatory: a future time at most COFFER_API_KEY_MAX_DAYS (365 by default) days ahead; "never" is refused',
  }),
  scopes: Type.Optional(Type.Array(Scope, { maxItems: 20, uniqueItems: true })),
  allowAnyAddress: Type.Optional(
    Type.Boolean({ description: 'Must be true to bind the key to every address (a /0 network such as 0.0.0.0/0 or ::/0)' }),
  ),
};
/** A key's settings, as an admin request stores and shows them (never a re-authentication proof). */
export const ApiKeySettings = Type.Object(apiKeySettings, { additionalProperties: false });
export type ApiKeySettings = Static<typeof ApiKeySettings>;
export const CreateApiKey = Type.Object({ ...apiKeySettings, ...ReauthFields }, { additionalProperties: false });
export type CreateApiKey = Static<typeof CreateApiKey>;

export const ApiKey = Type.Object(
  {
    id: Id,
    userId: Id,
    name: Type.String(),
    allowedCidrs: Type.Array(Type.String()),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
    expiresAt: Timestamp,
    /** Created without an expiry before migration 0009, which gave it one: rotate it. */
    expiryImposed: Type.Boolean({ description: 'The key had no expiry; migration 0009 gave it one (365 days from the upgrade)' }),
    anyAddress: Type.Boolean({ description: 'The key is bound to every address (a /0 network)' }),
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
/**
 * Starting a TOTP enrolment re-authenticates (a stolen session must not turn TOTP on and lock the
 * owner out): the account has no TOTP yet, so the current password alone.
 */
export const BeginTotp = Type.Object({ currentPassword: ReauthFields.currentPassword }, { additionalProperties: false });
export type BeginTotp = Static<typeof BeginTotp>;
export const TotpCode = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });
export const RecoveryCodes = Type.Object(
  { recoveryCodes: Type.Array(Type.String(), { description: 'Shown once; each works once' }) },
  { additionalProperties: false },
);
export const DisableTotp = Reauth;
export const RegenerateRecoveryCodes = Reauth;
