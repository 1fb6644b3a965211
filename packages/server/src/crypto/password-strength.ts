/**
 * A small password strength estimator in the spirit of zxcvbn, without its dictionaries: the
 * password is split into the cheapest sequence of guessable pieces — a common password (about 250
 * embedded, also in l33t spelling), a run of one character, an alphabetic or numeric sequence, a
 * keyboard walk, a repeated group, a year — or single characters guessed by brute force over the
 * character classes present. The bits of that cheapest split are the estimate.
 *
 * It never keeps, logs or echoes the password: the feedback is a fixed set of sentences.
 */

/** Ordered by frequency (roughly, from public breach lists); the rank prices a match. */
const COMMON_PASSWORDS = [
  '123456',
  'password',
  '12345678',
  'qwerty',
  '123456789',
  '12345',
  '1234',
  '111111',
  '1234567',
  'dragon',
  '123123',
  'baseball',
  'abc123',
  'football',
  'monkey',
  'letmein',
  '696969',
  'shadow',
  'master',
  '666666',
  'qwertyuiop',
  '123321',
  'mustang',
  '1234567890',
  'michael',
  '654321',
  'superman',
  '1qaz2wsx',
  '7777777',
  '121212',
  '000000',
  'qazwsx',
  '123qwe',
  'killer',
  'trustno1',
  'jordan',
  'jennifer',
  'zxcvbnm',
  'asdfgh',
  'hunter',
  'buster',
  'soccer',
  'harley',
  'batman',
  'andrew',
  'tigger',
  'sunshine',
  'iloveyou',
  'charlie',
  'robert',
  'thomas',
  'hockey',
  'ranger',
  'daniel',
  'starwars',
  'klaster',
  '112233',
  'george',
  'computer',
  'michelle',
  'jessica',
  'pepper',
  '1111',
  'zxcvbn',
  '555555',
  '11111111',
  '131313',
  'freedom',
  '777777',
  'pass',
  'maggie',
  '159753',
  'aaaaaa',
  'ginger',
  'princess',
  'joshua',
  'cheese',
  'amanda',
  'summer',
  'love',
  'ashley',
  'nicole',
  'chelsea',
  'biteme',
  'matthew',
  'access',
  'yankees',
  '987654321',
  'dallas',
  'austin',
  'thunder',
  'taylor',
  'matrix',
  'william',
  'corvette',
  'hello',
  'martin',
  'heather',
  'secret',
  'merlin',
  'diamond',
  '1234qwer',
  'gfhjkm',
  'hammer',
  'silver',
  '222222',
  '88888888',
  'anthony',
  'justin',
  'test',
  'bailey',
  'q1w2e3r4t5',
  'patrick',
  'internet',
  'scooter',
  'orange',
  '11111',
  'golfer',
  'cookie',
  'richard',
  'samantha',
  'bigdog',
  'guitar',
  'jackson',
  'whatever',
  'mickey',
  'chicken',
  'sparky',
  'snoopy',
  'maverick',
  'phoenix',
  'camaro',
  'peanut',
  'morgan',
  'welcome',
  'falcon',
  'cowboy',
  'ferrari',
  'samsung',
  'andrea',
  'smokey',
  'steelers',
  'joseph',
  'mercedes',
  'dakota',
  'arsenal',
  'eagles',
  'melissa',
  'boomer',
  'booboo',
  'spider',
  'nascar',
  'monster',
  'tigers',
  'yellow',
  'xxxxxx',
  '123123123',
  'gateway',
  'marina',
  'diablo',
  'bulldog',
  'qwer1234',
  'compaq',
  'purple',
  'hardcore',
  'banana',
  'junior',
  'hannah',
  '123654',
  'porsche',
  'lakers',
  'iceman',
  'money',
  'cowboys',
  '987654',
  'london',
  'tennis',
  '999999',
  'ncc1701',
  'coffee',
  'scooby',
  '0000',
  'miller',
  'boston',
  'q1w2e3r4',
  'brandon',
  'yamaha',
  'chester',
  'mother',
  'forever',
  'johnny',
  'edward',
  '333333',
  'oliver',
  'redsox',
  'player',
  'nikita',
  'knight',
  'fender',
  'barney',
  'midnight',
  'please',
  'brandy',
  'chicago',
  'badboy',
  'slayer',
  'rangers',
  'charles',
  'angel',
  'flower',
  'rabbit',
  'wizard',
  'jasper',
  'rainbow',
  'admin',
  'administrator',
  'root',
  'toor',
  'changeme',
  'default',
  'welcome1',
  'letmein1',
  'password1',
  'password123',
  'admin123',
  'qwerty123',
  '1q2w3e4r',
  '1q2w3e',
  'zaq12wsx',
  'abcd1234',
  'asdf',
  'asdfasdf',
  'asdfghjkl',
  'qwerty1',
  'iloveyou1',
  'football1',
  'princess1',
  'login',
  'guest',
  'test123',
  'master123',
  'secret123',
  'hello123',
  '123abc',
  'abcdef',
  '7654321',
  '147258369',
  'aa123456',
  '123456a',
  'a123456',
  'qwertyu',
  '000000000',
  'monkey1',
  'dragon1',
  'sunshine1',
  'shadow1',
  'superman1',
  'batman1',
  'starwars1',
  'passport',
];

const commonRank = new Map<string, number>();
COMMON_PASSWORDS.forEach((w, i) => {
  if (!commonRank.has(w)) commonRank.set(w, i + 1);
});
const LONGEST_COMMON = Math.max(...COMMON_PASSWORDS.map((w) => w.length));

const LEET: Record<string, string> = { '4': 'a', '@': 'a', '3': 'e', '1': 'i', '!': 'i', '0': 'o', $: 's', '5': 's', '7': 't', '+': 't' };

/** Keyboard rows and columns (US layout), walked in either direction. */
const KEYBOARD = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1234567890', '!@#$%^&*()', '1qaz', '2wsx', '3edc', '4rfv', '5tgb', '6yhn', '7ujm'];
const KEYBOARD_BOTH = [...KEYBOARD, ...KEYBOARD.map((r) => [...r].reverse().join(''))];

type Kind = 'common' | 'repeat' | 'sequence' | 'keyboard' | 'block' | 'year';
interface Match {
  start: number;
  end: number;
  bits: number;
  kind: Kind;
}

export interface PasswordStrength {
  /** 0 very weak, 1 weak, 2 fair, 3 good, 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  /** Estimated guessing entropy (log2 of the guesses an informed attacker needs), one decimal. */
  entropyBits: number;
  feedback: string[];
}

const FEEDBACK: Record<Kind | 'whole' | 'short' | 'classes' | 'random', string> = {
  whole: 'This is one of the most common passwords.',
  common: 'Avoid common passwords and words inside the password.',
  repeat: 'Avoid runs of one character such as "aaa".',
  sequence: 'Avoid sequences such as "abcd" or "1234".',
  keyboard: 'Avoid keyboard patterns such as "qwerty".',
  block: 'Avoid repeating the same group of characters.',
  year: 'Avoid years and dates.',
  short: 'Use at least 12 characters; longer is stronger.',
  classes: 'Mix lower case, upper case, digits and symbols.',
  random: 'Add more random characters.',
};

function classSize(c: string): number {
  if (c >= 'a' && c <= 'z') return 26;
  if (c >= 'A' && c <= 'Z') return 26;
  if (c >= '0' && c <= '9') return 10;
  if (c >= ' ' && c <= '~') return 33;
  return 100;
}

function classKey(c: string): number {
  if (c >= 'a' && c <= 'z') return 0;
  if (c >= 'A' && c <= 'Z') return 1;
  if (c >= '0' && c <= '9') return 2;
  if (c >= ' ' && c <= '~') return 3;
  return 4;
}

function findMatches(chars: string[], bruteBits: number): Match[] {
  const n = chars.length;
  const lower = chars.map((c) => c.toLowerCase());
  const unleet = lower.map((c) => LEET[c] ?? c);
  const matches: Match[] = [];

  // common passwords, plain or in l33t, any capitalisation
  for (let i = 0; i < n; i++) {
    let plain = (lower[i] as string) + (lower[i + 1] ?? '');
    let leet = (unleet[i] as string) + (unleet[i + 1] ?? '');
    for (let len = 3; len <= LONGEST_COMMON && i + len <= n; len++) {
      plain += lower[i + len - 1];
      leet += unleet[i + len - 1];
      const rank = commonRank.get(plain) ?? commonRank.get(leet);
      if (rank === undefined) continue;
      const seg = chars.slice(i, i + len);
      const capitals = seg.some((c) => c !== c.toLowerCase()) ? 1 : 0;
      const substituted = !commonRank.has(plain) ? 1 : 0;
      matches.push({ start: i, end: i + len, bits: Math.log2(rank + 1) + capitals + substituted, kind: 'common' });
    }
  }

  // runs of one character, and sequences with a step of +1 / -1 in one class
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && chars[j] === chars[i]) j++;
    if (j - i >= 3) matches.push({ start: i, end: j, bits: Math.log2(classSize(chars[i] as string)) + Math.log2(j - i), kind: 'repeat' });
    i = j;
  }
  for (let i = 0; i + 2 < n; i++) {
    const step = (chars[i + 1] as string).codePointAt(0)! - (chars[i] as string).codePointAt(0)!;
    if (step !== 1 && step !== -1) continue;
    if (classKey(chars[i + 1] as string) !== classKey(chars[i] as string)) continue;
    let j = i + 1;
    while (
      j + 1 < n &&
      (chars[j + 1] as string).codePointAt(0)! - (chars[j] as string).codePointAt(0)! === step &&
      classKey(chars[j + 1] as string) === classKey(chars[i] as string)
    )
      j++;
    const len = j - i + 1;
    if (len >= 3) {
      const start = Math.log2(classSize(chars[i] as string));
      matches.push({ start: i, end: j + 1, bits: start + Math.log2(len) + (step < 0 ? 1 : 0), kind: 'sequence' });
    }
  }

  // keyboard walks of 4+ keys
  for (let i = 0; i + 4 <= n; i++) {
    for (let len = 4; i + len <= n; len++) {
      const s = lower.slice(i, i + len).join('');
      if (!KEYBOARD_BOTH.some((row) => row.includes(s))) break;
      matches.push({ start: i, end: i + len, bits: Math.log2(KEYBOARD_BOTH.length * 8) + Math.log2(len), kind: 'keyboard' });
    }
  }

  // a group repeated right after itself: the copies cost a little more than nothing
  for (let k = 2; 2 * k <= n; k++) {
    for (let t = 0; t + k < n; ) {
      let r = 0;
      while (t + r + k < n && chars[t + r] === chars[t + r + k]) r++;
      const reps = Math.floor(r / k) + 1;
      if (reps >= 2) matches.push({ start: t + k, end: t + reps * k, bits: Math.log2(reps) + 1, kind: 'block' });
      t += Math.max(r, 1);
    }
  }

  // years 1900-2099
  for (let i = 0; i + 4 <= n; i++) {
    const s = chars.slice(i, i + 4).join('');
    if (/^(19|20)\d\d$/.test(s)) matches.push({ start: i, end: i + 4, bits: Math.log2(200), kind: 'year' });
  }

  // never price a pattern above brute force over the same characters
  return matches.filter((m) => m.bits < (m.end - m.start) * bruteBits);
}

/** Estimates how hard a password is to guess. Pure; the password is not retained. */
export function estimateStrength(password: string): PasswordStrength {
  const chars = Array.from(password);
  const n = chars.length;
  if (n === 0) return { score: 0, entropyBits: 0, feedback: [FEEDBACK.short] };
  const present = new Set(chars.map(classKey));
  const charset = [...present].reduce((sum, k) => sum + [26, 26, 10, 33, 100][k]!, 0);
  const bruteBits = Math.log2(charset);

  const matches = findMatches(chars, bruteBits);
  const byEnd = new Map<number, Match[]>();
  for (const m of matches) {
    const list = byEnd.get(m.end);
    if (list) list.push(m);
    else byEnd.set(m.end, [m]);
  }
  // cheapest split: best[p] = bits to guess the first p characters
  const best = new Array<number>(n + 1).fill(0);
  const via = new Array<Match | null>(n + 1).fill(null);
  for (let p = 1; p <= n; p++) {
    best[p] = (best[p - 1] as number) + bruteBits;
    via[p] = null;
    for (const m of byEnd.get(p) ?? []) {
      const cost = (best[m.start] as number) + m.bits;
      if (cost < (best[p] as number)) {
        best[p] = cost;
        via[p] = m;
      }
    }
  }
  const used: Match[] = [];
  for (let p = n; p > 0; ) {
    const m = via[p];
    if (m) {
      used.push(m);
      p = m.start;
    } else p--;
  }
  // a few bits for which patterns were combined, in which order
  const entropyBits = Math.max(0, (best[n] as number) + (used.length > 1 ? Math.log2(used.length) : 0));

  let score: PasswordStrength['score'] = entropyBits < 28 ? 0 : entropyBits < 40 ? 1 : entropyBits < 60 ? 2 : entropyBits < 80 ? 3 : 4;
  if (n < 8 && score > 1) score = 1;

  // a strong password gets no advice, even when a short pattern turned up in it by chance
  const feedback: string[] = [];
  if (score === 4) return { score, entropyBits: Math.round(entropyBits * 10) / 10, feedback };
  const kinds = new Set(used.map((m) => m.kind));
  if (used.some((m) => m.kind === 'common' && m.start === 0 && m.end === n)) feedback.push(FEEDBACK.whole);
  else if (kinds.has('common')) feedback.push(FEEDBACK.common);
  for (const k of ['repeat', 'sequence', 'keyboard', 'block', 'year'] as const) if (kinds.has(k)) feedback.push(FEEDBACK[k]);
  if (n < 12) feedback.push(FEEDBACK.short);
  if (present.size < 3) feedback.push(FEEDBACK.classes);
  if (feedback.length === 0) feedback.push(FEEDBACK.random);
  return { score, entropyBits: Math.round(entropyBits * 10) / 10, feedback };
}
