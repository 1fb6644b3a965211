import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aeadOpen, aeadSeal, associatedData, type Binding, DecryptError } from './aead.ts';

const bindingArb: fc.Arbitrary<Binding> = fc.record({
  type: fc.string({ unit: 'binary', maxLength: 12 }),
  id: fc.string({ unit: 'binary', maxLength: 12 }),
  field: fc.string({ unit: 'binary', maxLength: 12 }),
});

function isDecryptError(e: unknown): boolean {
  return e instanceof DecryptError;
}

describe('aead', () => {
  const key = randomBytes(32);

  test('seal/open round trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), (pt, aad) => {
        const sealed = aeadSeal(key, Buffer.from(pt), Buffer.from(aad));
        assert.equal(sealed.length, 12 + pt.length + 16);
        assert.deepEqual(aeadOpen(key, sealed, Buffer.from(aad)), Buffer.from(pt));
      }),
      { numRuns: 2000 },
    );
  });

  test('associatedData is injective over (binding, term)', () => {
    fc.assert(
      fc.property(bindingArb, fc.nat(), bindingArb, fc.nat(), (b1, t1, b2, t2) => {
        const same = b1.type === b2.type && b1.id === b2.id && b1.field === b2.field && t1 === t2;
        assert.equal(associatedData(b1, t1).equals(associatedData(b2, t2)), same);
      }),
      { numRuns: 5000 },
    );
    // Separator-shifting must not collide.
    assert.notDeepEqual(associatedData({ type: 'a', id: 'b.c', field: 'd' }, 1), associatedData({ type: 'a.b', id: 'c', field: 'd' }, 1));
    assert.notDeepEqual(
      associatedData({ type: 'a","b', id: 'c', field: 'd' }, 1),
      associatedData({ type: 'a', id: 'b","c', field: 'd' }, 1),
    );
    // Lone surrogates are escaped by JSON.stringify, so they do not collapse to U+FFFD.
    assert.notDeepEqual(associatedData({ type: '\ud800', id: '', field: '' }, 1), associatedData({ type: '\udc00', id: '', field: '' }, 1));
  });

  test('wrong key or wrong aad throws DecryptError', () => {
    const sealed = aeadSeal(key, Buffer.from('secret'), Buffer.from('aad'));
    assert.throws(() => aeadOpen(randomBytes(32), sealed, Buffer.from('aad')), isDecryptError);
    assert.throws(() => aeadOpen(key, sealed, Buffer.from('aae')), isDecryptError);
    assert.throws(() => aeadOpen(key, sealed, Buffer.alloc(0)), isDecryptError);
  });

  test('too-short or truncated input throws DecryptError', () => {
    const sealed = aeadSeal(key, Buffer.from('secret'), Buffer.alloc(0));
    for (let len = 0; len < sealed.length; len++) {
      assert.throws(() => aeadOpen(key, sealed.subarray(0, len), Buffer.alloc(0)), isDecryptError, `length ${len}`);
    }
    // Exactly nonce + tag with an empty plaintext is valid.
    const empty = aeadSeal(key, Buffer.alloc(0), Buffer.alloc(0));
    assert.equal(empty.length, 28);
    assert.equal(aeadOpen(key, empty, Buffer.alloc(0)).length, 0);
  });

  test('fresh nonce: two seals of one plaintext differ', () => {
    const pt = Buffer.from('same plaintext');
    const a = aeadSeal(key, pt, Buffer.alloc(0));
    const b = aeadSeal(key, pt, Buffer.alloc(0));
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a.subarray(0, 12), b.subarray(0, 12));
  });

  test('key must be 32 bytes', () => {
    for (const len of [0, 16, 24, 31, 33]) {
      assert.throws(() => aeadSeal(Buffer.alloc(len), Buffer.alloc(1), Buffer.alloc(0)));
      assert.throws(() => aeadOpen(Buffer.alloc(len), Buffer.alloc(40), Buffer.alloc(0)));
    }
  });

  test('DecryptError carries no detail', () => {
    const e = new DecryptError();
    assert.equal(e.name, 'DecryptError');
    assert.equal(e.message, 'decryption failed');
    assert.ok(e instanceof Error);
  });
});
