// Custom fields in PMP's words: answers list them under `CUSTOM FIELD` as
// {CUSTOMFIELDLABEL, CUSTOMFIELDVALUE, CUSTOMFIELDTYPE, CUSTOMFIELDCOLUMNNAME} (PMP's REST reference;
// pv2b/kenny reads exactly these keys). Requests send them as {CUSTOMLABEL, CUSTOMVALUE}
// (accounts-write.ts parses those).

export interface PmpCustomField {
  CUSTOMFIELDLABEL: string;
  CUSTOMFIELDVALUE: string;
  CUSTOMFIELDTYPE: 'Character' | 'Password';
  CUSTOMFIELDCOLUMNNAME: string;
}

/**
 * Labels and values -> PMP's list. A sensitive field (a secret's password-like custom field) is
 * typed `Password` and its value is left empty: reading it is a reveal, with its gates.
 * Column names are numbered per kind in order (`COLUMN_CHAR1`, `COLUMN_SCHAR1`, ...), as PMP names
 * its custom columns; Coffer keeps no column catalogue.
 */
export function presentCustomFields(fields: Array<{ label: string; value: string | null; sensitive?: boolean }>): PmpCustomField[] {
  let chars = 0;
  let secrets = 0;
  return fields.map((f) =>
    f.sensitive
      ? { CUSTOMFIELDLABEL: f.label, CUSTOMFIELDVALUE: '', CUSTOMFIELDTYPE: 'Password', CUSTOMFIELDCOLUMNNAME: `COLUMN_SCHAR${++secrets}` }
      : {
          CUSTOMFIELDLABEL: f.label,
          CUSTOMFIELDVALUE: f.value ?? '',
          CUSTOMFIELDTYPE: 'Character',
          CUSTOMFIELDCOLUMNNAME: `COLUMN_CHAR${++chars}`,
        },
  );
}

/** `{"CUSTOM FIELD": [...]}` when there are custom fields, else nothing (PMP leaves the key out). */
export function customFieldEntry(fields: PmpCustomField[]): { 'CUSTOM FIELD'?: PmpCustomField[] } {
  return fields.length ? { 'CUSTOM FIELD': fields } : {};
}
