import { Type } from 'typebox';
import { Cursor, Id } from './common.ts';

export const AuditRecord = Type.Object(
  {
    seq: Type.Integer(),
    id: Type.String(),
    time: Type.String({ format: 'date-time' }),
    actorId: Type.Union([Type.String(), Type.Null()]),
    actorName: Type.Union([Type.String(), Type.Null()]),
    actorKind: Type.String(),
    authMethod: Type.Union([Type.String(), Type.Null()]),
    sourceIp: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    objectType: Type.Union([Type.String(), Type.Null()]),
    objectId: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('denied'), Type.Literal('failure'), Type.Literal('error')]),
    reason: Type.Union([Type.String(), Type.Null()]),
    details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    prevHash: Type.String(),
    hash: Type.String(),
    mac: Type.Union([Type.String(), Type.Null()], {
      description: 'HMAC-SHA-256 under the audit MAC key of macTerm over the previous MAC and this record; null before the MAC start',
    }),
    macTerm: Type.Union([Type.Integer(), Type.Null()]),
    sealed: Type.Boolean({ description: 'Written while Coffer was sealed; entered the chain at the next unsealed append' }),
    via: Type.String({
      description:
        'The API the request came through: native, web (the web UI), pmp, senhasegura, ... (native for records from before compatibility APIs)',
    }),
  },
  { additionalProperties: false, $id: 'AuditRecord' },
);

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Id),
    object: Type.Optional(Type.String({ maxLength: 100 })),
    action: Type.Optional(
      Type.String({ maxLength: 100, pattern: '^[a-z0-9_.*-]+$', description: 'Exact action, or a prefix ending in *' }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    via: Type.Optional(
      Type.Union(
        ['native', 'web', 'pmp', 'senhasegura', 'secretserver', 'passwork', 'passbolt'].map((v) => Type.Literal(v)),
        {
          description: 'Only records that came through this API',
        },
      ),
    ),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

export const AuditVerify = Type.Object(
  {
    ok: Type.Boolean(),
    records: Type.Integer(),
    lastSeq: Type.Integer({ description: 'The last record: compare seq, hash and MAC with an external copy to see a cut tail' }),
    lastHash: Type.String(),
    lastMac: Type.Union([Type.String(), Type.Null()]),
    macFrom: Type.Integer({ description: 'Records from this seq on carry a MAC; earlier ones are legacy (hash chain only)' }),
    macStart: Type.Union([Type.Literal('pinned'), Type.Literal('not_started'), Type.Literal('unchecked')], {
      description:
        'pinned: the MAC start was read from the keys (where a database writer cannot change it); not_started: the keys pin none yet (a store migrated from before MACs that no server started on since); unchecked: no keys',
    }),
    macsChecked: Type.Boolean(),
    checkpoints: Type.Integer(),
    lastCheckpointSeq: Type.Union([Type.Integer(), Type.Null()]),
    sealedPending: Type.Integer({ description: 'Records written while sealed that have not entered the chain yet' }),
    firstBad: Type.Union([
      Type.Object({ seq: Type.Integer(), kind: Type.String(), message: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);

export const AuditCheckpoint = Type.Object(
  {
    seq: Type.Integer(),
    hash: Type.String(),
    time: Type.String({ format: 'date-time' }),
    signature: Type.String(),
    keyId: Type.String(),
    mac: Type.Union([Type.String(), Type.Null()]),
    macFrom: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Set on v2 checkpoints, which sign ["coffer-audit-checkpoint/v2", seq, hash, mac, macFrom, time]; v1 sign ["coffer-audit-checkpoint/v1", seq, hash, time] (time in ms)',
    }),
  },
  { additionalProperties: false },
);
export const AuditCheckpoints = Type.Object(
  { publicKey: Type.String({ description: 'Ed25519 public key, SPKI PEM' }), checkpoints: Type.Array(AuditCheckpoint) },
  { additionalProperties: false },
);
