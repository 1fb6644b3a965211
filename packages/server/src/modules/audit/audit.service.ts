import { sql } from 'kysely';
import type { Db, Executor } from '../../db/database.ts';
import type { AuditLogTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { authorize, type RequestContext } from '../auth/actor.ts';
import type { SealManager } from '../sys/seal.ts';
import { AUDIT_MAC_LABEL } from './audit-chain.ts';
import type { AuditLog, createAudited } from './audit-log.ts';
import { verifyAuditChain } from './audit-verify.ts';

export interface AuditFilter {
  actor?: string;
  object?: string;
  action?: string;
  from?: string;
  to?: string;
  via?: string;
  cursor?: string;
  limit?: number;
}

export function presentAudit(r: AuditLogTable) {
  return {
    seq: Number(r.seq),
    id: r.id,
    time: new Date(Number(r.time)).toISOString(),
    actorId: r.actor_id,
    actorName: r.actor_name,
    actorKind: r.actor_kind,
    authMethod: r.auth_method,
    sourceIp: r.source_ip,
    requestId: r.request_id,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    outcome: r.outcome,
    reason: r.reason,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
    prevHash: r.prev_hash,
    hash: r.hash,
    mac: r.mac,
    macTerm: r.mac_term === null ? null : Number(r.mac_term),
    sealed: Number(r.sealed) === 1,
    // the API surface; null before migration 0013 (and on system records): presented as native
    via: r.via ?? 'native',
  };
}

/** Reading the trail (Administrators and Password Auditors). Reading it is itself audited. */
export function createAuditService(deps: {
  db: Db;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  seal: Pick<SealManager, 'keys' | 'reloadKeyring' | 'readAuditPin'>;
}) {
  const { db, audited } = deps;

  function query(exec: Executor, f: AuditFilter, limit: number) {
    let q = exec.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(limit);
    if (f.actor) q = q.where('actor_id', '=', f.actor);
    if (f.object) q = q.where('object_id', '=', f.object);
    if (f.via)
      q = f.via === 'native' ? q.where((eb) => eb.or([eb('via', '=', 'native'), eb('via', 'is', null)])) : q.where('via', '=', f.via);
    if (f.action) {
      q = f.action.endsWith('*')
        ? q.where(sql<boolean>`action like ${`${f.action.slice(0, -1).replace(/[!%_]/g, '!$&')}%`} escape '!'`)
        : q.where('action', '=', f.action);
    }
    const time = (s: string, name: string) => {
      const t = Date.parse(s);
      if (!Number.isFinite(t)) throw new AppError('validation.failed', `${name} is not a date-time.`);
      return t;
    };
    if (f.from) q = q.where('time', '>=', time(f.from, 'from'));
    if (f.to) q = q.where('time', '<', time(f.to, 'to'));
    if (f.cursor) {
      if (!/^\d{1,15}$/.test(f.cursor)) throw new AppError('validation.failed', 'Invalid cursor.');
      q = q.where('seq', '<', Number(f.cursor));
    }
    return q;
  }

  /** Newest first; `nextCursor` continues to older records. */
  async function list(ctx: RequestContext, f: AuditFilter) {
    const limit = f.limit ?? 100;
    const rows = await audited(ctx, { action: 'audit.read', objectType: 'audit' }, async (trx) => {
      authorize(ctx.actor, 'audit.read');
      return query(trx, f, limit + 1).execute();
    });
    const page = rows.slice(0, limit);
    return { items: page.map(presentAudit), nextCursor: rows.length > limit ? String(page.at(-1)?.seq) : null };
  }

  /** JSON lines, streamed page by page (constant memory). */
  async function* exportLines(ctx: RequestContext, f: AuditFilter): AsyncGenerator<string> {
    await audited(ctx, { action: 'audit.export', objectType: 'audit' }, async () => {
      authorize(ctx.actor, 'audit.read');
    });
    let cursor = f.cursor;
    for (;;) {
      const rows = await query(db, { ...f, ...(cursor ? { cursor } : {}) }, 1000).execute();
      for (const r of rows) yield `${JSON.stringify(presentAudit(r))}\n`;
      if (rows.length < 1000) return;
      cursor = String(rows.at(-1)?.seq);
    }
  }

  async function verify(ctx: RequestContext) {
    return audited(ctx, { action: 'audit.verify', objectType: 'audit' }, async (trx) => {
      authorize(ctx.actor, 'audit.read');
      const run = async () => {
        const keyring = deps.seal.keys?.keyring;
        if (!keyring) throw new AppError('sys.sealed', 'Coffer is sealed.');
        let unknownTerm = false;
        // where MACs begin is what the keys pin (checked against what this server saw), never the
        // head row alone; this server pinned it before it served, so no pin is a failure here
        const pin = await deps.seal.readAuditPin(trx);
        const result = await verifyAuditChain(trx, {
          macKey: (term) => {
            const key = keyring.derive(term, AUDIT_MAC_LABEL);
            unknownTerm ||= key === undefined;
            return key;
          },
          macStart: { pinned: pin.macFrom, required: true, problem: pin.problem },
        });
        return { result, unknownTerm };
      };
      const first = await run();
      if (!first.unknownTerm) return first.result;
      // a term another node added since this node loaded the keyring: load it and check again
      await deps.seal.reloadKeyring(trx);
      return (await run()).result;
    });
  }

  async function readCheckpoints(exec: Executor) {
    const key = await exec.selectFrom('system_keys').select('public_value').where('name', '=', 'audit-signing').executeTakeFirstOrThrow();
    const rows = await exec.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
    return {
      publicKey: key.public_value ?? '',
      checkpoints: rows.map((c) => ({
        seq: Number(c.seq),
        hash: c.hash,
        time: new Date(Number(c.time)).toISOString(),
        signature: c.signature,
        keyId: c.key_id,
        mac: c.mac,
        macFrom: c.mac_from === null ? null : Number(c.mac_from),
      })),
    };
  }

  async function checkpoints(ctx: RequestContext) {
    return audited(ctx, { action: 'audit.checkpoints_read', objectType: 'audit' }, async (trx) => {
      authorize(ctx.actor, 'audit.read');
      return readCheckpoints(trx);
    });
  }

  /** One audit record (audit.checkpoint) for the request; the new checkpoint covers it. */
  async function checkpointNow(ctx: RequestContext) {
    await audited(ctx, { action: 'audit.checkpoint', objectType: 'audit' }, async () => {
      authorize(ctx.actor, 'audit.read');
    });
    await deps.audit.checkpointNow(db);
    return readCheckpoints(db);
  }

  return { list, exportLines, verify, checkpoints, checkpointNow };
}
export type AuditService = ReturnType<typeof createAuditService>;
