// GET /settings.json: what a Passbolt client reads before and after login. Public; a caller with a
// valid session (cookie or JWT) gets the fuller answer. Announces only implemented plugins
// (plugins.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../http/surface.ts';
import { ok } from './envelope.ts';
import { announcedPlugins } from './plugins.ts';
import { exact, open, responses, str } from './schemas.ts';
import type { PassboltContext } from './surface.ts';
import { baseUrl } from './urls.ts';

/** The Passbolt server version this adapter answers as (the API generation its clients expect). */
export const PASSBOLT_VERSION = '4.10.0';

const settingsBody = exact({
  app: open({ url: str, locale: str, version: exact({ number: str, name: str }) }),
  passbolt: open({ edition: str, plugins: open() }),
});

/** The actor of the request's credential when it holds one that works; never throws. */
async function signedIn(req: FastifyRequest, authenticators: Authenticator[]): Promise<boolean> {
  for (const a of authenticators) {
    try {
      if (await a.authenticate(req, { ...req.ctx })) return true;
    } catch {
      return false;
    }
  }
  return false;
}

export function settingsRoutes(api: FastifyInstance, c: PassboltContext, authenticators: Authenticator[]): void {
  api.get('/settings.json', {
    config: { auth: 'public', permission: 'none', action: 'passbolt.settings', audit: false },
    schema: { response: responses({ 200: settingsBody }) },
    handler: async (req) => {
      const full = await signedIn(req, authenticators);
      return ok(req, {
        app: {
          url: `${baseUrl(req)}/`,
          locale: 'en-UK',
          version: { number: PASSBOLT_VERSION, name: 'Coffer' },
          ...(full ? { server_timezone: 'UTC', session_timeout: Math.max(1, Math.round(c.session.idleSeconds / 60)) } : {}),
        },
        passbolt: { edition: 'ce', plugins: announcedPlugins(full) },
      });
    },
  });
}
