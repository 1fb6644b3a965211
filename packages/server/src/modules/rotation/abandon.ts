// The operator's way out of a stuck rotation (issue 14): an administrator, re-authenticated, closes
// an open journal entry the reconciler cannot settle, saying which password logs in on the target
// (`current`: the one stored before the rotation; `pending`: the new one). The kept password is
// verified first when the target answers: a "no" refuses the abandon; no answer closes it unverified
// and leaves the secret flagged out of sync, so the heartbeat checks it again. Only an entry no
// process holds (its lease ran out) can be taken; the target is never called inside a transaction.
import type { AbandonRotationInput, AbandonRotationResult } from '@coffer/contracts/rotation';
import { AppError } from '../../lib/app-error.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { Reauth } from '../auth/reauth.ts';
import { type createJournal, type JournalDeps, pendingBinding } from './journal.ts';
import * as repo from './rotation.repository.ts';
import { dependenciesOf } from './targets.ts';

export interface AbandonDeps extends Pick<JournalDeps, 'db' | 'clock' | 'seal' | 'audit' | 'secrets' | 'publish' | 'owner' | 'leaseMs'> {
  audited: ReturnType<typeof createAudited>;
  reauth?: Pick<Reauth, 'check'>;
  load: (exec: Parameters<typeof repo.targetRow>[0], ctx: RequestContext, id: string, need: 'edit') => Promise<unknown>;
}

export function createAbandon(deps: AbandonDeps, journal: Pick<ReturnType<typeof createJournal>, 'context' | 'tryVerify'>) {
  const { db, clock, seal, audited, owner } = deps;

  async function abandon(ctx: RequestContext, secretId: string, input: AbandonRotationInput): Promise<AbandonRotationResult> {
    const { keep, reason } = input;
    // Argon2 outside any transaction; the failure is thrown inside the audited call, after authorization
    const failure = deps.reauth ? await deps.reauth.check(ctx, input) : new AppError('forbidden', 'Re-authentication is not available.');
    // 1. authorize and take the entry (its lease must have run out: nobody is driving it)
    const e = await audited(ctx, { action: 'rotation.abandon', objectType: 'secret', objectId: secretId, reason }, async (trx, ev) => {
      requireUser(ctx.actor);
      // a secret the caller cannot edit answers like a missing one, before the role is looked at
      await deps.load(trx, ctx, secretId, 'edit');
      if (ctx.actor.role !== 'administrator') throw new AppError('forbidden', 'Abandoning a rotation needs an administrator.');
      if (failure) throw failure;
      const open = await repo.openEntryOf(trx, secretId);
      if (!open) throw new AppError('conflict', 'This secret has no open rotation.');
      const taken = await repo.claimStale(trx, open.id, owner, clock.now(), deps.leaseMs);
      if (!taken) {
        throw new AppError('rotation.in_progress', 'A process is working on this rotation now; retry when its lease has run out.');
      }
      ev.details = { entryId: open.id, keep, state: open.state };
      return taken;
    });
    // 2. ask the target whether the kept password logs in (no transaction open)
    const pending = e.pending_enc ? (await seal.decrypt(db, pendingBinding(e.id), e.pending_enc)).toString('utf8') : null;
    const c = await journal.context(e);
    const value = keep === 'pending' ? pending : c.current;
    const verified = value === null ? false : await journal.tryVerify(c, value);
    const now = clock.now();
    if (verified === false) {
      // free at once: the operator (or the reconciler) may take it again
      await repo.release(db, e.id, owner, now - 1, 'abandon_refused', now);
      await db.transaction().execute((trx) =>
        deps.audit.append(trx, ctx, {
          action: 'rotation.abandon_refused',
          objectType: 'secret',
          objectId: secretId,
          outcome: 'failure',
          reason,
          details: { entryId: e.id, keep },
        }),
      );
      throw new AppError('conflict', `The ${keep} password does not log in to the target: the rotation stays open.`);
    }
    // 3. close it: keep the pending value as the new current version, or roll back
    return db.transaction().execute(async (trx) => {
      await deps.secrets.lock(trx, secretId);
      const s = await deps.secrets.row(trx, secretId);
      if (!s) throw new AppError('not_found', 'No such secret.');
      let version = Number(s.version);
      const lost = () => new AppError('rotation.in_progress', 'The rotation was taken over meanwhile; retry.');
      if (keep === 'pending' && value !== null) {
        const row = await deps.secrets.write(trx, ctx, s, e.field, value);
        version = Number(row.version);
        if (!(await repo.settle(trx, e.id, owner, 'done', { now, newVersion: version, cleanup: e.cleanup, cleanupLeaseUntil: now })))
          throw lost();
        await deps.publish(trx, {
          type: 'secret.rotated',
          data: {
            secretId,
            version,
            field: e.field,
            connector: e.kind,
            trigger: e.trigger,
            dependencies: dependenciesOf(c.t).map((d) => d.name),
          },
        });
      } else if (!(await repo.settle(trx, e.id, owner, 'rolled_back', { now, lastError: 'abandoned' }))) {
        throw lost();
      }
      // unverified: flagged until a heartbeat sees the kept password log in
      const outOfSync = verified !== true;
      await repo.setOutOfSync(trx, secretId, outOfSync, now);
      const state = keep === 'pending' ? 'done' : 'rolled_back';
      await deps.audit.append(trx, ctx, {
        action: 'rotation.abandoned',
        objectType: 'secret',
        objectId: secretId,
        outcome: 'success',
        reason,
        details: { entryId: e.id, connector: e.kind, trigger: e.trigger, keep, state, verified, version },
      });
      return { secretId, entryId: e.id, kept: keep, state, verified, version, outOfSync } as AbandonRotationResult;
    });
  }

  return { abandon };
}
