// Passbolt's resource types (ADR 0025 "Resources"): what a resource's secret holds and how its
// plaintext is written. Four fixed types, each with a fixed UUID; `definition` is a JSON string
// (the JSON schemas of the resource's fields and of the secret's plaintext, as Passbolt publishes
// them). A resource of Coffer's own (a secret created natively in an E2E vault: JSON of the fields)
// reads as password-and-description. Stored per secret as its `valueFormat` (the slug).
import type { ValueFormat } from '@coffer/contracts/secrets';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { invalid } from './body.ts';
import { dateOf } from './dates.ts';
import { model, ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { ERRORS, envelope, exact, itemOf, itemsOf, nullableStr, str } from './schemas.ts';

const optionalText = (maxLength: number) => ({ anyOf: [{ type: 'string', maxLength }, { type: 'null' }] });
const resourceFields = (withDescription: boolean) => ({
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 255 },
    username: optionalText(255),
    uri: optionalText(1024),
    ...(withDescription ? { description: optionalText(10000) } : {}),
  },
});
const totp = {
  type: 'object',
  required: ['secret_key', 'digits', 'algorithm'],
  properties: {
    algorithm: { type: 'string', minLength: 4, maxLength: 6 },
    secret_key: { type: 'string', maxLength: 1024 },
    digits: { type: 'number', minimum: 6, exclusiveMaximum: 9 },
    period: { type: 'number' },
  },
};
const password = { type: 'string', maxLength: 4096 };

interface ResourceType {
  id: string;
  slug: ValueFormat;
  name: string;
  description: string;
  definition: { resource: unknown; secret: unknown };
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    id: '669f8c64-242a-59fb-92fc-81f660975fd3',
    slug: 'password-string',
    name: 'Simple password',
    description: 'The original passbolt resource type, where the secret is a non empty string.',
    definition: { resource: resourceFields(true), secret: { ...password, minLength: 0 } },
  },
  {
    id: 'a28a04cd-6f53-518a-967c-9963bf9cec51',
    slug: 'password-and-description',
    name: 'Password with description',
    description: 'A resource with the password and the description encrypted.',
    definition: {
      resource: resourceFields(false),
      secret: { type: 'object', required: ['password'], properties: { password, description: optionalText(10000) } },
    },
  },
  {
    id: '1d4ab3c5-1f8a-5b1d-9b8e-6f1d3c2a7e01',
    slug: 'totp',
    name: 'Standalone TOTP',
    description: 'A resource with standalone TOTP fields.',
    definition: { resource: resourceFields(true), secret: { type: 'object', required: ['totp'], properties: { totp } } },
  },
  {
    id: '7d1c2b4e-8a3f-5c6d-8e9f-0a1b2c3d4e02',
    slug: 'password-description-totp',
    name: 'Password, Description and TOTP',
    description: 'A resource with encrypted password, description and TOTP fields.',
    definition: {
      resource: resourceFields(false),
      secret: {
        type: 'object',
        required: ['password', 'totp'],
        properties: { password, description: optionalText(10000), totp },
      },
    },
  },
];

/** The types' creation date (fixed: they are part of the server). */
const SINCE = Date.UTC(2024, 0, 1);

export const DEFAULT_TYPE = RESOURCE_TYPES[0] as ResourceType;
/** What Coffer's own E2E secrets (JSON of the fields) read as. */
export const NATIVE_TYPE = RESOURCE_TYPES[1] as ResourceType;

export function typeOfFormat(format: string | null | undefined): ResourceType {
  return RESOURCE_TYPES.find((t) => t.slug === format) ?? NATIVE_TYPE;
}

/** `resource_type_id` of a request: absent or null is password-string; unknown ones are refused. */
export function typeOfInput(v: unknown): ResourceType {
  if (v === undefined || v === null || v === '') return DEFAULT_TYPE;
  if (typeof v !== 'string' || !ANY_UUID.test(v)) {
    throw invalid('resource_type_id', 'uuid', 'The resource type identifier should be a valid UUID.', 'Could not validate resource data.');
  }
  const t = RESOURCE_TYPES.find((x) => x.id === v.toLowerCase());
  if (!t)
    throw invalid('resource_type_id', 'resource_type_exists', 'The resource type does not exist.', 'Could not validate resource data.');
  return t;
}

export function presentType(t: ResourceType, date: (when: number) => string) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    description: t.description,
    definition: JSON.stringify(t.definition),
    created: date(SINCE),
    modified: date(SINCE),
  };
}

export const resourceTypeSchema = exact({
  id: str,
  slug: str,
  name: str,
  description: nullableStr,
  definition: str,
  created: str,
  modified: str,
});

const wrap = (req: FastifyRequest, t: ResourceType) => model(req, 'ResourceType', presentType(t, dateOf(req)));

export function resourceTypeRoutes(api: FastifyInstance): void {
  api.get('/resource-types.json', {
    config: { auth: 'user', permission: 'self', action: 'passbolt.resource_types' },
    schema: { response: { 200: envelope(itemsOf(resourceTypeSchema, 'ResourceType')), ...ERRORS } },
    handler: async (req) =>
      ok(
        req,
        RESOURCE_TYPES.map((t) => wrap(req, t)),
      ),
  });
  api.get<{ Params: { id: string } }>('/resource-types/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'passbolt.resource_types' },
    schema: { response: { 200: envelope(itemOf(resourceTypeSchema, 'ResourceType')), ...ERRORS } },
    handler: async (req) => {
      const id = req.params.id;
      if (!ANY_UUID.test(id)) throw invalid('id', 'uuid', 'The resource type identifier should be a valid UUID.');
      const t = RESOURCE_TYPES.find((x) => x.id === id.toLowerCase());
      if (!t) throw new AppError('not_found', 'The resource type does not exist.');
      return ok(req, wrap(req, t));
    },
  });
}
