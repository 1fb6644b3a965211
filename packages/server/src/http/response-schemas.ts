// Building blocks of the compatibility surfaces' response schemas (JSON Schema, compiled by
// Fastify's serializer): an allow-list — the serializer writes only the properties a schema names,
// so nothing else leaves the server — and a compiled serialization.

export const str = { type: 'string' } as const;
export const int = { type: 'integer' } as const;
export const bool = { type: 'boolean' } as const;
export const nullableStr = { type: ['string', 'null'] } as const;

export type Props = Record<string, unknown>;

/** An object of exactly these properties, all required but `optional`. */
export function exact<P extends Props>(properties: P, optional: readonly string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  } as const;
}
