// The output sanitizer: what it escapes is what contracts/text.ts refuses in new text, JSON stays
// the same value, and values go out exactly into a pipe and escaped onto a terminal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCleanName, isCleanText } from '@coffer/contracts/text';
import fc from 'fast-check';
import { outValue, type Sink, safeJson, safeLine, safeText } from './terminal.ts';

const anyText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xff }).map((n) => String.fromCharCode(n)),
    fc.integer({ min: 0x2000, max: 0x206f }).map((n) => String.fromCharCode(n)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

function sink(isTTY: boolean): Sink & { text: () => string; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    isTTY,
    write(chunk) {
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
      return true;
    },
    text: () => Buffer.concat(parts).toString('utf8'),
    bytes: () => Buffer.concat(parts),
  };
}

describe('terminal output sanitizer', () => {
  it('escapes exactly what the contracts refuse: the result is always clean, clean text is unchanged (property)', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        assert.ok(isCleanName(safeLine(s)), JSON.stringify(safeLine(s)));
        assert.ok(isCleanText(safeText(s)), JSON.stringify(safeText(s)));
        if (isCleanName(s)) assert.equal(safeLine(s), s);
        if (isCleanText(s)) assert.equal(safeText(s), s);
      }),
      { numRuns: 3000 },
    );
  });

  it('shows each escaped character as \\uXXXX', () => {
    assert.equal(safeLine('a\u001b[2Jb\u009b1m\u202ec\nd\te\u2028'), 'a\\u001b[2Jb\\u009b1m\\u202ec\\u000ad\\u0009e\\u2028');
    assert.equal(safeText('a\u001b[2J\r\nb\tc\u0085'), 'a\\u001b[2J\\u000d\nb\tc\\u0085');
    assert.equal(safeText('Zürich 東京 👩‍💻 שרת\u200f'), 'Zürich 東京 👩‍💻 שרת\u200f');
  });

  it('JSON: the same value after parsing, and no character a terminal acts on in the text (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, fc.oneof(anyText, fc.array(anyText, { maxLength: 3 }), fc.integer())), (v) => {
        const out = safeJson(v);
        assert.deepEqual(JSON.parse(out), JSON.parse(JSON.stringify(v)));
        assert.ok(isCleanText(out), out);
      }),
      { numRuns: 1000 },
    );
  });

  it('a value into a pipe is written byte for byte; on a terminal it is escaped, with a note on stderr', () => {
    const value = 'pw\u001b[31mred\u009b\u202e\r\nline2\t!';
    const pipe = sink(false);
    const quiet = sink(false);
    outValue(value, { stdout: pipe, stderr: quiet });
    assert.equal(pipe.text(), `${value}\n`);
    assert.equal(quiet.text(), '');
    const endsWithBreak = sink(false);
    outValue('key\n', { stdout: endsWithBreak, stderr: quiet });
    assert.equal(endsWithBreak.text(), 'key\n');
    const file = Buffer.from([0x00, 0x1b, 0x9b, 0xff, 0x41]);
    const filePipe = sink(false);
    outValue(file, { stdout: filePipe, stderr: quiet });
    assert.ok(filePipe.bytes().equals(file), 'file bytes exactly, nothing added');

    const tty = sink(true);
    const note = sink(true);
    outValue(value, { stdout: tty, stderr: note });
    assert.equal(tty.text(), 'pw\\u001b[31mred\\u009b\\u202e\\u000d\nline2\t!\n');
    assert.match(note.text(), /^note: the value holds control characters/);
    const plain = sink(true);
    const noNote = sink(true);
    outValue('plain-pw', { stdout: plain, stderr: noNote });
    assert.equal(plain.text(), 'plain-pw\n');
    assert.equal(noNote.text(), '', 'no note when nothing was escaped');
  });
});
