// Every API surface registered on the app (ADR 0015), each built by its own apis/<x>/ factory from
// the app's services: app.ts builds the services and hands them here; this file only composes.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { type EdgeDeps, registerSurface } from '../http/surface.ts';
import type { NativeRoutesDeps } from './native/routes.ts';
import { nativeSurface } from './native/surface.ts';
import { type PassboltDeps, passboltSurfaceFrom } from './passbolt/surface.ts';
import { type PassworkDeps, passworkSurfaceFrom } from './passwork/surface.ts';
import { type PmpDeps, pmpSurfaceFrom } from './pmp/surface.ts';
import { type SecretServerDeps, secretServerSurfaceFrom } from './secretserver/surface.ts';
import type { SenhaseguraDeps } from './senhasegura/deps.ts';
import { senhaseguraSurfacesFrom } from './senhasegura/surface.ts';
import { webSurface } from './web/surface.ts';

/** The services every surface picks from (`audit` is the audit service, as the native routes read it). */
export type SurfaceServices = NativeRoutesDeps &
  PmpDeps &
  SecretServerDeps &
  Omit<SenhaseguraDeps, 'vaultName'> &
  Omit<PassworkDeps, 'session'> &
  Omit<PassboltDeps, 'session' | 'vaultName'>;

export async function registerApiSurfaces(
  app: FastifyInstance,
  edge: EdgeDeps,
  services: SurfaceServices,
  config: Pick<Config, 'session' | 'senhaseguraVault' | 'passboltVault'>,
): Promise<void> {
  // the native API: its routes carry /api/v1 themselves
  await registerSurface(app, edge, nativeSurface({ ...services, swagger: () => app.swagger() }));
  // the web UI's API: the same routes under /ui with the session cookie (ADR 0017)
  await registerSurface(app, edge, webSurface({ ...services, idleSeconds: config.session.idleSeconds }));
  // ManageEngine PMP: /restapi/json/v1
  await registerSurface(app, edge, pmpSurfaceFrom(services));
  // senhasegura PAM Core: /iso (OAuth2 token, /iso/pam) and /api/pam, the same operations
  for (const s of senhaseguraSurfacesFrom(services, config)) await registerSurface(app, edge, s);
  // Delinea Secret Server: /SecretServer/api/v1 and /SecretServer/oauth2/token
  await registerSurface(app, edge, secretServerSurfaceFrom(services));
  // Passwork 6 (API v4): /api/v4
  await registerSurface(app, edge, passworkSurfaceFrom(services, config));
  // Passbolt (API v1/v2, end-to-end encrypted vaults): /passbolt
  await registerSurface(app, edge, passboltSurfaceFrom(services, config));
}
