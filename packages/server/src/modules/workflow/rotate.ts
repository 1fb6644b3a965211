// Rotation: the one rotation step (used by checkins, revokes and the sweep too) and the two use
// cases that change a password on demand.
import type { TemplateField } from '@coffer/contracts/secrets';
import type { Rotation } from '@coffer/contracts/workflow';
import { generatePassword, resolvePasswordPolicy } from '../../crypto/password-generator.ts';
import type { Executor, Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { e2eUnsupported } from '../e2e/messages.ts';
import { type Core, checkedOutError, iso, type Publish } from './core.ts';
import { workflowPolicy } from './policy.ts';
import type { ConnectorRegistry } from './rotation.ts';

export type RotationTrigger = 'manual' | 'set_password' | 'checkin' | 'expired' | 'forced' | 'revoked';

export function createRotation(core: Core, connectors: ConnectorRegistry, publish: Publish) {
  const { deps, secretRow, lockSecret, liveCheckout } = core;
  const { clock, audited } = deps;

  async function passwordField(exec: Executor, s: SecretTable): Promise<string> {
    const t = await exec.selectFrom('templates').select(['fields', 'slug']).where('id', '=', s.template_id).executeTakeFirstOrThrow();
    const fields = JSON.parse(t.fields) as TemplateField[];
    const f = fields.find((x) => x.slug === 'password' && x.sensitive) ?? fields.find((x) => x.type === 'password');
    if (!f) throw new AppError('conflict', 'This secret has no password field to rotate.');
    return f.slug;
  }

  /** The connector a secret rotates through. Only LOCAL exists yet; remote kinds will be chosen here. */
  function connectorKindOf(_s: SecretTable): string {
    return 'local';
  }

  /**
   * The one rotation step: pick the value (given, or generated from the effective password policy),
   * let the connector apply it, store it as a new version, publish `secret.rotated`. The secret row
   * is locked before it is read, so two rotations (a revoke's and a manual one) queue instead of
   * the second failing on a version it read before the first committed.
   */
  async function rotateIn(
    trx: Trx,
    ctx: RequestContext,
    secretId: string,
    opts: { value?: string; trigger: RotationTrigger },
  ): Promise<Rotation> {
    await lockSecret(trx, secretId);
    const s = await secretRow(trx, secretId);
    if (!s) throw new AppError('not_found', 'No such secret.');
    // before any connector runs: a remote change the server could not store would lock people out
    if (s.e2e) throw e2eUnsupported('Rotating a value on the server');
    if (deps.remote && (await deps.remote.isRotating(trx, s.id))) {
      // the reconciler compares the target with the stored value: it must not move under it
      throw new AppError('rotation.in_progress', 'A remote rotation of this secret is open; change its password when it has settled.');
    }
    if (deps.remote && opts.value === undefined && (await deps.remote.hasTarget(trx, s.id))) {
      // the target is called outside this transaction: queued with it, run by the job queue
      const jobId = await deps.remote.enqueue(trx, s.id, opts.trigger);
      return {
        secretId: s.id,
        version: s.version,
        field: 'password',
        connector: 'remote',
        rotatedAt: iso(clock.now()),
        queued: true,
        ...(jobId ? { jobId } : {}),
      };
    }
    const field = await passwordField(trx, s);
    const policy = await workflowPolicy(trx, s.parent_node_id);
    const value = opts.value ?? generatePassword(resolvePasswordPolicy(policy.passwordPolicy), deps.randomInt);
    const kind = connectorKindOf(s);
    const connector = connectors.get(kind);
    const template = await trx.selectFrom('templates').select('slug').where('id', '=', s.template_id).executeTakeFirstOrThrow();
    await connector.rotate({
      secretId: s.id,
      template: template.slug,
      field,
      username: s.username,
      host: s.host,
      url: s.url,
      newValue: value,
      currentValue: async () => (deps.readSecretValue ? deps.readSecretValue(trx, s, field) : null),
    });
    const row = await deps.writeSecretValue(trx, ctx, s, field, value, opts.value !== undefined ? 'set_password' : 'rotate');
    const now = clock.now();
    await publish(trx, {
      type: 'secret.rotated',
      data: { secretId: s.id, version: row.version, field, connector: kind, trigger: opts.trigger },
    });
    return { secretId: s.id, version: row.version, field, connector: kind, rotatedAt: iso(now) };
  }

  /**
   * Refuses a change of the password while someone else holds the checkout. Decided after the
   * secret row is locked: a checkout that committed before is seen here, and one still in flight
   * holds the row shared, so the lock waited for it (PostgreSQL; SQLite runs one at a time).
   */
  async function requireNotHeldByOther(trx: Trx, ctx: RequestContext, secretId: string) {
    await lockSecret(trx, secretId);
    const co = await liveCheckout(trx, secretId, clock.now());
    if (co && co.holder_id !== ctx.actor.userId) throw checkedOutError(co.holder_name, co.holder_id, co.ends_at);
  }

  /** A new password from the effective password policy of the secret's folder. */
  async function newPassword(exec: Executor, s: SecretTable): Promise<string> {
    const policy = await workflowPolicy(exec, s.parent_node_id);
    return generatePassword(resolvePasswordPolicy(policy.passwordPolicy), deps.randomInt);
  }

  /** A secret with a rotation target rotates on it (modules/rotation); the guard runs in its first transaction. */
  async function remoteTarget(secretId: string): Promise<boolean> {
    return deps.remote ? deps.remote.hasTarget(deps.db, secretId) : false;
  }

  async function rotate(ctx: RequestContext, secretId: string, input: { reason?: string }): Promise<Rotation> {
    if (deps.remote && (await remoteTarget(secretId))) {
      return deps.remote.rotate(ctx, secretId, {
        ...(input.reason ? { reason: input.reason } : {}),
        trigger: 'manual',
        guard: (trx) => requireNotHeldByOther(trx, ctx, secretId),
      });
    }
    return audited(
      ctx,
      { action: 'secret.rotate', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        await deps.secrets.load(trx, ctx, secretId, 'edit');
        await requireNotHeldByOther(trx, ctx, secretId);
        const r = await rotateIn(trx, ctx, secretId, { trigger: 'manual' });
        ev.details = { version: r.version, field: r.field, connector: r.connector };
        return r;
      },
    );
  }

  /**
   * Sets the password to a given value. `where`: `auto` (default) changes it on the secret's
   * rotation target when it has one, else stores it; `local` only stores it (PMP's RESETTYPE
   * LOCAL); `remote` requires a target (PMP's RESETTYPE REMOTE).
   */
  async function setPassword(
    ctx: RequestContext,
    secretId: string,
    input: { password: string; reason?: string; where?: 'auto' | 'local' | 'remote' },
  ): Promise<Rotation> {
    const where = input.where ?? 'auto';
    const remote = where !== 'local' && (await remoteTarget(secretId));
    if (where === 'remote' && !remote) {
      throw new AppError(
        'conflict',
        'This secret has no rotation target: give it one (PUT /api/v1/secrets/{id}/rotation-target), or store the password only.',
      );
    }
    if (deps.remote && remote) {
      return deps.remote.rotate(ctx, secretId, {
        ...(input.reason ? { reason: input.reason } : {}),
        value: input.password,
        trigger: 'set_password',
        guard: (trx) => requireNotHeldByOther(trx, ctx, secretId),
      });
    }
    return audited(
      ctx,
      { action: 'secret.set_password', objectType: 'secret', objectId: secretId, reason: input.reason ?? null },
      async (trx, ev) => {
        requireUser(ctx.actor);
        await deps.secrets.load(trx, ctx, secretId, 'edit');
        await requireNotHeldByOther(trx, ctx, secretId);
        const r = await rotateIn(trx, ctx, secretId, { value: input.password, trigger: 'set_password' });
        ev.details = { version: r.version, field: r.field, connector: r.connector };
        return r;
      },
    );
  }

  return { rotateIn, rotate, setPassword, newPassword };
}
export type RotationSteps = ReturnType<typeof createRotation>;
