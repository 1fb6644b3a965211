import type { ReadStream } from 'node:tty';
import type { CofferClient, CreateSecret, Secret, UpdateSecret } from '@coffer/sdk/client';
import { CliError, type Command, err, flag, out, outJson, str, UsageError, type Values } from '../cli.ts';
import { about, CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession, readAllStdin, strList } from '../client.ts';
import { e2eClient, revealE2e } from '../openpgp-keys.ts';
import { cliPath, isIdRef, type ResolvedSecret, resolveFolderSegments, resolveSecret, splitPath } from '../paths.ts';
import { readSecretLine } from '../stdin.ts';
import { clientSealed } from './get.ts';

const usage = `Usage: coffer set PATH [--template T] [--field SLUG=VALUE ...] [--field-stdin SLUG]
                  [--generate SLUG ...] [--description D] [--tag T ...] [--json]

Creates the secret at PATH (VAULT/[FOLDER/...]NAME; the folder must exist) or, when it exists,
changes the fields given (the others keep their values). Give sensitive values (passwords, keys,
notes) with --field-stdin or --generate rather than --field: command lines are visible in the
process list and shell history.

Options:
  --template T         the template slug (needed to create; e.g. web-login, unix-account,
                       database-account, ssh-key, api-key, secure-note)
  --field SLUG=VALUE   set a field (repeatable)
  --field-stdin SLUG   set a field from stdin: at a terminal one line asked for without echo,
                       else all of stdin (one trailing line break dropped)
  --generate SLUG      fill a field with a generated password, under the password policy of the
                       secret's folder (repeatable)
  --description D      the description
  --tag T              a tag (repeatable; replaces the tags)
  --json               print the secret (metadata only)
  -h, --help           this help

${EXIT_CODES_HELP}`;

const SLUG = /^[a-z][a-z0-9-]{0,59}$/;

function slugOf(s: string, flagName: string): string {
  if (!SLUG.test(s)) throw new UsageError(`${flagName} takes a field slug (a-z, 0-9, -), got "${s}"`);
  return s;
}

/** The fields given on the command line, checked before anything is sent. */
function parseFieldFlags(values: Values): { argv: Map<string, string>; stdinSlug: string | undefined; generate: string[] } {
  const argv = new Map<string, string>();
  const seen = new Set<string>();
  const once = (slug: string) => {
    if (seen.has(slug)) throw new UsageError(`the field "${slug}" is given twice`);
    seen.add(slug);
  };
  for (const f of strList(values, 'field')) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError('--field takes SLUG=VALUE');
    const slug = slugOf(f.slice(0, eq), '--field');
    once(slug);
    argv.set(slug, f.slice(eq + 1));
  }
  const stdinRaw = str(values, 'field-stdin');
  const stdinSlug = stdinRaw === undefined ? undefined : slugOf(stdinRaw, '--field-stdin');
  if (stdinSlug) once(stdinSlug);
  const generate = strList(values, 'generate').map((g) => slugOf(g, '--generate'));
  for (const g of generate) once(g);
  return { argv, stdinSlug, generate };
}

async function findExisting(client: CofferClient, arg: string): Promise<ResolvedSecret | undefined> {
  try {
    return await resolveSecret(client, arg);
  } catch (e) {
    if (!isIdRef(arg) && e instanceof CliError && e.exitCode === CLIENT_EXIT.notFound) return undefined;
    throw e;
  }
}

/** Warns (names only) about sensitive values given in argv. */
async function warnSensitiveArgv(client: CofferClient, template: string, slugs: string[]): Promise<void> {
  if (slugs.length === 0) return;
  const t = (await client.templates.list()).items.find((x) => x.slug === template);
  const sensitive = slugs.filter((s) => t?.fields.find((f) => f.slug === s)?.sensitive);
  for (const s of sensitive) {
    err(`warning: the value of "${s}" was on the command line (visible to other local users); prefer --field-stdin ${s}`);
  }
}

export const setCommand: Command = clientCommand({
  name: 'set',
  summary: 'Create a secret, or change its fields',
  usage,
  options: {
    template: { type: 'string' },
    field: { type: 'string', multiple: true },
    'field-stdin': { type: 'string' },
    generate: { type: 'string', multiple: true },
    description: { type: 'string' },
    tag: { type: 'string', multiple: true },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const template = str(values, 'template');
    const description = str(values, 'description');
    const tags = values.tag === undefined ? undefined : strList(values, 'tag');
    const { argv, stdinSlug, generate } = parseFieldFlags(values);
    if (!isIdRef(arg) && splitPath(arg).length < 2) throw new UsageError(`"${arg}" is not a secret path: write VAULT/[FOLDER/...]NAME`);

    const { client } = openSession();
    const existing = await findExisting(client, arg);
    if (existing && template !== undefined && template !== existing.secret.template) {
      throw new CliError(`${arg} is a ${existing.secret.template} secret: its template cannot change`, CLIENT_EXIT.conflict);
    }
    if (!existing && template === undefined) throw new UsageError(`${arg} does not exist yet: give --template to create it`);
    const nothing = argv.size === 0 && !stdinSlug && generate.length === 0 && description === undefined && tags === undefined;
    if (existing && nothing) throw new UsageError('nothing to change: give --field, --field-stdin, --generate, --description or --tag');

    // where the secret is (or will be), for the password policy and for creating it
    let place: { vaultId: string; folderId: string | null; vaultName: string | undefined; folderPath: string };
    if (existing) {
      const s = existing.secret;
      place = { vaultId: s.vaultId, folderId: s.folderId, vaultName: isIdRef(arg) ? undefined : splitPath(arg)[0], folderPath: s.path };
    } else {
      const ref = await resolveFolderSegments(client, splitPath(arg).slice(0, -1), arg);
      place = { vaultId: ref.vaultId, folderId: ref.folderId, vaultName: ref.vaultName, folderPath: ref.path };
    }

    await warnSensitiveArgv(client, existing?.secret.template ?? (template as string), [...argv.keys()]);

    const fields: Record<string, string> = Object.fromEntries(argv);
    if (stdinSlug) {
      const stdin = process.stdin as ReadStream;
      fields[stdinSlug] = stdin.isTTY ? await readSecretLine(`Value of ${stdinSlug} (input hidden): `) : await readAllStdin();
    }
    if (generate.length > 0) {
      const g = await client.passwords.generate({
        ...(place.folderId ? { folderId: place.folderId } : { vaultId: place.vaultId }),
        count: generate.length,
      });
      generate.forEach((slug, i) => {
        fields[slug] = g.passwords[i] as string;
      });
    }

    // an end-to-end encrypted vault: the sensitive fields go encrypted for every reader (ADR 0022)
    const kind = existing ? existing.secret : await client.vaults.get(place.vaultId);
    if (kind.e2eScheme === 'master-password') throw clientSealed(arg);
    const e2e = existing ? existing.secret.e2e === true : (kind as { encryption?: string }).encryption === 'e2e';
    let saved: Secret;
    if (e2e) {
      saved = await setE2e(client, { arg, existing, place, template, fields, description, tags });
    } else if (existing) {
      const patch: UpdateSecret = {
        ...(Object.keys(fields).length ? { fields } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(tags !== undefined ? { tags } : {}),
      };
      saved = await about(arg, client.secrets.update(existing.secret.id, patch, { ifMatch: existing.etag }));
    } else {
      const name = splitPath(arg).at(-1) as string;
      const input: CreateSecret = {
        vaultId: place.vaultId,
        folderId: place.folderId,
        template: template as string,
        name,
        ...(Object.keys(fields).length ? { fields } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(tags !== undefined ? { tags } : {}),
      };
      saved = await about(arg, client.secrets.create(input));
    }
    if (flag(values, 'json')) {
      outJson(saved);
    } else {
      const where = place.vaultName !== undefined ? cliPath(place.vaultName, saved.path, saved.name) : `id:${saved.id}`;
      out(`${existing ? 'Updated' : 'Created'} ${where} (version ${saved.version}).`);
    }
    return CLIENT_EXIT.ok;
  },
});

/** `coffer set` on an E2E vault: clear fields as usual, sensitive ones merged with the current value and encrypted. */
async function setE2e(
  client: CofferClient,
  o: {
    arg: string;
    existing: ResolvedSecret | undefined;
    place: { vaultId: string; folderId: string | null };
    template: string | undefined;
    fields: Record<string, string>;
    description: string | undefined;
    tags: string[] | undefined;
  },
): Promise<Secret> {
  const slug = o.existing?.secret.template ?? (o.template as string);
  const t = (await client.templates.list()).items.find((x) => x.slug === slug);
  if (!t) throw new CliError(`no template ${slug}`, CLIENT_EXIT.notFound);
  const sensitive = new Set(t.fields.filter((f) => f.sensitive).map((f) => f.slug));
  const clear: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.fields)) (sensitive.has(k) ? secret : clear)[k] = v;
  const { e2e } = await e2eClient(client);
  const meta = {
    ...(Object.keys(clear).length ? { fields: clear } : {}),
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.tags !== undefined ? { tags: o.tags } : {}),
  };
  if (o.existing) {
    const id = o.existing.secret.id;
    const values = Object.keys(secret).length ? { ...(await revealE2e(client, o.existing.secret, undefined)), ...secret } : undefined;
    if (!values && !Object.keys(meta).length) throw new UsageError('nothing to change');
    return about(o.arg, e2e.update(id, Object.keys(meta).length ? meta : { fields: {} }, values));
  }
  const name = splitPath(o.arg).at(-1) as string;
  return about(o.arg, e2e.create({ vaultId: o.place.vaultId, folderId: o.place.folderId, template: slug, name, ...meta }, secret));
}
