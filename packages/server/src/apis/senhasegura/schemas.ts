// Response schemas of the senhasegura surfaces: one per status a route can answer. They are an
// allow-list (Fastify's serializer drops whatever a schema does not name, so nothing else leaves
// the server) and make the serialization a compiled one (fast-json-stringify). The shapes are the
// seed's (004): the envelope on every answer, the object of the route, ids as strings of integers.
// The error statuses are the ones errorAnswer (envelope.ts) can answer.

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const strings = { type: 'array', items: str } as const;

type Props = Record<string, unknown>;

/** An object of exactly these properties, all required. */
function exact<P extends Props>(properties: P) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties } as const;
}

/** `response`: the status block of every answer (`changed` only on a create-or-update). */
export const responseBlock = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'message', 'mensagem', 'error', 'erro', 'error_code', 'cod_erro', 'detail'],
  properties: {
    status: int,
    message: str,
    mensagem: str,
    error: bool,
    erro: bool,
    error_code: int,
    cod_erro: int,
    detail: str,
    changed: { type: 'string', enum: ['true', 'false'] },
  },
} as const;

/** A success answer: `{code, response}` plus the route's objects (each optional when a route answers either). */
export function success<P extends Props>(objects: P = {} as P, required: ReadonlyArray<keyof P & string> = Object.keys(objects)) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'response', ...required],
    properties: { code: int, response: responseBlock, ...objects },
  } as const;
}

/** An error answer (envelope.ts `failure`): the envelope plus `exception`. */
export const failureBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'response', 'exception'],
  properties: {
    code: int,
    response: responseBlock,
    exception: exact({ code: int, message: str, detail: nullableStr }),
  },
} as const;

/** Every error status errorAnswer answers (404 only for an unknown path, kept for completeness). */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 429, 500, 503] as const;

function errorsWith(body: unknown): Record<(typeof ERROR_STATUSES)[number], unknown> {
  return Object.fromEntries(ERROR_STATUSES.map((s) => [s, body])) as Record<(typeof ERROR_STATUSES)[number], unknown>;
}

/** The error statuses of every route but the token's. */
export const errorResponses = errorsWith(failureBody);

/** A route's `response`: its success statuses and the error ones. */
export function responses(ok: Record<number, unknown>) {
  return { ...ok, ...errorResponses };
}

// --- the objects ---------------------------------------------------------------------------

/** One item of the credential list (mapper.ts `listItem`): no value. */
export const credentialListItem = exact({
  id: str,
  identifier: str,
  username: str,
  expiration: nullableStr,
  change: nullableStr,
  view: { type: 'null' },
  hostname: str,
  management_ip: str,
  type: str,
  type_code: str,
  device_model: str,
  device_type: str,
  device_vendor: str,
  automatic_change: str,
  connectivity: str,
  connectivity_code: str,
});

/** One credential with its values (mapper.ts `credential`). */
export const credentialRead = exact({
  id: str,
  identifier: str,
  tag: str,
  username: str,
  password: nullableStr,
  content: nullableStr,
  hostname: str,
  parent_credential_cod: nullableStr,
  parent_credential: { type: 'null' },
  additional: str,
  domain: str,
  ip: str,
  port: str,
  model: str,
  type: str,
  tags: strings,
  expiration_time: nullableStr,
});

/** What a credential create-or-update answers. */
export const credentialSaved = exact({ id: str, tag: nullableStr });

/** An SSH key (mapper.ts `key`). */
export const keyRead = exact({
  id: str,
  username: str,
  key_name: str,
  hostname: str,
  ip: str,
  private_key: nullableStr,
  public_key: nullableStr,
  password: nullableStr,
  tags: strings,
  devices: { type: 'array', items: exact({ hostname: str, ip: str }) },
  expiration_time: nullableStr,
});

/** A device (devices.ts `wire`): every attribute as text. */
export const device = exact({
  id: str,
  hostname: str,
  ip: str,
  model: str,
  type: str,
  vendor: str,
  site: str,
  device_domain: str,
  connectivities: str,
  session_remote_config: str,
  device_tags: str,
  tags: str,
  active: str,
});

const infoView = {
  id: str,
  tag: nullableStr,
  identifier: nullableStr,
  name: str,
  type: nullableStr,
  service: nullableStr,
  url: nullableStr,
} as const;

/** One item of the protected information list (info.ts `view`): never the content. */
export const infoListItem = exact(infoView);
/** One item read (a reveal): with its content. */
export const infoRead = exact({ ...infoView, content: str });
/** What an information create-or-update answers: the content the caller just sent. */
export const infoSaved = exact({ ...infoView, users_allowed: { type: 'null' }, content: str });

// --- the routes' `response` ------------------------------------------------------------------

/** A route answering only the envelope (deactivate, activate, custody release, disable). */
export const plainResponses = responses({ 200: success() });

/** GET /credential (the list, or one with ?credential=). */
export const credentialListResponses = responses({
  200: success({ credentials: { type: 'array', items: credentialListItem }, credential: credentialRead }, []),
});
export const credentialReadResponses = responses({ 200: success({ credential: credentialRead }) });
export const credentialSaveResponses = responses({
  200: success({ credential: credentialSaved }),
  201: success({ credential: credentialSaved }),
});
export const keyReadResponses = responses({ 200: success({ key: keyRead }) });

export const deviceSaveResponses = responses({ 200: success({ device }), 201: success({ device }) });
export const deviceReadResponses = responses({ 200: success({ device }) });
export const deviceListResponses = responses({ 200: success({ devices: { type: 'array', items: device } }) });

export const infoListResponses = responses({ 200: success({ infos: { type: 'array', items: infoListItem } }) });
export const infoReadResponses = responses({ 200: success({ info: infoRead }) });
export const infoSaveResponses = responses({ 200: success({ info: infoSaved }), 201: success({ info: infoSaved }) });

/** POST /oauth2/token: RFC 6749's token answer; its errors add `error` and `error_description` (5.2). */
export const tokenResponses = {
  200: exact({ access_token: str, token_type: str, expires_in: int }),
  ...errorsWith({
    ...failureBody,
    required: [...failureBody.required, 'error', 'error_description'],
    properties: { ...failureBody.properties, error: str, error_description: str },
  }),
};
