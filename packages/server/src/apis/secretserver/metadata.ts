// Metadata (the seed's `Metadata` and item metadata calls) over Coffer's metadata service, on
// secrets, folders (vaults too: top folders) and users: GET /metadata (filter by item and type),
// GET /metadata/fields, GET /metadata/field-sections, POST /metadata/{itemType}/{itemId},
// PATCH /metadata/{itemType}/{itemId} (values in the `{dirty, value}` form), DELETE
// /metadata/{itemType}/{itemId}/{metadataItemDataId}. A field is Coffer's (section, name): its
// id, its section's id and each value's id are stable numbers.
import type { MetadataField } from '@coffer/contracts/metadata';
import { isCleanName, isCleanText } from '@coffer/contracts/text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MetadataType } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { bodyObject, intAt, objectAt, textAt } from './body.ts';
import { missing, ssDate } from './ids.ts';
import { API, type Kit, q1, queryOf } from './kit.ts';
import { page } from './mapper.ts';
import { exact, MetadataField as FieldSchema, MetadataItem, MetadataSection, paging, responses } from './schemas.ts';

type ItemType = 'Secret' | 'Folder' | 'User';

const DATA_TYPES: Record<MetadataType, string> = { string: 'String', number: 'Number', boolean: 'Boolean', date: 'DateTime', user: 'User' };
const TYPE_IDS: Record<MetadataType, number> = { string: 1, number: 2, boolean: 3, date: 4, user: 5 };

const invalid = (path: string, message: string) =>
  new AppError('validation.failed', `The request is invalid: ${path.slice(1)} ${message}.`, { details: [{ path, message }] });

function itemTypeOf(raw: string | undefined): ItemType {
  switch (raw?.trim().toLowerCase()) {
    case 'secret':
      return 'Secret';
    case 'folder':
      return 'Folder';
    case 'user':
      return 'User';
    default:
      throw invalid('/itemType', 'must be Secret, Folder or User');
  }
}

/** `string`, `String`, `number`, `bit`, `datetime`, `user` (any case) -> Coffer's type. */
function dataTypeOf(raw: string): MetadataType {
  switch (raw.trim().toLowerCase()) {
    case 'string':
    case 'text':
      return 'string';
    case 'number':
    case 'int':
    case 'integer':
    case 'decimal':
      return 'number';
    case 'boolean':
    case 'bool':
    case 'bit':
      return 'boolean';
    case 'datetime':
    case 'date':
      return 'date';
    case 'user':
      return 'user';
    default:
      throw invalid('/data/fieldDataType', 'must be String, Number, Boolean, DateTime or User');
  }
}

const itemKey = (nodeId: string, section: string, name: string) => JSON.stringify([nodeId, section, name]);
const fieldKey = (section: string, name: string) => JSON.stringify([section, name]);

export function metadataRoutes(api: FastifyInstance, kit: Kit): void {
  const { deps, ids } = kit;
  const { numbering, db } = deps;

  async function nodeOf(type: ItemType, num: string | number): Promise<string> {
    if (type === 'Secret') return ids.secret(num);
    if (type === 'User') return ids.user(num);
    return (await ids.node(num)).id;
  }

  async function itemNum(type: ItemType, nodeId: string): Promise<number> {
    return type === 'Secret' ? ids.number('secret', nodeId) : type === 'User' ? ids.number('user', nodeId) : ids.ofNode(nodeId);
  }

  /** A stored field -> Secret Server's metadata item. */
  async function present(ctx: RequestContext, type: ItemType, m: MetadataField) {
    const [item, itemData, field, section, user, valueUser] = await Promise.all([
      itemNum(type, m.nodeId),
      ids.number('metadata_item', itemKey(m.nodeId, m.section, m.name)),
      ids.number('metadata_field', fieldKey(m.section, m.name)),
      ids.number('metadata_section', m.section),
      m.updatedBy ? ids.number('user', m.updatedBy) : Promise.resolve(null),
      m.type === 'user' && typeof m.value === 'string' ? ids.number('user', m.value) : Promise.resolve(null),
    ]);
    return {
      metadataItemDataId: itemData,
      metadataFieldTypeName: null,
      metadataFieldDataType: DATA_TYPES[m.type],
      metadataType: type,
      metadataTypeName: null,
      itemId: item,
      metadataFieldId: field,
      metadataFieldName: m.name,
      metadataFieldSectionId: section,
      metadataFieldSectionName: m.section,
      metadataFieldTypeId: TYPE_IDS[m.type],
      createUserId: user,
      createUserName: m.updatedBy === ctx.actor.userId ? ctx.actor.username : null,
      createDateTime: ssDate(m.updatedAt),
      sortOrder: null,
      valueString: m.type === 'string' ? String(m.value) : null,
      valueBit: m.type === 'boolean' ? m.value === true : null,
      valueNumber: m.type === 'number' ? Number(m.value) : null,
      valueDateTime: m.type === 'date' ? `${String(m.value)}T00:00:00` : null,
      valueInt: valueUser,
      valueUserDisplayName: null,
    };
  }

  /** The value an item carries for its type: `valueString`, `valueNumber`, `valueBit`, `valueDateTime`, `valueInt` (a user id). */
  async function metaValueOf(
    data: Record<string, unknown>,
    type: MetadataType,
    unwrap: boolean,
  ): Promise<string | number | boolean | undefined> {
    const key = { string: 'valuestring', number: 'valuenumber', boolean: 'valuebit', date: 'valuedatetime', user: 'valueint' }[type];
    let holder = data;
    if (unwrap) {
      const o = data[key];
      if (o === undefined || o === null) return undefined;
      if (typeof o !== 'object' || Array.isArray(o)) throw invalid(`/data/${key}`, 'must be {dirty, value}');
      const w = o as Record<string, unknown>;
      if (w.dirty !== true && w.dirty !== 'true') return undefined;
      holder = { [key]: w.value };
    }
    const v = holder[key];
    if (v === undefined || v === null) return undefined;
    const path = `/data/${key}`;
    switch (type) {
      case 'string': {
        const s = textAt(holder, key, 2000, path);
        if (s !== undefined && !isCleanText(s)) throw invalid(path, 'must not hold control characters or bidirectional overrides');
        return s;
      }
      case 'number': {
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (!Number.isFinite(n)) throw invalid(path, 'must be a number');
        return n;
      }
      case 'boolean':
        if (typeof v === 'boolean') return v;
        if (v === 'true' || v === 1 || v === '1') return true;
        if (v === 'false' || v === 0 || v === '0') return false;
        throw invalid(path, 'must be true or false');
      case 'date': {
        const s = textAt(holder, key, 40, path) ?? '';
        const m = /^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s.trim());
        if (!m) throw invalid(path, 'must be a date (YYYY-MM-DD or an ISO date-time)');
        return m[1] as string;
      }
      case 'user': {
        const n = intAt(holder, key, path);
        if (n === undefined) return undefined;
        return ids.user(n);
      }
    }
  }

  /** (section, name) of a field id, from its number. */
  async function fieldByNum(num: number): Promise<{ section: string; name: string }> {
    const key = await numbering.idOf(db, 'metadata_field', String(num));
    if (!key) throw missing('metadata field');
    const [section, name] = JSON.parse(key) as [string, string];
    return { section, name };
  }

  async function sectionByNum(num: number): Promise<string> {
    const section = await numbering.idOf(db, 'metadata_section', String(num));
    if (!section) throw missing('metadata section');
    return section;
  }

  const paramsOf = (req: FastifyRequest) => req.params as { itemType: string; itemId: string; dataId?: string };

  kit.route(api, 'GET', `${API}/metadata`, { action: 'ss.metadata.search', response: responses(paging(MetadataItem)) }, async (req) => {
    const q = queryOf(req);
    const itemId = q1(q, 'filter.itemId')?.trim();
    if (!itemId) return page([], 0, 0, 0);
    const type = itemTypeOf(q1(q, 'filter.metadataType') ?? q1(q, 'filter.itemType') ?? 'Secret');
    const nodeId = await nodeOf(type, itemId);
    const fieldFilter = q1(q, 'filter.metadataFieldId')?.trim();
    const only = fieldFilter && /^\d{1,16}$/.test(fieldFilter) ? await fieldByNum(Number(fieldFilter)) : undefined;
    const { items } = await deps.metadata.list(req.ctx, nodeId);
    const chosen = only ? items.filter((m) => m.section === only.section && m.name === only.name) : items;
    const records = await Promise.all(chosen.map((m) => present(req.ctx, type, m)));
    return page(records, 0, records.length, records.length);
  });

  kit.route(
    api,
    'GET',
    `${API}/metadata/fields`,
    { action: 'ss.metadata.fields', response: responses(paging(FieldSchema)) },
    async (req) => {
      const { items } = await deps.metadata.catalog(req.ctx);
      const records = await Promise.all(
        items.map(async (f) => ({
          metadataFieldId: await ids.number('metadata_field', fieldKey(f.section, f.name)),
          metadataFieldName: f.name,
          defaultSortOrder: null,
          metadataFieldSectionId: await ids.number('metadata_section', f.section),
          fieldDataType: DATA_TYPES[f.type],
          metadataFieldSectionName: f.section,
        })),
      );
      return page(records, 0, records.length, records.length);
    },
  );

  kit.route(
    api,
    'GET',
    `${API}/metadata/field-sections`,
    { action: 'ss.metadata.sections', response: responses(paging(MetadataSection)) },
    async (req) => {
      const q = queryOf(req);
      const itemId = q1(q, 'filter.itemId')?.trim();
      const typeRaw = q1(q, 'filter.metadataType') ?? q1(q, 'filter.itemType');
      let sections: string[];
      if (itemId && typeRaw) {
        const { items } = await deps.metadata.list(req.ctx, await nodeOf(itemTypeOf(typeRaw), itemId));
        sections = [...new Set(items.map((m) => m.section))];
      } else {
        sections = [...new Set((await deps.metadata.catalog(req.ctx)).items.map((f) => f.section))];
      }
      const records = await Promise.all(
        sections.map(async (s) => ({
          metadataFieldSectionId: await ids.number('metadata_section', s),
          metadataFieldSectionName: s,
          metadataFieldSectionDescription: null,
          sortOrder: null,
        })),
      );
      return page(records, 0, records.length, records.length);
    },
  );

  /** Creates or updates one field of an item; `unwrap`: values come as `{dirty, value}`. */
  async function write(req: FastifyRequest, unwrap: boolean) {
    const p = paramsOf(req);
    const type = itemTypeOf(p.itemType);
    const nodeId = await nodeOf(type, p.itemId);
    const data = objectAt(bodyObject(req.body), 'data', '/data');
    const existing = (await deps.metadata.list(req.ctx, nodeId)).items;
    let section: string | undefined;
    let name: string | undefined;
    const dataId = intAt(data, 'metadataitemdataid', '/data/metadataItemDataId');
    if (dataId !== undefined && dataId > 0) {
      const key = await numbering.idOf(db, 'metadata_item', String(dataId));
      const parsed = key ? (JSON.parse(key) as [string, string, string]) : undefined;
      if (!parsed || parsed[0] !== nodeId) throw missing('metadata item');
      [, section, name] = parsed;
    } else {
      const fieldId = intAt(data, 'metadatafieldid', '/data/metadataFieldId');
      if (fieldId !== undefined && fieldId > 0) ({ section, name } = await fieldByNum(fieldId));
      name = textAt(data, 'metadatafieldname', 100, '/data/metadataFieldName')?.trim() || name;
      const sectionId = intAt(data, 'metadatafieldsectionid', '/data/metadataFieldSectionId');
      section =
        textAt(data, 'metadatafieldsectionname', 100, '/data/metadataFieldSectionName')?.trim() ||
        (sectionId !== undefined && sectionId > 0 ? await sectionByNum(sectionId) : undefined) ||
        section;
    }
    if (!name || !isCleanName(name)) throw invalid('/data/metadataFieldName', 'is required: one line of at most 100 characters');
    if (!section || !isCleanName(section)) {
      throw invalid('/data/metadataFieldSectionName', 'is required: one line of at most 100 characters');
    }
    const current = existing.find((m) => m.section === section && m.name === name);
    const catalogType = current
      ? undefined
      : (await deps.metadata.catalog(req.ctx)).items.find((f) => f.section === section && f.name === name)?.type;
    const typeRaw = textAt(data, 'fielddatatype', 40, '/data/fieldDataType');
    const mtype: MetadataType = typeRaw ? dataTypeOf(typeRaw) : (current?.type ?? catalogType ?? 'string');
    const value = await metaValueOf(data, mtype, unwrap);
    if (value === undefined) {
      if (!current) throw invalid('/data', `needs a value for the field (value${DATA_TYPES[mtype]})`);
      return present(req.ctx, type, current);
    }
    const saved = await deps.metadata.set(req.ctx, { nodeId, section, name, type: mtype, value });
    return present(req.ctx, type, saved);
  }

  kit.route(
    api,
    'POST',
    `${API}/metadata/:itemType/:itemId`,
    { action: 'ss.metadata.create', response: responses(MetadataItem) },
    async (req) => write(req, false),
  );
  kit.route(
    api,
    'PATCH',
    `${API}/metadata/:itemType/:itemId`,
    { action: 'ss.metadata.update', response: responses(MetadataItem) },
    async (req) => write(req, true),
  );

  kit.route(
    api,
    'DELETE',
    `${API}/metadata/:itemType/:itemId/:dataId`,
    { action: 'ss.metadata.delete', response: responses(exact({ success: { type: 'boolean' } })) },
    async (req) => {
      const p = paramsOf(req);
      const nodeId = await nodeOf(itemTypeOf(p.itemType), p.itemId);
      const key = /^\d{1,16}$/.test(p.dataId ?? '') ? await numbering.idOf(db, 'metadata_item', p.dataId as string) : undefined;
      const parsed = key ? (JSON.parse(key) as [string, string, string]) : undefined;
      if (!parsed || parsed[0] !== nodeId) throw missing('metadata item');
      await deps.metadata.remove(req.ctx, { nodeId, section: parsed[1], name: parsed[2] });
      return { success: true };
    },
  );
}
