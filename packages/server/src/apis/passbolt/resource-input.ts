// What a Passbolt client sends for a resource: v2 `{name, username, uri, description,
// resource_type_id, folder_parent_id, secrets: [{user_id?, data}]}` or v1 `{Resource: {...},
// Secret: [{data}]}`; and the query's filters. Checked here with Passbolt's rules and words; the
// service's refusals of the messages (readers mismatch, a message that is not for its reader's
// key) become Passbolt's validation body under `secrets`, naming users by their UUIDs.
import type { SecretMessage } from '@coffer/contracts/e2e';
import { AppError, isAppError } from '../../lib/app-error.ts';
import { fieldsOf, invalid, required, text } from './body.ts';
import { ANY_UUID } from './ids.ts';
import type { PassboltContext } from './surface.ts';

export const RESOURCE_INVALID = 'Could not validate resource data.';

/** Field checks with the resource's summary message. */
export async function asResourceValidation<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isAppError(e) && e.code === 'validation.failed' && e.message !== RESOURCE_INVALID) {
      throw new AppError('validation.failed', RESOURCE_INVALID, { details: e.details ?? [] });
    }
    throw e;
  }
}

export interface ResourceInput {
  name?: string;
  username?: string;
  uri?: string;
  description?: string;
  fields: Record<string, unknown>;
  secrets: unknown;
}

/** The resource's fields, v1 or v2; `create`: the name is required. */
export function resourceInput(body: unknown, create: boolean): ResourceInput {
  const b = fieldsOf(body);
  const wrapped = b.Resource !== undefined && typeof b.Resource === 'object' && b.Resource !== null && !Array.isArray(b.Resource);
  const fields = wrapped ? fieldsOf(b.Resource) : b;
  const secrets = wrapped ? (b.Secret ?? b.secrets ?? fields.secrets) : b.secrets;
  const name = create ? required(fields, 'name', 255) : text(fields, 'name', 255);
  if (!create && name !== undefined && name.trim() === '')
    throw invalid('name', '_empty', 'The name should not be empty.', RESOURCE_INVALID);
  const out: ResourceInput = { fields, secrets };
  if (name !== undefined) out.name = name;
  const username = text(fields, 'username', 255);
  if (username !== undefined) out.username = username;
  const uri = text(fields, 'uri', 1024);
  if (uri !== undefined) out.uri = uri;
  const description = text(fields, 'description', 10000);
  if (description !== undefined) out.description = description;
  return out;
}

/**
 * The messages of `secrets` (`[{user_id?, data}]`, one object accepted as a list of one): for
 * whom (a user's UUID; absent on a create: the caller) and the armored message.
 * `required`: a create needs them (`secrets._required`).
 */
export async function messagesOf(c: PassboltContext, callerId: string, raw: unknown, need: boolean): Promise<SecretMessage[] | undefined> {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    if (need) throw invalid('secrets', '_required', 'A secret is required.', RESOURCE_INVALID);
    return undefined;
  }
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === 'object'
      ? Object.values(raw as object).some((v) => typeof v === 'object')
        ? Object.values(raw as object)
        : [raw]
      : null;
  if (!list) throw invalid('secrets', 'type', 'The secrets should be a list.', RESOURCE_INVALID);
  if (list.length > 1000) throw invalid('secrets', 'maxCount', 'Too many secrets.', RESOURCE_INVALID);
  const out: SecretMessage[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw invalid('secrets', 'type', 'Each secret should be an object.', RESOURCE_INVALID);
    const s = item as Record<string, unknown>;
    const data = s.data;
    if (typeof data !== 'string' || data.trim() === '') throw invalid('secrets', '_required', 'A message is required.', RESOURCE_INVALID);
    if (data.length > 65536) throw invalid('secrets', 'maxLength', 'The message is too big.', RESOURCE_INVALID);
    if (!data.includes('-----BEGIN PGP MESSAGE-----')) {
      throw invalid('secrets', 'isValidOpenPGPMessage', 'The message should be a valid ASCII-armored OpenPGP message.', RESOURCE_INVALID);
    }
    let userId = callerId;
    if (s.user_id !== undefined && s.user_id !== null) {
      if (typeof s.user_id !== 'string' || !ANY_UUID.test(s.user_id)) {
        throw invalid('secrets', 'uuid', 'The user identifier should be a valid UUID.', RESOURCE_INVALID);
      }
      const id = await c.ids.idOf('user', s.user_id);
      if (!id) throw invalid('secrets', 'user_exists', `The user ${s.user_id} does not exist.`, RESOURCE_INVALID);
      userId = id;
    }
    out.push({ userId, message: data });
  }
  return out;
}

const USER_ID = /\busr_[0-9A-Za-z]+/g;

/** The service's refusals of a write as Passbolt's validation body (users named by UUID). */
export async function passboltWriteError(c: PassboltContext, e: unknown): Promise<unknown> {
  if (!isAppError(e)) return e;
  const named = async (s: string) => {
    let out = s;
    for (const id of new Set(s.match(USER_ID) ?? [])) out = out.replaceAll(id, `the user ${await c.ids.uuidOf('user', id)}`);
    return out;
  };
  if (e.code === 'secret.e2e_readers_mismatch') {
    const details = [];
    for (const d of e.details ?? []) {
      const m = String((d as { message?: unknown }).message ?? '');
      const missing = m.startsWith('missing for');
      details.push({
        path: '/secrets',
        rule: missing ? 'secrets_provided' : 'has_resource_access',
        message: missing
          ? `A secret is required for every user who can read the resource: missing for ${await named(m.replace('missing for ', ''))}.`
          : `A secret was given for a user who cannot read the resource: ${await named(m.replace('not a reader: ', ''))}.`,
      });
    }
    return new AppError('validation.failed', RESOURCE_INVALID, { details });
  }
  if (e.code === 'secret.e2e_message_invalid') {
    const details = [];
    for (const d of e.details ?? []) {
      const m = String((d as { message?: unknown }).message ?? '');
      details.push({ path: '/secrets', rule: 'isValidOpenPGPMessage', message: `The message is not valid: ${await named(m)}` });
    }
    return new AppError('validation.failed', RESOURCE_INVALID, { details });
  }
  if (e.code === 'validation.failed') {
    // the template's field checks: Passbolt's names for them
    const details = (e.details ?? []).map((d) => {
      const detail = d as { path?: string; message?: string; rule?: string };
      const raw = detail.path ?? '/_global';
      const path =
        raw === '/fields/url' ? '/uri' : raw === '/fields/username' ? '/username' : raw.startsWith('/messages') ? '/secrets' : raw;
      return { ...detail, path, message: detail.message ?? 'The value is invalid.' };
    });
    return new AppError('validation.failed', RESOURCE_INVALID, { details });
  }
  return e;
}

/** A query parameter given as `key`, `key[]` (repeated or not), or parsed into an object. */
export function queryList(query: unknown, key: string): string[] {
  const q = (query ?? {}) as Record<string, unknown>;
  const raw = q[`${key}[]`] ?? q[key];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.filter((x): x is string => typeof x === 'string');
}

/** `filter[x]` of the query, as a list of strings. */
export const filterList = (query: unknown, name: string) => {
  const q = (query ?? {}) as Record<string, unknown>;
  const nested = (typeof q.filter === 'object' && q.filter ? q.filter : {}) as Record<string, unknown>;
  const fromNested = nested[name];
  const own = queryList(query, `filter[${name}]`);
  if (own.length) return own;
  return fromNested === undefined
    ? []
    : (Array.isArray(fromNested) ? fromNested : [fromNested]).filter((x): x is string => typeof x === 'string');
};

export const filterFlag = (query: unknown, name: string): boolean => {
  const v = filterList(query, name)[0];
  return v === '1' || v === 'true';
};
