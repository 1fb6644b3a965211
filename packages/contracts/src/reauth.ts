import { type Static, Type } from 'typebox';

/**
 * Re-authentication for sensitive self-service changes (new recovery codes, API keys, TOTP
 * removal, password and e-mail change): the caller's current password, plus a TOTP code (or a
 * recovery code) when the account has TOTP. Wrong answers count toward the account's lockout.
 */
export const ReauthFields = {
  currentPassword: Type.String({ minLength: 1, maxLength: 256, description: "The caller's current password" }),
  totpCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: 'Required when the caller has TOTP (or give recoveryCode)' })),
  recoveryCode: Type.Optional(Type.String({ minLength: 8, maxLength: 64, description: 'Instead of totpCode: one unused recovery code' })),
};
export const Reauth = Type.Object(ReauthFields, { additionalProperties: false });
export type Reauth = Static<typeof Reauth>;
