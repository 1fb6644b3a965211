// Response schemas of the Passbolt surface: the envelope `{header, body}` with the route's body.
// An allow-list (Fastify's serializer drops what a schema does not name) and a compiled
// serialization; every error status answers the envelope with a free body (validation rules or null).

import { bool, exact, int, type Props, str } from '../../http/response-schemas.ts';

export { bool, exact, int, nullableStr, str } from '../../http/response-schemas.ts';

/** An object whose named properties are typed and whose others pass as they are. */
export const open = (properties: Props = {}) => ({ type: 'object', additionalProperties: true, properties }) as const;

export const header = exact({ id: str, status: str, servertime: int, action: str, message: str, url: str, code: int }, []);

/** `{header, body}` */
export const envelope = (body: unknown) => exact({ header, body });

/** Every error status the surface answers (envelope.ts errorAnswer). */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 502, 503] as const;
const anyBody = {} as const;
const errorResponses = Object.fromEntries(ERROR_STATUSES.map((s) => [s, envelope(anyBody)]));

/** A route's `response`: its success statuses (each the envelope of its body) and the error ones. */
export function responses(ok: Record<number, unknown>): Record<number, unknown> {
  const out: Record<number, unknown> = { ...errorResponses };
  for (const [status, body] of Object.entries(ok)) out[Number(status)] = envelope(body);
  return out;
}

/** The body of no content (`null`). */
export const nothing = { type: 'null' } as const;

/** Every error status's envelope, to spread into a route's `response` beside its success statuses. */
export const ERRORS: Record<number, unknown> = errorResponses;

/** Any JSON (validation bodies, nested objects whose shape another part of the surface owns). */
export const anyJson = {} as const;

/** One object: v2 as it is, or v1 `{Model: object, …contained}` (`v1Extra`: contained objects by model name). */
export function itemOf(v2: unknown, model: string, v1Extra: Props = {}) {
  return { anyOf: [v2, exact({ [model]: v2, ...v1Extra }, Object.keys(v1Extra))] };
}

export function itemsOf(v2: unknown, model: string, v1Extra: Props = {}) {
  return { type: 'array', items: itemOf(v2, model, v1Extra) };
}

/** A user as resources contain it (creator, modifier): the fields this surface knows of. */
export const userSchema = {
  type: 'object',
  properties: {
    id: str,
    username: str,
    active: bool,
    deleted: bool,
    created: str,
    modified: str,
    profile: { type: 'object', properties: { first_name: str, last_name: str }, additionalProperties: true },
  },
  additionalProperties: true,
} as const;
