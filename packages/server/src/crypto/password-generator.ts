import { randomInt } from 'node:crypto';
import type { PasswordPolicy, ResolvedPasswordPolicy } from '@coffer/contracts/passwords';
import { AppError, type ErrorDetail } from '../lib/app-error.ts';

export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';
/** All printable ASCII punctuation (32 characters). */
export const DEFAULT_SYMBOLS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
/** Characters easily mistaken for one another when read or typed: I l 1 | O 0 o ` ' " */
export const AMBIGUOUS = 'Il1|O0o`\'"';

export const MIN_LENGTH = 8;
export const MAX_LENGTH = 256;

export const DEFAULT_PASSWORD_POLICY: Readonly<ResolvedPasswordPolicy> = Object.freeze({
  length: 24,
  lower: true,
  upper: true,
  digits: true,
  symbols: true,
  minPerClass: 1,
  exclude: '',
  noAmbiguous: false,
  symbolSet: DEFAULT_SYMBOLS,
});

export type CharClassName = 'lower' | 'upper' | 'digits' | 'symbols';

/** Uniform integer in [0, max): crypto.randomInt by default (rejection sampling, no modulo bias). */
export type RandomInt = (max: number) => number;
const secureRandomInt: RandomInt = (max) => randomInt(max);

/**
 * Layers policies: defaults first, then each layer in order (vault, folders, the caller's own).
 * A field left out (undefined) or null in a layer keeps the value from below.
 */
export function resolvePasswordPolicy(...layers: Array<PasswordPolicy | null | undefined>): ResolvedPasswordPolicy {
  const out: ResolvedPasswordPolicy = { ...DEFAULT_PASSWORD_POLICY };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v !== undefined && v !== null && k in out) (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

export interface CompiledPolicy {
  policy: ResolvedPasswordPolicy;
  /** Enabled classes, each with the characters left after exclusions (never empty). */
  classes: Array<{ name: CharClassName; chars: string[] }>;
  /** Union of the classes' characters. */
  alphabet: string[];
  /** Class index of every alphabet character. */
  classOf: Map<string, number>;
  /**
   * 'reject': draw the whole password uniformly from the alphabet and retry until the minimums
   * hold, which is exactly uniform over all passwords satisfying the policy. 'place': used when
   * random strings rarely meet the minimums; the minimums are drawn from their classes first, the
   * rest from the alphabet, then shuffled (every character still uniform within its class).
   */
  strategy: 'reject' | 'place';
}

const isAsciiPunctuation = (c: string) => /^[!-/:-@[-`{-~]$/.test(c);

/** Validates a resolved policy and precomputes its character classes. Throws validation.failed. */
export function compilePasswordPolicy(policy: ResolvedPasswordPolicy): CompiledPolicy {
  const problems: ErrorDetail[] = [];
  const { length, minPerClass } = policy;
  if (!Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH)
    problems.push({ path: '/policy/length', message: `must be an integer from ${MIN_LENGTH} to ${MAX_LENGTH}` });
  if (!Number.isInteger(minPerClass) || minPerClass < 0)
    problems.push({ path: '/policy/minPerClass', message: 'must be a non-negative integer' });
  const symbolSet = [...new Set(policy.symbolSet)];
  if (symbolSet.length === 0 || !symbolSet.every(isAsciiPunctuation))
    problems.push({ path: '/policy/symbolSet', message: 'must hold printable ASCII punctuation only' });

  const dropped = new Set([...policy.exclude, ...(policy.noAmbiguous ? AMBIGUOUS : '')]);
  const sources: Array<[CharClassName, boolean, readonly string[]]> = [
    ['lower', policy.lower, [...LOWER]],
    ['upper', policy.upper, [...UPPER]],
    ['digits', policy.digits, [...DIGITS]],
    ['symbols', policy.symbols, symbolSet],
  ];
  const classes: CompiledPolicy['classes'] = [];
  for (const [name, enabled, all] of sources) {
    if (!enabled) continue;
    const chars = all.filter((c) => !dropped.has(c));
    if (chars.length === 0) problems.push({ path: `/policy/${name}`, message: `no ${name} characters are left after the exclusions` });
    else classes.push({ name, chars });
  }
  if (sources.every(([, enabled]) => !enabled))
    problems.push({ path: '/policy', message: 'enable at least one character class (lower, upper, digits, symbols)' });
  const required = minPerClass * classes.length;
  if (problems.length === 0 && required > length)
    problems.push({
      path: '/policy/length',
      message: `${length} is shorter than the ${required} characters required (${minPerClass} of each of ${classes.length} classes)`,
    });
  if (problems.length) throw new AppError('validation.failed', 'The password policy cannot be satisfied.', { details: problems });

  const alphabet = classes.flatMap((c) => c.chars);
  const classOf = new Map<string, number>();
  classes.forEach((c, i) => {
    for (const ch of c.chars) classOf.set(ch, i);
  });
  const acceptance = classes.reduce((p, c) => p * binomialTailAtLeast(length, c.chars.length / alphabet.length, minPerClass), 1);
  return { policy, classes, alphabet, classOf, strategy: acceptance >= 0.1 ? 'reject' : 'place' };
}

/**
 * P(X >= m) for X ~ Binomial(n, p), in log space so long passwords do not underflow. The product
 * over classes is an upper bound of the chance that a uniform string meets every minimum (class
 * counts are negatively associated), good enough to choose a strategy.
 */
function binomialTailAtLeast(n: number, p: number, m: number): number {
  if (m <= 0 || p >= 1) return 1;
  if (p <= 0) return 0;
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p);
  let below = 0;
  for (let j = 0; j < m; j++) {
    below += Math.exp(logPmf);
    logPmf += Math.log(n - j) - Math.log(j + 1) + logRatio;
  }
  return Math.max(0, 1 - below);
}

const MAX_REJECTIONS = 1000;

function generateOne(c: CompiledPolicy, rng: RandomInt): string {
  const { length, minPerClass } = c.policy;
  if (c.strategy === 'reject') {
    const counts = new Array<number>(c.classes.length);
    for (let attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
      counts.fill(0);
      let out = '';
      for (let i = 0; i < length; i++) {
        const ch = c.alphabet[rng(c.alphabet.length)] as string;
        const k = c.classOf.get(ch) as number;
        counts[k] = (counts[k] as number) + 1;
        out += ch;
      }
      if (counts.every((n) => n >= minPerClass)) return out;
    }
    // practically unreachable (strategy chosen at >= 10 % acceptance); placing stays correct
  }
  const chars: string[] = [];
  for (const cls of c.classes) for (let i = 0; i < minPerClass; i++) chars.push(cls.chars[rng(cls.chars.length)] as string);
  while (chars.length < length) chars.push(c.alphabet[rng(c.alphabet.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = rng(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

/**
 * Generates `count` passwords satisfying the policy, from a cryptographically secure source.
 * Throws validation.failed (naming the offending fields) when the policy cannot be satisfied.
 */
export function generatePasswords(policy: ResolvedPasswordPolicy, count = 1, rng: RandomInt = secureRandomInt): string[] {
  const compiled = compilePasswordPolicy(policy);
  return Array.from({ length: count }, () => generateOne(compiled, rng));
}

/** One password; see generatePasswords. */
export function generatePassword(policy: ResolvedPasswordPolicy = DEFAULT_PASSWORD_POLICY, rng: RandomInt = secureRandomInt): string {
  return generatePasswords(policy, 1, rng)[0] as string;
}
