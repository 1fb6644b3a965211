// Use cases of rotation targets: give a secret a target (kind, host, port, privileged account,
// schedule), read it with its journal, remove it. Rows -> wire objects here too.

import { X509Certificate } from 'node:crypto';
import type {
  Dependency,
  JournalEntry,
  RotationStatus,
  RotationTarget,
  RotationTargetInput,
  RotationTargetList,
  RotationTargetQuery,
} from '@coffer/contracts/rotation';
import { isCleanText } from '@coffer/contracts/text';
import type { Db, Executor } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import type { RotationJournalTable, RotationTargetTable } from '../../db/schema-rotation.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Access } from '../access/access.service.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { e2eUnsupported } from '../e2e/messages.ts';
import type { Resolver, TargetPolicy } from '../webhooks/target.ts';
import { checkedAddress, type RemoteConnectors } from './connector.ts';
import * as repo from './rotation.repository.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function presentTarget(t: RotationTargetTable): RotationTarget {
  const o = JSON.parse(t.options) as Record<string, string>;
  return {
    secretId: t.secret_id,
    kind: t.kind,
    host: t.host,
    port: Number(t.port),
    privilegedSecretId: t.privileged_secret_id,
    database: o.database ?? null,
    accountHost: o.accountHost ?? null,
    hostKey: t.host_key,
    tls: t.kind === 'postgres' ? ((o.tls as 'disable' | 'require' | 'verify-full' | undefined) ?? 'disable') : null,
    caPem: o.ca ?? null,
    heartbeatMinutes: t.heartbeat_minutes === null ? null : Number(t.heartbeat_minutes),
    rotateDays: t.rotate_days === null ? null : Number(t.rotate_days),
    nextHeartbeatAt: iso(t.next_heartbeat_at),
    nextRotationAt: iso(t.next_rotation_at),
    lastHeartbeatAt: iso(t.last_heartbeat_at),
    lastHeartbeatStatus: t.last_heartbeat_status,
    outOfSync: Number(t.out_of_sync) === 1,
    dependencies: dependenciesOf(t),
    dependenciesReviewed: Number(t.dependencies_reviewed) === 1,
    holdUnreviewed: Number(t.hold_unreviewed) === 1,
    heldAt: iso(t.held_at),
  };
}

/** The dependencies of a target (stored JSON; a damaged value reads as none). */
export function dependenciesOf(t: Pick<RotationTargetTable, 'dependencies'>): Dependency[] {
  try {
    const v = JSON.parse(t.dependencies) as unknown;
    return Array.isArray(v) ? (v as Dependency[]) : [];
  } catch {
    return [];
  }
}

export function presentEntry(e: RotationJournalTable): JournalEntry {
  return {
    id: e.id,
    state: e.state,
    open: Number(e.active) === 1,
    trigger: e.trigger,
    baseVersion: Number(e.base_version),
    newVersion: e.new_version === null ? null : Number(e.new_version),
    attempts: Number(e.attempts),
    lastError: e.last_error,
    createdAt: iso(e.created_at) as string,
    settledAt: iso(e.settled_at),
  };
}

export interface TargetsDeps {
  db: Db;
  clock: Clock;
  audited: ReturnType<typeof createAudited>;
  connectors: RemoteConnectors;
  secrets: {
    load: (
      exec: Executor,
      ctx: RequestContext,
      id: string,
      need: 'list' | 'view' | 'reveal' | 'edit' | 'manage',
    ) => Promise<{ s: SecretTable }>;
  };
  /** Scopes the list in SQL to the secrets the caller may view (modules/access). */
  access: Pick<Access, 'principalsOf' | 'secretVisible'>;
  policy: TargetPolicy;
  resolve?: Resolver;
}

/** PostgreSQL's TLS options: the mode, and the CA (parsed now: a bad PEM is refused here, not at rotation). */
function tlsOf(input: RotationTargetInput): Record<string, string> {
  if (input.tls === undefined && input.caPem === undefined) return {};
  const bad = (message: string, path: string) => new AppError('validation.failed', message, { details: [{ path, message }] });
  if (input.kind !== 'postgres') throw bad('TLS options apply to a postgres target only.', '/tls');
  const mode = input.tls ?? 'disable';
  if (input.caPem !== undefined) {
    if (mode !== 'verify-full') throw bad('A CA is used with tls verify-full only.', '/caPem');
    try {
      new X509Certificate(input.caPem);
    } catch {
      throw bad('caPem is not a PEM certificate.', '/caPem');
    }
  }
  return { tls: mode, ...(input.caPem !== undefined ? { ca: input.caPem } : {}) };
}

/** Names, kinds, hosts and notes as clean text (contracts/text.ts: no control characters). */
function cleanDependencies(list: Dependency[]): Dependency[] {
  return list.map((d, i) => {
    for (const [k, v] of Object.entries(d)) {
      if (typeof v === 'string' && !isCleanText(v)) {
        throw new AppError('validation.failed', 'A dependency holds control characters.', {
          details: [{ path: `/dependencies/${i}/${k}`, message: 'invalid text' }],
        });
      }
    }
    return {
      name: d.name.trim(),
      kind: d.kind.trim(),
      ...(d.host ? { host: d.host.trim() } : {}),
      ...(d.note ? { note: d.note } : {}),
    };
  });
}

export function createTargets(deps: TargetsDeps) {
  const { clock, audited, connectors, secrets } = deps;
  const DAY = 86_400_000;
  const MINUTE = 60_000;

  /**
   * Gives the secret a target (or replaces it). Needs edit on the secret, and edit on the
   * privileged account's secret (its password will act on the caller's behalf). The host must
   * pass the outbound guard now; it is checked again at every connection. A changed host or port
   * forgets the pinned SSH host key.
   */
  async function setTarget(ctx: RequestContext, secretId: string, input: RotationTargetInput): Promise<RotationTarget> {
    return audited(ctx, { action: 'rotation.target.set', objectType: 'secret', objectId: secretId }, async (trx, ev) => {
      requireUser(ctx.actor);
      const { s } = await secrets.load(trx, ctx, secretId, 'edit');
      // the server could neither store the new password nor read the privileged one (ADR 0022)
      if (s.e2e) throw e2eUnsupported('A remote rotation target');
      const connector = connectors.get(input.kind);
      const fields = await repo.templateFieldSlugs(trx, s.template_id);
      if (!fields.includes(connector.field)) {
        throw new AppError(
          'validation.failed',
          `A ${input.kind} target rotates the field "${connector.field}", which this secret's template lacks.`,
          {
            details: [{ path: '/kind', message: `needs a ${connector.field} field` }],
          },
        );
      }
      if (input.privilegedSecretId) {
        if (input.privilegedSecretId === secretId)
          throw new AppError('validation.failed', 'The privileged account must be another secret.');
        const privileged = await secrets.load(trx, ctx, input.privilegedSecretId, 'edit');
        if (privileged.s.e2e) throw e2eUnsupported('A privileged account of a remote rotation');
      }
      await checkedAddress(input.host, deps.policy, deps.resolve);
      const now = clock.now();
      const old = await repo.targetRow(trx, secretId);
      const port = input.port ?? connector.defaultPort;
      const options: Record<string, string> = {};
      if (input.database) options.database = input.database;
      if (input.accountHost) options.accountHost = input.accountHost;
      Object.assign(options, tlsOf(input));
      const heartbeat = input.heartbeatMinutes === undefined ? (old?.heartbeat_minutes ?? null) : input.heartbeatMinutes;
      const rotateDays = input.rotateDays === undefined ? (old?.rotate_days ?? null) : input.rotateDays;
      const sameEndpoint = old && old.host === input.host && Number(old.port) === port && old.kind === input.kind;
      const row: RotationTargetTable = {
        secret_id: secretId,
        kind: input.kind,
        host: input.host,
        port,
        options: JSON.stringify(options),
        privileged_secret_id: input.privilegedSecretId ?? null,
        host_key: sameEndpoint ? old.host_key : null,
        heartbeat_minutes: heartbeat,
        rotate_days: rotateDays,
        next_heartbeat_at: heartbeat === null ? null : now + heartbeat * MINUTE,
        next_rotation_at: rotateDays === null ? null : now + rotateDays * DAY,
        last_heartbeat_at: old?.last_heartbeat_at ?? null,
        last_heartbeat_status: sameEndpoint ? old.last_heartbeat_status : 'unknown',
        out_of_sync: sameEndpoint ? old.out_of_sync : 0,
        created_by: old?.created_by ?? ctx.actor.userId,
        created_at: old?.created_at ?? now,
        updated_at: now,
        dependencies:
          input.dependencies === undefined ? (old?.dependencies ?? '[]') : JSON.stringify(cleanDependencies(input.dependencies)),
        dependencies_reviewed:
          input.dependenciesReviewed === undefined ? Number(old?.dependencies_reviewed ?? 1) : input.dependenciesReviewed ? 1 : 0,
        hold_unreviewed: input.holdUnreviewed === undefined ? Number(old?.hold_unreviewed ?? 0) : input.holdUnreviewed ? 1 : 0,
        held_at: old?.held_at ?? null,
      };
      if (row.dependencies_reviewed === 1 && row.held_at !== null) {
        // reviewed after a held rotation: it is due at once
        row.held_at = null;
        if (rotateDays !== null) row.next_rotation_at = now;
      }
      await repo.upsertTarget(trx, row);
      ev.details = {
        kind: input.kind,
        host: input.host,
        port,
        privileged: row.privileged_secret_id,
        heartbeatMinutes: heartbeat,
        rotateDays,
        dependencies: dependenciesOf(row).map((d) => d.name),
        dependenciesReviewed: row.dependencies_reviewed === 1,
        holdUnreviewed: row.hold_unreviewed === 1,
      };
      return presentTarget(row);
    });
  }

  async function getStatus(ctx: RequestContext, secretId: string): Promise<RotationStatus> {
    return audited(ctx, { action: 'rotation.read', objectType: 'secret', objectId: secretId, readOnly: true }, async (exec) => {
      await secrets.load(exec, ctx, secretId, 'view');
      const t = await repo.targetRow(exec, secretId);
      if (!t) throw new AppError('not_found', 'This secret has no rotation target.');
      const entries = await repo.entriesOf(exec, secretId, 20);
      return { target: presentTarget(t), entries: entries.map(presentEntry) };
    });
  }

  async function removeTarget(ctx: RequestContext, secretId: string): Promise<void> {
    await audited(ctx, { action: 'rotation.target.remove', objectType: 'secret', objectId: secretId }, async (trx) => {
      requireUser(ctx.actor);
      await secrets.load(trx, ctx, secretId, 'edit');
      if (await repo.openEntryOf(trx, secretId)) {
        throw new AppError('rotation.in_progress', 'A remote rotation of this secret is open; remove the target when it has settled.');
      }
      const r = await repo.deleteTarget(trx, secretId);
      if (Number(r.numDeletedRows) !== 1) throw new AppError('not_found', 'This secret has no rotation target.');
    });
  }

  /** Targets of the secrets the caller may view (scoped in SQL), out-of-sync first: the list behind `coffer heartbeat`. */
  async function listTargets(ctx: RequestContext, q: RotationTargetQuery): Promise<RotationTargetList> {
    return audited(ctx, { action: 'rotation.list', objectType: 'secret', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      const p = await deps.access.principalsOf(exec, ctx.actor);
      if (!p) throw new AppError('auth.required', 'Authentication is required.');
      let query = exec
        .selectFrom('secrets as s')
        .innerJoin('rotation_targets as t', 't.secret_id', 's.id')
        .selectAll('t')
        .select('s.name as secret_name')
        .where('s.deleted_at', 'is', null)
        .where(deps.access.secretVisible(ctx.actor, p, 'view'));
      if (q.outOfSync) query = query.where('t.out_of_sync', '=', 1);
      const rows = await query
        .orderBy('t.out_of_sync', 'desc')
        .orderBy('s.name')
        .limit(q.limit ?? 100)
        .execute();
      ev.details = { matches: rows.length, ...(q.outOfSync ? { outOfSync: true } : {}) };
      return { items: rows.map(({ secret_name, ...t }) => ({ secretName: secret_name, target: presentTarget(t as RotationTargetTable) })) };
    });
  }

  return { setTarget, getStatus, removeTarget, listTargets };
}
