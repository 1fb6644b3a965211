import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResolvedPasswordPolicy } from '@coffer/contracts/passwords';
import fc from 'fast-check';
import { AppError } from '../lib/app-error.ts';
import {
  AMBIGUOUS,
  compilePasswordPolicy,
  DEFAULT_PASSWORD_POLICY,
  DEFAULT_SYMBOLS,
  DIGITS,
  generatePassword,
  generatePasswords,
  LOWER,
  resolvePasswordPolicy,
  UPPER,
} from './password-generator.ts';
import { estimateStrength } from './password-strength.ts';

const classChars = (p: ResolvedPasswordPolicy) => ({
  lower: p.lower ? LOWER : '',
  upper: p.upper ? UPPER : '',
  digits: p.digits ? DIGITS : '',
  symbols: p.symbols ? p.symbolSet : '',
});

/** The reference: what the policy allows, computed independently of the generator. */
function allowedByClass(p: ResolvedPasswordPolicy): Record<string, Set<string>> {
  const dropped = new Set([...p.exclude, ...(p.noAmbiguous ? AMBIGUOUS : '')]);
  const out: Record<string, Set<string>> = {};
  for (const [name, chars] of Object.entries(classChars(p))) {
    if (chars) out[name] = new Set([...chars].filter((c) => !dropped.has(c)));
  }
  return out;
}

function assertSatisfies(pw: string, p: ResolvedPasswordPolicy): void {
  assert.equal([...pw].length, p.length, 'length');
  const classes = allowedByClass(p);
  const counts: Record<string, number> = Object.fromEntries(Object.keys(classes).map((k) => [k, 0]));
  const dropped = new Set([...p.exclude, ...(p.noAmbiguous ? AMBIGUOUS : '')]);
  for (const c of pw) {
    assert.ok(!dropped.has(c), 'no excluded or ambiguous character');
    const cls = Object.entries(classes).find(([, set]) => set.has(c));
    assert.ok(cls, 'only allowed characters');
    counts[cls[0]] = (counts[cls[0]] ?? 0) + 1;
  }
  for (const [name, n] of Object.entries(counts)) assert.ok(n >= p.minPerClass, `${name}: ${n} < ${p.minPerClass}`);
}

const punctuation = [...DEFAULT_SYMBOLS];
const anyAscii = fc.integer({ min: 0x21, max: 0x7e }).map((n) => String.fromCharCode(n));

/** Random policies that can be satisfied: at least one class with characters left, minimums fit. */
const validPolicy = fc
  .record({
    length: fc.integer({ min: 8, max: 256 }),
    lower: fc.boolean(),
    upper: fc.boolean(),
    digits: fc.boolean(),
    symbols: fc.boolean(),
    minPerClass: fc.integer({ min: 0, max: 64 }),
    exclude: fc.array(anyAscii, { maxLength: 40 }).map((a) => a.join('')),
    noAmbiguous: fc.boolean(),
    symbolSet: fc.uniqueArray(fc.constantFrom(...punctuation), { minLength: 1, maxLength: 32 }).map((a) => a.join('')),
  })
  .map((p) => {
    const classes = allowedByClass(p);
    const enabled = Object.values(classes);
    return { ...p, ok: enabled.length > 0 && enabled.every((s) => s.size > 0) };
  })
  .filter((p) => p.ok)
  .map(({ ok: _ok, ...p }) => {
    const k = Object.keys(allowedByClass(p)).length;
    return { ...p, minPerClass: Math.min(p.minPerClass, Math.floor(p.length / k)) };
  });

function validationPaths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'validation.failed');
    return (e.details ?? []).map((d) => d.path);
  }
  assert.fail('expected validation.failed');
}

describe('password generator', () => {
  test('defaults: 24 characters with every class', () => {
    const pw = generatePassword();
    assertSatisfies(pw, DEFAULT_PASSWORD_POLICY);
    assert.equal(pw.length, 24);
    assert.notEqual(generatePassword(), pw);
  });

  test('property: every password satisfies its policy (thousands of random valid policies)', () => {
    fc.assert(
      fc.property(validPolicy, fc.integer({ min: 1, max: 3 }), (p, count) => {
        const pws = generatePasswords(p, count);
        assert.equal(pws.length, count);
        for (const pw of pws) assertSatisfies(pw, p);
      }),
      { numRuns: 3000 },
    );
  });

  test('property: both strategies (uniform rejection and placing the minimums) honour tight policies', () => {
    const tight = validPolicy.map((p) => {
      const k = Object.keys(allowedByClass(p)).length;
      return { ...p, length: Math.max(8, Math.min(p.length, 40)), minPerClass: Math.floor(Math.max(8, Math.min(p.length, 40)) / k) };
    });
    const seen = new Set<string>();
    fc.assert(
      fc.property(tight, (p) => {
        seen.add(compilePasswordPolicy(p).strategy);
        assertSatisfies(generatePassword(p), p);
      }),
      { numRuns: 1000 },
    );
    assert.deepEqual([...seen].sort(), ['place', 'reject']);
  });

  test('a deterministic source: the same draws give the same password (randomness is injected)', () => {
    let i = 0;
    const counter = (max: number) => i++ % max;
    const a = generatePassword(DEFAULT_PASSWORD_POLICY, counter);
    i = 0;
    assert.equal(generatePassword(DEFAULT_PASSWORD_POLICY, counter), a);
  });

  test('impossible policies are refused with validation.failed naming the field', () => {
    const base = DEFAULT_PASSWORD_POLICY;
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, lower: false, upper: false, digits: false, symbols: false })),
      ['/policy'],
    );
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, length: 8, minPerClass: 3 })),
      ['/policy/length'],
    );
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, digits: true, exclude: DIGITS })),
      ['/policy/digits'],
    );
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, symbols: true, symbolSet: '`\'"|', noAmbiguous: true })),
      ['/policy/symbols'],
    );
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, length: 7 })),
      ['/policy/length'],
    );
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, length: 257 })),
      ['/policy/length'],
    );
    assert.deepEqual(
      validationPaths(() => generatePassword({ ...base, symbolSet: 'a!' })),
      ['/policy/symbolSet'],
    );
    // the message never carries the policy's characters
    try {
      generatePassword({ ...base, exclude: `${LOWER}${UPPER}${DIGITS}${DEFAULT_SYMBOLS}` });
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof AppError);
      assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes('abcdef'));
    }
  });

  test('property: length shorter than the required characters is always refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 256 }), fc.integer({ min: 1, max: 4 }), (length, classes) => {
        const flags = [true, true, true, true].map((_, i) => i < classes);
        const minPerClass = Math.floor(length / classes) + 1;
        const p = {
          ...DEFAULT_PASSWORD_POLICY,
          length,
          lower: flags[0],
          upper: flags[1],
          digits: flags[2],
          symbols: flags[3],
          minPerClass,
        };
        assert.ok(validationPaths(() => generatePassword(p as ResolvedPasswordPolicy)).includes('/policy/length'));
      }),
      { numRuns: 500 },
    );
  });

  test('noAmbiguous and exclude remove exactly those characters', () => {
    const p = { ...DEFAULT_PASSWORD_POLICY, length: 256, noAmbiguous: true, exclude: 'abc' };
    const all = generatePasswords(p, 40).join('');
    for (const c of `${AMBIGUOUS}abc`) assert.ok(!all.includes(c), c);
    // and everything else does show up over a large sample
    const expected = [...LOWER, ...UPPER, ...DIGITS, ...DEFAULT_SYMBOLS].filter((c) => !`${AMBIGUOUS}abc`.includes(c));
    for (const c of expected) assert.ok(all.includes(c), `missing ${c}`);
  });

  test('layers: defaults, then each layer; undefined and null keep what is below', () => {
    const r = resolvePasswordPolicy({ length: 40, symbols: false }, null, { length: 12 }, undefined);
    assert.deepEqual(r, { ...DEFAULT_PASSWORD_POLICY, length: 12, symbols: false });
    const unknown = resolvePasswordPolicy({ bogus: 1 } as never);
    assert.deepEqual(unknown, DEFAULT_PASSWORD_POLICY);
  });

  /**
   * Pearson chi-square over character counts. With k - 1 degrees of freedom the statistic has mean
   * k - 1 and standard deviation sqrt(2(k - 1)); the bound k - 1 + 8·sd is exceeded by a fair
   * source with probability far below 1e-9, while an off-by-one or modulo bias of a few percent on
   * this sample size overshoots it by a wide margin.
   */
  function chiSquare(counts: Map<string, number>, alphabet: string[]): { stat: number; bound: number } {
    const total = alphabet.reduce((s, c) => s + (counts.get(c) ?? 0), 0);
    const expected = total / alphabet.length;
    const stat = alphabet.reduce((s, c) => s + ((counts.get(c) ?? 0) - expected) ** 2 / expected, 0);
    const df = alphabet.length - 1;
    return { stat, bound: df + 8 * Math.sqrt(2 * df) };
  }
  const count = (text: string) => {
    const m = new Map<string, number>();
    for (const c of text) m.set(c, (m.get(c) ?? 0) + 1);
    return m;
  };

  test('character frequencies are uniform over the whole alphabet (no minimums)', () => {
    const p = { ...DEFAULT_PASSWORD_POLICY, length: 256, minPerClass: 0 };
    const text = generatePasswords(p, 400).join(''); // 102,400 characters, ~1,090 per character
    const alphabet = [...LOWER, ...UPPER, ...DIGITS, ...DEFAULT_SYMBOLS];
    const counts = count(text);
    assert.equal(counts.size, alphabet.length);
    const { stat, bound } = chiSquare(counts, alphabet);
    assert.ok(stat < bound, `chi-square ${stat.toFixed(1)} >= ${bound.toFixed(1)}`);
  });

  test('within each class, characters are uniform (default policy, minimums on)', () => {
    const text = generatePasswords({ ...DEFAULT_PASSWORD_POLICY, length: 64 }, 1500).join('');
    const counts = count(text);
    for (const cls of [LOWER, UPPER, DIGITS, DEFAULT_SYMBOLS]) {
      const { stat, bound } = chiSquare(counts, [...cls]);
      assert.ok(stat < bound, `chi-square ${stat.toFixed(1)} >= ${bound.toFixed(1)} for ${cls.slice(0, 3)}…`);
    }
  });

  test('the placing strategy keeps classes uniform and positions shuffled', () => {
    const p = { ...DEFAULT_PASSWORD_POLICY, length: 8, minPerClass: 2, symbolSet: '!#' };
    assert.equal(compilePasswordPolicy(p).strategy, 'place');
    const pws = generatePasswords(p, 6000);
    for (const pw of pws.slice(0, 100)) assertSatisfies(pw, p);
    const counts = count(pws.join(''));
    for (const cls of [LOWER, UPPER, DIGITS, '!#']) {
      const { stat, bound } = chiSquare(counts, [...cls]);
      assert.ok(stat < bound, `chi-square ${stat.toFixed(1)} >= ${bound.toFixed(1)}`);
    }
    // every class lands in every position, about equally (each 1/4 here: 2 of each of 4 classes)
    for (let pos = 0; pos < 8; pos++) {
      const digits = pws.filter((pw) => DIGITS.includes(pw[pos] as string)).length;
      assert.ok(Math.abs(digits / pws.length - 0.25) < 0.05, `position ${pos}: ${digits}`);
    }
  });

  test('a generated 24-character password scores 4', () => {
    for (const pw of generatePasswords(DEFAULT_PASSWORD_POLICY, 50)) assert.equal(estimateStrength(pw).score, 4);
  });
});
