// The senhasegura PAM Core API surfaces: /iso (OAuth2 token, /iso/pam/...) and /api/pam (the same
// operations). Bearer tokens (the OAuth2 access token, also a Coffer session or API key).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerAuthenticator } from '../../http/authenticators.ts';
import type { RenderedError, Surface } from '../../http/surface.ts';
import type { AppError } from '../../lib/app-error.ts';
import { createCredentialKeys } from '../../modules/lookup/credential-keys.ts';
import { registerParsers } from './body.ts';
import { credentialReadRoutes } from './credentials-read.ts';
import { credentialWriteRoutes } from './credentials-write.ts';
import { custodyRoutes } from './custody.ts';
import type { Ctx, SenhaseguraDeps } from './deps.ts';
import { deviceRoutes } from './devices.ts';
import { errorAnswer, type Subject } from './envelope.ts';
import { infoRoutes } from './info.ts';
import { tokenRoutes } from './token.ts';

export const DEFAULT_VAULT = 'senhasegura';

function subjectOf(req: FastifyRequest): Subject {
  const path = req.url.split('?')[0] ?? '';
  if (/\/pam\/device(\/|$)/.test(path)) return 'device';
  if (/\/pam\/key(\/|$)/.test(path)) return 'key';
  if (/\/pam\/info(\/|$)/.test(path)) return 'info';
  if (/\/pam\/credential(\/|$)/.test(path)) return 'credential';
  return 'other';
}

/** The product's answer to any error; the token endpoint adds RFC 6749's error fields. */
export function renderError(err: AppError, req: FastifyRequest): RenderedError {
  const { status, body } = errorAnswer(err, subjectOf(req));
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  if (/\/oauth2\/token$/.test(req.url.split('?')[0] ?? '')) {
    const oauth =
      err.reason === 'oauth_unsupported_grant_type'
        ? 'unsupported_grant_type'
        : err.code === 'auth.invalid_credentials'
          ? 'invalid_client'
          : 'invalid_request';
    return { status, headers, body: { ...body, error: oauth, error_description: body.response.message } };
  }
  return { status, headers, body };
}

/** Two surfaces over the same operations: `/iso` (with the OAuth2 token) and `/api/pam`. */
export function senhaseguraSurfaces(deps: SenhaseguraDeps): Surface[] {
  const c: Ctx = {
    ...deps,
    vaultName: deps.vaultName ?? DEFAULT_VAULT,
    keys: createCredentialKeys({ access: deps.access, audited: deps.audited }),
  };
  const common = {
    via: 'senhasegura' as const,
    authenticators: [bearerAuthenticator(deps.auth)],
    renderError,
    parsers: (instance: FastifyInstance) => registerParsers(instance),
  };
  return [
    {
      ...common,
      prefix: '/iso',
      routes(api) {
        tokenRoutes(api, c);
        credentialReadRoutes(api, c, '/pam');
        credentialWriteRoutes(api, c, '/pam');
        custodyRoutes(api, c, '/pam');
        deviceRoutes(api, c, '/pam');
        infoRoutes(api, c, '/pam');
      },
    },
    {
      ...common,
      prefix: '/api/pam',
      routes(api) {
        // the same operations, without the /pam segment of /iso/pam
        credentialReadRoutes(api, c, '');
        credentialWriteRoutes(api, c, '');
        custodyRoutes(api, c, '');
        deviceRoutes(api, c, '');
        infoRoutes(api, c, '');
      },
    },
  ];
}

/** The surfaces from the app's services and the configured vault (`senhaseguraVault`). */
export function senhaseguraSurfacesFrom(
  services: Omit<SenhaseguraDeps, 'vaultName'>,
  config: { senhaseguraVault?: string | undefined },
): Surface[] {
  return senhaseguraSurfaces({ ...services, ...(config.senhaseguraVault ? { vaultName: config.senhaseguraVault } : {}) });
}
