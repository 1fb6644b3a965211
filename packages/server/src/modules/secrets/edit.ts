// Writing a secret: create (with Idempotency-Key), update (If-Match), and the writes other modules
// make in their own transaction (an import's overwrite, a change to an attachment, a rotated
// value); the search text rebuilt after folders moved. Each change is a new version.
import { createHash } from 'node:crypto';
import type { CreateSecret, TemplateField, UpdateSecret } from '@coffer/contracts/secrets';
import type { Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { levelRank } from '../access/levels.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { SECRET_KIND } from '../e2e/master-password.ts';
import { type ClearFields, type Core, parseTime, rowFrom, valueBinding } from './core.ts';
import { createE2e, kindOf } from './e2e.ts';
import { customSlug, type SplitValues, splitValues } from './secret-values.ts';
import { present } from './secrets.presenter.ts';
import * as repo from './secrets.repository.ts';

/** Field types a client may upload after the create (`filesLater`). */
const FILE_TYPES = ['file', 'ssh_private_key', 'ssh_public_key'] as const;

export function createEdit(core: Core) {
  const { deps, templateOf, folderPath, loadValues, load, writeValues, writeVersion, replaceTags, placeOf } = core;
  const { clock, seal, access, templates, audited, vaults } = deps;
  const e2e = createE2e(core);

  /**
   * `opts.filesLater`: the client uploads its file fields (file and SSH key fields) after the
   * create, as Secret Server's clients do: those are not required here.
   */
  async function create(ctx: RequestContext, input: CreateSecret, idempotencyKey?: string, opts: { filesLater?: boolean } = {}) {
    return audited(ctx, { action: 'secret.create', objectType: 'secret' }, async (trx, ev) => {
      requireUser(ctx.actor);
      const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
      if (idempotencyKey) {
        const prior = await repo.idempotencyRow(trx, ctx.actor.userId, idempotencyKey);
        if (prior) {
          if (prior.request_hash !== requestHash) throw new AppError('conflict', 'This Idempotency-Key was used with a different request.');
          const replay = JSON.parse(prior.response) as { id: string };
          ev.objectId = replay.id;
          ev.details = { idempotentReplay: true };
          const again = await load(trx, ctx, replay.id, 'view');
          return present(trx, again.s, again.level, false);
        }
      }
      const { parent, owned } = await placeOf(trx, ctx, input.vaultId, input.folderId);
      const t = await templates.bySlug(trx, input.template);
      const kind = await e2e.vaultKind(trx, input.vaultId);
      const isE2e = kind === 'openpgp';
      if (!isE2e) e2e.refuseValueFormat(input.valueFormat);
      const fields = JSON.parse(t.fields) as TemplateField[];
      const values = splitValues(
        isE2e ? e2e.clearOnly(fields) : fields,
        input.fields ?? {},
        input.customFields,
        null,
        opts.filesLater ? FILE_TYPES : [],
      );
      e2e.checkValues(kind, values, { template: t.slug, messages: input.messages });
      const now = clock.now();
      const id = newId('sec', now);
      const tags = [...new Set((input.tags ?? []).map((x) => x.trim()).filter(Boolean))];
      const base: SecretTable = {
        id,
        vault_id: input.vaultId,
        parent_node_id: parent,
        template_id: t.id,
        name: input.name.trim(),
        username: '',
        host: '',
        url: '',
        description: input.description ?? '',
        color: input.color ?? '',
        tags: JSON.stringify(tags),
        clear_fields: '{}',
        search_text: '',
        expires_at: parseTime(input.expiresAt, '/expiresAt'),
        version: 1,
        created_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
        deleted_at: null,
        deleted_by: null,
        e2e: SECRET_KIND[kind === 'master-password' ? 'masterPassword' : kind],
        value_format: isE2e ? (input.valueFormat ?? null) : null,
      };
      const row = rowFrom(base, values, await folderPath(trx, parent, input.vaultId), fields);
      await repo.insertSecret(trx, row);
      // a personal item: its creator owns it (and is its reader), before the messages are checked
      if (owned) await vaults.grantManage(trx, id, 'secret', ctx.actor.userId);
      if (tags.length) await repo.insertTags(trx, id, tags);
      await writeValues(trx, id, values);
      if (isE2e) await e2e.write(trx, ctx.actor.userId, row, input.messages, 'replace');
      await writeVersion(trx, ctx, row, values, 'create', Object.keys(input.fields ?? {}));
      if (idempotencyKey) {
        await repo.insertIdempotencyRow(trx, {
          actor_id: ctx.actor.userId,
          key: idempotencyKey,
          request_hash: requestHash,
          response: JSON.stringify({ id }),
          created_at: now,
        });
      }
      ev.objectId = id;
      ev.details = { vaultId: input.vaultId, parent, template: t.slug, ...(owned ? { owned: true } : {}) };
      return present(trx, row, await access.secretLevel(trx, ctx.actor, row), false);
    });
  }

  async function update(ctx: RequestContext, id: string, patch: UpdateSecret, ifMatch?: number) {
    return audited(ctx, { action: 'secret.update', objectType: 'secret', objectId: id }, async (trx, ev) => {
      const { s, level } = await load(trx, ctx, id, 'edit');
      if (ifMatch !== undefined && ifMatch !== s.version) {
        throw new AppError('precondition_failed', `The secret changed (now version ${s.version}); re-read it and retry.`);
      }
      const fields = (await templateOf(trx, s.template_id)).fields;
      const current = await loadValues(trx, s);
      const kind = kindOf(s);
      const isE2e = kind === 'openpgp';
      const values = splitValues(isE2e ? e2e.clearOnly(fields) : fields, patch.fields ?? {}, patch.customFields, current);
      e2e.checkValues(kind, values, { messages: patch.messages });
      if (!isE2e || !patch.messages)
        e2e.refuseValueFormat(patch.valueFormat, !isE2e ? undefined : 'A value format goes with new messages only.');
      let parent = s.parent_node_id;
      let vaultId = s.vault_id;
      let ownsAfterMove = false;
      if (patch.folderId !== undefined || patch.vaultId !== undefined) {
        vaultId = patch.vaultId ?? s.vault_id;
        // a secret never changes kind: its value is sealed by the server, in messages, or a client's ciphertext
        if (vaultId !== s.vault_id && (await e2e.vaultKind(trx, vaultId)) !== kind) {
          throw e2e.unsupported('Moving a secret between vaults of different encryption (server, OpenPGP, master password)');
        }
        const folderId = patch.folderId === undefined ? (s.parent_node_id === s.vault_id ? null : s.parent_node_id) : patch.folderId;
        const place = await placeOf(trx, ctx, vaultId, folderId);
        parent = place.parent;
        // to the top of a vault of personal items: the mover must own it, and keeps owning it there
        if (place.owned && parent !== s.parent_node_id) {
          if (level < levelRank.manage) throw new AppError('forbidden', 'You need manage access on this secret to move it there.');
          ownsAfterMove = true;
        }
      }
      const now = clock.now();
      const tags = patch.tags ? [...new Set(patch.tags.map((x) => x.trim()).filter(Boolean))] : (JSON.parse(s.tags) as string[]);
      const base: SecretTable = {
        ...s,
        name: patch.name?.trim() ?? s.name,
        description: patch.description ?? s.description,
        color: patch.color ?? s.color,
        tags: JSON.stringify(tags),
        expires_at: patch.expiresAt === undefined ? s.expires_at : parseTime(patch.expiresAt, '/expiresAt'),
        parent_node_id: parent,
        vault_id: vaultId,
        value_format: patch.messages && patch.valueFormat !== undefined ? patch.valueFormat : (s.value_format ?? null),
        version: s.version + 1,
        updated_at: now,
      };
      const row = rowFrom(base, values, await folderPath(trx, parent, vaultId), fields);
      if ((await repo.updateIfVersion(trx, row, s.version)) !== 1)
        throw new AppError('precondition_failed', 'The secret changed concurrently; re-read it and retry.');
      if (patch.tags) await replaceTags(trx, id, tags);
      if (ownsAfterMove && (await access.secretLevel(trx, ctx.actor, row)) < levelRank.manage) {
        await vaults.grantManage(trx, id, 'secret', ctx.actor.userId as string);
      }
      await writeValues(trx, id, values);
      // new messages replace the value; without them the stored ones must still cover the readers
      // (after a move, the new place's readers)
      if (isE2e) await e2e.write(trx, ctx.actor.userId, row, patch.messages, patch.messages ? 'replace' : 'add');
      const changed = [
        ...Object.keys(patch).filter((k) => k !== 'fields' && k !== 'customFields' && k !== 'messages'),
        ...Object.keys(patch.fields ?? {}),
        ...(patch.messages ? ['value'] : []),
      ];
      if (patch.customFields) changed.push(...patch.customFields.map((c) => customSlug(c.name)));
      await writeVersion(trx, ctx, row, values, parent !== s.parent_node_id ? 'move' : 'update', changed);
      ev.details = { version: row.version, changed };
      return present(trx, row, await access.secretLevel(trx, ctx.actor, row), false);
    });
  }

  /**
   * A change that another module made to something the secret owns (an attachment): a new version
   * with the same values, naming what changed. The caller has authorized and holds the transaction.
   */
  async function recordChange(trx: Trx, ctx: RequestContext, s: SecretTable, action: string, changed: string[]): Promise<SecretTable> {
    const row: SecretTable = { ...s, version: s.version + 1, updated_at: clock.now() };
    if ((await repo.bumpIfVersion(trx, row, s.version)) !== 1)
      throw new AppError('precondition_failed', 'The secret changed concurrently; retry.');
    await writeVersion(trx, ctx, row, await loadValues(trx, row), action, changed);
    return row;
  }

  /**
   * Rotation (access workflows): a new value of one sensitive field, stored as a new version in the
   * caller's transaction. The caller has authorized; the value never reaches the version's metadata.
   */
  async function writeSecretValue(trx: Trx, ctx: RequestContext, s: SecretTable, field: string, value: string, action: string) {
    if (s.e2e) throw e2e.unsupported('Setting or rotating a value on the server');
    const value_enc = await seal.encrypt(trx, valueBinding(s.id, field), value);
    await repo.deleteValue(trx, s.id, field);
    await repo.insertValues(trx, [{ secret_id: s.id, field, value_enc }]);
    return recordChange(trx, ctx, s, action, [field]);
  }

  /**
   * An import's `update` of an existing secret: `next` builds the new content from the secret's
   * template and current values, which is written as a new version (action `import`) as an update
   * writes one. Needs `edit`; the caller holds the transaction and writes the audit record.
   */
  async function overwrite(
    trx: Trx,
    ctx: RequestContext,
    id: string,
    next: (
      template: { slug: string; fields: TemplateField[] },
      current: SplitValues,
    ) => { values: SplitValues; tags?: string[]; description?: string; color?: string; expiresAt?: number | null },
    changed: string[],
  ): Promise<SecretTable> {
    const { s } = await load(trx, ctx, id, 'edit');
    if (s.e2e) throw e2e.unsupported('Importing values into a secret');
    const template = await templateOf(trx, s.template_id);
    const n = next(template, await loadValues(trx, s));
    const tags = n.tags ?? (JSON.parse(s.tags) as string[]);
    const base: SecretTable = {
      ...s,
      description: n.description ?? s.description,
      color: n.color ?? s.color,
      tags: JSON.stringify(tags),
      expires_at: n.expiresAt === undefined ? s.expires_at : n.expiresAt,
      version: s.version + 1,
      updated_at: clock.now(),
    };
    const row = rowFrom(base, n.values, await folderPath(trx, s.parent_node_id, s.vault_id), template.fields);
    if ((await repo.updateIfVersion(trx, row, s.version)) !== 1)
      throw new AppError('precondition_failed', 'The secret changed concurrently; retry.');
    if (n.tags) await replaceTags(trx, id, tags);
    await writeValues(trx, id, n.values);
    await writeVersion(trx, ctx, row, n.values, 'import', changed);
    return row;
  }

  /** Rebuilds the search text of the secrets directly in these folders after their paths changed. */
  async function reindexFolders(trx: Trx, folderIds: string[]) {
    const templateFields = new Map<string, TemplateField[]>();
    for (let i = 0; i < folderIds.length; i += 500) {
      const chunk = folderIds.slice(i, i + 500);
      const rows = await repo.secretsInFolders(trx, chunk);
      if (!rows.length) continue;
      const paths = new Map((await repo.folderPaths(trx, chunk)).map((f) => [f.id, f.path]));
      for (const s of rows) {
        let fields = templateFields.get(s.template_id);
        if (!fields) {
          fields = (await templateOf(trx, s.template_id)).fields;
          templateFields.set(s.template_id, fields);
        }
        const clear = JSON.parse(s.clear_fields) as ClearFields;
        const values: SplitValues = {
          username: s.username,
          host: s.host,
          url: s.url,
          clear: clear.values,
          custom: clear.custom,
          sensitive: {},
        };
        const next = rowFrom(s, values, paths.get(s.parent_node_id) ?? '/', fields).search_text;
        if (next !== s.search_text) await repo.setSearchText(trx, s.id, next);
      }
    }
  }

  return { create, update, recordChange, writeSecretValue, overwrite, reindexFolders };
}
