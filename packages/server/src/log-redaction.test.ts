// Request bodies never reach the logs today; the redaction paths (app.ts logRedactPaths) are the
// second line in case one ever does (a debug line, a framework error). Every body field of every
// route that can carry a secret — found in the OpenAPI document by name, so a route added later is
// checked too — is logged at debug level with a canary in it, and no canary may show in the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects, type Harness, startHarness } from '../test/harness.ts';

/**
 * A body field whose name says it holds a secret: its last camelCase word is one of these
 * (`password`, `currentPassword`, `totpCode`, `refreshToken`, `share`, `nonce` …). A telephone
 * country code is not one.
 */
const SECRET_WORDS = new Set(['password', 'passphrase', 'secret', 'token', 'nonce', 'share', 'code', 'key']);
const NOT_SECRET = /CountryCode$/;
function namesSecret(name: string): boolean {
  const lastWord = name.split(/(?=[A-Z])/).at(-1) ?? '';
  return SECRET_WORDS.has(lastWord.toLowerCase()) && !NOT_SECRET.test(name);
}
/**
 * Fields that hold secret values under other names: a secret's field values (`fields`, a custom
 * field's `value`, each item of a bulk create), an import file's `content`, a webhook `url` (many
 * services put a token in it).
 */
const VALUE_FIELD = /^(fields|content|url)$/;
/** Flags, numbers and objects (the settings of an API key in `operation.apiKey`) are no secret by name. */
const NOT_TEXT = new Set(['boolean', 'integer', 'number', 'object']);

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
};

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

/** Every body field path (`operation.user.password`, `items[*].fields`) that carries a secret, with its routes. */
function secretPaths(doc: { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } }) {
  const found = new Map<string, Set<string>>();
  const resolve = (s: Schema | undefined): Schema | undefined => {
    let out = s;
    for (let i = 0; out?.$ref && i < 10; i++) out = doc.components?.schemas?.[out.$ref.split('/').pop() as string];
    return out;
  };
  const walk = (raw: Schema | undefined, path: string[], route: string, depth: number) => {
    const s = resolve(raw);
    if (!s || depth > 12) return;
    for (const alt of [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])]) walk(alt, path, route, depth + 1);
    if (s.items) walk(s.items, [...path.slice(0, -1), `${path.at(-1)}[*]`], route, depth + 1);
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      const next = [...path, name];
      const c = resolve(child);
      const secret =
        VALUE_FIELD.test(name) ||
        (name === 'value' && path.at(-1) === 'customFields[*]') ||
        (namesSecret(name) && !NOT_TEXT.has(c?.type ?? ''));
      if (secret) found.set(next.join('.'), (found.get(next.join('.')) ?? new Set()).add(route));
      else walk(child, next, route, depth + 1);
    }
  };
  for (const [url, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const body = op?.requestBody?.content?.['application/json']?.schema;
      if (body) walk(body, [], `${method.toUpperCase()} ${url}`, 0);
    }
  }
  return found;
}

/** `{ items: [{ fields: value }] }` for `items[*].fields`. */
function objectAt(path: string, value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (const seg of path.split('.').reverse()) out = seg.endsWith('[*]') ? { [seg.slice(0, -3)]: [out] } : { [seg]: out };
  return out as Record<string, unknown>;
}

for (const dialect of dialects) {
  describe(`log redaction of secret body fields [${dialect}]`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect, { config: { logLevel: 'debug' } });
    });
    after(async () => h.close());

    it('builds nested bodies at a path', () => {
      assert.deepEqual(objectAt('operation.user.password', 'x'), { operation: { user: { password: 'x' } } });
      assert.deepEqual(objectAt('items[*].customFields[*].value', 'x'), { items: [{ customFields: [{ value: 'x' }] }] });
    });

    it('finds the secret fields of every route, and a body logged at debug level shows none of them', async () => {
      const doc = (await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const paths = secretPaths(doc);
      // the finder sees what the review named (and would see a new route's fields the same way)
      for (const p of [
        'password',
        'currentPassword',
        'newPassword',
        'totpCode',
        'recoveryCode',
        'code',
        'refreshToken',
        'share',
        'nonce',
      ]) {
        assert.ok(paths.has(p), `body.${p} found`);
      }
      for (const p of [
        'passphrase',
        'operation.password',
        'operation.user.password',
        'fields',
        'customFields[*].value',
        'content',
        'url',
      ]) {
        assert.ok(paths.has(p), `body.${p} found`);
      }
      assert.ok(paths.has('items[*].fields') && paths.has('items[*].customFields[*].value'), 'bulk items');
      for (const p of ['allowAnyAddress', 'operation.patch.allPasswords', 'mobileCountryCode', 'secretId', 'policy.passwordPolicy']) {
        assert.ok(!paths.has(p), `body.${p} is no secret`);
      }

      const canaries = new Map<string, string>();
      let n = 0;
      for (const p of paths.keys()) {
        const canary = `log-canary-${++n}-${Math.random().toString(36).slice(2, 12)}`;
        canaries.set(p, canary);
        h.app.log.debug({ body: objectAt(p, p.endsWith('fields') ? { password: canary } : canary) }, 'request body');
      }
      // a positive control: a field that is not redacted does reach the log, so the scan sees bodies
      const control = `log-control-${Math.random().toString(36).slice(2, 12)}`;
      h.app.log.debug({ body: { name: control } }, 'request body');
      const logs = h.logs();
      assert.ok(logs.includes(control), 'the debug lines were written and scanned');
      const leaked = [...canaries].filter(([, c]) => logs.includes(c)).map(([p]) => `body.${p} (${[...(paths.get(p) ?? [])].join(', ')})`);
      assert.deepEqual(leaked, [], 'no secret body field in the log');
    });
  });
}
