import type { DeleteMetadata, MetadataField, SetMetadata } from '@coffer/contracts/metadata';
import type { Executor } from '../../db/database.ts';
import type { MetadataTable, MetadataType } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Level } from '../access/levels.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { can, type RequestContext, requireUser } from '../auth/actor.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { VaultsService } from '../vaults/vaults.service.ts';

/** Fields one node may hold. */
export const MAX_FIELDS_PER_NODE = 100;
/** Metadata rows the field catalog reads. */
const MAX_CATALOG_ROWS = 20_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const USER_ID = /^usr_[0-9a-z]{26}$/;

function invalid(message: string): AppError {
  return new AppError('validation.failed', message, { details: [{ path: '/value', message }] });
}

/** A real calendar day written YYYY-MM-DD. */
export function isDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it maps years 0-99 to 1900-1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** The wire value -> the stored text, checked against the type. */
async function encodeValue(exec: Executor, type: MetadataType, value: unknown): Promise<string> {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw invalid('A string field takes a string.');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid('A number field takes a finite number.');
      return String(value);
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid('A boolean field takes true or false.');
      return value ? 'true' : 'false';
    case 'date':
      if (typeof value !== 'string' || !isDate(value)) throw invalid('A date field takes a date written YYYY-MM-DD.');
      return value;
    case 'user': {
      if (typeof value !== 'string' || !USER_ID.test(value)) throw invalid('A user field takes a user id.');
      const u = await exec.selectFrom('users').select('id').where('id', '=', value).executeTakeFirst();
      if (!u) throw invalid('No such user.');
      return value;
    }
  }
}

function decodeValue(type: MetadataType, v: string): string | number | boolean {
  if (type === 'number') return Number(v);
  if (type === 'boolean') return v === 'true';
  return v;
}

function present(r: MetadataTable): MetadataField {
  return {
    nodeId: r.node_id,
    section: r.section,
    name: r.name,
    type: r.type,
    value: decodeValue(r.type, r.value),
    updatedBy: r.updated_by,
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

/**
 * Metadata: typed fields (string, number, boolean, date, user) in named sections on vaults,
 * folders and secrets, as in Secret Server.
 *
 * Invariants:
 * - metadata is NOT secret: stored and returned in clear, readable with `view` on the node;
 *   changing it needs `edit`; a node the caller may not see reads like a missing one (404);
 * - a value always matches its type (a user field names an existing user);
 * - at most MAX_FIELDS_PER_NODE fields per node; a purged secret's fields go with it.
 */
export function createMetadataService(deps: {
  clock: Clock;
  secrets: SecretsService;
  vaults: VaultsService;
  audited: ReturnType<typeof createAudited>;
}) {
  const { clock, secrets, vaults, audited } = deps;

  /**
   * The node's type, once the actor is known to hold `need` on it. A user's own metadata is
   * readable by them and by users.read; writing a user's metadata needs users.write (an
   * administrator), their own included. Another user reads like a missing node.
   */
  async function requireNode(
    trx: Executor,
    ctx: RequestContext,
    nodeId: string,
    need: Level,
  ): Promise<'vault' | 'folder' | 'secret' | 'user'> {
    if (nodeId.startsWith('usr_')) {
      requireUser(ctx.actor);
      const own = nodeId === ctx.actor.userId;
      if (!own && !can(ctx.actor, 'users.read')) throw new AppError('not_found', 'No such user.');
      const u = await trx.selectFrom('users').select('id').where('id', '=', nodeId).executeTakeFirst();
      if (!u) throw new AppError('not_found', 'No such user.');
      if (need !== 'view' && need !== 'list' && !can(ctx.actor, 'users.write')) {
        throw new AppError('forbidden', "Changing a user's metadata needs users.write.");
      }
      return 'user';
    }
    if (nodeId.startsWith('sec_')) {
      await secrets.load(trx, ctx, nodeId, need);
      return 'secret';
    }
    const type = nodeId.startsWith('vlt_') ? 'vault' : nodeId.startsWith('fld_') ? 'folder' : null;
    if (!type) throw new AppError('not_found', 'No such object.');
    const exists =
      type === 'vault'
        ? await trx.selectFrom('vaults').select('id').where('id', '=', nodeId).executeTakeFirst()
        : await trx.selectFrom('folders').select('id').where('id', '=', nodeId).executeTakeFirst();
    if (!exists) throw new AppError('not_found', `No such ${type}.`);
    await vaults.requireNode(trx, ctx, nodeId, need, type);
    return type;
  }

  async function list(ctx: RequestContext, nodeId: string) {
    return audited(ctx, { action: 'metadata.list', objectType: 'node', objectId: nodeId }, async (trx, ev) => {
      await requireNode(trx, ctx, nodeId, 'view');
      const rows = await trx.selectFrom('metadata').selectAll().where('node_id', '=', nodeId).orderBy('section').orderBy('name').execute();
      ev.details = { count: rows.length };
      return { items: rows.map(present), nextCursor: null };
    });
  }

  async function set(ctx: RequestContext, input: SetMetadata) {
    return audited(ctx, { action: 'metadata.set', objectType: 'node', objectId: input.nodeId }, async (trx, ev) => {
      const nodeType = await requireNode(trx, ctx, input.nodeId, 'edit');
      const section = input.section.trim();
      const name = input.name.trim();
      if (!section || !name) {
        throw new AppError('validation.failed', 'Section and name must not be blank.', {
          details: [{ path: section ? '/name' : '/section', message: 'must not be blank' }],
        });
      }
      const value = await encodeValue(trx, input.type, input.value);
      const existing = await trx
        .selectFrom('metadata')
        .select('type')
        .where('node_id', '=', input.nodeId)
        .where('section', '=', section)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!existing) {
        const n = await trx
          .selectFrom('metadata')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('node_id', '=', input.nodeId)
          .executeTakeFirstOrThrow();
        if (Number(n.n) >= MAX_FIELDS_PER_NODE)
          throw new AppError('conflict', `A node holds at most ${MAX_FIELDS_PER_NODE} metadata fields.`);
      }
      const row: MetadataTable = {
        node_id: input.nodeId,
        section,
        name,
        type: input.type,
        value,
        updated_by: ctx.actor.userId,
        updated_at: clock.now(),
      };
      await trx
        .insertInto('metadata')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['node_id', 'section', 'name'])
            .doUpdateSet({ type: row.type, value: row.value, updated_by: row.updated_by, updated_at: row.updated_at }),
        )
        .execute();
      ev.details = { nodeType, section, name, type: input.type, created: !existing };
      return present(row);
    });
  }

  async function remove(ctx: RequestContext, input: DeleteMetadata) {
    await audited(ctx, { action: 'metadata.delete', objectType: 'node', objectId: input.nodeId }, async (trx, ev) => {
      const nodeType = await requireNode(trx, ctx, input.nodeId, 'edit');
      const section = input.section.trim();
      const name = input.name.trim();
      const r = await trx
        .deleteFrom('metadata')
        .where('node_id', '=', input.nodeId)
        .where('section', '=', section)
        .where('name', '=', name)
        .executeTakeFirst();
      if (Number(r.numDeletedRows) !== 1) throw new AppError('not_found', 'No such metadata field.');
      ev.details = { nodeType, section, name };
    });
  }

  /**
   * The fields in use (section, name, type) and where, over the nodes the caller may view: Secret
   * Server's field definitions. Nodes the caller cannot view are left out, as if missing.
   */
  async function catalog(ctx: RequestContext) {
    return audited(ctx, { action: 'metadata.fields', objectType: 'metadata', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      const rows = await exec
        .selectFrom('metadata')
        .select(['node_id', 'section', 'name', 'type'])
        .orderBy('section')
        .orderBy('name')
        .limit(MAX_CATALOG_ROWS)
        .execute();
      const seen = new Map<string, boolean>();
      const fields = new Map<string, { section: string; name: string; type: MetadataType }>();
      for (const r of rows) {
        let ok = seen.get(r.node_id);
        if (ok === undefined) {
          ok = await requireNode(exec, ctx, r.node_id, 'view').then(
            () => true,
            () => false,
          );
          seen.set(r.node_id, ok);
        }
        if (ok) fields.set(JSON.stringify([r.section, r.name]), { section: r.section, name: r.name, type: r.type });
      }
      ev.details = { count: fields.size };
      return { items: [...fields.values()] };
    });
  }

  return { list, set, remove, catalog };
}
export type MetadataService = ReturnType<typeof createMetadataService>;
