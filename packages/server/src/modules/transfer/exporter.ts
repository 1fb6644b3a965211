// Export: what the caller may reveal below a vault or folder, gated like a reveal, sealed with a
// key derived from the passphrase (derived before the transaction); one audit record with the ids.
import type { ExportRequest } from '@coffer/contracts/transfer';
import { AppError } from '../../lib/app-error.ts';
import { levelRank } from '../access/levels.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { e2eUnsupported } from '../e2e/messages.ts';
import { COLUMN_SLUGS, customSlug } from '../secrets/secret-values.ts';
import { type ClearFields, valueBinding } from '../secrets/secrets.service.ts';
import { BATCH, type Core } from './core.ts';
import { type ExportPayload, exportSealer } from './export-file.ts';

export function createExporter(core: Core) {
  const { deps, target } = core;
  const { db, clock, seal, access, secrets, audited, kdf } = deps;

  async function exportFile(ctx: RequestContext, input: ExportRequest) {
    requireUser(ctx.actor);
    await target(db, ctx, input.vaultId, input.folderId, 'list');
    // the slow key derivation happens before the transaction, not while holding it
    const sealer = await exportSealer(input.passphrase, kdf.params, kdf.gate);
    try {
      return await audited(
        ctx,
        {
          action: 'secret.export',
          objectType: input.folderId ? 'folder' : 'vault',
          objectId: input.folderId ?? input.vaultId,
          reason: input.reason ?? null,
        },
        async (trx, ev) => {
          const t = await target(trx, ctx, input.vaultId, input.folderId, 'list');
          // the server cannot read or write the values of an end-to-end encrypted vault (ADR 0022)
          if (
            (await trx.selectFrom('vaults').select('encryption').where('id', '=', input.vaultId).executeTakeFirst())?.encryption === 'e2e'
          ) {
            throw e2eUnsupported('Exporting values');
          }
          const principals = await access.principalsOf(trx, ctx.actor);
          if (!principals) throw new AppError('auth.required', 'Authentication is required.');
          const rows = await trx
            .selectFrom('secrets as s')
            .selectAll('s')
            .where('s.deleted_at', 'is', null)
            .where('s.parent_node_id', 'in', (eb) =>
              eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId),
            )
            .where(access.secretVisible(ctx.actor, principals, 'reveal'))
            .orderBy('s.id')
            .execute();
          if (!input.reason?.trim()) {
            for (const parent of new Set(rows.map((r) => r.parent_node_id))) {
              if ((await secrets.effectivePolicy(trx, parent)).requireReason) {
                throw new AppError('validation.failed', 'A reason is required: a policy asks for one to reveal some of these secrets.', {
                  details: [{ path: '/reason', message: 'required by policy' }],
                });
              }
            }
          }
          // every exported value is a reveal: a secret behind an approval, someone else's exclusive
          // checkout or a closed time window stops the export (fail closed, nothing half-exported)
          let gated = 0;
          for (const s of rows) {
            try {
              await secrets.gateReveal(trx, ctx, s);
            } catch (e) {
              if (!(e instanceof AppError) || e.code === 'internal') throw e;
              gated++;
            }
          }
          if (gated > 0) {
            throw new AppError(
              'forbidden',
              `${gated} of these secrets can only be revealed through an approved access request or a checkout; export a folder without them.`,
            );
          }
          const folderRows = await trx
            .selectFrom('folders')
            .select(['id', 'path'])
            .where('id', 'in', (eb) => eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId))
            .orderBy('path')
            .execute();
          const pathOf = new Map(folderRows.map((f) => [f.id, f.path]));
          const rel = (p: string) => p.slice(t.path.length).split('/').filter(Boolean);
          let visible: Set<string> | null = null; // null: all of them (all-passwords scope)
          if (access.cap(ctx.actor, 0) !== levelRank.manage) {
            const now = clock.now();
            const reached = await trx
              .selectFrom('grants as g')
              .innerJoin('tree_paths as p', 'p.ancestor_id', 'g.node_id')
              .select('p.descendant_id')
              .where('g.principal_id', 'in', principals.ids)
              .where('p.inherits', '=', 1)
              .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
              .where('p.descendant_id', 'in', (eb) =>
                eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId),
              )
              .execute();
            visible = new Set(reached.map((r) => r.descendant_id));
          }
          const folders = folderRows.filter((f) => visible === null || visible.has(f.id)).map((f) => rel(f.path));

          const templates = new Map((await trx.selectFrom('templates').select(['id', 'slug']).execute()).map((x) => [x.id, x.slug]));
          const sensitive = new Map<string, Record<string, string>>();
          for (let i = 0; i < rows.length; i += BATCH) {
            const ids = rows.slice(i, i + BATCH).map((r) => r.id);
            const vals = await trx.selectFrom('secret_values').selectAll().where('secret_id', 'in', ids).execute();
            for (const v of vals) {
              const m = sensitive.get(v.secret_id) ?? {};
              m[v.field] = (await seal.decrypt(trx, valueBinding(v.secret_id, v.field), v.value_enc)).toString('utf8');
              sensitive.set(v.secret_id, m);
            }
          }
          const payload: ExportPayload = {
            format: 'coffer-export-data',
            version: 1,
            exportedAt: new Date(clock.now()).toISOString(),
            folders,
            secrets: rows.map((s) => {
              const clear = JSON.parse(s.clear_fields) as ClearFields;
              const values = sensitive.get(s.id) ?? {};
              const fields: Record<string, string> = {};
              for (const slug of COLUMN_SLUGS) if (s[slug]) fields[slug] = s[slug];
              Object.assign(fields, clear.values ?? {});
              for (const [k, v] of Object.entries(values)) if (!k.startsWith('custom:')) fields[k] = v;
              return {
                name: s.name,
                path: s.parent_node_id === t.nodeId ? [] : rel(pathOf.get(s.parent_node_id) ?? ''),
                template: templates.get(s.template_id) ?? '',
                description: s.description,
                tags: JSON.parse(s.tags) as string[],
                color: s.color,
                expiresAt: s.expires_at === null ? null : Number(s.expires_at),
                fields,
                customFields: (clear.custom ?? []).map((c) => ({
                  name: c.name,
                  type: c.type,
                  value: c.value ?? values[customSlug(c.name)] ?? '',
                })),
              };
            }),
          };
          ev.details = { count: rows.length, folders: folders.length, ids: rows.map((r) => r.id) };
          return { format: 'coffer-export' as const, content: sealer.seal(payload), count: rows.length };
        },
      );
    } finally {
      sealer.wipe();
    }
  }

  return { exportFile };
}
