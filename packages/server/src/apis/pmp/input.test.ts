import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonExtent, parseBody, parseForm, parseLenientJson } from './input.ts';

describe('PMP input', () => {
  it('reads JSON, and JSON with bare words as PMP examples send it', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(parseLenientJson('{"operation":{"Details":{"REASON":"x"}}}'))), {
      operation: { Details: { REASON: 'x' } },
    });
    assert.deepEqual(
      JSON.parse(JSON.stringify(parseLenientJson('{operation:{Details:{NEWPASSWORD:Test12345$,RESETTYPE:LOCAL,REASON:test}}}'))),
      {
        operation: { Details: { NEWPASSWORD: 'Test12345$', RESETTYPE: 'LOCAL', REASON: 'test' } },
      },
    );
    assert.deepEqual(JSON.parse(JSON.stringify(parseLenientJson("{a:[1, 'b c', true]}"))), { a: ['1', 'b c', true] });
  });

  it('refuses what is not JSON, and nesting deeper than 16', () => {
    for (const bad of ['{', '{a:}', '{"a":1', '{a:1}}', `${'['.repeat(40)}${']'.repeat(40)}`]) {
      assert.throws(() => parseLenientJson(bad), { code: 'validation.failed' }, bad);
    }
  });

  it('drops keys that could reach a prototype', () => {
    const v = parseLenientJson('{"__proto__":{"polluted":1},"constructor":{"x":1},"ok":1}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['ok']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const f = parseForm('__proto__=1&INPUT_DATA=a&INPUT_DATA=b');
    assert.deepEqual(Object.keys(f), ['INPUT_DATA']);
    assert.equal(f.INPUT_DATA, 'a');
  });

  it('reads a body as JSON when it looks like JSON, else as a form, whatever its type', () => {
    assert.equal(parseBody('').kind, 'empty');
    assert.equal(parseBody(' {"operation":{}} ').kind, 'json');
    const b = parseBody('INPUT_DATA=%7B%22a%22%3A1%7D');
    assert.equal(b.kind, 'form');
    assert.equal(b.kind === 'form' ? b.fields.INPUT_DATA : '', '{"a":1}');
  });

  it("keeps an unencoded INPUT_DATA as written (Python's str(dict), curl -d), other fields around it", () => {
    const b = parseBody("A=1&INPUT_DATA={'operation': {'Details': {'PASSWORD': 'a&b+c%41', 'X': \"it's\"}}}&AUTHTOKEN=t");
    assert.equal(b.kind, 'form');
    if (b.kind !== 'form') return;
    assert.equal(b.fields.A, '1');
    assert.equal(b.fields.AUTHTOKEN, 't');
    const v = JSON.parse(JSON.stringify(parseLenientJson(b.fields.INPUT_DATA as string)));
    assert.deepEqual(v, { operation: { Details: { PASSWORD: 'a&b+c%41', X: "it's" } } });
    assert.equal(jsonExtent('{"a":"}"}tail', 0), 9);
    assert.equal(jsonExtent('{never closed', 0), 13);
  });

  it("reads Python's words and escapes: True, False, None, \\xNN, an escaped quote", () => {
    const v = parseLenientJson("{'a': True, 'b': False, 'c': None, 'd': 'caf\\xe9', 'e': 'x\\'y', f: \"q\\\"r\"}") as Record<
      string,
      unknown
    >;
    assert.deepEqual(JSON.parse(JSON.stringify(v)), { a: true, b: false, c: null, d: 'café', e: "x'y", f: 'q"r' });
  });
});
