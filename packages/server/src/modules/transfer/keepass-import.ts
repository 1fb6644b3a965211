import { AppError } from '../../lib/app-error.ts';
import { type CustomValue, collect, folderSegment, loginEntry, type ParsedImport } from './entries.ts';
import { child, childrenNamed, parseXml, type XmlElement } from './xml.ts';

const notKeePass = () =>
  new AppError('validation.failed', 'This is not a KeePass XML export (KeePassXC: Database > Export > XML File).', {
    details: [{ path: '/content', message: 'no KeePassFile/Root element' }],
  });

/** The standard strings of an entry; every other string becomes a custom field. */
const STANDARD = new Set(['Title', 'UserName', 'Password', 'URL', 'Notes', 'otp', 'TOTP Seed']);
const NO_RECYCLE_BIN = 'AAAAAAAAAAAAAAAAAAAAAA==';

const isTrue = (v: string | undefined) => v?.trim().toLowerCase() === 'true';

/**
 * A KeePass XML file (KeePassXC "KeePass XML (unencrypted)", KeePass 2 "KeePass XML (2.x)").
 * The database's root group maps to the import target, its groups to folders below it. The
 * Recycle Bin is left out (its entries are reported as skipped), and so is every entry's History.
 * A string with ProtectInMemory="True" becomes a password-type (encrypted) custom field; a value
 * still encrypted by KeePass (Protected="True", from a non-exported file) cannot be read and its
 * entry is skipped.
 */
export function parseKeePassXml(content: string): ParsedImport {
  const doc = parseXml(content);
  if (doc.name !== 'KeePassFile') throw notKeePass();
  const rootEl = child(doc, 'Root');
  if (!rootEl) throw notKeePass();
  const meta = child(doc, 'Meta');
  const binUuid = (meta && child(meta, 'RecycleBinUUID')?.text.trim()) || NO_RECYCLE_BIN;
  const out: ParsedImport = { entries: [], folders: [], skipped: [] };
  let index = 0;

  const isRecycleBin = (g: XmlElement, depth: number) => {
    const uuid = child(g, 'UUID')?.text.trim();
    if (binUuid !== NO_RECYCLE_BIN) return uuid === binUuid;
    return depth === 1 && child(g, 'Name')?.text.trim() === 'Recycle Bin';
  };

  // iterative walk in document order (an entry's index is its position among all entries)
  type Item = { el: XmlElement; path: string[]; depth: number; skip: string | null };
  const todo: Item[] = childrenNamed(rootEl, 'Group')
    .map((el) => ({ el, path: [], depth: 0, skip: null }))
    .reverse();
  while (todo.length) {
    const { el, path, depth, skip } = todo.pop() as Item;
    if (el.name === 'Entry') {
      const i = index++;
      if (skip) out.skipped.push({ index: i, reason: skip });
      else collect(out, entry(el, i, path));
      continue;
    }
    if (depth > 0 && !skip) out.folders.push(path);
    const inside: Item[] = [];
    for (const c of el.children) {
      if (c.name === 'Entry') inside.push({ el: c, path, depth, skip });
      else if (c.name === 'Group') {
        const bin = skip !== null || isRecycleBin(c, depth + 1);
        const name = folderSegment(child(c, 'Name')?.text ?? '') ?? '(unnamed)';
        inside.push({ el: c, path: [...path, name], depth: depth + 1, skip: bin ? 'in the recycle bin' : null });
      }
    }
    todo.push(...inside.reverse());
  }
  return out;
}

function entry(el: XmlElement, index: number, folder: string[]) {
  const std: Record<string, string> = {};
  const custom: CustomValue[] = [];
  for (const s of childrenNamed(el, 'String')) {
    const key = child(s, 'Key')?.text ?? '';
    const value = child(s, 'Value');
    if (!value) continue;
    if (isTrue(value.attrs.Protected)) return { index, reason: 'a value is still encrypted by KeePass (export as unencrypted XML)' };
    if (STANDARD.has(key)) {
      std[key === 'TOTP Seed' ? 'otp' : key] ??= value.text;
    } else {
      custom.push({ name: key, type: isTrue(value.attrs.ProtectInMemory) ? 'password' : 'text', value: value.text });
    }
  }
  const tags = child(el, 'Tags')?.text ?? '';
  return loginEntry({
    index,
    name: std.Title ?? '',
    folder,
    username: std.UserName ?? '',
    password: std.Password ?? '',
    url: std.URL ?? '',
    otp: std.otp ?? '',
    notes: std.Notes ?? '',
    custom,
    tags: tags.split(/[;,]/),
  });
}
