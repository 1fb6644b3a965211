import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { constantTimeEqual, keyedHash, newToken, sha256Hex, type TokenKind, tokenKind } from './tokens.ts';

const KINDS: Array<[TokenKind, string]> = [
  ['session', 'cfs_'],
  ['refresh', 'cfr_'],
  ['apikey', 'cfk_'],
  ['mfa', 'cfm_'],
];

describe('tokens', () => {
  test('newToken: prefix and 256 random bits (43 base64url chars)', () => {
    for (const [kind, prefix] of KINDS) {
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const t = newToken(kind);
        assert.ok(t.startsWith(prefix), t);
        const body = t.slice(prefix.length);
        assert.match(body, /^[A-Za-z0-9_-]{43}$/);
        const raw = Buffer.from(body, 'base64url');
        assert.equal(raw.length, 32);
        assert.equal(raw.toString('base64url'), body);
        seen.add(t);
      }
      assert.equal(seen.size, 200);
    }
  });

  test('tokenKind recognises each prefix', () => {
    for (const [kind, prefix] of KINDS) {
      assert.equal(tokenKind(newToken(kind)), kind);
      assert.equal(tokenKind(prefix), kind);
    }
    for (const other of ['', 'cf_', 'cfs', 'CFS_abc', 'cfx_abc', ' cfs_abc', 'xcfs_abc', randomBytes(32).toString('base64url')]) {
      assert.equal(tokenKind(other), undefined, other);
    }
  });

  test('tokenKind property: defined exactly for known prefixes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (s) => {
        const expected = KINDS.find(([, p]) => s.startsWith(p))?.[0];
        assert.equal(tokenKind(s), expected);
      }),
      { numRuns: 2000 },
    );
  });

  test('keyedHash: deterministic, differs by key and by value', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const v = newToken('session');
    assert.equal(keyedHash(k1, v), keyedHash(Buffer.from(k1), v));
    assert.notEqual(keyedHash(k1, v), keyedHash(k2, v));
    assert.notEqual(keyedHash(k1, v), keyedHash(k1, `${v}x`));
    assert.match(keyedHash(k1, v), /^[A-Za-z0-9_-]{43}$/);
    // RFC 4231 test case 2: HMAC-SHA-256("Jefe", "what do ya want for nothing?").
    assert.equal(
      Buffer.from(keyedHash(Buffer.from('Jefe'), 'what do ya want for nothing?'), 'base64url').toString('hex'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  test('keyedHash property: different keys give different hashes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string({ maxLength: 64 }),
        (a, b, v) => {
          const ka = Buffer.from(a);
          const kb = Buffer.from(b);
          fc.pre(!ka.equals(kb));
          assert.notEqual(keyedHash(ka, v), keyedHash(kb, v));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('sha256Hex known answers', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex(Buffer.alloc(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('constantTimeEqual: equal, unequal, different lengths', () => {
    assert.equal(constantTimeEqual('', ''), true);
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'ab'), false);
    assert.equal(constantTimeEqual('ab', 'abc'), false);
    assert.equal(constantTimeEqual('', 'a'), false);
    assert.equal(constantTimeEqual('é', 'e\u0301'), false);
  });

  test('constantTimeEqual distinguishes strings differing only in lone surrogates', {}, () => {
    assert.equal(constantTimeEqual('\ud800', '\udc00'), false);
    assert.equal(constantTimeEqual('a\ud800', 'a\udfff'), false);
  });

  test('constantTimeEqual property agrees with ===', () => {
    const str = fc.string({ unit: 'grapheme', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(str, str),
          str.map((s) => [s, s] as [string, string]),
          fc.tuple(str, fc.string({ minLength: 1, maxLength: 4 })).map(([s, t]) => [s, s + t] as [string, string]),
          fc.tuple(str, fc.string({ minLength: 1, maxLength: 4 })).map(([s, t]) => [s + t, s] as [string, string]),
        ),
        ([a, b]) => {
          assert.equal(constantTimeEqual(a, b), a === b);
          assert.equal(constantTimeEqual(b, a), a === b);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
