import type { Db } from '../../db/database.ts';
import type { ReencryptJob } from '../../jobs/reencrypt.ts';
import { AppError } from '../../lib/app-error.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import { authorize, type RequestContext } from '../auth/actor.ts';
import type { SealManager } from './seal.ts';

/** Seal status, unseal by shares, seal, online key rotation. */
export function createSysService(deps: {
  db: Db;
  seal: SealManager;
  audit: AuditLog;
  audited: ReturnType<typeof createAudited>;
  reencrypt: ReencryptJob;
  onJobError: (e: unknown) => void;
}) {
  const { db, seal, audit, audited, reencrypt } = deps;

  async function publicStatus() {
    const s = await seal.status();
    const { activeTerm: _a, ...rest } = s;
    return rest;
  }

  /** Each attempt is audited (never the share). Works while sealed: audit needs no key. */
  async function unseal(ctx: RequestContext, body: { share: string } | { reset: true; nonce: string }) {
    if ('reset' in body) {
      try {
        seal.resetProgress(body.nonce);
      } catch (e) {
        const reason = e instanceof AppError ? e.code : 'internal';
        await db.transaction().execute((trx) => audit.append(trx, ctx, { action: 'sys.unseal_reset', outcome: 'denied', reason }));
        throw e;
      }
      await db.transaction().execute((trx) => audit.append(trx, ctx, { action: 'sys.unseal_reset', outcome: 'success' }));
      return publicStatus();
    }
    let outcome: 'success' | 'failure' = 'success';
    let reason: string | null = null;
    let nonce: string | undefined;
    try {
      nonce = (await seal.submitShare(body.share)).nonce;
    } catch (e) {
      outcome = 'failure';
      reason = e instanceof AppError ? e.code : 'internal';
      await db.transaction().execute((trx) => audit.append(trx, ctx, { action: 'sys.unseal', outcome, reason }));
      throw e;
    }
    const s = await publicStatus();
    await db
      .transaction()
      .execute((trx) =>
        audit.append(trx, ctx, { action: 'sys.unseal', outcome, reason, details: { sealed: s.sealed, progress: s.progress } }),
      );
    if (!s.sealed) {
      // unsealed by this share: whatever still waits goes in, and the pin of the MAC start (written
      // by the record above on a store migrated from before MACs) is read back and remembered
      await audit.settle(db).catch(deps.onJobError);
      reencrypt.kick(deps.onJobError);
    }
    // the first share's answer alone carries the nonce that can reset this progress
    return nonce !== undefined ? { ...s, nonce } : s;
  }

  async function sealNow(ctx: RequestContext) {
    await audited(ctx, { action: 'sys.seal' }, async () => {
      authorize(ctx.actor, 'sys.manage');
    });
    seal.seal();
    return publicStatus();
  }

  async function rotateKey(ctx: RequestContext) {
    const term = await audited(ctx, { action: 'sys.rotate_key', objectType: 'keyring' }, async (trx, ev) => {
      authorize(ctx.actor, 'sys.manage');
      const t = await seal.addTerm(trx);
      ev.objectId = String(t);
      return t;
    });
    await seal.reloadKeyring();
    await reencrypt.enqueue(term);
    reencrypt.kick(deps.onJobError);
    return keyringStatusUnaudited();
  }

  async function keyringStatusUnaudited() {
    const k = seal.requireKeys().keyring;
    return { activeTerm: k.activeTerm, terms: [...k.terms], reencryption: await reencrypt.status() };
  }

  async function keyringStatus(ctx: RequestContext) {
    await audited(ctx, { action: 'sys.keyring_read', objectType: 'keyring' }, async () => {
      authorize(ctx.actor, 'sys.manage');
    });
    return keyringStatusUnaudited();
  }

  return { publicStatus, unseal, sealNow, rotateKey, keyringStatus };
}
export type SysService = ReturnType<typeof createSysService>;
