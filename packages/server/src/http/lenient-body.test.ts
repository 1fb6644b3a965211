// The lenient body parse of the compatibility surfaces: JSON or a form whatever the label, lists
// the way each product's server reads them, prototype keys, NUL and oversized forms refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LenientBodyOptions, parseLenientBody } from './lenient-body.ts';

const php: LenientBodyOptions = { maxFields: 5, repeated: 'list', nullIsEmpty: true };
const dotnet: LenientBodyOptions = { maxFields: 5, repeated: 'first', jsonStrings: true };

describe('lenient bodies', () => {
  it('reads JSON when it looks like JSON and a form otherwise, whatever the label', () => {
    assert.deepEqual(parseLenientBody(' {"a":1} ', php), { a: 1 });
    assert.deepEqual(parseLenientBody('[1,2]', dotnet), [1, 2]);
    assert.deepEqual(parseLenientBody('a=x%20y&b=2', php), { a: 'x y', b: '2' });
    assert.equal(parseLenientBody('   ', php), undefined);
    assert.throws(() => parseLenientBody('{"a":', php), { code: 'request.invalid_json' });
  });

  it('makes lists as PHP does (a[] collects, a repeated plain key keeps its last value) or keeps the first value as .NET does', () => {
    assert.deepEqual(parseLenientBody('tags[]=x&tags[]=y&u=1&u=2', php), { tags: ['x', 'y'], u: '2' });
    assert.deepEqual(parseLenientBody('u=1&u=2&tags[]=x', dotnet), { u: '1', 'tags[]': 'x' });
  });

  it('reads a JSON string only where the surface says so, and `null` as no body only where it says so', () => {
    assert.equal(parseLenientBody('"abc"', dotnet), 'abc');
    assert.deepEqual(parseLenientBody('"abc"', php), { '"abc"': '' });
    assert.equal(parseLenientBody('null', php), undefined);
    assert.deepEqual(parseLenientBody('null', dotnet), { null: '' });
  });

  it('refuses prototype keys in any case, NUL characters and too many fields', () => {
    for (const o of [php, dotnet]) {
      for (const k of ['__proto__', 'constructor', 'Prototype', ...(o === php ? ['__proto__[]'] : [])]) {
        assert.throws(() => parseLenientBody(`${k}=1&a=2`, o), { code: 'request.invalid_json' }, k);
      }
      assert.throws(() => parseLenientBody('{"__proto__": {"x": 1}}', o), { code: 'request.invalid_json' });
      assert.throws(() => parseLenientBody('a=x%00y', o), { code: 'validation.failed' });
      assert.throws(() => parseLenientBody('{"a":"x\\u0000"}', o), { code: 'validation.failed' });
      assert.throws(() => parseLenientBody('a=1&b=2&c=3&d=4&e=5&f=6', o), { code: 'validation.failed' });
    }
  });
});
