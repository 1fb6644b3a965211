// The wire types of the native API, derived from the TypeBox schemas in @coffer/contracts so the
// SDK cannot drift from what the server validates and serializes. Type-only: nothing here exists
// at run time.
import type * as Adm from '@coffer/contracts/admin-requests';
import type * as Att from '@coffer/contracts/attachments';
import type * as A from '@coffer/contracts/audit';
import type * as Auth from '@coffer/contracts/auth';
import type * as B from '@coffer/contracts/bulk';
import type * as CM from '@coffer/contracts/comments';
import type * as E2e from '@coffer/contracts/e2e';
import type * as I from '@coffer/contracts/identities';
import type * as L from '@coffer/contracts/lookup';
import type * as M from '@coffer/contracts/metadata';
import type * as P from '@coffer/contracts/passwords';
import type * as R from '@coffer/contracts/reauth';
import type * as Rot from '@coffer/contracts/rotation';
import type * as S from '@coffer/contracts/secrets';
import type * as Sys from '@coffer/contracts/sys';
import type * as T from '@coffer/contracts/transfer';
import type * as V from '@coffer/contracts/vaults';
import type * as Wh from '@coffer/contracts/webhooks';
import type * as W from '@coffer/contracts/workflow';
import type { Static } from 'typebox';

/** One page of a list; pass `nextCursor` as `cursor` for the next one (null: the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
/** Cursor pagination of the simple lists. */
export interface PageQuery {
  cursor?: string;
  /** 1..500, default 50. */
  limit?: number;
}

// auth
export type TokenPair = Auth.TokenPair;
export type WhoAmI = Static<typeof Auth.WhoAmI>;
export type CreateApiKey = Auth.CreateApiKey;
export type ApiKey = Static<typeof Auth.ApiKey>;
/** A new API key: `key` is shown only here, once. */
export type CreatedApiKey = Static<typeof Auth.CreatedApiKey>;
export type TotpEnrollment = Static<typeof Auth.TotpEnrollment>;
/** Starting a TOTP enrolment: your current password (re-authentication; the account has no TOTP yet). */
export type BeginTotp = Auth.BeginTotp;
export type RecoveryCodes = Static<typeof Auth.RecoveryCodes>;
/**
 * Re-authentication for sensitive changes (API keys, recovery codes, TOTP removal, password and
 * e-mail change): your current password, plus `totpCode` (or `recoveryCode`) when you have TOTP.
 * A wrong one answers `auth.reauth_failed` (403; the session stays valid) and counts toward the
 * account's lockout.
 */
export type Reauth = R.Reauth;
/** The second factor of a re-authentication, when the account has TOTP. */
export type SecondFactor = Omit<Reauth, 'currentPassword'>;

// identities
export type Role = I.Role;
export type User = I.User;
export type CreateUser = I.CreateUser;
export type UpdateUser = I.UpdateUser;
export interface UserListQuery extends PageQuery {
  kind?: 'human' | 'api';
}
export type Group = I.Group;
/** Another user as anyone may see them (users.lookup): enough to share with. */
export type UserRef = I.UserRef;
export type CreateGroup = Static<typeof I.CreateGroup>;
export type UpdateGroup = Static<typeof I.UpdateGroup>;

// sys
export type Health = Static<typeof Sys.Health>;
export type SealStatus = Static<typeof Sys.SealStatus>;
export type Unseal = Static<typeof Sys.Unseal>;
export type KeyringStatus = Static<typeof Sys.KeyringStatus>;

// audit
export type AuditRecord = Static<typeof A.AuditRecord>;
export type AuditQuery = Static<typeof A.AuditQuery>;
export type AuditVerify = Static<typeof A.AuditVerify>;
export type AuditCheckpoints = Static<typeof A.AuditCheckpoints>;

// vaults, folders, grants
export type Level = V.Level;
export type AccessPolicy = V.AccessPolicy;
export type Vault = Static<typeof V.Vault>;
export type CreateVault = Static<typeof V.CreateVault>;
export type UpdateVault = Static<typeof V.UpdateVault>;
export type Folder = Static<typeof V.Folder>;
export type FolderAncestors = Static<typeof V.FolderAncestors>;
export type CreateFolder = Static<typeof V.CreateFolder>;
export type UpdateFolder = Static<typeof V.UpdateFolder>;
export interface FolderListQuery {
  vaultId: string;
  /** Children of this folder; omitted: the top level of the vault. */
  parentId?: string;
}
export type Grant = Static<typeof V.Grant>;
export type CreateGrant = Static<typeof V.CreateGrant>;
export type Explain = Static<typeof V.Explain>;
export interface ExplainQuery {
  nodeId: string;
  /** Whose access to explain; omitted: yours. */
  userId?: string;
  /** Also answer whether this level is allowed. */
  action?: Level;
}

// templates and secrets
export type FieldType = S.FieldType;
export type Template = Static<typeof S.Template>;
export type CreateTemplate = Static<typeof S.CreateTemplate>;
export type UpdateTemplate = Static<typeof S.UpdateTemplate>;
export type Secret = Static<typeof S.Secret>;
export type CreateSecret = S.CreateSecret;
export type UpdateSecret = S.UpdateSecret;
export type Reveal = Static<typeof S.Reveal>;
/** Revealed values by field slug (custom fields by name). Handle with care: these are the secrets. */
export type Revealed = Static<typeof S.Revealed>;
export type SecretVersion = Static<typeof S.SecretVersion>;
export type SearchQuery = S.SearchQuery;
export type Share = Static<typeof S.Share>;
export interface SecretPolicy {
  requireReason: boolean;
  /** Id of the vault or folder the policy comes from; null: the default. */
  source: string | null;
}

// attachments
export type Attachment = Att.Attachment;

// metadata (stored in clear: never put a secret in it)
export type MetadataType = M.MetadataType;
export type MetadataField = M.MetadataField;
export type SetMetadata = M.SetMetadata;
export type DeleteMetadata = M.DeleteMetadata;
// comments on secrets (display text, never secrets)
export type Comment = CM.Comment;
export type CreateComment = CM.CreateComment;
export type UpdateComment = CM.UpdateComment;

// password generation
export type PasswordPolicy = P.PasswordPolicy;
export type ResolvedPasswordPolicy = P.ResolvedPasswordPolicy;
export type GeneratePasswords = P.GeneratePasswords;
export type GeneratedPasswords = Static<typeof P.GeneratedPasswords>;
export type PasswordStrength = Static<typeof P.PasswordStrength>;

// bulk operations
export type BulkMove = B.BulkMove;
export type BulkShare = B.BulkShare;
export type BulkItemResult = B.BulkItemResult;
export type BulkResult = B.BulkResult;

// lookups by name
export type FolderLookupQuery = L.FolderLookupQuery;
export type FolderRef = L.FolderRef;
export type SecretLookupQuery = L.SecretLookupQuery;
export type PmpLookupQuery = L.PmpLookupQuery;
export type PmpIds = L.PmpIds;

// import and export
export type ImportFormat = T.ImportFormat;
export type ImportConflict = T.ImportConflict;
export type ImportRequest = T.ImportRequest;
export type ImportReport = T.ImportReport;
export type ExportRequest = T.ExportRequest;
/** An encrypted Coffer export; only its passphrase opens it. */
export type ExportFile = T.ExportFile;

// access workflows: requests, approvals, checkouts, rotation
export type Approver = W.Approver;
export type ApprovalPolicy = W.ApprovalPolicy;
export type CheckoutPolicy = W.CheckoutPolicy;
export type TimeWindow = W.TimeWindow;
export type RequestAction = W.RequestAction;
/** `waiting_for_approval`, `approved`, `checked_out` (in use), `checked_in`, `rejected`, `expired`, `cancelled`, `revoked`. */
export type RequestState = W.RequestState;
export type CreateAccessRequest = W.CreateAccessRequest;
export type AccessRequest = W.AccessRequest;
export type AccessRequestQuery = W.AccessRequestQuery;
export type Decision = W.Decision;
export type StartCheckout = W.StartCheckout;
export type Checkin = W.Checkin;
export type Checkout = W.Checkout;
export type CheckoutQuery = W.CheckoutQuery;
/** The outcome of a rotation or a password change: the new version, never the value. */
export type Rotation = W.Rotation;
export type RotateSecret = Static<typeof W.RotateSecret>;
export type SetSecretPassword = Static<typeof W.SetSecretPassword>;
// remote rotation (issue 14)
/** Where a secret's password or SSH key is used: postgres, mysql, ssh, ssh-key; host, port, privileged account. */
export type RotationTargetInput = Rot.RotationTargetInput;
export type RotationTarget = Rot.RotationTarget;
export type RotationStatus = Rot.RotationStatus;
export type RotationTargetQuery = Rot.RotationTargetQuery;
export type RotationTargetList = Rot.RotationTargetList;
export type RotationJournalEntry = Rot.JournalEntry;
export type AbandonRotationInput = Rot.AbandonRotationInput;
export type Dependency = Rot.Dependency;
export type AbandonRotationResult = Rot.AbandonRotationResult;
/** A verify (dry run) or heartbeat: ok, failed (the stored password does not log in), unreachable. */
export type VerifyResult = Rot.VerifyResult;
/** The effective access policy of a secret, each part with the vault or folder it comes from. */
export type EffectiveAccessPolicy = Static<typeof W.EffectiveAccessPolicy>;

// dual control: admin requests
export type AdminOperationType = Adm.AdminOperationType;
/** A gated operation as asked for (passwords included; hashed at once by the server). */
export type AdminOperationInput = Adm.AdminOperationInput;
/** A gated operation as stored and shown (never a password). */
export type AdminOperation = Adm.AdminOperation;
/** `waiting_for_approval`, `approved`, `rejected`, `cancelled`, `expired`, `executed`. */
export type AdminRequestState = Adm.AdminRequestState;
export type AdminRequest = Adm.AdminRequest;
export type CreateAdminRequest = Adm.CreateAdminRequest;
export type AdminRequestQuery = Adm.AdminRequestQuery;
export type AdminDecision = Adm.AdminDecision;
export type AdminRequestExecution = Adm.AdminRequestExecution;
export type ExecuteAdminRequest = Adm.ExecuteAdminRequest;
/** The answer of a gated call that became an admin request (HTTP 202): nothing changed yet. */
export type PendingApproval = Adm.PendingApproval;

// outbound webhooks (administrators: sys.manage)
export type WebhookEventType = Wh.WebhookEventType;
export type SubscribableEventType = Wh.SubscribableEventType;
export type WebhookEvent = Wh.WebhookEvent;
export type Webhook = Wh.Webhook;
export type CreateWebhook = Wh.CreateWebhook;
export type UpdateWebhook = Wh.UpdateWebhook;
/** A webhook with its signing secret: returned by create and rotate only, shown once. */
export type WebhookWithSecret = Wh.WebhookWithSecret;
export type WebhookDelivery = Wh.WebhookDelivery;
export type DeliveryListQuery = Static<typeof Wh.DeliveryListQuery>;
export type TestDelivery = Wh.TestDelivery;

// end-to-end encrypted vaults (ADR 0022)
export type OpenpgpKey = Static<typeof E2e.OpenpgpKey>;
export type ServerOpenpgpKey = Static<typeof E2e.ServerOpenpgpKey>;
export type SecretMessage = E2e.SecretMessage;
export type Readers = Static<typeof E2e.Readers>;
export type Reader = Static<typeof E2e.Reader>;
