import type { Permission } from '../modules/auth/actor.ts';

/**
 * Every route declares how it is authenticated and what it needs. `auth: 'public'` routes are a
 * fixed allow-list (a test checks it). `permission` documents the role permission the service
 * enforces ('self' = any signed-in user acting on their own things); the decision itself is made
 * in the service, so jobs, the CLI and compat adapters get the same checks.
 */
export interface RouteConfig {
  auth: 'public' | 'user';
  permission: Permission | 'self' | 'none';
  /** The audit action name. */
  action: string;
  /** false only for health, seal status and the API description. */
  audit?: false;
  /** Route answers while sealed (health, seal status, unseal). */
  whileSealed?: true;
  /**
   * Only for a compatibility API whose clients must send a credential in the query string: the
   * request is then not refused nor the credential revoked (document the route as an exception
   * and keep the query out of logs). No native route sets it.
   */
  credentialsInQuery?: 'accepted';
  /**
   * Usable by a user who must first change an administrator-set password (changing it, logging
   * out); every other route answers 403 auth.password_change_required to them.
   */
  duringPasswordChange?: true;
}

declare module 'fastify' {
  interface FastifyContextConfig extends Partial<RouteConfig> {}
}
