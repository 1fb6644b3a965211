import { Type } from 'typebox';

/** Bounded strings: every string field has a maximum length. */
export const Str = (max: number, opts: Record<string, unknown> = {}) => Type.String({ maxLength: max, ...opts });
export const Id = Type.String({ minLength: 3, maxLength: 64, pattern: '^[a-z]{3}_[0-9a-z]{26}$', description: 'Opaque id' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Cursor = Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]*$' });
export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
export const Page = <T extends import('typebox').TSchema>(item: T) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null at the end' }),
    },
    { additionalProperties: false },
  );
/** A page of a search that also pages by offset and can count its matches. */
export const CountedPage = <T extends import('typebox').TSchema>(item: T) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null at the end' }),
      total: Type.Optional(Type.Integer({ minimum: 0, description: 'Every match of the search (with withTotal=true)' })),
    },
    { additionalProperties: false },
  );
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const Ok = Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false });
