import { type Static, Type } from 'typebox';
import { Id } from './common.ts';

/** Printable ASCII punctuation only (no letters, digits or spaces), so classes never overlap. */
const SymbolChars = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[!-/:-@\\[-`{-~]+$',
  description: 'Custom symbol set: printable ASCII punctuation, e.g. "!#%+-_"',
});

/**
 * A password policy. Every field is optional: what is left out comes from the enclosing folders and
 * the vault (when attached there), then from the defaults. Impossible combinations (no class left,
 * more required characters than the length) are refused when a password is generated.
 */
export const PasswordPolicy = Type.Object(
  {
    length: Type.Optional(Type.Integer({ minimum: 8, maximum: 256, description: 'Default 24' })),
    lower: Type.Optional(Type.Boolean({ description: 'Use a-z (default true)' })),
    upper: Type.Optional(Type.Boolean({ description: 'Use A-Z (default true)' })),
    digits: Type.Optional(Type.Boolean({ description: 'Use 0-9 (default true)' })),
    symbols: Type.Optional(Type.Boolean({ description: 'Use the symbol set (default true)' })),
    minPerClass: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 64, description: 'At least this many characters of every enabled class (default 1)' }),
    ),
    exclude: Type.Optional(Type.String({ maxLength: 256, description: 'Characters never to use' })),
    noAmbiguous: Type.Optional(Type.Boolean({ description: 'Leave out look-alikes: I l 1 | O 0 o ` \' " (default false)' })),
    symbolSet: Type.Optional(SymbolChars),
  },
  { additionalProperties: false },
);
export type PasswordPolicy = Static<typeof PasswordPolicy>;

/** A policy with every field decided: what a generation actually used. */
export const ResolvedPasswordPolicy = Type.Object(
  {
    length: Type.Integer(),
    lower: Type.Boolean(),
    upper: Type.Boolean(),
    digits: Type.Boolean(),
    symbols: Type.Boolean(),
    minPerClass: Type.Integer(),
    exclude: Type.String(),
    noAmbiguous: Type.Boolean(),
    symbolSet: Type.String(),
  },
  { additionalProperties: false },
);
export type ResolvedPasswordPolicy = Static<typeof ResolvedPasswordPolicy>;

export const GeneratePasswords = Type.Object(
  {
    policy: Type.Optional(PasswordPolicy),
    folderId: Type.Optional(Id),
    vaultId: Type.Optional(Id),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1 })),
  },
  { additionalProperties: false },
);
export type GeneratePasswords = Static<typeof GeneratePasswords>;

export const GeneratedPasswords = Type.Object(
  {
    passwords: Type.Array(Type.String()),
    policy: ResolvedPasswordPolicy,
  },
  { additionalProperties: false },
);

export const CheckStrength = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });

export const PasswordStrength = Type.Object(
  {
    score: Type.Integer({ minimum: 0, maximum: 4, description: '0 very weak … 4 strong' }),
    entropyBits: Type.Number({ description: 'Estimated guessing entropy in bits' }),
    feedback: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
