import { AppError } from '../../lib/app-error.ts';
import { type CustomValue, collect, describe, finish, folderPath, loginEntry, noteEntry, type ParsedImport } from './entries.ts';
import { parseJsonText } from './json-text.ts';

const notBitwarden = (message: string) =>
  new AppError('validation.failed', 'This is not a Bitwarden JSON export (Tools > Export vault > .json).', {
    details: [{ path: '/content', message }],
  });

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A string out of anything Bitwarden may write there (null, a number); objects are ignored. */
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * A Bitwarden unencrypted JSON export (personal or organization). Folders (or collections) map to
 * folders, a `/` in their name nesting them. Logins become `web-login` (TOTP in `otp`, further URIs
 * as custom fields), secure notes `secure-note`, cards and identities `secure-note` with their
 * details in the encrypted note, SSH keys `ssh-key`. Custom fields: hidden ones are
 * password-type (encrypted), text and boolean ones text; linked fields carry no value and are left
 * out. An encrypted export is refused: it can only be read with the Bitwarden account key.
 */
export function parseBitwardenJson(content: string): ParsedImport {
  const data = parseJsonText(content, 'Bitwarden JSON');
  if (!isObj(data)) throw notBitwarden('not a JSON object');
  if (data.encrypted === true) {
    throw new AppError(
      'validation.failed',
      'This Bitwarden export is encrypted; export the vault again as ".json" (not "encrypted JSON").',
      {
        details: [{ path: '/content', message: 'encrypted Bitwarden export' }],
      },
    );
  }
  if (!Array.isArray(data.items)) throw notBitwarden('no items array');
  const out: ParsedImport = { entries: [], folders: [], skipped: [] };
  const paths = new Map<string, string[]>();
  for (const f of [...list(data.folders), ...list(data.collections)]) {
    if (!isObj(f)) continue;
    const path = folderPath(str(f.name));
    if (path.length === 0) continue;
    paths.set(str(f.id), path);
    out.folders.push(path);
  }
  data.items.forEach((raw, index) => {
    if (!isObj(raw)) {
      out.skipped.push({ index, reason: 'not an item' });
      return;
    }
    if (raw.deletedDate !== undefined && raw.deletedDate !== null) {
      out.skipped.push({ index, reason: 'in the trash' });
      return;
    }
    const folderId = str(raw.folderId) || str(list(raw.collectionIds)[0]);
    const folder = paths.get(folderId) ?? [];
    const custom: CustomValue[] = [];
    for (const f of list(raw.fields)) {
      if (!isObj(f) || f.type === 3) continue; // linked: points at another field, no value
      custom.push({ name: str(f.name), type: f.type === 1 ? 'password' : 'text', value: str(f.value) });
    }
    const base = { index, name: str(raw.name), folder, custom, tags: [] as string[] };
    const notes = str(raw.notes);
    switch (raw.type) {
      case 1: {
        const login = obj(raw.login);
        const uris = list(login.uris)
          .map((u) => str(obj(u).uri).trim())
          .filter(Boolean);
        uris.slice(1).forEach((u, i) => {
          custom.push({ name: `URL ${i + 2}`, type: 'text', value: u });
        });
        collect(
          out,
          loginEntry({
            ...base,
            username: str(login.username),
            password: str(login.password),
            url: uris[0] ?? '',
            otp: str(login.totp),
            notes,
          }),
        );
        return;
      }
      case 2:
        collect(out, noteEntry({ ...base, notes }));
        return;
      case 3: {
        const c = obj(raw.card);
        const details = describe([
          ['Cardholder', str(c.cardholderName)],
          ['Brand', str(c.brand)],
          ['Number', str(c.number)],
          ['Expires', [str(c.expMonth), str(c.expYear)].filter(Boolean).join('/')],
          ['Security code', str(c.code)],
        ]);
        collect(out, noteEntry({ ...base, notes: [details, notes].filter(Boolean).join('\n\n') }));
        return;
      }
      case 4: {
        const p = obj(raw.identity);
        const fullName = [str(p.title), str(p.firstName), str(p.middleName), str(p.lastName)].filter(Boolean).join(' ');
        const address = [str(p.address1), str(p.address2), str(p.address3)].filter(Boolean).join(', ');
        const place = [str(p.postalCode), str(p.city), str(p.state), str(p.country)].filter(Boolean).join(' ');
        const details = describe([
          ['Name', fullName],
          ['Company', str(p.company)],
          ['Email', str(p.email)],
          ['Phone', str(p.phone)],
          ['Address', [address, place].filter(Boolean).join(', ')],
          ['Username', str(p.username)],
          ['SSN', str(p.ssn)],
          ['Passport number', str(p.passportNumber)],
          ['License number', str(p.licenseNumber)],
        ]);
        collect(out, noteEntry({ ...base, notes: [details, notes].filter(Boolean).join('\n\n') }));
        return;
      }
      case 5: {
        const k = obj(raw.sshKey);
        const privateKey = str(k.privateKey);
        if (!privateKey) {
          collect(out, noteEntry({ ...base, notes }));
          return;
        }
        const fields: Record<string, string> = { 'private-key': privateKey };
        if (str(k.publicKey)) fields['public-key'] = str(k.publicKey);
        if (notes) fields.notes = notes;
        collect(out, finish(index, { name: base.name, folder, template: 'ssh-key', fields, custom, tags: [] }));
        return;
      }
      default:
        out.skipped.push({ index, reason: 'unsupported item type' });
    }
  });
  return out;
}
