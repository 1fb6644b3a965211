import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { base32Decode, base32Encode, hotp, matchTotp, newTotpSecret, otpauthUri, TOTP_PERIOD_SECONDS, totpStep } from './totp.ts';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

// RFC 6238 Appendix B, SHA-1 column (8 digits).
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('totp', () => {
  test('RFC 6238 Appendix B SHA-1 vectors (last 6 digits)', () => {
    for (const [seconds, code8] of RFC_VECTORS) {
      const step = totpStep(seconds * 1000);
      assert.equal(step, Math.floor(seconds / 30));
      assert.equal(hotp(RFC_SECRET, step), code8.slice(-6), `T=${seconds}`);
      assert.equal(matchTotp(RFC_SECRET, code8.slice(-6), seconds * 1000), step, `T=${seconds}`);
    }
  });

  test('RFC 4226 Appendix D HOTP vectors', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => {
      assert.equal(hotp(RFC_SECRET, counter), code);
    });
  });

  test('totpStep boundaries', () => {
    assert.equal(TOTP_PERIOD_SECONDS, 30);
    assert.equal(totpStep(0), 0);
    assert.equal(totpStep(29_999), 0);
    assert.equal(totpStep(30_000), 1);
    assert.equal(totpStep(59_999), 1);
  });

  test('matchTotp accepts now-1, now, now+1 and returns the step (fixed vector)', () => {
    const now = 1111111111 * 1000;
    const step = totpStep(now);
    const codes = [-2, -1, 0, 1, 2].map((d) => hotp(RFC_SECRET, step + d));
    assert.equal(new Set(codes).size, 5, 'codes of the 5 steps are distinct');
    assert.equal(matchTotp(RFC_SECRET, codes[1] as string, now), step - 1);
    assert.equal(matchTotp(RFC_SECRET, codes[2] as string, now), step);
    assert.equal(matchTotp(RFC_SECRET, codes[3] as string, now), step + 1);
    assert.equal(matchTotp(RFC_SECRET, codes[0] as string, now), undefined);
    assert.equal(matchTotp(RFC_SECRET, codes[4] as string, now), undefined);
    const wrong = codes[2] === '000000' ? '000001' : '000000';
    assert.ok(!codes.includes(wrong));
    assert.equal(matchTotp(RFC_SECRET, wrong, now), undefined);
    for (const bad of ['', '14050', '1405047', ' 050471', '050471 ', 'abcdef']) {
      assert.equal(matchTotp(RFC_SECRET, bad, now), undefined, bad);
    }
  });

  test('matchTotp property: window of +-1 step, nothing else', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 32 }),
        fc.integer({ min: 60_000, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 999_999 }),
        (secretBytes, now, wrongN) => {
          const secret = Buffer.from(secretBytes);
          const step = totpStep(now);
          const code = (d: number) => hotp(secret, step + d);
          const window = [code(-1), code(0), code(1)];
          const wrong = String(wrongN).padStart(6, '0');
          fc.pre(new Set(window).size === 3);
          fc.pre(!window.includes(code(-2)) && !window.includes(wrong));
          assert.equal(matchTotp(secret, code(-1), now), step - 1);
          assert.equal(matchTotp(secret, code(0), now), step);
          assert.equal(matchTotp(secret, code(1), now), step + 1);
          assert.equal(matchTotp(secret, code(-2), now), undefined);
          assert.equal(matchTotp(secret, wrong, now), undefined);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('hotp always returns 6 digits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (s, c) => {
        assert.match(hotp(Buffer.from(s), c), /^\d{6}$/);
      }),
      { numRuns: 1000 },
    );
  });

  test('base32 RFC 4648 vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, enc] of vectors) {
      assert.equal(base32Encode(Buffer.from(plain)), enc);
      assert.equal(base32Decode(enc).toString(), plain);
    }
    // Padding and lower case accepted on input.
    assert.equal(base32Decode('MZXW6YQ=').toString(), 'foob');
    assert.equal(base32Decode('mzxw6ytboi======').toString(), 'foobar');
    assert.equal(base32Encode(RFC_SECRET), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  test('base32 round trip property', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const enc = base32Encode(buf);
        assert.match(enc, /^[A-Z2-7]*$/);
        assert.equal(enc.length, Math.ceil((buf.length * 8) / 5));
        assert.deepEqual(base32Decode(enc), buf);
        assert.deepEqual(base32Decode(enc.toLowerCase()), buf);
      }),
      { numRuns: 5000 },
    );
  });

  test('base32Decode rejects invalid characters', () => {
    for (const bad of ['0', '1', '8', '9', 'MZ XW', 'MZ-XW', 'MZ=XW', 'é']) {
      assert.throws(() => base32Decode(bad), /invalid base32/, bad);
    }
  });

  test('newTotpSecret and otpauthUri', () => {
    const s = newTotpSecret();
    assert.equal(s.length, 20);
    assert.notDeepEqual(s, newTotpSecret());
    const uri = otpauthUri(RFC_SECRET, 'alice@example.com');
    const u = new URL(uri);
    assert.equal(u.protocol, 'otpauth:');
    assert.equal(u.host, 'totp');
    assert.equal(decodeURIComponent(u.pathname), '/Coffer:alice@example.com');
    assert.equal(u.searchParams.get('secret'), base32Encode(RFC_SECRET));
    assert.equal(u.searchParams.get('issuer'), 'Coffer');
    assert.equal(u.searchParams.get('algorithm'), 'SHA1');
    assert.equal(u.searchParams.get('digits'), '6');
    assert.equal(u.searchParams.get('period'), '30');
    assert.deepEqual(base32Decode(u.searchParams.get('secret') as string), RFC_SECRET);
  });
});
