// Passbolt's dates: v2 `2019-04-02T12:05:58+00:00`, v1 `2019-04-02 12:05:58` (UTC, seconds).
import type { FastifyRequest } from 'fastify';
import { apiVersion } from './envelope.ts';

export function dateOf(req: FastifyRequest): (when: string | number) => string {
  const v1 = apiVersion(req) === 'v1';
  return (when) => {
    const iso = new Date(when).toISOString().slice(0, 19);
    return v1 ? iso.replace('T', ' ') : `${iso}+00:00`;
  };
}
