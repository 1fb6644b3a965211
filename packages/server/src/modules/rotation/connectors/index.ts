import type { RemoteConnector } from '../connector.ts';

/** The connectors a server offers, one per kind. */
export function remoteConnectors(): RemoteConnector[] {
  return [];
}
