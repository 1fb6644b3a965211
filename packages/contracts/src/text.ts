import { type TStringOptions, Type } from 'typebox';

/**
 * Text that people read later — names, descriptions, reasons, comments, tags, labels — is refused
 * when it holds characters that act on the reader's screen instead of showing: a terminal obeys
 * escape sequences (ESC U+001B, CSI U+009B), a carriage return redraws a line, a bidi override
 * reorders what follows (Trojan Source, CVE-2021-42574). Refused everywhere:
 *
 * - C0 controls U+0000–U+001F, except tab and newline in multi-line `Text`;
 * - DEL U+007F and the C1 controls U+0080–U+009F (U+009B is a one-byte CSI for some terminals;
 *   U+0085 is a line break);
 * - the bidi embeddings and overrides U+202A–U+202E and the isolates U+2066–U+2069;
 * - the line and paragraph separators U+2028, U+2029 (line breaks the reader does not see coming).
 *
 * Allowed on purpose: the implicit direction marks U+200E LRM, U+200F RLM and U+061C ALM (needed to
 * write right-to-left names with numbers correctly, and they reorder nothing beyond their
 * neighbours), the zero-width joiner U+200D (emoji sequences, Indic scripts) and everything else.
 * Carriage return is refused in multi-line text too: newline alone ends a line.
 *
 * Secret values (passwords, notes fields, file contents, imported files) are never text of this
 * kind: they are stored exactly as given.
 */
const BIDI_AND_SEPARATORS = '\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** Character-class body of what a single-line name may not hold. */
export const NAME_FORBIDDEN = `\\u0000-\\u001f\\u007f-\\u009f${BIDI_AND_SEPARATORS}`;
/** Character-class body of what multi-line text may not hold (tab U+0009 and newline U+000A pass). */
export const TEXT_FORBIDDEN = `\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_AND_SEPARATORS}`;

export const NAME_PATTERN = `^[^${NAME_FORBIDDEN}]*$`;
export const TEXT_PATTERN = `^[^${TEXT_FORBIDDEN}]*$`;
/** A name that neither starts nor ends with white space (user names). */
export const TRIMMED_NAME_PATTERN = `^[^\\s${NAME_FORBIDDEN}]([^${NAME_FORBIDDEN}]*[^\\s${NAME_FORBIDDEN}])?$`;
/** A name that is also a path segment (folders, file names): no slash or backslash either. */
export const SEGMENT_PATTERN = `^[^/\\\\${NAME_FORBIDDEN}]*$`;

/** Single-line display text: a name, label or tag. No control characters at all (not even tab). */
export const Name = (maxLength: number, opts: TStringOptions = {}) => Type.String({ maxLength, pattern: NAME_PATTERN, ...opts });

/** Multi-line free text: a description, reason or comment. Newline and tab allowed. */
export const Text = (maxLength: number, opts: TStringOptions = {}) => Type.String({ maxLength, pattern: TEXT_PATTERN, ...opts });

/** A name used as a path segment: as `Name`, and no `/` or `\`. */
export const Segment = (maxLength: number, opts: TStringOptions = {}) => Type.String({ maxLength, pattern: SEGMENT_PATTERN, ...opts });

const NAME_RE = new RegExp(NAME_PATTERN, 'u');
const TEXT_RE = new RegExp(TEXT_PATTERN, 'u');

/** The same rules as the schemas, for text that arrives another way (headers, imported files). */
export const isCleanName = (s: string): boolean => NAME_RE.test(s);
export const isCleanText = (s: string): boolean => TEXT_RE.test(s);

/**
 * What to tell the client when a value fails one of these patterns (the validator would otherwise
 * quote the regular expression). Undefined for any other pattern.
 */
export function textPatternMessage(pattern: unknown): string | undefined {
  switch (pattern) {
    case NAME_PATTERN:
      return 'must be one line without control characters or bidirectional overrides';
    case TEXT_PATTERN:
      return 'must not contain control characters (newline and tab are allowed) or bidirectional overrides';
    case TRIMMED_NAME_PATTERN:
      return 'must be one line without control characters or bidirectional overrides, and not start or end with a space';
    case SEGMENT_PATTERN:
      return 'must be one line without control characters, bidirectional overrides, / or \\';
    default:
      return undefined;
  }
}
