// The CLI's OpenPGP private key for end-to-end encrypted vaults (ADR 0022): one armored private key,
// locked by a passphrase, in a 0600 file next to the credentials file ($COFFER_CLI_KEY_FILE, else
// <config dir>/openpgp-key.asc). The passphrase comes from $COFFER_KEY_PASSPHRASE, else it is asked
// without echo. A rotated key is kept as openpgp-key.asc.old so that messages still written for
// it (until the secrets are re-encrypted) stay readable.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { CofferClient, Secret } from '@coffer/sdk/client';
import { createE2e, decryptMessage, E2eError, unlockKey } from '@coffer/sdk/e2e';
import type * as openpgp from 'openpgp';
import { CliError, env } from './cli.ts';
import { CLIENT_EXIT, credentialsFile } from './client.ts';
import { writePrivate } from './private-file.ts';
import { readSecretLine } from './stdin.ts';

export function keyFile(): string {
  const override = env('COFFER_CLI_KEY_FILE');
  if (override) return path.resolve(override);
  return path.join(path.dirname(credentialsFile()), 'openpgp-key.asc');
}

export async function passphrase(prompt = 'Passphrase of your OpenPGP key (input hidden): '): Promise<string> {
  const p = env('COFFER_KEY_PASSPHRASE') ?? (await readSecretLine(prompt));
  if (!p) throw new CliError('an empty passphrase: set COFFER_KEY_PASSPHRASE or type one');
  return p;
}

/** Writes an armored private key to the key file (0600), keeping the one it replaces as `.old`. */
export function storeKey(armoredPrivate: string): string {
  const file = keyFile();
  if (existsSync(file)) renameSync(file, `${file}.old`);
  writePrivate(file, armoredPrivate);
  return file;
}

async function unlockFile(file: string, pass: string) {
  try {
    return await unlockKey(readFileSync(file, 'utf8'), pass);
  } catch (e) {
    throw new CliError(`cannot unlock the OpenPGP key ${file}: ${e instanceof Error ? e.message : e}`, CLIENT_EXIT.auth);
  }
}

/** The unlocked private keys: the current one, and the previous one when kept. */
export async function loadKeys(): Promise<openpgp.PrivateKey[]> {
  const file = keyFile();
  if (!existsSync(file)) {
    throw new CliError(`no OpenPGP key at ${file}: run coffer keys init (or coffer keys import FILE) first`, CLIENT_EXIT.notFound);
  }
  const pass = await passphrase();
  const keys = [(await unlockFile(file, pass)).privateKey];
  if (existsSync(`${file}.old`)) {
    try {
      keys.push((await unlockKey(readFileSync(`${file}.old`, 'utf8'), pass)).privateKey);
    } catch {
      // an old key under another passphrase: only the current one is used
    }
  }
  return keys;
}

/** The E2E operations over `client` with the current key. */
export async function e2eClient(client: CofferClient) {
  const keys = await loadKeys();
  return { e2e: createE2e(client, keys[0] as openpgp.PrivateKey), keys };
}

/** Reveals an E2E secret: the own message decrypted (current key first, then the previous one). */
export async function revealE2e(client: CofferClient, s: Secret, reason: string | undefined): Promise<Record<string, string>> {
  const r = await client.secrets.reveal(s.id, reason !== undefined ? { reason } : {});
  if (!r.e2e) return r.values;
  const keys = await loadKeys();
  let last: unknown;
  for (const k of keys) {
    try {
      const values = await decryptMessage(r.e2e.message, k, r.e2e.writerKey);
      if (r.e2e.rotationRequired)
        process.stderr.write('note: a reader left or changed key since this value was written: change it (coffer set)\n');
      return values;
    } catch (e) {
      last = e;
    }
  }
  throw new CliError(last instanceof E2eError ? last.message : 'cannot decrypt the value', CLIENT_EXIT.conflict);
}
