// The shared kit of the Secret Server route files: registering a route (with and without a
// trailing slash: clients send both, e.g. pysecretserver's `/secrets/?filter...`), the ids, the
// template numbers, query parameters read as the product names them, and the secret model built
// from what the services answer.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { SecretFlags } from '../../modules/workflow/workflow.service.ts';
import type { SecretServerDeps } from './deps.ts';
import { createIds, type Ids } from './ids.ts';
import { fileKey, holds, type ItemNumbers, itemKey, type Presented, secretModel } from './mapper.ts';
import { createTemplateIds, type TemplateIds } from './template-ids.ts';

export const SS_PREFIX = '/SecretServer';
/** Where the REST API is under the prefix. */
export const API = '/api/v1';

export interface RouteSpec {
  action: string;
  /** Response schemas by status (schemas.ts). */
  response: Record<number, unknown>;
  /** Public (no token): the token endpoint and the health checks. */
  public?: true;
}

export interface Kit {
  deps: SecretServerDeps;
  ids: Ids;
  templates: TemplateIds;
  route(
    api: FastifyInstance,
    method: HTTPMethods | HTTPMethods[],
    url: string,
    spec: RouteSpec,
    handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): void;
  /**
   * The full secret model of a secret the caller read (or wrote). `rotationTarget: false` (known
   * from the read's card) spares the rotation state's query: a secret without a target has none.
   */
  model(
    ctx: RequestContext,
    secret: Presented,
    values: Record<string, string> | null,
    flags: SecretFlags | undefined,
    opts?: { rotationTarget?: boolean | undefined },
  ): Promise<unknown>;
}

const ParamsSchema = { type: 'object', additionalProperties: { type: 'string', maxLength: 500 } } as const;

export function createKit(deps: SecretServerDeps): Kit {
  const ids = createIds(deps);
  const templates = createTemplateIds(deps);
  return {
    deps,
    ids,
    templates,
    route(api, method, url, spec, handler) {
      const paths = url.endsWith('/') ? [url] : [url, `${url}/`];
      for (const path of paths) {
        api.route({
          method,
          url: path,
          config: { auth: spec.public ? 'public' : 'user', permission: spec.public ? 'none' : 'self', action: spec.action },
          schema: { params: ParamsSchema, response: spec.response, hide: true },
          handler,
        });
      }
    },
    async model(_ctx, secret, values, flags, opts = {}) {
      const template = await templates.bySlug(secret.template);
      const fields = template?.fields ?? [];
      const [num, folderNum, itemNums, fileNums, rotation] = await Promise.all([
        ids.number('secret', secret.id),
        ids.ofNode(secret.folderId ?? secret.vaultId),
        ids.numbers(
          'secret_item',
          fields.map((f) => itemKey(secret.id, f.field.id)),
        ),
        ids.numbers(
          'secret_file',
          fields.filter((f) => f.isFile && holds(secret, f.field)).map((f) => fileKey(secret.id, f.field.slug)),
        ),
        opts.rotationTarget === false ? new Map() : deps.rotation.states([secret.id]),
      ]);
      const numbers: ItemNumbers = { items: itemNums, files: fileNums };
      const holder = flags?.checkout?.holderId;
      return secretModel({
        num,
        secret,
        template,
        folderNum,
        numbers,
        values,
        flags,
        checkoutUserNum: holder ? await ids.number('user', holder) : null,
        now: deps.clock.now(),
        rotation: rotation.get(secret.id),
      });
    },
  };
}

/**
 * The query string as Secret Server reads it: names without regard to case, `paging.` dropped
 * (`paging.filter.searchText` = `filter.searchText`, `paging.take` = `take`); a repeated name
 * keeps every value (`filter.extendedFields`).
 */
export function queryOf(req: FastifyRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const q = (req.query ?? {}) as Record<string, unknown>;
  for (const [rawKey, raw] of Object.entries(q)) {
    const key = rawKey.toLowerCase().replace(/^paging\./, '');
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return out;
}

export function q1(q: Map<string, string[]>, key: string): string | undefined {
  const v = q.get(key.toLowerCase());
  return v === undefined ? undefined : v[v.length - 1];
}

export function qBool(q: Map<string, string[]>, key: string): boolean | undefined {
  const v = q1(q, key)?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  return v === 'true' || v === '1' || v === 'yes';
}
