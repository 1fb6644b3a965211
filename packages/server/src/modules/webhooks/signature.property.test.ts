import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { newWebhookSecret, signatureHeader, signWebhook, verifyWebhookSignature } from './signature.ts';

const secretArb = fc.string({ minLength: 1, maxLength: 64 });
const bodyArb = fc.string({ maxLength: 500 });
/** Unix seconds within the years 2001..2286. */
const tsArb = fc.integer({ min: 1_000_000_000, max: 9_999_999_999 });

describe('webhook signatures (property)', () => {
  it('verifies what was signed, within the tolerance', () => {
    fc.assert(
      fc.property(secretArb, bodyArb, tsArb, fc.integer({ min: -300, max: 300 }), (secret, body, ts, skew) => {
        const header = signatureHeader(secret, ts, body);
        return verifyWebhookSignature(secret, ts, body, header, 300, (ts + skew) * 1000);
      }),
    );
  });

  it('fails on any change to the body, the timestamp or the secret', () => {
    fc.assert(
      fc.property(secretArb, secretArb, bodyArb, bodyArb, tsArb, tsArb, (s1, s2, b1, b2, t1, t2) => {
        fc.pre(s1 !== s2 || b1 !== b2 || t1 !== t2);
        const header = signatureHeader(s1, t1, b1);
        // the receiver's clock agrees with the timestamp it was given: only the signature can fail
        return !verifyWebhookSignature(s2, t2, b2, header, 300, t2 * 1000);
      }),
    );
  });

  it('fails on stale (or future) timestamps even with a good signature', () => {
    fc.assert(
      fc.property(secretArb, bodyArb, tsArb, fc.integer({ min: 301, max: 10_000_000 }), fc.boolean(), (secret, body, ts, off, past) => {
        const header = signatureHeader(secret, ts, body);
        const now = (past ? ts + off : ts - off) * 1000;
        return !verifyWebhookSignature(secret, ts, body, header, 300, now);
      }),
    );
  });

  it('fails on any single changed character of the signature, and on malformed headers', () => {
    fc.assert(
      fc.property(secretArb, bodyArb, tsArb, fc.nat(63), fc.constantFrom(...'0123456789abcdef'), (secret, body, ts, i, ch) => {
        const hex = signWebhook(secret, ts, body);
        fc.pre(hex[i] !== ch);
        const forged = `v1=${hex.slice(0, i)}${ch}${hex.slice(i + 1)}`;
        return !verifyWebhookSignature(secret, ts, body, forged, 300, ts * 1000);
      }),
    );
    const secret = newWebhookSecret();
    const ts = 1_700_000_000;
    const hex = signWebhook(secret, ts, '{}');
    for (const header of [undefined, '', hex, `v0=${hex}`, `v1=${hex.toUpperCase()}`, `v1=${hex}0`, `v1=${hex.slice(1)}`]) {
      assert.equal(verifyWebhookSignature(secret, ts, '{}', header, 300, ts * 1000), false, String(header));
    }
    assert.equal(verifyWebhookSignature(secret, '1700000000.5', '{}', `v1=${hex}`, 300, ts * 1000), false, 'a non-integer timestamp');
    assert.equal(verifyWebhookSignature(secret, ts, '{}', `v1=${'0'.repeat(64)}, v1=${hex}`, 300, ts * 1000), true, 'any listed signature');
  });
});
