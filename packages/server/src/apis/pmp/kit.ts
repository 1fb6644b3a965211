// The shared kit of the PMP route files: registering an operation (its PMP name, its audit action,
// its answer's schema, the AUTHTOKEN accepted in the query), the ids, and the services.
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import type { TSchema } from 'typebox';
import { createUserByName, type UserByName } from '../../modules/identities/user-by-name.ts';
import { createPmpResources, type PmpResources } from '../../modules/lookup/pmp-resources.ts';
import type { PmpDeps } from './deps.ts';
import type { PmpEnvelope } from './envelope.ts';
import { createIds, type Ids } from './ids.ts';
import { type PmpInput, readGetBody, readInput } from './input.ts';
import { Envelope, operationSchema } from './responses.ts';

export const PMP_PREFIX = '/restapi/json/v1';

/** An operation: its PMP name, its audit action, and what its answer may hold. */
export interface OpSpec {
  name: string;
  action: string;
  /** The schema of `Details` on success (responses.ts); null when the operation answers none. */
  details: TSchema | null;
  /** A list: `totalRows` beside `Details`. */
  totalRows?: boolean;
}

/**
 * The response schemas of an operation: 200 its own (success or failure: PMP answers failed
 * operations with 200), and the failure envelope for the statuses only errors answer (429 rate
 * limit, 500 server fault, 503 sealed; envelope.ts `statusOf`). Serialization keeps only what they
 * name.
 */
export function responseSchemas(spec: Pick<OpSpec, 'details' | 'totalRows'>): Record<number, TSchema> {
  return { 200: operationSchema(spec.details, spec.totalRows ?? false), 429: Envelope, 500: Envelope, 503: Envelope };
}

export interface Kit {
  deps: PmpDeps;
  ids: Ids;
  resources: PmpResources;
  userByName: UserByName;
  op(
    instance: FastifyInstance,
    method: HTTPMethods | HTTPMethods[],
    url: string,
    spec: OpSpec,
    handler: (req: FastifyRequest, input: PmpInput) => Promise<PmpEnvelope>,
  ): void;
  /** The PMP operation name of a request's route (for its error answer). */
  nameOf(req: FastifyRequest): string;
}

const ParamsSchema = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 300 },
} as const;

export function createKit(deps: PmpDeps): Kit {
  const names = new Map<string, string>();
  const key = (method: string, url: string) => `${method.toUpperCase()} ${url}`;
  return {
    deps,
    ids: createIds(deps),
    resources: createPmpResources({ access: deps.access, secrets: deps.secrets, audited: deps.audited }),
    userByName: createUserByName({ audited: deps.audited }),
    op(instance, method, url, spec, handler) {
      const response = responseSchemas(spec);
      // with and without a trailing slash, as PMP's servlet answers both (`.../resources/`)
      for (const path of [url, `${url}/`]) {
        for (const m of Array.isArray(method) ? method : [method]) names.set(key(m, path), spec.name);
        instance.route({
          method,
          url: path,
          config: { auth: 'user', permission: 'self', action: spec.action, credentialsInQuery: 'accepted' },
          schema: { params: ParamsSchema, response, hide: true },
          preValidation: async (req) => {
            if (req.method === 'GET') await readGetBody(req);
          },
          handler: async (req) => handler(req, readInput(req)),
        });
      }
    },
    nameOf(req) {
      const url = req.routeOptions?.url ?? '';
      const relative = url.startsWith(PMP_PREFIX) ? url.slice(PMP_PREFIX.length) : url;
      return names.get(key(req.method, relative)) ?? 'UNKNOWN';
    },
  };
}
