// What of the server's text reaches a terminal. Names, reasons, paths, error messages, audit fields
// come from other people and from the database: a stored ESC sequence could clear the screen,
// rewrite earlier lines or set the window title, a carriage return could overwrite a line, a bidi
// override could reverse what is shown (Trojan Source). Every line the CLI prints goes through one
// of the functions here (`out`, `outJson` and `err` in cli.ts use them), so no path can forget it:
//
// - safeText: for multi-line output. Keeps newline and tab; every other C0 control, DEL, the C1
//   controls (U+0080–U+009F; U+009B is a CSI for some terminals), the bidi embeddings, overrides
//   and isolates (U+202A–U+202E, U+2066–U+2069) and the line/paragraph separators become a visible
//   `\uXXXX`. The same characters that contracts/text.ts refuses in new names and text (a test
//   keeps the two in step), so text stored before that rule shows escaped.
// - safeLine: for one cell or line (a name in a list, a reason in a table): newline and tab too.
// - safeJson: JSON.stringify escapes U+0000–U+001F itself but not DEL, C1, bidi controls or the
//   separators; these are written as \uXXXX escapes too, so the JSON parses to the same value.
//
// Secret values that the user asks for on purpose (`reveal`, `get --field`, `rotate --show`,
// `download -o -`) go through `outValue`: exact bytes into a pipe or file, escaped on a terminal.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const LINE_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const TEXT_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string): string => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`;

/** Multi-line text for a terminal: newline and tab kept, every other control character escaped. */
export const safeText = (s: string): string => s.replace(TEXT_UNSAFE, visible);

/** One line (a list entry, a table cell): newline and tab escaped too. */
export const safeLine = (s: string): string => s.replace(LINE_UNSAFE, visible);

/** JSON whose text holds no control character a terminal acts on; it parses to the same value. */
export const safeJson = (value: unknown): string => JSON.stringify(value, null, 2).replace(JSON_UNSAFE, visible);

/** Output streams as far as the sanitizer cares (tests pass their own). */
export interface Sink {
  isTTY?: boolean;
  write(chunk: string | Uint8Array): boolean;
}

/**
 * A value the user asked for (a password, a note, a file). Into a pipe or a file: exactly its
 * bytes, then a line break unless it ends with one (files: nothing added). On a terminal: newline
 * and tab kept, other control characters shown as `\uXXXX`, and a note on stderr says so.
 */
export function outValue(value: string | Uint8Array, opts: { lineBreak?: boolean; stdout?: Sink; stderr?: Sink } = {}): void {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const lineBreak = opts.lineBreak ?? typeof value === 'string';
  if (!stdout.isTTY) {
    stdout.write(value);
    const ends = typeof value === 'string' ? value.endsWith('\n') : value.length === 0 || value[value.length - 1] === 0x0a;
    if (lineBreak && !ends) stdout.write('\n');
    return;
  }
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  const shown = safeText(text);
  stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
  if (shown !== text) {
    stderr.write(
      'note: the value holds control characters, shown escaped as \\uXXXX on this terminal; ' +
        'redirect or pipe the output (or use --json) for the exact value\n',
    );
  }
}
