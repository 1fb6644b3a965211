// Row types of the tables of modules/numbering (migration 0013), apart from schema.ts to keep that
// file from growing further.

/** The stable integer id of an object reached through a compatibility API. */
export interface ObjectNumberTable {
  num: number;
  /** secret, folder, vault, user, group, request, api_key, ... */
  kind: string;
  object_id: string;
}

/** One row (id 1): the last number handed out. Only grows, so no number is ever reused. */
export interface ObjectNumberSeqTable {
  id: number;
  last: number;
}

export interface NumberingTables {
  object_numbers: ObjectNumberTable;
  object_number_seq: ObjectNumberSeqTable;
}
