// The response schemas of the PMP API: the envelope every answer shares, and the `Details` of each
// operation. They validate nothing at run time: Fastify serializes with them (fast-json-stringify),
// so they are an allow-list — a property not named here never leaves the server. Every object whose
// shape is fixed is closed (`additionalProperties: false`); the one genuinely open shape (ADD
// ACCOUNTS: one entry per account, keyed by the account's name, as PMP answers it) says so below.
import { type TSchema, Type } from 'typebox';

const closed = { additionalProperties: false } as const;
/** A PMP id: the string of an object's number (modules/numbering). */
const PmpId = Type.String({ pattern: '^[1-9][0-9]*$' });
/** A PMP id, or '' when the caller may not see the object (a request's resource). */
const PmpIdOrEmpty = Type.String({ pattern: '^([1-9][0-9]*)?$' });
const S = Type.String();
/** One of these words: a plain string enum, not a union (fast-json-stringify would test each branch of a union per answer). */
const Word = <T extends string>(...values: T[]) => Type.Unsafe<T>({ type: 'string', enum: values });

const Result = Type.Object(
  { status: Word('Success', 'Failed'), message: S },
  { ...closed, description: 'Success, or Failed with the reason (HTTP 200 for failed operations too)' },
);

/**
 * The answer of an operation: `{"operation":{"name","result","totalRows"?,"Details"?}}`. One object
 * schema (no union) accepts the success shape and the failure shape, which is the same without
 * `totalRows` and `Details`.
 */
export function operationSchema(details: TSchema | null, totalRows = false): TSchema {
  return Type.Object(
    {
      operation: Type.Object(
        {
          name: S,
          result: Result,
          ...(totalRows ? { totalRows: Type.Optional(Type.Integer({ minimum: 0 })) } : {}),
          ...(details ? { Details: Type.Optional(details) } : {}),
        },
        closed,
      ),
    },
    closed,
  );
}

/** A failed operation: what server faults (500), a sealed Coffer (503) and the rate limit (429) answer. */
export const Envelope = operationSchema(null);

// ---- Details, per operation ----

/** PMP's `CUSTOM FIELD` list (custom-fields.ts). */
const CustomFields = Type.Array(
  Type.Object(
    {
      CUSTOMFIELDLABEL: S,
      CUSTOMFIELDVALUE: S,
      CUSTOMFIELDTYPE: Word('Character', 'Password'),
      CUSTOMFIELDCOLUMNNAME: Type.String({ pattern: '^COLUMN_S?CHAR[1-9][0-9]*$' }),
    },
    closed,
  ),
);

/** GET RESOURCES: one row per resource (totalRows beside). */
export const ResourceRows = Type.Array(
  Type.Object(
    {
      'RESOURCE ID': PmpId,
      'RESOURCE NAME': S,
      'RESOURCE DESCRIPTION': S,
      'RESOURCE TYPE': S,
      NOOFACCOUNTS: Type.String({ pattern: '^[0-9]+$' }),
    },
    closed,
  ),
);

/** GET_RESOURCEID. */
export const ResourceIdDetails = Type.Object({ RESOURCEID: PmpId }, closed);
/** GET_RESOURCEACCOUNTNAME, GET_RESOURCEACCOUNTID. */
export const ResourceAccountIdDetails = Type.Object({ RESOURCEID: PmpId, ACCOUNTID: PmpId }, closed);

/** GET RESOURCE ACCOUNTLIST: the resource's attributes, its custom fields, its accounts. */
export const ResourceAccountList = Type.Object(
  {
    'RESOURCE ID': PmpId,
    'RESOURCE NAME': S,
    'RESOURCE DESCRIPTION': S,
    'RESOURCE TYPE': S,
    'DNS NAME': S,
    'DOMAIN NAME': S,
    'RESOURCE URL': S,
    LOCATION: S,
    DEPARTMENT: S,
    'RESOURCE OWNER': S,
    'RESOURCE GROUP': S,
    'RESOURCE PASSWORD POLICY': S,
    'PASSWORD POLICY': S,
    'CUSTOM FIELD': Type.Optional(CustomFields),
    'ACCOUNT LIST': Type.Array(
      Type.Object(
        {
          'ACCOUNT ID': PmpId,
          'ACCOUNT NAME': S,
          PASSWDID: PmpId,
          'PASSWORD STATUS': S,
          'ACCOUNT PASSWORD POLICY': S,
          // PMP's booleans are strings ("true"/"false")
          ISFAVPASS: S,
          ISREASONREQUIRED: S,
          IS_TICKETID_REQD: S,
          IS_TICKETID_REQD_MANDATORY: S,
          IS_TICKETID_REQD_ACW: S,
        },
        closed,
      ),
    ),
  },
  closed,
);

/** GET RESOURCE ACCOUNT DETAILS. */
export const AccountDetails = Type.Object(
  {
    'ACCOUNT NAME': S,
    PASSWDID: PmpId,
    DESCRIPTION: S,
    'LAST MODIFIED TIME': S,
    'LAST ACCESSED TIME': S,
    'EXPIRY STATUS': S,
    'PASSWORD STATUS': S,
    'PASSWORD POLICY': S,
    'COMPLIANT STATUS': S,
    'COMPLIANT REASON': S,
    'CUSTOM FIELD': Type.Optional(CustomFields),
  },
  closed,
);

/**
 * ADD ACCOUNTS: one entry per account asked for, `{"<account name>": {"STATUS": "..."}}`. Open by
 * nature (the key is the account's name, as PMP answers it); each entry's value is closed.
 */
export const AddAccountsResults = Type.Array(
  Type.Object({}, { additionalProperties: Type.Object({ STATUS: S }, closed), minProperties: 1, maxProperties: 1 }),
);

/** GET PASSWORD, GENERATE PASSWORD. */
export const PasswordDetails = Type.Object({ PASSWORD: S }, closed);

/** REQUEST_PASSWORD, REQUEST_CHECKOUT, REQUEST_CHECKIN: the request's state in PMP's words. */
export const StatusDetails = Type.Object({ STATUS: S }, closed);

/** GET_PASSWORDREQUEST: the first requester at the top (PMP's shape), every request in the list. */
export const PasswordRequests = Type.Object(
  {
    'REQUESTER USERID': PmpId,
    'REQUESTED BY': S,
    'REQUESTED BY FULLNAME': S,
    PASSWORDREQUESTLIST: Type.Array(
      Type.Object(
        {
          'REQUESTER USERID': PmpId,
          'REQUESTED BY': S,
          'ACCOUNT ID': PmpId,
          'ACCOUNT NAME': S,
          'RESOURCE ID': PmpIdOrEmpty,
          'RESOURCE NAME': S,
          'PASSWD ID': PmpId,
          STATUS: S,
          'REQUESTED TIME': S,
          REASON: S,
        },
        closed,
      ),
    ),
  },
  closed,
);

/** CREATE_USER. */
export const UserIdDetails = Type.Object({ USERID: PmpId }, closed);
/** GET_USERID. */
export const UserIdNameDetails = Type.Object({ USERID: PmpId, USERNAME: S }, closed);

/** GET_RESOURCEACCOUNTDETAILS (PMP's Ansible lookup). */
export const ResourceAccountDetails = Type.Object(
  {
    RESOURCEDETAILS: Type.Object(
      {
        'RESOURCE ID': PmpId,
        'RESOURCE NAME': S,
        'RESOURCE TYPE': S,
        'RESOURCE DESCRIPTION': S,
        'DNS NAME': S,
        'RESOURCE URL': S,
      },
      closed,
    ),
    // a JSON document in a string, as PMP answers it: {"ACCOUNT ID", "ACCOUNT NAME", and "PASSWORD"
    // or "PASSWORD_REASON"} (integrations.ts); a string to the serializer, so its content is the
    // handler's to keep to those keys
    ACCOUNTDETAILS: Type.String({ contentMediaType: 'application/json' }),
  },
  closed,
);

/** GET RESOURCE TYPES. */
export const ResourceTypeRows = Type.Array(Type.Object({ 'RESOURCE TYPE': S, RESOURCETYPE: S }, closed));
