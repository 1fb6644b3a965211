import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { ReauthFields } from './reauth.ts';
import { Text } from './text.ts';

/** Remote rotation (issue 14): where a secret's password or SSH key is used, and its journal. */

export const RotationKind = Type.Union([Type.Literal('postgres'), Type.Literal('mysql'), Type.Literal('ssh'), Type.Literal('ssh-key')], {
  description: 'postgres: ALTER ROLE; mysql: MariaDB/MySQL ALTER USER; ssh: a Linux password over SSH; ssh-key: an authorized SSH key',
});
export type RotationKind = Static<typeof RotationKind>;

const HostName = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:_\\[\\]-]+$', description: 'Host name or IP address' });

/** What uses an account's password (a service, a host, a script): updated by operators after a rotation. */
export const Dependency = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. "orders-api"' }),
    kind: Type.String({ minLength: 1, maxLength: 50, description: 'service, host, script, job, application, ...' }),
    host: Type.Optional(Type.String({ maxLength: 253, description: 'Where it runs' })),
    note: Type.Optional(Type.String({ maxLength: 1000, description: 'How to update it (never a password)' })),
  },
  { additionalProperties: false, $id: 'RotationDependency' },
);
export type Dependency = Static<typeof Dependency>;

export const RotationTargetInput = Type.Object(
  {
    kind: RotationKind,
    host: HostName,
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Default: 5432, 3306 or 22 by kind' })),
    privilegedSecretId: Type.Optional(
      Type.Union([Id, Type.Null()], {
        description: 'Another secret whose account changes this one (superuser, root); null: the account changes itself',
      }),
    ),
    database: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        pattern: '^[A-Za-z0-9_-]+$',
        description: 'postgres: the database to connect to (default postgres)',
      }),
    ),
    accountHost: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[A-Za-z0-9.%_:-]+$',
        description: "mysql: the account's host part (default %)",
      }),
    ),
    tls: Type.Optional(
      Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-full')], {
        description:
          "postgres: TLS as libpq's sslmode (default disable); require: encrypted, certificate not checked; verify-full: the certificate chains to caPem (else the system's CAs) and names the host",
      }),
    ),
    caPem: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 20_000,
        description: 'postgres, verify-full: the CA certificate(s) the server’s certificate chains to (PEM)',
      }),
    ),
    heartbeatMinutes: Type.Optional(
      Type.Union([Type.Integer({ minimum: 5, maximum: 525_600 }), Type.Null()], {
        description: 'Verify the password this often; null: never',
      }),
    ),
    rotateDays: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()], { description: 'Rotate this often; null: never' }),
    ),
    dependencies: Type.Optional(Type.Array(Dependency, { maxItems: 100, description: 'What uses the password; absent: kept as it is' })),
    dependenciesReviewed: Type.Optional(
      Type.Boolean({ description: 'false: the list is known to be incomplete or out of date (default true; absent: kept)' }),
    ),
    holdUnreviewed: Type.Optional(
      Type.Boolean({
        description: 'true: a scheduled rotation is held (and flagged) instead of run while dependenciesReviewed is false (absent: kept)',
      }),
    ),
  },
  { additionalProperties: false, $id: 'RotationTargetInput' },
);
export type RotationTargetInput = Static<typeof RotationTargetInput>;

export const HeartbeatStatus = Type.Union([
  Type.Literal('unknown'),
  Type.Literal('ok'),
  Type.Literal('failed'),
  Type.Literal('unreachable'),
]);

export const RotationTarget = Type.Object(
  {
    secretId: Id,
    kind: RotationKind,
    host: Type.String(),
    port: Type.Integer(),
    privilegedSecretId: Type.Union([Id, Type.Null()]),
    database: Type.Union([Type.String(), Type.Null()]),
    accountHost: Type.Union([Type.String(), Type.Null()]),
    hostKey: Type.Union([Type.String(), Type.Null()], { description: 'ssh: the host key pinned on first use' }),
    tls: Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-full'), Type.Null()], {
      description: 'postgres: the TLS mode; null for other kinds',
    }),
    caPem: Type.Union([Type.String(), Type.Null()], { description: 'postgres, verify-full: the CA the certificate must chain to' }),
    heartbeatMinutes: Type.Union([Type.Integer(), Type.Null()]),
    rotateDays: Type.Union([Type.Integer(), Type.Null()]),
    nextHeartbeatAt: Type.Union([Timestamp, Type.Null()]),
    nextRotationAt: Type.Union([Timestamp, Type.Null()]),
    lastHeartbeatAt: Type.Union([Timestamp, Type.Null()]),
    lastHeartbeatStatus: HeartbeatStatus,
    outOfSync: Type.Boolean({ description: 'The last heartbeat (or a rotation) found that the stored password does not log in' }),
    dependencies: Type.Array(Dependency),
    dependenciesReviewed: Type.Boolean(),
    holdUnreviewed: Type.Boolean(),
    heldAt: Type.Union([Timestamp, Type.Null()], {
      description: 'A scheduled rotation was held then (dependencies not reviewed); null once it runs again',
    }),
  },
  { additionalProperties: false, $id: 'RotationTarget' },
);
export type RotationTarget = Static<typeof RotationTarget>;

export const JournalEntry = Type.Object(
  {
    id: Type.String(),
    state: Type.Union([
      Type.Literal('pending'),
      Type.Literal('changed'),
      Type.Literal('verified'),
      Type.Literal('done'),
      Type.Literal('rolled_back'),
    ]),
    open: Type.Boolean(),
    trigger: Type.String(),
    baseVersion: Type.Integer(),
    newVersion: Type.Union([Type.Integer(), Type.Null()]),
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    settledAt: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false, $id: 'RotationJournalEntry' },
);
export type JournalEntry = Static<typeof JournalEntry>;

export const RotationStatus = Type.Object(
  { target: RotationTarget, entries: Type.Array(JournalEntry, { description: 'The newest rotations first (at most 20)' }) },
  { additionalProperties: false, $id: 'RotationStatus' },
);
export type RotationStatus = Static<typeof RotationStatus>;

export const VerifyResult = Type.Object(
  {
    secretId: Id,
    status: HeartbeatStatus,
    outOfSync: Type.Boolean(),
    checkedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'RotationVerifyResult' },
);
export type VerifyResult = Static<typeof VerifyResult>;

export const RemoteRotateInput = Type.Object(
  {
    reason: Type.Optional(Text(500, { minLength: 1 })),
    password: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'The new password; default: generated from the password policy' }),
    ),
  },
  { additionalProperties: false },
);
export type RemoteRotateInput = Static<typeof RemoteRotateInput>;

export const RotationTargetQuery = Type.Object(
  {
    outOfSync: Type.Optional(Type.Boolean({ description: 'Only secrets whose stored password no longer logs in' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export type RotationTargetQuery = Static<typeof RotationTargetQuery>;

export const RotationTargetList = Type.Object(
  {
    items: Type.Array(Type.Object({ secretName: Type.String(), target: RotationTarget }, { additionalProperties: false }), {
      description: 'Targets of the secrets you may view, out-of-sync ones first',
    }),
  },
  { additionalProperties: false, $id: 'RotationTargetList' },
);
export type RotationTargetList = Static<typeof RotationTargetList>;

/** The operator's way out of a stuck rotation (admin, re-authenticated): which password stays. */
export const AbandonRotationInput = Type.Object(
  {
    keep: Type.Union([Type.Literal('current'), Type.Literal('pending')], {
      description:
        'current: the password stored before the rotation logs in (the entry is rolled back); pending: the new one does (it becomes current)',
    }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why the rotation is abandoned (audited)' }),
    ...ReauthFields,
  },
  { additionalProperties: false },
);
export type AbandonRotationInput = Static<typeof AbandonRotationInput>;

export const AbandonRotationResult = Type.Object(
  {
    secretId: Id,
    entryId: Type.String(),
    kept: Type.Union([Type.Literal('current'), Type.Literal('pending')]),
    state: Type.Union([Type.Literal('done'), Type.Literal('rolled_back')]),
    /** true: the kept password logged in before the entry was closed; null: the target did not answer. */
    verified: Type.Union([Type.Boolean(), Type.Null()]),
    version: Type.Integer({ description: 'The current version of the secret afterwards' }),
    outOfSync: Type.Boolean(),
  },
  { additionalProperties: false, $id: 'AbandonRotationResult' },
);
export type AbandonRotationResult = Static<typeof AbandonRotationResult>;
