// Reading secrets: GET /secrets/{id} (the whole secret with its values: one audited reveal), by
// path (`/secrets/0?secretPath=\Vault\Folder\Name`), a field's value (`/secrets/{id}/fields/{slug}`:
// a JSON string, a file's raw content), and the restricted forms that carry a comment in the body.
// The comment is the workflow's reason (required where the policy says so); `autoCheckout` checks
// the secret out first, `autoCheckIn` checks it in after.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { flagsOfChain } from '../../modules/workflow/workflow.service.ts';
import { checkoutFor, requestComment } from './checkout.ts';
import { missing } from './ids.ts';
import { API, type Kit, q1, qBool, queryOf } from './kit.ts';
import { holds } from './mapper.ts';
import { responses, SecretModel } from './schemas.ts';

/** `\Vault\A\Name` or `/Vault/A/Name` -> vault, folder path inside it, secret name. */
export function splitSecretPath(raw: string): { vault: string; path: string; name: string } {
  const parts = raw.split(/[\\/]+/).filter((p) => p.trim() !== '');
  if (parts.length < 2 || raw.length > 2000) throw missing('secret');
  return { vault: parts[0] as string, path: `/${parts.slice(1, -1).join('/')}`, name: parts.at(-1) as string };
}

/** The secret a route names: its integer id, or 0 with `secretPath` (a lookup scoped like a read). */
export async function secretIdOf(kit: Kit, req: FastifyRequest): Promise<string> {
  const raw = (req.params as { id?: string }).id ?? '';
  if (!/^\d{1,16}$/.test(raw)) throw missing('secret');
  if (Number(raw) !== 0) return kit.ids.secret(raw);
  const path = q1(queryOf(req), 'secretPath');
  if (!path) throw missing('secret');
  const found = await kit.deps.lookup.secret(req.ctx, splitSecretPath(path));
  return found.id;
}

/** The whole secret as the caller may read it: values revealed (gated, audited), workflow flags. */
export async function readSecret(kit: Kit, req: FastifyRequest, id: string): Promise<unknown> {
  const { deps } = kit;
  const q = queryOf(req);
  const reason = requestComment(req);
  if (qBool(q, 'autoCheckout')) await checkoutFor(kit, req.ctx, id, reason, false);
  const card = await deps.secrets.revealCard(req.ctx, id, { ...(reason ? { reason } : {}), include: { rotationTarget: true } });
  let flags = { ...flagsOfChain(card.chain), checkout: null as null | { holderId: string; holderName: string | null; endsAt: number } };
  // the checkout state is read only where the policy has checkouts
  if (flags.checkoutExclusive) flags = (await deps.workflow.secretFlags(req.ctx, [id])).get(id) ?? flags;
  const model = await kit.model(req.ctx, card.secret, card.values, flags, { rotationTarget: card.rotationTarget });
  if (qBool(q, 'autoCheckIn') && flags.checkout?.holderId === req.ctx.actor.userId) {
    await deps.workflow.checkin(req.ctx, id, reason ? { reason } : {});
  }
  return model;
}

/** One field's value: a file's content as it is, any other value as a JSON string. */
async function readField(kit: Kit, req: FastifyRequest, reply: FastifyReply, id: string) {
  const { deps } = kit;
  const slug = ((req.params as { slug?: string }).slug ?? '').toLowerCase();
  const reason = requestComment(req);
  const secret = await deps.secrets.get(req.ctx, id);
  const template = await kit.templates.bySlug(secret.template);
  const f = template?.fields.find((x) => x.field.slug === slug);
  if (!f) throw new AppError('not_found', 'No such field on this secret.');
  let value: string;
  if (f.field.sensitive) {
    const r = await deps.secrets.reveal(req.ctx, id, { ...(reason ? { reason } : {}), fields: [slug] });
    value = r.values[slug] ?? '';
  } else {
    value = secret.fields[slug] ?? '';
  }
  if (f.isFile) {
    if (!holds(secret, f.field)) throw new AppError('not_found', 'This field holds no file.');
    const filename = f.field.name.replace(/[^\w .-]/g, '_');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .send(Buffer.from(value, 'utf8'));
  }
  return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(value));
}

export function secretReadRoutes(api: FastifyInstance, kit: Kit): void {
  const one = { action: 'ss.secret.read', response: responses(SecretModel) };
  kit.route(api, 'GET', `${API}/secrets/:id`, one, async (req) => readSecret(kit, req, await secretIdOf(kit, req)));
  kit.route(api, 'POST', `${API}/secrets/:id/restricted`, one, async (req) => readSecret(kit, req, await secretIdOf(kit, req)));

  const field = { action: 'ss.secret.field', response: responses({ type: 'string' }) };
  kit.route(api, 'GET', `${API}/secrets/:id/fields/:slug`, field, async (req, reply) =>
    readField(kit, req, reply, await secretIdOf(kit, req)),
  );
  kit.route(api, 'POST', `${API}/secrets/:id/restricted/fields/:slug`, field, async (req, reply) =>
    readField(kit, req, reply, await secretIdOf(kit, req)),
  );
}
