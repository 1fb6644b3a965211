import { type Static, Type } from 'typebox';
import { ApiKeySettings, CreatedApiKey } from './auth.ts';
import { Cursor, Id, Limit, Timestamp } from './common.ts';
import { CreateUser, Group, NewPassword, User, UserPatch } from './identities.ts';
import { ReauthFields } from './reauth.ts';
import { Text } from './text.ts';

// Dual control (ADR 0010): an administrative action that would open secret values, or let one
// administrator defeat dual control, becomes an admin request that another administrator
// approves; the requester then executes exactly the stored operation, once.

export const AdminOperationType = Type.Union(
  [
    Type.Literal('user.create'),
    Type.Literal('user.update'),
    Type.Literal('user.enable'),
    Type.Literal('user.disable'),
    Type.Literal('user.delete'),
    Type.Literal('user.password_reset'),
    Type.Literal('group.member_add'),
    Type.Literal('apikey.create'),
  ],
  { description: 'The administrative operation a request holds' },
);
export type AdminOperationType = Static<typeof AdminOperationType>;

// the create-user input inside a union: without the default of `kind` (ignored there; human when absent)
const Kind = Type.Optional(Type.Union([Type.Literal('human'), Type.Literal('api')]));
const UserInput = Type.Object({ ...Type.Omit(CreateUser, ['kind']).properties, kind: Kind }, { additionalProperties: false });
const UserWithoutPassword = Type.Omit(UserInput, ['password'], { additionalProperties: false });

const op = <K extends string, T extends import('typebox').TProperties>(type: K, props: T) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false });

/** An operation as asked for (POST /admin-requests): passwords included, they are hashed at once. */
export const AdminOperationInput = Type.Union([
  op('user.create', { user: UserInput }),
  op('user.update', { userId: Id, patch: UserPatch }),
  op('user.enable', { userId: Id }),
  op('user.disable', { userId: Id }),
  op('user.delete', { userId: Id }),
  op('user.password_reset', { userId: Id, password: NewPassword }),
  op('group.member_add', { groupId: Id, userId: Id }),
  op('apikey.create', { userId: Id, apiKey: ApiKeySettings }),
]);
export type AdminOperationInput = Static<typeof AdminOperationInput>;

/** An operation as stored and shown: never a password (only whether one is set). */
export const AdminOperation = Type.Union([
  op('user.create', {
    user: UserWithoutPassword,
    temporaryPassword: Type.Boolean({ description: 'A password is set; the user must change it at the first login' }),
  }),
  op('user.update', { userId: Id, patch: UserPatch }),
  op('user.enable', { userId: Id }),
  op('user.disable', { userId: Id }),
  op('user.delete', { userId: Id }),
  op('user.password_reset', { userId: Id }),
  op('group.member_add', { groupId: Id, userId: Id }),
  op('apikey.create', { userId: Id, apiKey: ApiKeySettings }),
]);
export type AdminOperation = Static<typeof AdminOperation>;

export const CreateAdminRequest = Type.Object(
  {
    operation: AdminOperationInput,
    reason: Type.Optional(Text(500, { minLength: 1, description: 'Why; shown to the approvers and audited' })),
  },
  { additionalProperties: false },
);
export type CreateAdminRequest = Static<typeof CreateAdminRequest>;

export const AdminRequestState = Type.Union(
  [
    Type.Literal('waiting_for_approval'),
    Type.Literal('approved'),
    Type.Literal('rejected'),
    Type.Literal('cancelled'),
    Type.Literal('expired'),
    Type.Literal('executed'),
  ],
  { description: 'waiting for approval, approved (the requester may execute it once), rejected, cancelled, expired, executed' },
);
export type AdminRequestState = Static<typeof AdminRequestState>;

export const AdminRequest = Type.Object(
  {
    id: Id,
    operation: AdminOperation,
    summary: Type.String({ description: 'What executing it does, in words' }),
    reason: Type.Union([Type.String(), Type.Null()]),
    requesterId: Id,
    requesterName: Type.Union([Type.String(), Type.Null()]),
    state: AdminRequestState,
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
    comment: Type.Union([Type.String(), Type.Null()], { description: 'The comment of the last decision (reject, cancel)' }),
    executedAt: Type.Union([Timestamp, Type.Null()]),
    resultId: Type.Union([Id, Type.Null()], { description: 'What execute created: the user or API key id' }),
    expiresAt: Type.String({ format: 'date-time', description: 'Unless executed by then, the request expires' }),
    createdAt: Timestamp,
  },
  { additionalProperties: false, $id: 'AdminRequest' },
);
export type AdminRequest = Static<typeof AdminRequest>;

/** The answer (202) of a gated call: nothing changed yet. */
export const PendingApproval = Type.Object(
  {
    status: Type.Literal('pending_approval'),
    request: AdminRequest,
  },
  {
    additionalProperties: false,
    $id: 'PendingApproval',
    description: "Needs another administrator's approval (POST /admin-requests/{id}/approve), then the requester's execute",
  },
);
export type PendingApproval = Static<typeof PendingApproval>;

export const AdminRequestQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('mine'), Type.Literal('pending'), Type.Literal('all')], {
        description: 'mine (default): your requests; pending: waiting for your approval; all: every request (audit.read)',
      }),
    ),
    state: Type.Optional(AdminRequestState),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type AdminRequestQuery = Static<typeof AdminRequestQuery>;

/** Executing an approved API key request mints the key: the requester re-authenticates (currentPassword, plus totpCode with TOTP). */
export const ExecuteAdminRequest = Type.Object(
  {
    currentPassword: Type.Optional(ReauthFields.currentPassword),
    totpCode: ReauthFields.totpCode,
    recoveryCode: ReauthFields.recoveryCode,
  },
  { additionalProperties: false },
);
export type ExecuteAdminRequest = Static<typeof ExecuteAdminRequest>;

export const AdminDecision = Type.Object(
  { comment: Type.Optional(Text(500, { minLength: 1, description: 'Audited as the reason' })) },
  { additionalProperties: false },
);
export type AdminDecision = Static<typeof AdminDecision>;

/** What execute did: the request (now executed) and the operation's own answer, if it has one. */
export const AdminRequestExecution = Type.Object(
  {
    request: AdminRequest,
    user: Type.Optional(User),
    group: Type.Optional(Group),
    apiKey: Type.Optional(CreatedApiKey),
  },
  { additionalProperties: false },
);
export type AdminRequestExecution = Static<typeof AdminRequestExecution>;
