import { AppError } from '../../lib/app-error.ts';
import { parseCsv } from './csv.ts';
import { collect, folderPath, loginEntry, noteEntry, type ParsedImport } from './entries.ts';

/** Header names (case-insensitive) of the columns read; others are ignored. */
const COLUMNS = {
  name: ['name', 'title'],
  username: ['username', 'login', 'login_username', 'user name'],
  password: ['password', 'login_password'],
  url: ['url', 'uri', 'website', 'login_uri'],
  notes: ['notes', 'extra', 'note'],
  folder: ['folder', 'grouping', 'group'],
  otp: ['totp', 'otp', 'login_totp'],
  tags: ['tags'],
  type: ['type'],
} as const;
type Column = keyof typeof COLUMNS;

/**
 * A CSV export of a password manager (LastPass, Bitwarden, KeePassXC, browsers): a header row,
 * then one entry per row. `folder`/`grouping`/`group` nest with `/` or `\`; `tags` are separated by
 * commas or semicolons; a Bitwarden `type` of `note` makes a secure note.
 */
export function parseCsvImport(content: string): ParsedImport {
  const rows = parseCsv(content);
  const header = rows[0];
  if (!header) throw new AppError('validation.failed', 'The CSV file is empty.', { details: [{ path: '/content', message: 'empty' }] });
  const at: Partial<Record<Column, number>> = {};
  header.forEach((h, i) => {
    const key = h.trim().toLowerCase();
    for (const [col, names] of Object.entries(COLUMNS) as Array<[Column, readonly string[]]>) {
      if (names.includes(key) && at[col] === undefined) at[col] = i;
    }
  });
  if (at.name === undefined && at.password === undefined && at.username === undefined && at.url === undefined && at.notes === undefined) {
    throw new AppError(
      'validation.failed',
      'The first row must be a header naming the columns (name, username, password, url, notes, ...).',
      {
        details: [{ path: '/content', message: 'no known column in the header row' }],
      },
    );
  }
  const out: ParsedImport = { entries: [], folders: [], skipped: [] };
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r] as string[];
    const index = r - 1;
    if (row.slice(header.length).some((c) => c !== '')) {
      out.skipped.push({ index, reason: `the row has ${row.length} cells, the header ${header.length}` });
      continue;
    }
    if (row.every((c) => c.trim() === '')) {
      out.skipped.push({ index, reason: 'empty row' });
      continue;
    }
    const get = (col: Column) => {
      const i = at[col];
      return i === undefined ? '' : (row[i] ?? '');
    };
    const common = {
      index,
      name: get('name'),
      folder: folderPath(get('folder')),
      tags: get('tags').split(/[,;]/),
      custom: [],
    };
    const type = get('type').trim().toLowerCase();
    if (type === 'note' || type === 'securenote' || type === 'secure note') {
      collect(out, noteEntry({ ...common, notes: get('notes') }));
    } else {
      collect(
        out,
        loginEntry({
          ...common,
          username: get('username'),
          password: get('password'),
          url: get('url'),
          otp: get('otp'),
          notes: get('notes'),
        }),
      );
    }
  }
  return out;
}
