// `coffer keys init|show|rotate|import FILE`: the OpenPGP key pair of end-to-end encrypted vaults
// (ADR 0022). The private key stays in the CLI's config directory; the server gets the public key.
import { readFileSync } from 'node:fs';
import { generateKeyPair, unlockKey } from '@coffer/sdk/e2e';
import type { CommandGroup } from '../admin.ts';
import { CliError, type Command, flag, out, outJson, str } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { keyFile, passphrase, storeKey } from '../openpgp-keys.ts';

const help = (line: string, text: string) => `Usage: coffer keys ${line}

${text}

The private key is kept in ${'$'}COFFER_CLI_KEY_FILE, else openpgp-key.asc next to the credentials
file (mode 0600), locked by a passphrase from ${'$'}COFFER_KEY_PASSPHRASE, else asked without echo.

Options:
  --json        machine-readable output
  -h, --help    this help

${EXIT_CODES_HELP}`;

async function register(armoredPrivate: string, pass: string) {
  const { client } = openSession();
  const { armoredPublic, fingerprint } = await unlockKey(armoredPrivate, pass);
  const key = await client.openpgp.register(armoredPublic);
  const file = storeKey(armoredPrivate);
  return { key, file, fingerprint };
}

async function emailFor(values: Record<string, unknown>): Promise<string> {
  const given = str(values as never, 'email');
  if (given) return given;
  const { client } = openSession();
  const me = await client.auth.whoami();
  const u = await client.users.get(me.userId).catch(() => null);
  const email = (u as { email?: string } | null)?.email || (/^[^@\s]+@[^@\s]+$/.test(me.username) ? me.username : '');
  if (!email) throw new CliError('your account has no e-mail address the key could carry: give --email (it must be your account e-mail)');
  return email;
}

const make = (name: 'init' | 'rotate'): Command =>
  clientCommand({
    name: `keys ${name}`,
    summary:
      name === 'init'
        ? 'Make your OpenPGP key pair and register its public key'
        : 'Replace your OpenPGP key pair (the old one is kept as .old)',
    usage: help(
      `${name} [--email E] [--json]`,
      name === 'init'
        ? 'Makes an OpenPGP key pair for your account e-mail address, keeps the private key here and registers\nthe public key with the server. Refuses when a key file exists (use rotate).'
        : 'Makes a new key pair and registers it. The secrets readable by you read rotationRequired until their\nvalues are written again; messages for the old key stay readable with the kept .old key.',
    ),
    options: { email: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run({ values }) {
      if (name === 'init' && (await import('node:fs')).existsSync(keyFile())) {
        throw new CliError(`${keyFile()} exists: coffer keys rotate replaces it`, CLIENT_EXIT.conflict);
      }
      const email = await emailFor(values);
      const pass = await passphrase('Passphrase for the new OpenPGP key (input hidden): ');
      const pair = await generateKeyPair({ email, passphrase: pass });
      const r = await register(pair.armoredPrivate, pass);
      if (flag(values, 'json')) outJson({ ...r.key, file: r.file });
      else out(`${name === 'init' ? 'Made' : 'Replaced'} your OpenPGP key ${r.key.fingerprint} (private key in ${r.file}).`);
      return CLIENT_EXIT.ok;
    },
  });

const showCommand: Command = clientCommand({
  name: 'keys show',
  summary: 'Show your registered OpenPGP key and the local one',
  usage: help('show [--json]', 'Prints the fingerprint of the key registered with the server and of the local private key.'),
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { client } = openSession();
    const key = await client.openpgp.mine();
    let local: string | null = null;
    try {
      const { default: openpgp } = { default: await import('openpgp') };
      local = (await openpgp.readPrivateKey({ armoredKey: readFileSync(keyFile(), 'utf8') })).getFingerprint();
    } catch {
      local = null;
    }
    if (flag(values, 'json')) outJson({ ...key, localFingerprint: local, file: keyFile() });
    else {
      out(`registered: ${key.fingerprint} (${key.algorithm}, ${key.bits} bits)`);
      out(
        `local:      ${local ?? `none at ${keyFile()}`}${local && local !== key.fingerprint ? ' (differs from the registered key!)' : ''}`,
      );
    }
    return CLIENT_EXIT.ok;
  },
});

const importCommand: Command = clientCommand({
  name: 'keys import',
  summary: 'Use an existing OpenPGP private key (armored file)',
  usage: help(
    'import FILE [--json]',
    'Reads an armored OpenPGP private key, unlocks it with the passphrase, registers its public key\n(its user id must carry your account e-mail) and keeps the private key here.',
  ),
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const armored = readFileSync(positionals[0] as string, 'utf8');
    const pass = await passphrase();
    const r = await register(armored, pass);
    if (flag(values, 'json')) outJson({ ...r.key, file: r.file });
    else out(`Registered your OpenPGP key ${r.key.fingerprint} (private key in ${r.file}).`);
    return CLIENT_EXIT.ok;
  },
});

export const keysGroup: CommandGroup = {
  name: 'keys',
  summary: 'Your OpenPGP key pair for end-to-end encrypted vaults',
  commands: [make('init'), showCommand, make('rotate'), importCommand],
};
