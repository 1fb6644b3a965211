// POST /pam/credential (create or update), DELETE /pam/credential/{ref} (deactivate: to the
// trash, history kept), PUT /pam/credential/{ref} (reactivate: out of the trash).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { fieldsOf, list, secretText, text } from './body.ts';
import { refParams } from './credentials-read.ts';
import type { Ctx } from './deps.ts';
import { ok } from './envelope.ts';
import { CREDENTIAL_TYPES, canonicalType, INFO_KIND, parseExpiration, type SecretWire, TYPE_FIELD } from './mapper.ts';
import { ensureDevice, ensureVault } from './place.ts';
import { resolveCredential } from './resolve.ts';
import { credentialSaveResponses, plainResponses } from './schemas.ts';

/** Template of credentials created here (fields: identifier, username, password, host, ip, port, domain, device model/type/vendor, parent, notes). */
export const CREDENTIAL_TEMPLATE = 'host-credential';
/** The template's sensitive fields this API writes (compared by the service, never here). */
const SENSITIVE = new Set(['password', 'additional-info']);

export const anyBody = {
  type: 'object',
  maxProperties: 200,
  // nested objects (execution_settings, session_settings, jit_settings, ...) are accepted and ignored
  additionalProperties: { type: ['string', 'number', 'boolean', 'null', 'array', 'object'] },
} as const;

interface Input {
  identifier?: string;
  username: string;
  hostname: string;
  ip: string;
  password?: string;
  additional?: string;
  type?: string;
  tags?: string[];
  expiresAt?: string | null;
  clear: Record<string, string>;
}

function need(v: string | undefined, reason: string, message: string): string {
  if (!v) throw new AppError('validation.failed', message, { reason });
  return v;
}

/** The body's fields -> what is written. `type` is the credential type when it is one of the three
 * senhasegura credential types (the Ansible collection sends it so), else the device type. */
function readInput(body: unknown): Input {
  const b = fieldsOf(body);
  const hostname = need(text(b, 'hostname', 200), 'hostname_missing', "The device's hostname was not informed");
  const ip = need(text(b, 'ip', 200), 'ip_missing', "The device's IP was not informed");
  const username = need(text(b, 'username', 300), 'username_missing', "The credential's username was not informed");
  const rawType = text(b, 'type', 100);
  const typeIsCredential = rawType !== undefined && CREDENTIAL_TYPES[rawType.toLowerCase()] !== undefined;
  const credType = text(b, 'credential_type', 100) ?? (typeIsCredential ? rawType : undefined);
  const deviceType = typeIsCredential ? undefined : rawType;
  const exp = text(b, 'expiration', 40) ?? text(b, 'expiration_time', 40);
  let expiresAt: string | null | undefined;
  if (exp !== undefined) {
    const parsed = parseExpiration(exp);
    if (parsed === 'invalid')
      throw new AppError('validation.failed', 'The expiration must be a date (YYYY-MM-DD HH:MM:SS).', {
        details: [{ path: '/expiration', message: 'invalid date' }],
      });
    expiresAt = parsed;
  }
  const port = text(b, 'port', 10);
  if (port !== undefined && port !== '' && !/^\d{1,5}$/.test(port)) {
    throw new AppError('validation.failed', 'The port must be a number.', { details: [{ path: '/port', message: 'must be a number' }] });
  }
  const clear: Record<string, string> = {};
  const put = (slug: string, v: string | undefined) => {
    if (v !== undefined) clear[slug] = v;
  };
  put('identifier', text(b, 'identifier', 300));
  put('host', hostname);
  put('username', username);
  put('ip', ip);
  put('port', port);
  put('domain', text(b, 'domain', 200));
  put('device-model', text(b, 'model', 200));
  put('device-type', deviceType);
  put('device-vendor', text(b, 'vendor', 200));
  put('parent-credential', text(b, 'parent_password', 40) ?? text(b, 'parent_credential', 300));
  return {
    identifier: text(b, 'identifier', 300) || undefined,
    username,
    hostname,
    ip,
    password: secretText(b, 'content') ?? secretText(b, 'password'),
    additional: secretText(b, 'additional'),
    ...(credType ? { type: canonicalType(credType) } : {}),
    ...(b.tags !== undefined ? { tags: list(b, 'tags') ?? [] } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    clear,
  };
}

/** The credential this write is about: by identifier, else by hostname + ip + username. */
async function existing(c: Ctx, ctx: RequestContext, input: Input): Promise<SecretWire | undefined> {
  if (input.identifier) {
    const ids = await c.keys.byName(ctx, input.identifier, { exceptKind: INFO_KIND });
    if (ids.length > 1) throw new AppError('conflict', `${ids.length} credentials have this identifier.`);
    if (ids[0]) return (await c.secrets.get(ctx, ids[0])) as SecretWire;
  }
  const ids = await c.keys.byHostUser(ctx, input.hostname, input.username);
  const matches: SecretWire[] = [];
  for (const id of ids) {
    const s = (await c.secrets.get(ctx, id)) as SecretWire;
    if (!s.fields.ip || s.fields.ip.toLowerCase() === input.ip.toLowerCase()) matches.push(s);
  }
  if (matches.length > 1)
    throw new AppError('conflict', `${matches.length} credentials have this hostname, ip and username; send the identifier.`);
  return matches[0];
}

/** `base`: '/pam' under /iso, '' under /api/pam. */
export function credentialWriteRoutes(app: FastifyInstance, c: Ctx, base: string): void {
  const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

  app.post(`${base}/credential`, {
    config: cfg('senhasegura.credential.save'),
    schema: { body: anyBody, response: credentialSaveResponses },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const input = readInput(req.body);
      // one write per device at a time, on every node: two identical requests at once make one
      // credential (and one device folder), the second one then updates it (ADR 0016)
      return c.naturalKeys.serialize('senhasegura.device', input.hostname.toLowerCase(), () => save(req, reply, input));
    },
  });

  async function save(req: FastifyRequest, reply: FastifyReply, input: Input) {
    const current = await existing(c, req.ctx, input);
    const fields: Record<string, string> = { ...input.clear };
    if (input.password !== undefined) fields.password = input.password;
    if (input.additional !== undefined) fields['additional-info'] = input.additional;
    const customFields = input.type ? [{ name: TYPE_FIELD, type: 'text' as const, value: input.type }] : undefined;
    if (!current) {
      const vaultId = await ensureVault(c, req.ctx);
      const device = await ensureDevice(c, req.ctx, vaultId, input.hostname);
      const created = (await c.secrets.create(req.ctx, {
        vaultId,
        folderId: device.id,
        template: CREDENTIAL_TEMPLATE,
        name: input.identifier ?? `${input.username}@${input.hostname}`,
        fields,
        ...(customFields ? { customFields } : {}),
        ...(input.tags ? { tags: input.tags } : {}),
        ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
      })) as SecretWire;
      const num = await c.numbering.numberOf(c.db, 'secret', created.id);
      reply.code(201);
      return withChanged(
        ok(201, 'Credential successfully registered!', { credential: { id: String(num), tag: input.identifier ?? null } }),
        true,
      );
    }
    // only what differs is written: clear fields compared here, sensitive ones by the service
    // (for a caller who could reveal them; else they count as changed)
    const patch: Record<string, unknown> = {};
    const changedFields: Record<string, string> = {};
    const sensitive: Record<string, string> = {};
    for (const [slug, v] of Object.entries(fields)) {
      if (SENSITIVE.has(slug)) sensitive[slug] = v;
      else if ((slug === 'username' ? current.username : slug === 'host' ? current.host : (current.fields[slug] ?? '')) !== v)
        changedFields[slug] = v;
    }
    if (Object.keys(sensitive).length) {
      const same = new Set(await c.secrets.sameSensitive(req.ctx, current.id, sensitive));
      for (const [slug, v] of Object.entries(sensitive)) if (!same.has(slug)) changedFields[slug] = v;
    }
    if (Object.keys(changedFields).length) patch.fields = changedFields;
    const name = input.identifier && input.identifier !== current.name ? input.identifier : undefined;
    if (name) patch.name = name;
    if (input.tags && input.tags.join(',') !== current.tags.join(',')) patch.tags = input.tags;
    if (input.expiresAt !== undefined && input.expiresAt !== current.expiresAt) patch.expiresAt = input.expiresAt;
    const keptType = current.customFields.find((f) => f.name === TYPE_FIELD)?.value;
    if (customFields && keptType !== input.type) {
      patch.customFields = [...current.customFields.filter((f) => f.name !== TYPE_FIELD), ...customFields];
    }
    const changed = Object.keys(patch).length > 0;
    if (changed) await c.secrets.update(req.ctx, current.id, patch);
    const num = await c.numbering.numberOf(c.db, 'secret', current.id);
    reply.code(200);
    const message = changed ? 'Credential updated successfully!' : 'Credential unchanged';
    return withChanged(
      ok(200, message, { credential: { id: String(num), tag: input.identifier ?? current.fields.identifier ?? null } }),
      changed,
    );
  }

  app.delete(`${base}/credential/:ref`, {
    config: cfg('senhasegura.credential.deactivate'),
    schema: { params: refParams, response: plainResponses },
    handler: async (req) => {
      const { ref } = req.params as { ref: string };
      const id = await resolveCredential(c, req.ctx, ref);
      await c.secrets.trash(req.ctx, id);
      return ok(200, 'Credential successfully deactivated');
    },
  });

  app.put(`${base}/credential/:ref`, {
    config: cfg('senhasegura.credential.activate'),
    schema: { params: refParams, response: plainResponses },
    handler: async (req) => {
      const { ref } = req.params as { ref: string };
      const id = await resolveCredential(c, req.ctx, ref, { deleted: true });
      await c.secrets.restore(req.ctx, id);
      return ok(200, 'Credential successfully activated');
    },
  });
}

function withChanged<T extends { response: Record<string, unknown> }>(body: T, changed: boolean): T {
  body.response.changed = changed ? 'true' : 'false';
  return body;
}
