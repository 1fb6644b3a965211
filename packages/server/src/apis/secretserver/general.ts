// GET /version (the PowerShell module reads it when it opens a session) and GET /users/current
// (scripts use it to check a token): who the token belongs to, and a version the module accepts.
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../modules/auth/actor.ts';
import { API, type Kit } from './kit.ts';
import { exact, responses } from './schemas.ts';

/** The Secret Server version this API answers to (the REST API of 11.x it follows). */
export const COMPATIBLE_VERSION = '11.7.000000';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;

export function generalRoutes(api: FastifyInstance, kit: Kit): void {
  kit.route(
    api,
    'GET',
    `${API}/version`,
    { action: 'ss.version', response: responses(exact({ success: bool, severity: str, model: exact({ version: str }) })) },
    async () => ({ success: true, severity: 'None', model: { version: COMPATIBLE_VERSION } }),
  );

  kit.route(
    api,
    'GET',
    `${API}/users/current`,
    {
      action: 'ss.user.current',
      response: responses(
        exact({
          id: { type: 'integer' },
          userName: str,
          displayName: str,
          emailAddress: str,
          enabled: bool,
          isApplicationAccount: bool,
          domainId: { type: 'integer' },
        }),
      ),
    },
    async (req) => {
      const actor = req.ctx.actor;
      requireUser(actor);
      return {
        id: await kit.ids.number('user', actor.userId),
        userName: actor.username,
        displayName: actor.username,
        emailAddress: '',
        enabled: true,
        isApplicationAccount: actor.authMethod === 'apikey',
        domainId: -1,
      };
    },
  );
}
