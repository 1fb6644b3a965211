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

  async function rotate(ctx: RequestContext, secretId: string, input: { reason?: string }): Promise<Rotation> {
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

  async function setPassword(ctx: RequestContext, secretId: string, input: { password: string; reason?: string }): Promise<Rotation> {
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

  return { rotateIn, rotate, setPassword };
}
export type RotationSteps = ReturnType<typeof createRotation>;
