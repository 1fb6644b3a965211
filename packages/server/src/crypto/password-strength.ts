import { type OptionsType, ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * Password strength by zxcvbn-ts (ADR 0009), a maintained TypeScript port of Dropbox's zxcvbn:
 * the password is split into the cheapest sequence of guessable pieces — words of its common
 * password list (about 49,000 passwords from breach corpora) and of the EFF diceware list, also in
 * l33t spelling or reversed, keyboard walks, repeats, sequences, dates — and
 * the number of guesses of that split is the estimate.
 *
 * It never keeps, logs or echoes the password: the feedback is a fixed set of sentences.
 */

export interface PasswordStrength {
  /** 0 very weak, 1 weak, 2 fair, 3 good, 4 strong (zxcvbn: < 10^3, 10^6, 10^8, 10^10 guesses, more). */
  score: 0 | 1 | 2 | 3 | 4;
  /** Estimated guessing entropy (log2 of the guesses an informed attacker needs), one decimal. */
  entropyBits: number;
  feedback: string[];
}

/**
 * zxcvbn's work grows faster than linearly with the length and with the number of l33t-able
 * characters (a 64-character run of digits and symbols took ~80 ms on the event loop; with the
 * two bounds below the worst inputs we tried take ~10 ms): a longer password is judged on its
 * first this many characters. That only under-estimates it: the rest can only add guesses.
 */
export const MAX_ESTIMATED_LENGTH = 48;
/** At most this many l33t substitutions are tried per match (the library's default, 100, is slow). */
const L33T_MAX_SUBSTITUTIONS = 8;

/** Our own sentences for zxcvbn's feedback keys (the library returns keys unless translated). */
const translations: NonNullable<OptionsType['translations']> = {
  warnings: {
    straightRow: 'Straight rows of keys are easy to guess.',
    keyPattern: 'Short keyboard patterns are easy to guess.',
    simpleRepeat: 'Repeated characters such as "aaa" are easy to guess.',
    extendedRepeat: 'Repeated groups of characters such as "abcabcabc" are easy to guess.',
    sequences: 'Common character sequences such as "abc" are easy to guess.',
    recentYears: 'Recent years are easy to guess.',
    dates: 'Dates are easy to guess.',
    topTen: 'This is one of the ten most used passwords.',
    topHundred: 'This is one of the hundred most used passwords.',
    common: 'This is a commonly used password.',
    similarToCommon: 'This is similar to a commonly used password.',
    wordByItself: 'Single words are easy to guess.',
    namesByThemselves: 'Single names or surnames are easy to guess.',
    commonNames: 'Common names and surnames are easy to guess.',
    userInputs: 'The password contains your name or other personal data.',
    pwned: 'This password appeared in a data breach.',
  },
  suggestions: {
    l33t: 'Avoid predictable letter substitutions such as "@" for "a".',
    reverseWords: 'Avoid reversed spellings of common words.',
    allUppercase: 'Capitalise some, but not all letters.',
    capitalization: 'Capitalise more than the first letter.',
    dates: 'Avoid dates and years that are associated with you.',
    recentYears: 'Avoid recent years.',
    associatedYears: 'Avoid years that are associated with you.',
    sequences: 'Avoid common character sequences.',
    repeated: 'Avoid repeated words and characters.',
    longerKeyboardPattern: 'Use longer keyboard patterns and change the typing direction several times.',
    anotherWord: 'Add more words that are less common.',
    useWords: 'Use several words, but avoid common phrases.',
    noNeed: 'You can create strong passwords without symbols, numbers or uppercase letters.',
    pwned: 'If you use this password elsewhere, change it there.',
  },
  timeEstimation: {
    ltSecond: 'less than a second',
    second: '{base} second',
    seconds: '{base} seconds',
    minute: '{base} minute',
    minutes: '{base} minutes',
    hour: '{base} hour',
    hours: '{base} hours',
    day: '{base} day',
    days: '{base} days',
    month: '{base} month',
    months: '{base} months',
    year: '{base} year',
    years: '{base} years',
    centuries: 'centuries',
  },
};

let factory: ZxcvbnFactory | undefined;
/** Built on first use (~30 ms: it ranks the dictionaries), then shared. */
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary,
    graphs: adjacencyGraphs,
    translations,
    // off: the edit-distance search runs over the whole dictionary and cost ~100-700 ms a password
    useLevenshteinDistance: false,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
    maxLength: MAX_ESTIMATED_LENGTH,
  });
  return factory;
}

const LOG2_10 = Math.log2(10);

/** The estimate of `password` (pure; the password is not retained). `userInputs` (a username, an
 * e-mail address) count as known words, as an attacker who targets the account would use them. */
export function estimateStrength(password: string, userInputs: readonly string[] = []): PasswordStrength {
  if (password.length === 0) return { score: 0, entropyBits: 0, feedback: ['Enter a password.'] };
  const judged = Array.from(password).slice(0, MAX_ESTIMATED_LENGTH).join('');
  const r = zxcvbn().check(
    judged,
    userInputs.filter((s) => s.length > 0),
  );
  const feedback = [...(r.feedback.warning ? [r.feedback.warning] : []), ...r.feedback.suggestions];
  // a strong password gets no advice, even when a pattern turned up in it by chance
  return {
    score: r.score,
    entropyBits: Math.round(r.guessesLog10 * LOG2_10 * 10) / 10,
    feedback: r.score === 4 ? [] : feedback,
  };
}

let common: Set<string> | undefined;
/**
 * True when the password is on zxcvbn's list of common passwords (from breach corpora), in any
 * capitalisation. The list ships in the `@zxcvbn-ts/language-common` package: no network lookup.
 */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((w) => String(w).toLowerCase()));
  return common.has(password.toLowerCase());
}
