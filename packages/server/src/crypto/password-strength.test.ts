import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_PASSWORD_POLICY, generatePasswords } from './password-generator.ts';
import { estimateStrength, isCommonPassword, MAX_ESTIMATED_LENGTH } from './password-strength.ts';

describe('password strength (zxcvbn-ts)', () => {
  test('the most common passwords and trivial patterns score 0-1, with feedback', () => {
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
      'zxcvbnm,./',
    ]) {
      const s = estimateStrength(pw);
      assert.ok(s.score <= 1, `${pw}: score ${s.score} (${s.entropyBits} bits)`);
      assert.ok(s.feedback.length > 0, `${pw}: feedback`);
    }
  });

  test('names the weakness in its feedback', () => {
    assert.ok(estimateStrength('password').feedback.includes('This is one of the ten most used passwords.'));
    assert.ok(estimateStrength('aaaaaaaa').feedback.some((f) => f.includes('Repeated characters')));
    assert.ok(estimateStrength('abcdefgh').feedback.some((f) => f.includes('sequences')));
    assert.ok(estimateStrength('zxcvbnm,./').feedback.some((f) => f.includes('rows of keys')));
    assert.ok(estimateStrength('P@ssw0rd').feedback.some((f) => f.includes('substitutions')));
    assert.deepEqual(estimateStrength('').feedback, ['Enter a password.']);
  });

  test('known words of the account count against it', () => {
    const name = 'Quintessa-Vandermolen';
    assert.ok(estimateStrength(`${name}-1`, [name]).score < estimateStrength(`${name}-1`).score);
  });

  test('generated 24-character passwords score 4 with no advice', () => {
    for (const pw of generatePasswords(DEFAULT_PASSWORD_POLICY, 100)) {
      const s = estimateStrength(pw);
      assert.equal(s.score, 4);
      assert.ok(s.entropyBits > 70, String(s.entropyBits));
      assert.deepEqual(s.feedback, []);
    }
  });

  test('12 random characters of all classes are at least good', () => {
    for (const pw of generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: 12 }, 50))
      assert.ok(estimateStrength(pw).score >= 3, pw.length.toString());
  });

  test('property: never throws, bounded output, feedback from a fixed set that never echoes the password', () => {
    const sentences = new Set<string>();
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }), (pw) => {
        const s = estimateStrength(pw);
        assert.ok(Number.isInteger(s.score) && s.score >= 0 && s.score <= 4);
        assert.ok(Number.isFinite(s.entropyBits) && s.entropyBits >= 0);
        if (pw.length >= 6) for (const f of s.feedback) assert.ok(!f.includes(pw));
        for (const f of s.feedback) sentences.add(f);
      }),
      { numRuns: 1000 },
    );
    assert.ok(sentences.size < 40, 'a fixed set of sentences');
  });

  test('a longer password is judged on its first characters: a strong prefix is enough', () => {
    const strong = generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: MAX_ESTIMATED_LENGTH }, 1)[0] as string;
    assert.equal(estimateStrength(`${strong}${'a'.repeat(500)}`).score, 4);
    assert.ok(estimateStrength(`${'a'.repeat(MAX_ESTIMATED_LENGTH)}${strong}`).score <= 1, 'the judged part is weak');
  });

  test('1,024-character inputs, also of l33t characters and sequences, are answered quickly', () => {
    const t = performance.now();
    for (const pw of [
      'a'.repeat(1024),
      '0123456789'.repeat(102),
      '4@3!1|0$5+'.repeat(102),
      'p@$$w0rd'.repeat(128),
      generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: 256 }, 1)[0]!.repeat(4),
    ]) {
      estimateStrength(pw);
    }
    assert.ok(performance.now() - t < 2000);
  });

  test('the breached/common list: found in any case, random passwords are not on it', () => {
    for (const pw of ['password', 'PASSWORD', 'Qwerty123', 'iloveyou', '1qaz2wsx3edc4rfv']) assert.ok(isCommonPassword(pw), pw);
    for (const pw of generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: 16 }, 50)) assert.ok(!isCommonPassword(pw));
  });
});
