// PMP's "resources": the vaults and folders that directly hold secrets the caller may see (a
// resource is the node its accounts sit in), with their attributes (metadata of section "PMP"
// and "PMP custom fields" on the node), listed with offset paging and a total, read one by one
// with their accounts, and found by name. The adapter in apis/pmp/ presents them in PMP's words.
import type { Executor } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Access, Principals } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';

/** The metadata section holding a resource's attributes, and the one holding its custom fields. */
export const PMP_SECTION = 'PMP';
export const PMP_CUSTOM_SECTION = 'PMP custom fields';
/** The metadata field (on a vault) naming the API user whose PMP resources land there. */
export const PMP_DEFAULT_FOR = 'Default vault for';
/** The vault PMP resources land in when no vault names the API user. */
export const PMP_DEFAULT_VAULT = 'PMP';
/** At most this many resources are read for one list (PMP lists have no paging of their own). */
export const MAX_RESOURCES = 10_000;

export interface PmpResource {
  nodeId: string;
  vaultId: string;
  kind: 'vault' | 'folder';
  name: string;
  accounts: number;
  attributes: Record<string, string>;
  customFields: Array<{ label: string; value: string }>;
}

export interface PmpAccount {
  id: string;
  name: string;
  username: string;
  host: string;
  description: string;
  updatedAt: number;
}

const noResource = () => new AppError('not_found', 'No such resource.', { reason: 'resource' });

export function createPmpResources(deps: {
  access: Access;
  secrets: Pick<SecretsService, 'effectivePolicy'>;
  audited: ReturnType<typeof createAudited>;
}) {
  const { access, secrets, audited } = deps;

  async function principals(exec: Executor, ctx: RequestContext): Promise<Principals> {
    requireUser(ctx.actor);
    const p = await access.principalsOf(exec, ctx.actor);
    if (!p) throw new AppError('auth.required', 'Authentication is required.');
    return p;
  }

  /** Visible secrets counted per parent node (all of them, or those of `nodeIds`). */
  async function counts(exec: Executor, ctx: RequestContext, p: Principals, nodeIds?: string[]): Promise<Map<string, number>> {
    let q = exec
      .selectFrom('secrets as s')
      .select(['s.parent_node_id', (eb) => eb.fn.countAll().as('n')])
      .where('s.deleted_at', 'is', null)
      .where(access.secretVisible(ctx.actor, p, 'list'));
    if (nodeIds) q = q.where('s.parent_node_id', 'in', nodeIds);
    const rows = await q.groupBy('s.parent_node_id').limit(MAX_RESOURCES).execute();
    return new Map(rows.map((r) => [r.parent_node_id, Number(r.n)]));
  }

  /** Names, kinds and attributes of these nodes. */
  async function describe(exec: Executor, nodes: Map<string, number>): Promise<PmpResource[]> {
    const ids = [...nodes.keys()];
    const out: PmpResource[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const folders = await exec.selectFrom('folders').select(['id', 'vault_id', 'name']).where('id', 'in', chunk).execute();
      const vaults = await exec.selectFrom('vaults').select(['id', 'name']).where('id', 'in', chunk).execute();
      const meta = await exec
        .selectFrom('metadata')
        .select(['node_id', 'section', 'name', 'value'])
        .where('node_id', 'in', chunk)
        .where('section', 'in', [PMP_SECTION, PMP_CUSTOM_SECTION])
        .orderBy('name')
        .execute();
      const base = [
        ...folders.map((f) => ({ nodeId: f.id, vaultId: f.vault_id, kind: 'folder' as const, name: f.name })),
        ...vaults.map((v) => ({ nodeId: v.id, vaultId: v.id, kind: 'vault' as const, name: v.name })),
      ];
      for (const b of base) {
        const attributes: Record<string, string> = {};
        const customFields: PmpResource['customFields'] = [];
        for (const m of meta) {
          if (m.node_id !== b.nodeId) continue;
          if (m.section === PMP_SECTION) attributes[m.name] = m.value;
          else customFields.push({ label: m.name, value: m.value });
        }
        out.push({ ...b, accounts: nodes.get(b.nodeId) ?? 0, attributes, customFields });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId));
  }

  /** The resources the caller sees accounts in ("owned and shared"), by name, with a total. */
  async function listResources(ctx: RequestContext, page: { offset?: number; limit?: number } = {}) {
    return audited(ctx, { action: 'pmp.resource_list', objectType: 'folder', readOnly: true }, async (exec, ev) => {
      const p = await principals(exec, ctx);
      const all = await describe(exec, await counts(exec, ctx, p));
      const offset = Math.max(0, page.offset ?? 0);
      const items = all.slice(offset, offset + Math.max(0, page.limit ?? MAX_RESOURCES));
      ev.details = { count: items.length, total: all.length };
      return { total: all.length, items };
    });
  }

  /**
   * One resource with its visible accounts, and whether its policy requires a reason. A node the
   * caller sees no account in and has no grant on reads like a missing one.
   */
  async function getResource(ctx: RequestContext, nodeId: string) {
    return audited(ctx, { action: 'pmp.resource_read', objectType: 'folder', objectId: nodeId, readOnly: true }, async (exec) => {
      const p = await principals(exec, ctx);
      const n = await counts(exec, ctx, p, [nodeId]);
      if (!n.has(nodeId)) {
        const exists =
          (await exec.selectFrom('folders').select('id').where('id', '=', nodeId).executeTakeFirst()) ??
          (await exec.selectFrom('vaults').select('id').where('id', '=', nodeId).executeTakeFirst());
        if (!exists || (await access.nodeLevel(exec, ctx.actor, nodeId, p)) < levelRank.list) throw noResource();
        n.set(nodeId, 0);
      }
      const [resource] = await describe(exec, n);
      if (!resource) throw noResource();
      const accounts: PmpAccount[] = (
        await exec
          .selectFrom('secrets as s')
          .select(['s.id', 's.name', 's.username', 's.host', 's.description', 's.updated_at'])
          .where('s.parent_node_id', '=', nodeId)
          .where('s.deleted_at', 'is', null)
          .where(access.secretVisible(ctx.actor, p, 'list'))
          .orderBy('s.name')
          .orderBy('s.id')
          .limit(MAX_RESOURCES)
          .execute()
      ).map((s) => ({ ...s, updatedAt: Number(s.updated_at) }));
      const policy = await secrets.effectivePolicy(exec, nodeId);
      return { resource, accounts, requireReason: policy.requireReason === true };
    });
  }

  /** The one resource of this name the caller sees (case and surrounding spaces ignored). */
  async function resourceByName(ctx: RequestContext, name: string): Promise<string> {
    return audited(ctx, { action: 'pmp.resource_lookup', objectType: 'folder', readOnly: true }, async (exec, ev) => {
      const p = await principals(exec, ctx);
      const canonical = canonicalUsername(name);
      if (!canonical) throw noResource();
      const folders = await exec.selectFrom('folders').select('id').where('name_canonical', '=', canonical).limit(1000).execute();
      const vaults = await exec.selectFrom('vaults').select('id').where('name_canonical', '=', canonical).limit(1000).execute();
      const candidates = [...folders, ...vaults].map((r) => r.id);
      if (candidates.length === 0) throw noResource();
      const seen = await counts(exec, ctx, p, candidates);
      const visible = [...seen.keys()];
      // a resource without accounts the caller may still list (one they just emptied, say)
      if (visible.length === 0) {
        for (const id of candidates) if ((await access.nodeLevel(exec, ctx.actor, id, p)) >= levelRank.list) visible.push(id);
      }
      ev.details = { matches: visible.length };
      const [only] = visible;
      if (!only) throw noResource();
      if (visible.length > 1) {
        throw new AppError('conflict', `${visible.length} resources have this name; use the resource id.`, { reason: 'ambiguous' });
      }
      ev.objectId = only;
      return only;
    });
  }

  /**
   * Where this API user's PMP resources go: the vault whose metadata names them (section "PMP",
   * field "Default vault for", a user field), else the vault named "PMP"; undefined when neither
   * exists (the adapter then creates "PMP").
   */
  async function vaultFor(ctx: RequestContext): Promise<string | undefined> {
    return audited(ctx, { action: 'pmp.vault_lookup', objectType: 'vault', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      const marked = await exec
        .selectFrom('metadata')
        .innerJoin('vaults', 'vaults.id', 'metadata.node_id')
        .select('vaults.id')
        .where('metadata.section', '=', PMP_SECTION)
        .where('metadata.name', '=', PMP_DEFAULT_FOR)
        .where('metadata.value', '=', ctx.actor.userId)
        .orderBy('vaults.created_at')
        .executeTakeFirst();
      const named = marked
        ? undefined
        : await exec
            .selectFrom('vaults')
            .select('id')
            .where('name_canonical', '=', canonicalUsername(PMP_DEFAULT_VAULT))
            .executeTakeFirst();
      const id = marked?.id ?? named?.id;
      ev.objectId = id ?? null;
      ev.details = { marked: Boolean(marked) };
      return id;
    });
  }

  return { listResources, getResource, resourceByName, vaultFor };
}
export type PmpResources = ReturnType<typeof createPmpResources>;
