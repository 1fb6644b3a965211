import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { coversEveryAddress } from './cidr.ts';

const arbV4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const v4FromInt = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

describe('coversEveryAddress (property)', () => {
  it('any /0 covers everything; a single narrower network never does', () => {
    fc.assert(
      fc.property(arbV4, fc.integer({ min: 1, max: 32 }), (ip, prefix) => {
        assert.equal(coversEveryAddress([`${ip}/0`]), true);
        assert.equal(coversEveryAddress([`${ip}/${prefix}`]), false);
      }),
    );
    assert.equal(coversEveryAddress(['::/0']), true);
    assert.equal(coversEveryAddress(['2001:db8::1/0']), true);
    assert.equal(coversEveryAddress(['::/1', '8000::/1']), true);
    assert.equal(coversEveryAddress(['::/1']), false);
    assert.equal(coversEveryAddress(['::ffff:0.0.0.0/96']), false, 'not a valid binding, covers nothing');
    assert.equal(coversEveryAddress([]), false);
  });

  it('the 2^k blocks of prefix k together cover IPv4; without any one of them they do not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), (k, drop) => {
        const size = 2 ** (32 - k);
        const blocks = Array.from({ length: 2 ** k }, (_, i) => `${v4FromInt(i * size)}/${k}`);
        assert.equal(coversEveryAddress([...blocks].reverse()), true, 'order does not matter');
        const missing = blocks.filter((_, i) => i !== drop % blocks.length);
        assert.equal(coversEveryAddress(missing), false);
      }),
    );
  });
});
