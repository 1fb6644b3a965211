// Passbolt's ids are UUIDs (its clients check the format before they call). Coffer's objects keep
// their own ids; at this edge each gets the UUID of its stable object number (modules/numbering,
// the number Secret Server's and PMP's clients see for the same object): version 4, variant 8,
// the number in the last group. Reversible without a table of its own; an unknown, malformed or
// other-kind UUID resolves to nothing, which the caller answers as not found.
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { NumberedKind, Numbering } from '../../modules/numbering/numbering.service.ts';

const UUID = /^00000000-0000-4000-8000-([0-9a-f]{12})$/i;
/** Any UUID (what Passbolt validates on input): the format, any version. */
export const ANY_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const uuidOfNumber = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** The object number a UUID of this edge carries; undefined when it carries none. */
export function numberOfUuid(uuid: string): number | undefined {
  const m = UUID.exec(uuid);
  return m ? Number.parseInt(m[1] as string, 16) : undefined;
}

export interface PassboltIds {
  /** Coffer id -> UUID (the number given on first need). */
  uuidOf(kind: NumberedKind, id: string): Promise<string>;
  uuidsOf(kind: NumberedKind, ids: readonly string[]): Promise<Map<string, string>>;
  /** UUID -> Coffer id of that kind; undefined when it names none. */
  idOf(kind: NumberedKind, uuid: string): Promise<string | undefined>;
  /** UUID -> Coffer id, or not_found (what an unknown and a forbidden object both answer). */
  require(kind: NumberedKind, uuid: string, what?: string): Promise<string>;
}

export function createPassboltIds(db: Db, numbering: Pick<Numbering, 'numberOf' | 'numbersOf' | 'idOf'>): PassboltIds {
  async function uuidsOf(kind: NumberedKind, ids: readonly string[]): Promise<Map<string, string>> {
    const nums = await numbering.numbersOf(db, kind, ids);
    const out = new Map<string, string>();
    for (const [id, n] of nums) out.set(id, uuidOfNumber(n));
    return out;
  }
  async function idOf(kind: NumberedKind, uuid: string): Promise<string | undefined> {
    const n = numberOfUuid(uuid);
    return n === undefined ? undefined : numbering.idOf(db, kind, n);
  }
  return {
    uuidOf: async (kind, id) => uuidOfNumber(await numbering.numberOf(db, kind, id)),
    uuidsOf,
    idOf,
    async require(kind, uuid, what = 'The resource') {
      if (!ANY_UUID.test(uuid)) {
        throw new AppError('validation.failed', `${what} identifier should be a valid UUID.`, {
          details: [{ path: '/id', message: 'The identifier should be a valid UUID.' }],
        });
      }
      const id = await idOf(kind, uuid);
      if (id === undefined) throw new AppError('not_found', `${what} does not exist.`);
      return id;
    },
  };
}
