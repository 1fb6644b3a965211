import { type Static, Type } from 'typebox';
import { Cursor, Id, Limit, Timestamp } from './common.ts';
import { Text } from './text.ts';

// Access workflows: approvals, exclusive checkout, time windows and rotation. The policy parts
// below are fields of the vault/folder AccessPolicy (vaults.ts); like requireReason and
// passwordPolicy they are inherited down the tree, and every field left out (or null) comes from
// above, so a folder may override one field of its vault's approval rule and keep the others.

export const Approver = Type.Object(
  { type: Type.Union([Type.Literal('user'), Type.Literal('group')]), id: Id },
  { additionalProperties: false },
);
export type Approver = Static<typeof Approver>;

export const ApprovalPolicy = Type.Object(
  {
    required: Type.Optional(Type.Boolean({ description: 'Revealing or checking out needs an approved access request' })),
    approvals: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, description: 'How many distinct approvers must approve (default 1)' }),
    ),
    approvers: Type.Optional(
      Type.Array(Approver, {
        maxItems: 50,
        description: 'Who may approve: these users and the members of these groups; empty = users with manage access (default)',
      }),
    ),
    ownersToo: Type.Optional(
      Type.Boolean({
        description: 'Owners (manage access) need approval too, and keep to the time window (default false: they bypass both)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ApprovalPolicy = Static<typeof ApprovalPolicy>;

export const CheckoutPolicy = Type.Object(
  {
    exclusive: Type.Optional(
      Type.Boolean({ description: 'While someone holds the checkout, nobody else may reveal (unless sharedRead); default false' }),
    ),
    maxMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080, description: 'Longest checkout (default 120)' })),
    rotateOnCheckin: Type.Optional(Type.Boolean({ description: 'A new password is generated and stored when the checkout ends' })),
    sharedRead: Type.Optional(Type.Boolean({ description: 'Others may still reveal while the secret is checked out' })),
  },
  { additionalProperties: false },
);
export type CheckoutPolicy = Static<typeof CheckoutPolicy>;

const HourMinute = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'HH:MM, UTC' });

export const TimeWindow = Type.Object(
  {
    days: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), {
        maxItems: 7,
        uniqueItems: true,
        description: 'UTC days of the week, 0 = Sunday (default every day)',
      }),
    ),
    from: Type.Optional(HourMinute),
    to: Type.Optional(HourMinute),
  },
  { additionalProperties: false, description: 'Reveal and checkout only in this window (from <= time < to; from > to spans midnight)' },
);
export type TimeWindow = Static<typeof TimeWindow>;

export const RequestAction = Type.Union([Type.Literal('reveal'), Type.Literal('checkout')], {
  description: 'reveal: reveal during the window; checkout: take the exclusive checkout during the window',
});
export type RequestAction = 'reveal' | 'checkout';

export const RequestState = Type.Union(
  [
    Type.Literal('waiting_for_approval'),
    Type.Literal('approved'),
    Type.Literal('checked_out'),
    Type.Literal('checked_in'),
    Type.Literal('rejected'),
    Type.Literal('expired'),
    Type.Literal('cancelled'),
    Type.Literal('revoked'),
  ],
  {
    description: "PMP's words: waiting for approval, approved, checked out (in use), checked in, rejected, expired; and cancelled, revoked",
  },
);
export type RequestState =
  | 'waiting_for_approval'
  | 'approved'
  | 'checked_out'
  | 'checked_in'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'revoked';

export const CreateAccessRequest = Type.Object(
  {
    secretId: Id,
    action: Type.Optional(RequestAction),
    reason: Text(500, { minLength: 1 }),
    startAt: Type.Optional(Type.String({ format: 'date-time', description: 'Wanted start (default now)' })),
    durationMinutes: Type.Integer({ minimum: 1, maximum: 10080, description: 'Wanted length; a checkout is also capped by the policy' }),
  },
  { additionalProperties: false },
);
export type CreateAccessRequest = Static<typeof CreateAccessRequest>;

export const Decision = Type.Object(
  { comment: Type.Optional(Text(500, { minLength: 1, description: 'Audited as the reason' })) },
  { additionalProperties: false },
);
export type Decision = Static<typeof Decision>;

export const AccessRequest = Type.Object(
  {
    id: Id,
    secretId: Id,
    secretName: Type.String(),
    requesterId: Id,
    requesterName: Type.Union([Type.String(), Type.Null()]),
    action: RequestAction,
    reason: Type.String(),
    startAt: Timestamp,
    endAt: Type.String({ format: 'date-time', description: 'End of the approved window; once checked out, the end of the checkout' }),
    state: RequestState,
    stateLabel: Type.String({ description: 'The state in words, e.g. "waiting for approval"' }),
    approvalsRequired: Type.Integer(),
    approvals: Type.Array(
      Type.Object(
        {
          approverId: Id,
          approverName: Type.Union([Type.String(), Type.Null()]),
          decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
          comment: Type.Union([Type.String(), Type.Null()]),
          at: Timestamp,
        },
        { additionalProperties: false },
      ),
    ),
    decidedBy: Type.Union([Id, Type.Null()]),
    decidedAt: Type.Union([Timestamp, Type.Null()]),
    comment: Type.Union([Type.String(), Type.Null()], { description: 'The comment of the last decision (reject, revoke, cancel)' }),
    createdAt: Timestamp,
  },
  { additionalProperties: false, $id: 'AccessRequest' },
);
export type AccessRequest = Static<typeof AccessRequest>;

export const AccessRequestQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('mine'), Type.Literal('pending'), Type.Literal('all')], {
        description: 'mine (default): your requests; pending: waiting for your approval; all: every request (audit.read)',
      }),
    ),
    state: Type.Optional(RequestState),
    secretId: Type.Optional(Id),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type AccessRequestQuery = Static<typeof AccessRequestQuery>;

export const StartCheckout = Type.Object(
  {
    requestId: Type.Optional(Id),
    reason: Type.Optional(Text(500, { minLength: 1 })),
    durationMinutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10080,
        description: 'At most the policy maximum (default: the maximum, or the rest of the window)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type StartCheckout = Static<typeof StartCheckout>;

export const Checkin = Type.Object({ reason: Type.Optional(Text(500, { minLength: 1 })) }, { additionalProperties: false });
export type Checkin = Static<typeof Checkin>;

export const Rotation = Type.Object(
  {
    secretId: Id,
    version: Type.Integer({ description: 'The new current version of the secret' }),
    field: Type.String(),
    connector: Type.String({
      description:
        'local: the new value is stored in Coffer only; postgres, mysql, ssh, ssh-key: changed on the target first; remote: queued',
    }),
    rotatedAt: Timestamp,
    queued: Type.Optional(
      Type.Boolean({ description: 'true: a remote rotation was queued (a checkin or revoke); version is still the current one' }),
    ),
    jobId: Type.Optional(
      Type.String({ description: 'A queued remote rotation: the job that runs it (its rotation.start audit record names it)' }),
    ),
  },
  { additionalProperties: false, $id: 'Rotation' },
);
export type Rotation = Static<typeof Rotation>;

export const Checkout = Type.Object(
  {
    id: Id,
    secretId: Id,
    secretName: Type.String(),
    holderId: Id,
    holderName: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Id, Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    startedAt: Timestamp,
    endsAt: Timestamp,
    active: Type.Boolean(),
    endedAt: Type.Union([Timestamp, Type.Null()]),
    endedBy: Type.Union([Id, Type.Null()]),
    endReason: Type.Union([Type.Literal('checkin'), Type.Literal('forced'), Type.Literal('expired'), Type.Literal('revoked'), Type.Null()]),
    rotation: Type.Union([Rotation, Type.Null()], { description: 'Set when the checkin rotated the password' }),
  },
  { additionalProperties: false, $id: 'Checkout' },
);
export type Checkout = Static<typeof Checkout>;

export const CheckoutQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('visible'), Type.Literal('mine'), Type.Literal('all')], {
        description: 'visible (default): on secrets you can list, and yours; mine: yours; all: every one (audit.read)',
      }),
    ),
    secretId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type CheckoutQuery = Static<typeof CheckoutQuery>;

export const RotateSecret = Type.Object({ reason: Type.Optional(Text(500, { minLength: 1 })) }, { additionalProperties: false });
export const SetSecretPassword = Type.Object(
  {
    password: Type.String({ minLength: 1, maxLength: 4096 }),
    reason: Type.Optional(Text(500, { minLength: 1 })),
    where: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('local'), Type.Literal('remote')], {
        description:
          'auto (default): on the rotation target first when the secret has one; local: only store it (e.g. the password an out-of-sync target really has); remote: the target is required',
      }),
    ),
  },
  { additionalProperties: false },
);

const Source = Type.Union([Id, Type.Null()], { description: 'The vault or folder this value comes from; null: the default' });
const Explained = <T extends import('typebox').TSchema>(value: T) =>
  Type.Object({ value, source: Source }, { additionalProperties: false });

export const EffectiveAccessPolicy = Type.Object(
  {
    secretId: Id,
    requireReason: Explained(Type.Boolean()),
    approval: Type.Object(
      {
        required: Explained(Type.Boolean()),
        approvals: Explained(Type.Integer()),
        approvers: Explained(Type.Array(Approver)),
        ownersToo: Explained(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    checkout: Type.Object(
      {
        exclusive: Explained(Type.Boolean()),
        maxMinutes: Explained(Type.Integer()),
        rotateOnCheckin: Explained(Type.Boolean()),
        sharedRead: Explained(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    timeWindow: Type.Union(
      [
        Type.Object(
          {
            days: Explained(Type.Array(Type.Integer())),
            from: Explained(Type.String()),
            to: Explained(Type.String()),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'null: no window' },
    ),
    chain: Type.Array(
      Type.Object(
        {
          nodeId: Id,
          nodeType: Type.Union([Type.Literal('vault'), Type.Literal('folder')]),
          name: Type.String(),
          inheritsPolicy: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      { description: 'From the vault down to the folder of the secret; a folder that does not inherit starts afresh' },
    ),
    you: Type.Object(
      {
        owner: Type.Boolean({ description: 'You have manage access' }),
        needsApproval: Type.Boolean(),
        inWindow: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
