// Where the Passbolt surface lives: its prefix and the base URL its clients are configured with.
import type { FastifyRequest } from 'fastify';

export const PASSBOLT_PREFIX = '/passbolt';

/** The base URL as the request reached the server (scheme, host and port, the prefix). */
export const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.host}${PASSBOLT_PREFIX}`;
