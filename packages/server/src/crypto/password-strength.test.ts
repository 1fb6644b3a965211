import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_PASSWORD_POLICY, generatePasswords } from './password-generator.ts';
import { estimateStrength } from './password-strength.ts';

describe('password strength', () => {
  test('the most common passwords and trivial patterns score 0-1', () => {
    for (const pw of [
      'password',
      '123456',
      'aaaaaaaa',
      'qwerty',
      'P@ssw0rd',
      'Password1',
      'letmein!',
      'abcdefgh',
      '12345678',
      'qwertyuiop',
      'abcabcabcabc',
      'zzzzzzzzzzzzzzzz',
      '1990summer',
    ]) {
      const s = estimateStrength(pw);
      assert.ok(s.score <= 1, `${pw}: score ${s.score} (${s.entropyBits} bits)`);
      assert.ok(s.feedback.length > 0, `${pw}: feedback`);
    }
  });

  test('names the weakness in its feedback', () => {
    assert.ok(estimateStrength('password').feedback.includes('This is one of the most common passwords.'));
    assert.ok(estimateStrength('aaaaaaaa').feedback.some((f) => f.includes('runs of one character')));
    assert.ok(estimateStrength('Xk9!abcdefgh').feedback.some((f) => f.includes('sequences')));
    assert.ok(estimateStrength('Xk9!qwertyui').feedback.some((f) => f.includes('keyboard')));
    assert.ok(estimateStrength('short').feedback.some((f) => f.includes('at least 12 characters')));
  });

  test('generated 24-character passwords score 4 with no advice', () => {
    for (const pw of generatePasswords(DEFAULT_PASSWORD_POLICY, 100)) {
      const s = estimateStrength(pw);
      assert.equal(s.score, 4);
      assert.ok(s.entropyBits > 120, String(s.entropyBits));
      assert.deepEqual(s.feedback, []);
    }
  });

  test('mid-range: 12 random characters of all classes are at least fair, short ones capped', () => {
    for (const pw of generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: 12 }, 50))
      assert.ok(estimateStrength(pw).score >= 2, pw.length.toString());
    assert.ok(estimateStrength('x7#Kq!9').score <= 1, 'under 8 characters is at most weak');
  });

  test('property: never throws, bounded output, and feedback never echoes the password', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }), (pw) => {
        const s = estimateStrength(pw);
        assert.ok(Number.isInteger(s.score) && s.score >= 0 && s.score <= 4);
        assert.ok(Number.isFinite(s.entropyBits) && s.entropyBits >= 0);
        if (pw.length >= 6) for (const f of s.feedback) assert.ok(!f.includes(pw));
      }),
      { numRuns: 2000 },
    );
  });

  test('property: never above brute force over the classes present', () => {
    const size = (c: string): number => (/[a-z]/.test(c) ? 0 : /[A-Z]/.test(c) ? 1 : /[0-9]/.test(c) ? 2 : /[ -~]/.test(c) ? 3 : 4);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme-ascii' }), (pw) => {
        const chars = Array.from(pw);
        const charset = [...new Set(chars.map(size))].reduce((s, k) => s + ([26, 26, 10, 33, 100][k] as number), 0);
        // brute force, plus at most log2(n) bits for the order of the pieces, plus rounding
        const bound = chars.length * Math.log2(charset) + Math.log2(chars.length) + 0.05;
        assert.ok(estimateStrength(pw).entropyBits <= bound);
      }),
      { numRuns: 2000 },
    );
  });

  test('a 1,024-character input is answered quickly', () => {
    const t = performance.now();
    for (const pw of [
      'a'.repeat(1024),
      '0123456789'.repeat(102),
      generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: 256 }, 1)[0]!.repeat(4),
    ]) {
      estimateStrength(pw);
    }
    assert.ok(performance.now() - t < 2000);
  });
});
