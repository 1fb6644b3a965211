import { Type } from 'typebox';

export const SealStatus = Type.Object(
  {
    initialized: Type.Boolean(),
    sealed: Type.Boolean(),
    mode: Type.Union([Type.Literal('keyfile'), Type.Literal('shamir'), Type.Null()]),
    threshold: Type.Union([Type.Integer(), Type.Null()]),
    shares: Type.Union([Type.Integer(), Type.Null()]),
    progress: Type.Integer({ description: 'Shares entered so far' }),
    nonce: Type.Optional(
      Type.String({
        description: 'Only in the answer to the first share of an unseal: needed to reset that progress (shown once)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Unseal = Type.Union(
  [
    Type.Object({ share: Type.String({ minLength: 3, maxLength: 200 }) }, { additionalProperties: false }),
    Type.Object(
      { reset: Type.Literal(true), nonce: Type.String({ minLength: 1, maxLength: 100, description: 'The nonce of the first share' }) },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'One share, or {"reset": true, "nonce": …} to discard the shares entered so far: only whoever entered the first share holds the nonce',
  },
);

export const Health = Type.Object(
  { status: Type.Literal('ok'), sealed: Type.Boolean(), initialized: Type.Boolean() },
  { additionalProperties: false },
);

export const KeyringStatus = Type.Object(
  {
    activeTerm: Type.Integer(),
    terms: Type.Array(Type.Integer()),
    reencryption: Type.Object(
      {
        status: Type.Union(
          [Type.Literal('idle'), Type.Literal('pending'), Type.Literal('running'), Type.Literal('done'), Type.Literal('incomplete')],
          {
            description: 'incomplete: every table was walked, but `failed` values could not be moved (they stay on their old term)',
          },
        ),
        targetTerm: Type.Union([Type.Integer(), Type.Null()]),
        processed: Type.Integer(),
        total: Type.Integer(),
        percent: Type.Number(),
        failed: Type.Integer({
          description: 'Values that failed their integrity check: left on their old term, each audited as integrity.failure',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
