// The native API (`/api/v1`): one surface among several (ADR 0015). Its routes carry /api/v1
// themselves and are the ones the OpenAPI document describes; errors use the native envelope.
import { bearerAuthenticator } from '../../http/authenticators.ts';
import { renderNative } from '../../http/hooks.ts';
import { operationIds, serversFor } from '../../http/openapi.ts';
import type { Surface } from '../../http/surface.ts';
import { type NativeRoutesDeps, registerNativeRoutes } from './routes.ts';

export interface NativeDeps extends NativeRoutesDeps {
  /** The generated OpenAPI document (from @fastify/swagger on the root instance). */
  swagger: () => object;
}

export function nativeSurface(d: NativeDeps): Surface {
  return {
    via: 'native',
    prefix: '',
    hidden: false,
    authenticators: [bearerAuthenticator(d.auth)],
    renderError: renderNative,
    routes(api) {
      const operationId = operationIds();
      // every route documents the error envelope and, unless public, the bearer scheme
      api.addHook('onRoute', (route) => {
        const cfg = route.config as { auth?: string; action?: string } | undefined;
        if (!route.schema || !cfg?.auth) return;
        if (cfg.action) operationId(route, cfg.action);
        const response = (route.schema.response ?? {}) as Record<string, unknown>;
        response['4xx'] ??= { $ref: 'ErrorEnvelope#' };
        response['5xx'] ??= { $ref: 'ErrorEnvelope#' };
        route.schema.response = response;
        if (cfg.auth === 'user') (route.schema as Record<string, unknown>).security ??= [{ bearer: [] }];
      });
      registerNativeRoutes(api, d, { tokenRoutes: true });
      api.get('/api/v1/openapi.json', {
        config: { auth: 'public', permission: 'none', action: 'docs.openapi', audit: false, whileSealed: true },
        schema: { hide: true },
        // servers: where this client reached the server (a generated client then needs no base URL)
        handler: async (req) => ({ ...d.swagger(), servers: serversFor(req) }),
      });
    },
  };
}
