// The web UI's API (`/ui`, ADR 0017): the native routes mounted a second time under /ui, plus the
// session routes. Same schemas, services, permissions and audit as /api/v1 — only the credential
// differs: an HttpOnly session cookie with a CSRF token instead of a bearer token, and records say
// via=web. No logic of the UI's own lives here.
import { registerJsonParser, renderNative } from '../../http/hooks.ts';
import type { Surface } from '../../http/surface.ts';
import { type NativeRoutesDeps, registerNativeRoutes } from '../native/routes.ts';
import { webSessionRoutes } from './session.routes.ts';
import { clearedCookie, cookieAuthenticator, uiGuard } from './session-cookie.ts';

export interface WebDeps extends NativeRoutesDeps {
  /** config.session.idleSeconds */
  idleSeconds: number;
}

export function webSurface(d: WebDeps): Surface {
  return {
    via: 'web',
    prefix: '/ui',
    hidden: true,
    authenticators: [cookieAuthenticator(d.auth)],
    missingCredential: 'Sign in first: there is no web session (POST /ui/session).',
    guard: uiGuard,
    renderError(err, req) {
      const out = renderNative(err, req);
      // no WWW-Authenticate: Bearer (no bearer token is taken here); a dead session's cookie goes
      const { 'www-authenticate': _, ...headers } = out.headers ?? {};
      if (err.code === 'auth.invalid_token') headers['set-cookie'] = clearedCookie(req);
      return { ...out, headers };
    },
    // JSON like the native API (the attachment upload route adds its own octet-stream parser)
    parsers: registerJsonParser,
    routes(api) {
      webSessionRoutes(api, { auth: d.auth, idleSeconds: d.idleSeconds });
      registerNativeRoutes(api, d, { tokenRoutes: false });
    },
  };
}
