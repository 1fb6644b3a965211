import type { FastifyRequest, RouteOptions } from 'fastify';

/**
 * `secret.shared_with_me` -> `secretSharedWithMe`: the operationId of a route, derived from its
 * audit action so it is stable (renaming a path does not rename the client's method) and
 * camelCase, as client generators want it.
 */
export function operationIdOf(action: string): string {
  const words = action.split(/[._-]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
}

/**
 * Gives a documented route its operationId (an explicit `schema.operationId` wins) and refuses a
 * second route with the same one at registration, so a clash is found by the first test that
 * builds the app rather than by a generated client. HEAD routes share their GET's.
 */
export function operationIds() {
  const seen = new Map<string, string>();
  return (route: RouteOptions, action: string) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (!schema || schema.hide || route.method === 'HEAD') return;
    const id = (schema.operationId as string | undefined) ?? operationIdOf(action);
    const where = `${String(route.method)} ${route.url}`;
    const before = seen.get(id);
    if (before && before !== where) {
      throw new Error(`operationId ${id} of ${where} is already used by ${before}: give one of them schema.operationId`);
    }
    seen.set(id, where);
    schema.operationId = id;
  };
}

/**
 * The document's `servers`: the address the client fetched it from (scheme and host as the
 * request shows them, through trusted proxies), so a client generated from it talks to this
 * server; `/` when the host header is not a plain host[:port].
 */
export function serversFor(req: FastifyRequest): Array<{ url: string; description: string }> {
  const host = req.host;
  if (typeof host === 'string' && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) {
    return [{ url: `${req.protocol}://${host}`, description: 'This Coffer server' }];
  }
  return [{ url: '/', description: 'This Coffer server' }];
}
