import { type CofferClient, isCofferError, type Secret } from '@coffer/sdk/client';
import { revealNeedsApproval } from '../approval.ts';
import { CliError, type Command, err, flag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { revealE2e } from '../openpgp-keys.ts';
import { cliPath, escapeName, resolveSecret, splitPath } from '../paths.ts';
import { outValue, safeLine, safeText } from '../terminal.ts';

const getUsage = `Usage: coffer get PATH [--field F [--reason R]] [--json]

Shows a secret's metadata (PATH = VAULT/[FOLDER/...]SECRET, or id:ID): template, non-sensitive
field values, which sensitive fields hold a value, tags, version. Sensitive values are not shown.
With --field, prints only that field's value; for a sensitive field this is a reveal (audited; give
--reason when the policy asks for one). The value is printed like coffer reveal prints one: exact
into a pipe or file, control characters shown as \\uXXXX on a terminal (see coffer reveal --help).
Names, descriptions and other text from the server are always printed with control characters
escaped.

Options:
  --field F     print only this field's value (a field slug, a custom field's name, or one of
                name, description, tags, template, version, id)
  --reason R    why you reveal it (recorded in the audit trail), for a sensitive --field
  --json        print the secret (metadata only), or with --field {field, value}
  -h, --help    this help

${EXIT_CODES_HELP}`;

const revealUsage = `Usage: coffer reveal PATH [--reason R] [--field F] [--json]

Reveals the sensitive values of a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID). Every reveal
is audited; when the policy of the vault or folder requires a reason, give it with --reason (during
your approved access request or your checkout of the secret, its reason is used when you give
none). Where the policy requires approval, ask for it first with coffer request PATH --reason R
(exit 8 until it is approved). The values go to stdout only.

Into a pipe or a file, a value is written exactly as stored (then a line break, unless it ends with
one): \`coffer reveal PATH --field password > file\` keeps every byte. On a terminal, control
characters in a value (escape sequences, carriage returns, C1 controls, bidi overrides) would act on
the terminal instead of showing, so they are printed as visible \\uXXXX escapes (newline and tab
stay) and a note on stderr says so; pipe the output (e.g. | cat) or use --json for the exact value.

Options:
  --reason R    why you reveal it (recorded in the audit trail)
  --field F     only this field (slug, or a custom field's name): prints just its value
  --json        print {id, version, values: {slug: value}}
  -h, --help    this help

${EXIT_CODES_HELP}`;

/** The display path: from the vault name the user typed, else `id:ID`. */
function displayPath(arg: string, s: Secret): string {
  return arg.startsWith('id:') ? arg : cliPath(splitPath(arg)[0] as string, s.path, s.name);
}

/** A non-sensitive value the metadata already holds, or undefined. */
function clearValue(s: Secret, field: string): string | undefined {
  switch (field) {
    case 'name':
      return s.name;
    case 'description':
      return s.description;
    case 'tags':
      return s.tags.join(',');
    case 'template':
      return s.template;
    case 'version':
      return String(s.version);
    case 'id':
      return s.id;
  }
  if (Object.hasOwn(s.fields, field)) return s.fields[field];
  const custom = s.customFields.find((c) => c.name === field);
  return custom && custom.value !== null ? custom.value : undefined;
}

const isSensitive = (s: Secret, field: string) =>
  s.sensitiveFields.includes(field) || s.customFields.some((c) => c.name === field && c.value === null);

/**
 * Reveals (audited); a reveal that needs an approved access request exits 8 saying how to ask.
 * Without --reason, where the policy requires one, the server takes the reason of your approved
 * request or checkout.
 */
/** A secret of the master-password scheme (ADR 0026): only the Passwork client that encrypted it opens it. */
export const clientSealed = (arg: string) =>
  new CliError(
    `${escapeName(arg)} is encrypted by a Passwork client with its master password: Coffer holds only its ciphertext, and only that client can open or change its value`,
    CLIENT_EXIT.conflict,
  );

export async function revealValues(client: CofferClient, s: Secret, arg: string, opts: { fields?: string[]; reason?: string | undefined }) {
  try {
    // a Passwork client's ciphertext: nothing here can open it, so it is not fetched (no reveal record)
    if (s.e2eScheme === 'master-password') throw clientSealed(arg);
    // an end-to-end encrypted secret: the own message, decrypted here with the local key
    if (s.e2e) {
      const all = await revealE2e(client, s, opts.reason);
      const values = opts.fields ? Object.fromEntries(Object.entries(all).filter(([k]) => opts.fields?.includes(k))) : all;
      return { id: s.id, version: s.version, values };
    }
    return await client.secrets.reveal(s.id, {
      ...(opts.fields ? { fields: opts.fields } : {}),
      ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    });
  } catch (e) {
    if (isCofferError(e, 'secret.approval_required')) throw await revealNeedsApproval(client, s, arg, e);
    throw e;
  }
}

/** Sensitive values as `coffer reveal` prints them: one per line, or one block per field when multi-line. */
export function printValues(name: string, values: Record<string, string>): void {
  const entries = Object.entries(values);
  if (entries.length === 0) {
    err(`${escapeName(name)} holds no sensitive value`);
  } else if (entries.some(([, v]) => v.includes('\n'))) {
    // multi-line values (keys, notes): one block per field
    outValue(entries.map(([k, v]) => `${safeLine(k)}:\n${v}`).join('\n\n'));
  } else {
    const width = Math.max(...entries.map(([k]) => k.length)) + 2;
    outValue(entries.map(([k, v]) => `${`${safeLine(k)}:`.padEnd(width)}${v}`).join('\n'));
  }
}

async function revealOne(client: CofferClient, s: Secret, arg: string, field: string, reason: string | undefined): Promise<string> {
  const r = await revealValues(client, s, arg, { fields: [field], reason });
  const v = r.values[field];
  if (v === undefined) throw new CliError(`the secret has no value in the field "${field}"`, CLIENT_EXIT.notFound);
  return v;
}

function checkReason(reason: string | undefined): void {
  if (reason !== undefined && !reason.trim()) throw new UsageError('--reason is empty');
}

export const getCommand: Command = clientCommand({
  name: 'get',
  summary: "Show a secret's metadata, or one field's value",
  usage: getUsage,
  options: { field: { type: 'string' }, reason: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const field = str(values, 'field');
    const reason = str(values, 'reason');
    checkReason(reason);
    if (reason !== undefined && field === undefined) throw new UsageError('--reason goes with --field (or use coffer reveal)');
    const json = flag(values, 'json');
    const { client } = openSession();
    const { secret: s } = await resolveSecret(client, arg);
    if (field !== undefined) {
      let value = clearValue(s, field);
      if (value === undefined) {
        if (!isSensitive(s, field)) throw new CliError(`the secret has no field "${field}"`, CLIENT_EXIT.notFound);
        value = await revealOne(client, s, arg, field, reason);
      }
      if (json) outJson({ field, value });
      else outValue(value);
      return CLIENT_EXIT.ok;
    }
    if (json) {
      outJson(s);
      return CLIENT_EXIT.ok;
    }
    const rows: Array<[string, string]> = [
      ['Path', safeLine(displayPath(arg, s))],
      ['Id', s.id],
      ['Template', s.template],
      ['Version', String(s.version)],
    ];
    // a description may hold several lines; everything else is one line
    if (s.description) rows.push(['Description', safeText(s.description)]);
    if (s.tags.length) rows.push(['Tags', safeLine(s.tags.join(', '))]);
    if (s.expiresAt) rows.push(['Expires', s.expiresAt]);
    if (s.shared) rows.push(['Shared with you', 'yes']);
    rows.push(['Your access', s.myLevel ?? 'none'], ['Updated', s.updatedAt]);
    const fieldRows: Array<[string, string]> = [
      ...Object.entries(s.fields),
      ...s.sensitiveFields.map((f): [string, string] => [f, '(hidden: coffer reveal)']),
      ...s.customFields.map((c): [string, string] => [c.name, c.value ?? '(hidden: coffer reveal)']),
    ].map(([k, v]): [string, string] => [safeLine(k), safeLine(v)]);
    const width = Math.max(...rows.map(([k]) => k.length), ...fieldRows.map(([k]) => k.length + 2)) + 2;
    // the continuation lines of a multi-line value are indented under it: no stored line can pass
    // for a field of its own
    const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v.split('\n').join(`\n${' '.repeat(width)}`)}`);
    if (fieldRows.length) {
      lines.push('Fields:');
      for (const [k, v] of fieldRows) lines.push(`  ${`${k}:`.padEnd(width - 2)}${v}`);
    }
    out(lines.join('\n'));
    return CLIENT_EXIT.ok;
  },
});

export const revealCommand: Command = clientCommand({
  name: 'reveal',
  summary: 'Reveal the sensitive values of a secret (audited)',
  usage: revealUsage,
  options: { reason: { type: 'string' }, field: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const field = str(values, 'field');
    const reason = str(values, 'reason');
    checkReason(reason);
    const { client } = openSession();
    const { secret: s } = await resolveSecret(client, arg);
    const r = await revealValues(client, s, arg, { ...(field !== undefined ? { fields: [field] } : {}), reason });
    if (field !== undefined) {
      const v = r.values[field];
      if (v === undefined) throw new CliError(`the secret has no sensitive value in the field "${field}"`, CLIENT_EXIT.notFound);
      if (flag(values, 'json')) outJson(r);
      else outValue(v);
      return CLIENT_EXIT.ok;
    }
    if (flag(values, 'json')) outJson(r);
    else printValues(s.name, r.values);
    return CLIENT_EXIT.ok;
  },
});
