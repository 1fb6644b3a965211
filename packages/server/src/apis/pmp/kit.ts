// The shared kit of the PMP route files: registering an operation (its PMP name, its audit action,
// the AUTHTOKEN accepted in the query), the ids, and the services.
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import { createUserByName, type UserByName } from '../../modules/identities/user-by-name.ts';
import { createPmpResources, type PmpResources } from '../../modules/lookup/pmp-resources.ts';
import type { PmpDeps } from './deps.ts';
import type { PmpEnvelope } from './envelope.ts';
import { createIds, type Ids } from './ids.ts';
import { type PmpInput, readGetBody, readInput } from './input.ts';

export const PMP_PREFIX = '/restapi/json/v1';

export interface Kit {
  deps: PmpDeps;
  ids: Ids;
  resources: PmpResources;
  userByName: UserByName;
  op(
    instance: FastifyInstance,
    method: HTTPMethods | HTTPMethods[],
    url: string,
    spec: { name: string; action: string },
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
      // with and without a trailing slash, as PMP's servlet answers both (`.../resources/`)
      for (const path of [url, `${url}/`]) {
        for (const m of Array.isArray(method) ? method : [method]) names.set(key(m, path), spec.name);
        instance.route({
          method,
          url: path,
          config: { auth: 'user', permission: 'self', action: spec.action, credentialsInQuery: 'accepted' },
          schema: { params: ParamsSchema, hide: true },
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
