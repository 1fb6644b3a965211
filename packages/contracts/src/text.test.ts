// The text types against a reference written code point by code point, over generated strings, in
// both validators that use them: TypeBox's own (Value.Check, used by the server outside routes and
// by the SDK) and Ajv with Fastify's options (what every route runs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { Username } from './identities.ts';
import { isCleanName, isCleanText, NAME_PATTERN, Name, Segment, TEXT_PATTERN, Text, textPatternMessage } from './text.ts';

/** Refused in every kind of text: the code points the module comment lists. */
function hostile(cp: number): boolean {
  return (
    cp <= 0x1f ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  );
}
const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0) as number);
const refName = (s: string) => codePoints(s).every((cp) => !hostile(cp));
const refText = (s: string) => codePoints(s).every((cp) => cp === 0x09 || cp === 0x0a || !hostile(cp));
const refSegment = (s: string) => refName(s) && !s.includes('/') && !s.includes('\\');

/** Strings full of the characters that matter: controls, C1, bidi, separators, marks, slashes, anything. */
const interesting = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xff }).map((n) => String.fromCharCode(n)),
    fc.integer({ min: 0x2000, max: 0x206f }).map((n) => String.fromCharCode(n)),
    fc.constantFrom('/', '\\', '\u061c', '\ufeff', '\ud800', 'é', '😀', '\u{e0041}'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

// Fastify's Ajv: its defaults (unicodeRegExp on) plus the options of app.ts
const ajv = new Ajv({ removeAdditional: false, coerceTypes: 'array', allErrors: false, allowUnionTypes: true });

describe('text types (contracts/text.ts)', () => {
  const name = Name(1000);
  const text = Text(1000);
  const segment = Segment(1000);
  const ajvName = ajv.compile(name);
  const ajvText = ajv.compile(text);
  const ajvSegment = ajv.compile(segment);

  it('Name, Text and Segment accept exactly what the reference accepts, in TypeBox and in Ajv', () => {
    fc.assert(
      fc.property(interesting, (s) => {
        assert.equal(Value.Check(name, s), refName(s), `Name ${JSON.stringify(s)}`);
        assert.equal(ajvName(s), refName(s), `Name/ajv ${JSON.stringify(s)}`);
        assert.equal(isCleanName(s), refName(s));
        assert.equal(Value.Check(text, s), refText(s), `Text ${JSON.stringify(s)}`);
        assert.equal(ajvText(s), refText(s), `Text/ajv ${JSON.stringify(s)}`);
        assert.equal(isCleanText(s), refText(s));
        assert.equal(Value.Check(segment, s), refSegment(s), `Segment ${JSON.stringify(s)}`);
        assert.equal(ajvSegment(s), refSegment(s), `Segment/ajv ${JSON.stringify(s)}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('any clean text with one hostile character inserted anywhere is refused', () => {
    const bad = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).filter((n) => n !== 0x09 && n !== 0x0a),
      fc.integer({ min: 0x7f, max: 0x9f }),
      fc.integer({ min: 0x202a, max: 0x202e }),
      fc.integer({ min: 0x2066, max: 0x2069 }),
      fc.constantFrom(0x2028, 0x2029),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), bad, fc.nat(), (clean, cp, at) => {
        const base = clean.replace(/[^ -~]/g, 'x');
        const i = at % (base.length + 1);
        const s = `${base.slice(0, i)}${String.fromCodePoint(cp)}${base.slice(i)}`;
        assert.equal(ajvName(s), false);
        assert.equal(ajvText(s), false);
        assert.equal(Value.Check(text, s), false);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps what people write: accents, CJK, emoji with joiners, right-to-left text with its marks, tab and newline in Text', () => {
    for (const s of ['Zürich – Büro', '東京サーバー', '👩‍💻 ops', 'שרת 12\u200f', 'خادم\u061c 3', 'O’Brien']) {
      assert.ok(ajvName(s) && ajvText(s), s);
    }
    assert.ok(ajvText('line one\n\tline two'));
    assert.ok(!ajvName('line one\nline two') && !ajvName('a\tb'));
    assert.ok(!ajvText('crlf\r\n'), 'carriage return is refused');
  });

  it('usernames keep their old rules (no surrounding space) and refuse the same characters', () => {
    const check = ajv.compile(Username);
    for (const ok of ['alice', 'a', 'jean luc', 'o’brien']) assert.ok(check(ok), ok);
    for (const bad of [' alice', 'alice ', 'a\u001bb', 'a\u009bb', 'a\u202eb', 'a\u0085b', 'a\u007fb', 'a\tb']) assert.ok(!check(bad), bad);
  });

  it('explains a refusal in words, not with the regular expression', () => {
    assert.match(textPatternMessage(NAME_PATTERN) ?? '', /one line without control characters/);
    assert.match(textPatternMessage(TEXT_PATTERN) ?? '', /newline and tab are allowed/);
    assert.equal(textPatternMessage('^[a-z]+$'), undefined);
  });
});
