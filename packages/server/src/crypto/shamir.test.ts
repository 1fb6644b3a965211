import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { combineShares, decodeShare, encodeShare, type Share, splitSecret } from './shamir.ts';

/** All subsets of `items` (as arrays, in index order). */
function subsets<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let mask = 0; mask < 1 << items.length; mask++) {
    out.push(items.filter((_, i) => mask & (1 << i)));
  }
  return out;
}

describe('shamir', () => {
  test('exhaustive n in 1..6, k in 1..n: every subset >= k recovers, every subset of k-1 does not', () => {
    let checked = 0;
    for (let n = 1; n <= 6; n++) {
      for (let k = 1; k <= n; k++) {
        const secret = randomBytes(32);
        const shares = splitSecret(secret, n, k);
        assert.equal(shares.length, n);
        assert.deepEqual(
          shares.map((s) => s.x),
          Array.from({ length: n }, (_, i) => i + 1),
        );
        for (const s of shares) assert.equal(s.y.length, 32);
        for (const subset of subsets(shares)) {
          if (subset.length >= k) {
            assert.deepEqual(combineShares(subset), secret, `n=${n} k=${k} xs=${subset.map((s) => s.x)}`);
            // Order of shares does not matter.
            assert.deepEqual(combineShares([...subset].reverse()), secret);
            checked++;
          } else if (subset.length === k - 1 && subset.length > 0) {
            assert.notDeepEqual(combineShares(subset), secret, `n=${n} k=${k} xs=${subset.map((s) => s.x)} recovered the secret`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 0);
  });

  test('k = 1: every share is the secret itself', () => {
    const secret = randomBytes(16);
    for (const s of splitSecret(secret, 5, 1)) assert.deepEqual(s.y, secret);
  });

  test('property: random n <= 10, k <= n, secret length 1..64', () => {
    const arb = fc.integer({ min: 1, max: 10 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        k: fc.integer({ min: 1, max: n }),
        secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
        order: fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
        extra: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ n, k, secret, order, extra }) => {
        const s = Buffer.from(secret);
        const shares = splitSecret(s, n, k);
        const shuffled = order.map((i) => shares[i] as Share);
        // A random subset of size m in k..n recovers the secret.
        const m = k + (extra % (n - k + 1));
        assert.deepEqual(combineShares(shuffled.slice(0, m)), s);
        // Through the text encoding too.
        const decoded = shuffled.slice(0, m).map((sh) => decodeShare(encodeShare(sh)) as Share);
        assert.deepEqual(combineShares(decoded), s);
        // k-1 shares give the right value for a byte only when the random top coefficient
        // is 0 (probability 1/256 a byte), so only a long secret can be checked as a whole.
        if (k >= 2 && s.length >= 16) {
          assert.notDeepEqual(combineShares(shuffled.slice(0, k - 1)), s);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('k-1 shares recover each byte at about chance level (1/256)', () => {
    // 3-of-5 on a 4096-byte secret: with 2 shares, the fraction of bytes that happen to be right
    // is ~1/256 (16 expected); far more would mean the polynomial leaks.
    const secret = randomBytes(4096);
    const shares = splitSecret(secret, 5, 3);
    const guess = combineShares([shares[1] as Share, shares[3] as Share]);
    let same = 0;
    for (let i = 0; i < secret.length; i++) if (guess[i] === secret[i]) same++;
    assert.ok(same < 60, `${same} of 4096 bytes recovered from k-1 shares`);
  });

  test('splitSecret rejects bad parameters', () => {
    const s = randomBytes(8);
    for (const [n, k] of [
      [0, 0],
      [1, 0],
      [2, 3],
      [256, 2],
      [3, 1.5],
      [3.5, 2],
      [Number.NaN, 1],
    ] as const) {
      assert.throws(() => splitSecret(s, n, k), `n=${n} k=${k}`);
    }
    assert.equal(splitSecret(s, 255, 255).length, 255);
  });

  test('n = k = 255 round trip', () => {
    const secret = randomBytes(8);
    assert.deepEqual(combineShares(splitSecret(secret, 255, 255)), secret);
  });

  test('encodeShare/decodeShare round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (x, y) => {
        const share = { x, y: Buffer.from(y) };
        const text = encodeShare(share);
        assert.match(text, /^\d{1,3}-[0-9a-f]+$/);
        assert.deepEqual(decodeShare(text), share);
        // Surrounding whitespace and upper case are tolerated.
        assert.deepEqual(decodeShare(`  ${text.toUpperCase()}\n`), share);
      }),
      { numRuns: 2000 },
    );
  });

  test('decodeShare rejects garbage', () => {
    for (const g of [
      '',
      ' ',
      '-',
      '1',
      '1-',
      '1-a',
      '1-abc',
      '1-zz',
      '1-0g',
      '0-ab',
      '256-ab',
      '999-ab',
      '1000-ab',
      '-1-ab',
      '1.5-ab',
      '1_ab',
      '1 - ab',
      '1-ab cd',
      '1-ab-cd',
      'x-ab',
      '0x1-ab',
      '1-0xab',
      '１-ab',
    ]) {
      assert.equal(decodeShare(g), undefined, JSON.stringify(g));
    }
  });

  test('decodeShare on random strings returns undefined or a valid share', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const d = decodeShare(s);
        if (d === undefined) return;
        assert.ok(Number.isInteger(d.x) && d.x >= 1 && d.x <= 255);
        assert.ok(d.y.length >= 1);
        assert.deepEqual(decodeShare(encodeShare(d)), d);
      }),
      { numRuns: 2000 },
    );
  });

  test('combineShares rejects duplicate x, bad x, length mismatch and no shares', () => {
    const shares = splitSecret(randomBytes(16), 3, 2);
    const [a, b] = shares as [Share, Share, Share];
    assert.throws(() => combineShares([a, a]), /duplicate/);
    assert.throws(() => combineShares([a, b, { x: a.x, y: b.y }]), /duplicate/);
    assert.throws(() => combineShares([a, { x: 0, y: b.y }]), /invalid/);
    assert.throws(() => combineShares([a, { x: 256, y: b.y }]), /invalid/);
    assert.throws(() => combineShares([a, { x: b.x, y: b.y.subarray(1) }]), /length/);
    assert.throws(() => combineShares([]), /no shares/);
  });
});
