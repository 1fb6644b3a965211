// Response schemas of the Passbolt surface: the envelope (`{header, body}`, envelope.ts) around
// each route's body, v2 objects as they are and v1 ones wrapped by model name (`{"Resource": …}`).
// An allow-list: Fastify's serializer drops what a schema does not name.

export const str = { type: 'string' } as const;
export const nullableStr = { type: ['string', 'null'] } as const;
export const bool = { type: 'boolean' } as const;
export const int = { type: 'integer' } as const;
/** Any JSON (validation bodies, nested objects whose shape another part of the surface owns). */
export const anyJson = {} as const;

type Props = Record<string, unknown>;

/** An object of exactly these properties, all required but `optional`. */
export function exact<P extends Props>(properties: P, optional: readonly string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  } as const;
}

export const headerSchema = exact({ id: str, status: str, servertime: int, action: str, message: str, url: str, code: int });

export function envelopeOf(body: unknown) {
  return exact({ header: headerSchema, body });
}

/** Every error status the surface answers (envelope.ts errorAnswer): the body is a validation body or null. */
export const ERRORS = Object.fromEntries(
  [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503].map((s) => [s, envelopeOf(anyJson)]),
) as Record<number, unknown>;

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
