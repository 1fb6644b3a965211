import { AppError } from '../../lib/app-error.ts';

const invalid = (message: string) =>
  new AppError('validation.failed', `Invalid CSV: ${message}.`, { details: [{ path: '/content', message }] });

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF (LF or a lone CR accepted too); a field
 * in double quotes may hold commas, line breaks and `""` (one quote). A quote inside an unquoted
 * field is kept as a character (what spreadsheets write); text after a closing quote, or a quote
 * left open at the end, is an error. Empty lines are dropped; a byte order mark is ignored.
 * Error messages name the line, never the content.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let row: string[] = [];
  const pushRow = () => {
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  for (;;) {
    if (i >= n && row.length === 0) break;
    let field: string;
    if (text.charCodeAt(i) === QUOTE) {
      const startLine = line;
      i++;
      field = '';
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw invalid(`a quoted field opened on line ${startLine} is never closed`);
        const chunk = text.slice(i, q);
        for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) line++;
        field += chunk;
        if (text.charCodeAt(q + 1) === QUOTE) {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const c = text.charCodeAt(i);
      if (i < n && c !== COMMA && c !== LF && c !== CR) throw invalid(`unexpected text after a closing quote on line ${line}`);
    } else {
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === COMMA || d === LF || d === CR) break;
        j++;
      }
      field = text.slice(i, j);
      i = j;
    }
    row.push(field);
    if (i >= n) {
      pushRow();
      break;
    }
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
    line++;
    pushRow();
  }
  return rows;
}
