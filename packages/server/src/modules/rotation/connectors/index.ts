import type { RemoteConnector } from '../connector.ts';
import { mysqlConnector } from './mysql.ts';
import { postgresConnector } from './postgres.ts';
import { sshConnector } from './ssh.ts';
import { sshKeyConnector } from './ssh-key.ts';

/** The connectors a server offers, one per kind. */
export function remoteConnectors(): RemoteConnector[] {
  return [postgresConnector(), mysqlConnector(), sshConnector(), sshKeyConnector()];
}
