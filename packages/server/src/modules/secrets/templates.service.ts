import { type FieldType, sensitiveTypes, type TemplateField } from '@coffer/contracts/secrets';
import type { Db, Executor } from '../../db/database.ts';
import type { TemplateTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { authorize, type RequestContext, requireUser } from '../auth/actor.ts';

/** How long the template catalog is kept per process (see `catalog`). */
const CATALOG_TTL_MS = 2000;

type FieldSpec = [name: string, slug: string, type: FieldType, required?: boolean, searchable?: boolean];

const f = (specs: FieldSpec[]): TemplateField[] =>
  specs.map(([name, slug, type, required = false, searchable = false], i) => ({
    id: `f${i + 1}`,
    name,
    slug,
    type,
    required,
    searchable: searchable && !sensitiveTypes.includes(type),
    sensitive: sensitiveTypes.includes(type),
  }));

/**
 * Built-in templates. Field slugs `username`, `host` and `url` fill the searchable columns of a
 * secret; other non-sensitive values stay in clear for display; sensitive ones are encrypted.
 */
export const builtinTemplates: Array<{ slug: string; name: string; fields: TemplateField[] }> = [
  {
    slug: 'web-login',
    name: 'Web login',
    fields: f([
      ['URL', 'url', 'url', false, true],
      ['Username', 'username', 'text', false, true],
      ['Password', 'password', 'password', true],
      ['TOTP seed', 'otp', 'otp'],
      ['Notes', 'notes', 'notes'],
    ]),
  },
  {
    slug: 'unix-account',
    name: 'Unix account (SSH)',
    fields: f([
      ['Host', 'host', 'text', true, true],
      ['Port', 'port', 'number'],
      ['Username', 'username', 'text', true, true],
      ['Password', 'password', 'password'],
      ['Private key', 'private-key', 'ssh_private_key'],
      ['Notes', 'notes', 'notes'],
    ]),
  },
  {
    slug: 'windows-account',
    name: 'Windows account',
    fields: f([
      ['Host', 'host', 'text', true, true],
      ['Domain', 'domain', 'text', false, true],
      ['Username', 'username', 'text', true, true],
      ['Password', 'password', 'password', true],
      ['Notes', 'notes', 'notes'],
    ]),
  },
  {
    slug: 'database-account',
    name: 'Database account',
    fields: f([
      ['Host', 'host', 'text', true, true],
      ['Port', 'port', 'number'],
      ['Database', 'database', 'text', false, true],
      ['Username', 'username', 'text', true, true],
      ['Password', 'password', 'password', true],
      ['Notes', 'notes', 'notes'],
    ]),
  },
  {
    slug: 'ssh-key',
    name: 'SSH key',
    fields: f([
      ['Host', 'host', 'text', false, true],
      ['Username', 'username', 'text', false, true],
      ['Private key', 'private-key', 'ssh_private_key', true],
      ['Public key', 'public-key', 'ssh_public_key'],
      ['Passphrase', 'passphrase', 'password'],
      ['Notes', 'notes', 'notes'],
    ]),
  },
  {
    slug: 'api-key',
    name: 'API key or token',
    fields: f([
      ['URL', 'url', 'url', false, true],
      ['Key id', 'key-id', 'text', false, true],
      ['Secret', 'secret', 'password', true],
      ['Notes', 'notes', 'notes'],
    ]),
  },
  { slug: 'secure-note', name: 'Secure note', fields: f([['Note', 'notes', 'notes', true]]) },
  {
    // an item a client encrypted on its side (Passwork's master-password mode): its values are
    // one JSON of ciphertexts Coffer stores and returns as sent, and can never open
    slug: 'client-encrypted',
    name: 'Client-side encrypted item',
    fields: f([
      ['URL', 'url', 'url', false, true],
      ['Username', 'username', 'text', false, true],
      ['Encrypted data', 'payload', 'notes', true],
    ]),
  },
  {
    slug: 'host-credential',
    name: 'Host credential',
    fields: f([
      ['Identifier', 'identifier', 'text', false, true],
      ['Username', 'username', 'text', true, true],
      ['Password', 'password', 'password'],
      ['Hostname', 'host', 'text', false, true],
      ['IP address', 'ip', 'text', false, true],
      ['Port', 'port', 'number'],
      ['Domain', 'domain', 'text', false, true],
      ['Device model', 'device-model', 'text'],
      ['Device type', 'device-type', 'text'],
      ['Device vendor', 'device-vendor', 'text'],
      ['Tag', 'tag', 'text', false, true],
      ['Parent credential', 'parent-credential', 'text'],
      ['Additional information', 'additional-info', 'notes'],
    ]),
  },
];

export function presentTemplate(t: TemplateTable) {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    builtin: t.builtin === 1,
    fields: JSON.parse(t.fields) as TemplateField[],
    createdAt: new Date(Number(t.created_at)).toISOString(),
    updatedAt: new Date(Number(t.updated_at)).toISOString(),
  };
}

type FieldInput = { name: string; slug: string; type: FieldType; required?: boolean; searchable?: boolean };

function normaliseFields(input: FieldInput[], previous: TemplateField[] = []): TemplateField[] {
  const slugs = new Set<string>();
  let nextId = Math.max(0, ...previous.map((p) => Number(p.id.slice(1)) || 0)) + 1;
  return input.map((x) => {
    if (slugs.has(x.slug)) throw new AppError('validation.failed', `Field slug "${x.slug}" appears twice.`);
    slugs.add(x.slug);
    const old = previous.find((p) => p.slug === x.slug);
    // a field keeps its id and its sensitivity: values already stored stay readable and encrypted
    if (old && old.sensitive !== sensitiveTypes.includes(x.type)) {
      throw new AppError('validation.failed', `Field "${x.slug}" cannot change between sensitive and non-sensitive types.`);
    }
    const sensitive = sensitiveTypes.includes(x.type);
    return {
      id: old?.id ?? `f${nextId++}`,
      name: x.name,
      slug: x.slug,
      type: x.type,
      required: x.required ?? false,
      searchable: (x.searchable ?? false) && !sensitive,
      sensitive,
    };
  });
}

/**
 * Templates: the built-ins (seeded at start, never edited) and custom ones (administrators).
 * Changing a template never invalidates stored secrets: a field keeps its id and sensitivity,
 * values of removed fields stay in the secrets' history, new required fields apply to new writes.
 */
export function createTemplatesService(deps: { db: Db; clock: Clock; audited: ReturnType<typeof createAudited> }) {
  const { db, clock, audited } = deps;
  // The catalog as compatibility adapters read it on every request (Secret Server shows a secret's
  // fields by its template): kept CATALOG_TTL_MS, so another node's template edit shows within
  // that; this process's own edits drop it at once.
  let cached: { at: number; items: ReturnType<typeof presentTemplate>[] } | null = null;

  async function ensureBuiltins(): Promise<void> {
    const now = clock.now();
    for (const t of builtinTemplates) {
      await db
        .insertInto('templates')
        .values({
          id: newId('tpl', now),
          name: t.name,
          slug: t.slug,
          builtin: 1,
          fields: JSON.stringify(t.fields),
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('slug').doNothing())
        .execute();
    }
    cached = null;
  }

  async function bySlug(exec: Executor, slug: string): Promise<TemplateTable> {
    const t = await exec.selectFrom('templates').selectAll().where('slug', '=', slug).executeTakeFirst();
    if (!t)
      throw new AppError('validation.failed', `No template "${slug}".`, { details: [{ path: '/template', message: 'unknown template' }] });
    return t;
  }

  /**
   * Every template, built-in first, without an audit record of its own (templates are not
   * secret; the caller's request is audited): what an adapter needs to present secrets in its
   * product's shape. Read at most once per CATALOG_TTL_MS.
   */
  async function catalog(): Promise<ReturnType<typeof presentTemplate>[]> {
    const now = clock.now();
    if (cached && now - cached.at < CATALOG_TTL_MS && now >= cached.at) return cached.items;
    const rows = await db.selectFrom('templates').selectAll().orderBy('builtin', 'desc').orderBy('slug').execute();
    cached = { at: now, items: rows.map(presentTemplate) };
    return cached.items;
  }

  async function list(ctx: RequestContext) {
    return audited(ctx, { action: 'template.list', objectType: 'template' }, async (trx) => {
      requireUser(ctx.actor);
      const rows = await trx.selectFrom('templates').selectAll().orderBy('builtin', 'desc').orderBy('slug').execute();
      return { items: rows.map(presentTemplate), nextCursor: null };
    });
  }

  async function create(ctx: RequestContext, input: { name: string; slug: string; fields: FieldInput[] }) {
    return audited(ctx, { action: 'template.create', objectType: 'template' }, async (trx, ev) => {
      authorize(ctx.actor, 'templates.write');
      if (await trx.selectFrom('templates').select('id').where('slug', '=', input.slug).executeTakeFirst()) {
        throw new AppError('conflict', 'A template with that slug exists.');
      }
      const now = clock.now();
      const row: TemplateTable = {
        id: newId('tpl', now),
        name: input.name,
        slug: input.slug,
        builtin: 0,
        fields: JSON.stringify(normaliseFields(input.fields)),
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('templates').values(row).execute();
      cached = null;
      ev.objectId = row.id;
      return presentTemplate(row);
    });
  }

  async function update(ctx: RequestContext, id: string, patch: { name?: string; fields?: FieldInput[] }) {
    return audited(ctx, { action: 'template.update', objectType: 'template', objectId: id }, async (trx, ev) => {
      authorize(ctx.actor, 'templates.write');
      const t = await trx.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst();
      if (!t) throw new AppError('not_found', 'No such template.');
      if (t.builtin === 1) throw new AppError('conflict', 'Built-in templates cannot be changed; create your own.');
      const next = {
        ...t,
        name: patch.name ?? t.name,
        fields: patch.fields ? JSON.stringify(normaliseFields(patch.fields, JSON.parse(t.fields))) : t.fields,
        updated_at: clock.now(),
      };
      await trx
        .updateTable('templates')
        .set({ name: next.name, fields: next.fields, updated_at: next.updated_at })
        .where('id', '=', id)
        .execute();
      cached = null;
      ev.details = { fields: Object.keys(patch) };
      return presentTemplate(next);
    });
  }

  return { ensureBuiltins, bySlug, list, catalog, create, update };
}
export type TemplatesService = ReturnType<typeof createTemplatesService>;
