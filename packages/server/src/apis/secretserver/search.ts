// Secret search: GET /secrets (records with paging and totals), GET /secrets/search-total (a bare
// integer), GET /secrets/lookup (id and name). Filters in both of the product's forms, `filter.*`
// and `paging.filter.*`, paging by `take`/`skip` (or `paging.take`/`paging.skip`). The search is
// the secrets service's (scoped in SQL to what the caller may list, never values).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { SecretFlags } from '../../modules/workflow/workflow.service.ts';
import { API, type Kit, q1, qBool, queryOf } from './kit.ts';
import { type ExtendedField, type Presented, page, secretSummary } from './mapper.ts';
import { Lookup, paging, responses, SecretSummary } from './schemas.ts';

/** A node id that names nothing (a search for it matches nothing). */
const NO_NODE = 'fld_00000000000000000000000000';

/** Records per page when the client names none, and the most one page may hold. */
export const DEFAULT_TAKE = 100;
export const MAX_TAKE = 5000;

/** Secret Server field names and slugs -> the column an exact search compares. */
const COLUMNS: Record<string, 'name' | 'username' | 'host' | 'url'> = {
  name: 'name',
  secretname: 'name',
  'secret name': 'name',
  username: 'username',
  user: 'username',
  'user name': 'username',
  machine: 'host',
  host: 'host',
  hostname: 'host',
  server: 'host',
  computer: 'host',
  url: 'url',
};

const invalid = (param: string, message: string) =>
  new AppError('validation.failed', `The request is invalid: ${param} ${message}.`, { details: [{ path: `/${param}`, message }] });

function intParam(q: Map<string, string[]>, key: string, min: number, max: number): number | undefined {
  const v = q1(q, key)?.trim();
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,16}$/.test(v)) throw invalid(key, 'must be an integer');
  return Math.min(Math.max(Number(v), min), max);
}

/** The search query a request asks for, in the secrets service's terms. */
async function searchOf(kit: Kit, req: FastifyRequest) {
  const q = queryOf(req);
  const text = q1(q, 'filter.searchText')?.trim() ?? '';
  if (text.length > 200) throw invalid('filter.searchText', 'must be at most 200 characters');
  const field = (q1(q, 'filter.searchField') ?? q1(q, 'filter.searchFieldSlug') ?? '').trim().toLowerCase();
  const exactMatch = qBool(q, 'filter.isExactMatch') === true;
  const column = COLUMNS[field];
  const query: Parameters<Kit['deps']['secrets']['search']>[1] = {};
  if (text !== '') {
    // an exact match on a field Coffer keeps in a column; anything else is the text search over
    // name, user name, host, URL, description, folder path, tags and searchable fields
    if (exactMatch && column) query.exact = { column, value: text };
    else query.q = text;
  }
  const folder = intParam(q, 'filter.folderId', -1, Number.MAX_SAFE_INTEGER);
  if (folder !== undefined && folder > 0) {
    // an unknown folder matches nothing, exactly like a folder the caller may not see (whose
    // secrets the scoped search leaves out): the answer never tells the two apart
    const node = await kit.ids.node(folder).catch(() => ({ type: 'folder' as const, id: NO_NODE }));
    const sub = qBool(q, 'filter.includeSubFolders') === true;
    if (node.type === 'vault') query.vaultId = node.id;
    else query.folderId = node.id;
    if (!sub) query.direct = true;
  }
  const templateId = intParam(q, 'filter.secretTemplateId', -1, Number.MAX_SAFE_INTEGER);
  if (templateId !== undefined && templateId > 0) {
    const t = await kit.templates.byId(templateId);
    // an unknown template matches nothing (a slug no template has)
    query.template = t?.template.slug ?? '-';
  }
  if (qBool(q, 'filter.onlySharedWithMe') === true) query.sharedOnly = true;
  const take = intParam(q, 'take', 0, MAX_TAKE) ?? DEFAULT_TAKE;
  const skip = intParam(q, 'skip', 0, 10_000_000) ?? 0;
  const extended = (q.get('filter.extendedfields') ?? [])
    .map((x) => x.trim())
    .filter(Boolean)
    .slice(0, 20);
  return { query, take, skip, count: qBool(q, 'filter.doNotCalculateTotal') !== true, extended };
}

/** The extended fields of a record: clear values of the named fields (never a sensitive one). */
function extendedOf(
  s: Presented,
  names: string[],
  fieldsOf: Map<string, Array<{ name: string; slug: string; sensitive: boolean }>>,
): ExtendedField[] | null {
  if (names.length === 0) return null;
  const fields = fieldsOf.get(s.template) ?? [];
  const out: ExtendedField[] = [];
  for (const name of names) {
    const f = fields.find((x) => x.name.toLowerCase() === name.toLowerCase() || x.slug === name.toLowerCase());
    if (f && !f.sensitive) out.push({ name, value: s.fields[f.slug] ?? '' });
  }
  return out;
}

/** Search records of these secrets (their workflow flags read in one call). */
/** One secret as a search record: what check-out, check-in, change-password and heartbeat answer. */
export async function summaryOf(kit: Kit, ctx: RequestContext, id: string) {
  const s = await kit.deps.secrets.get(ctx, id);
  const [record] = await summaries(kit, ctx, [s], null);
  return record;
}

export async function summaries(kit: Kit, ctx: RequestContext, secrets: Presented[], extended: string[] | null) {
  if (secrets.length === 0) return [];
  const { ids, templates, deps } = kit;
  const [nums, folderNums, flags, all, rotation] = await Promise.all([
    ids.numbers(
      'secret',
      secrets.map((s) => s.id),
    ),
    ids.ofNodes(secrets.map((s) => s.folderId ?? s.vaultId)),
    deps.workflow.secretFlags(
      ctx,
      secrets.map((s) => s.id),
    ),
    templates.all(),
    deps.rotation.states(secrets.map((s) => s.id)),
  ]);
  const bySlug = new Map(all.map((t) => [t.template.slug, t]));
  const fieldsOf = new Map(all.map((t) => [t.template.slug, t.template.fields]));
  const now = deps.clock.now();
  return secrets.map((s) =>
    secretSummary({
      num: nums.get(s.id) as number,
      secret: s,
      template: bySlug.get(s.template),
      folderNum: folderNums.get(s.folderId ?? s.vaultId) as number,
      flags: flags.get(s.id) as SecretFlags | undefined,
      extended: extendedOf(s, extended ?? [], fieldsOf),
      now,
      rotation: rotation.get(s.id),
    }),
  );
}

export function searchRoutes(api: FastifyInstance, kit: Kit): void {
  const { deps } = kit;

  kit.route(api, 'GET', `${API}/secrets`, { action: 'ss.secret.search', response: responses(paging(SecretSummary)) }, async (req) => {
    const { query, take, skip, count, extended } = await searchOf(kit, req);
    if (take === 0) {
      const { total } = await deps.secrets.search(req.ctx, { ...query, limit: 1, withTotal: true });
      return page([], skip, take, total ?? 0);
    }
    const r = await deps.secrets.search(req.ctx, { ...query, limit: take, ...(skip ? { offset: skip } : {}), withTotal: count });
    const records = await summaries(kit, req.ctx, r.items, extended);
    const total = r.total ?? skip + records.length + (r.nextCursor ? 1 : 0);
    return page(records, skip, take, total);
  });

  kit.route(
    api,
    'GET',
    `${API}/secrets/search-total`,
    { action: 'ss.secret.search_total', response: responses({ type: 'integer' }) },
    async (req) => {
      const { query } = await searchOf(kit, req);
      const { total } = await deps.secrets.search(req.ctx, { ...query, limit: 1, withTotal: true });
      return total ?? 0;
    },
  );

  kit.route(api, 'GET', `${API}/secrets/lookup`, { action: 'ss.secret.lookup', response: responses(paging(Lookup)) }, async (req) => {
    const { query, take, skip, count } = await searchOf(kit, req);
    const r = await deps.secrets.search(req.ctx, {
      ...query,
      limit: Math.max(take, 1),
      ...(skip ? { offset: skip } : {}),
      withTotal: count,
    });
    const nums = await kit.ids.numbers(
      'secret',
      r.items.map((s) => s.id),
    );
    const records = take === 0 ? [] : r.items.map((s) => ({ id: nums.get(s.id) as number, value: s.name }));
    return page(records, skip, take, r.total ?? skip + records.length + (r.nextCursor ? 1 : 0));
  });
}
