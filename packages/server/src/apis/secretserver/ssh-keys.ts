// SSH key generation on create (`sshKeyArgs: {generateSshKeys, generatePassphrase}`): a real RSA
// key pair made here (node:crypto), the private key in PEM (PKCS#8, encrypted with the passphrase
// when there is one), the public key in OpenSSH's one-line form, and a generated passphrase. They
// go into the template's private key, public key and passphrase fields.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import type { Kit } from './kit.ts';
import type { SsField, SsTemplate } from './template-ids.ts';

export const RSA_BITS = 3072;
const PASSPHRASE_LENGTH = 32;

const generate = promisify(generateKeyPair);

const refuse = (message: string) => new AppError('validation.failed', message, { details: [{ path: '/sshKeyArgs', message }] });

/** The template's private key, public key and passphrase fields. */
export function sshFields(t: SsTemplate): { privateKey?: SsField; publicKey?: SsField; passphrase?: SsField } {
  const find = (types: string[], hint: string) =>
    t.fields.find((f) => types.includes(f.field.type)) ?? t.fields.find((f) => f.field.type === 'file' && f.field.slug.includes(hint));
  return {
    privateKey: find(['ssh_private_key'], 'private'),
    publicKey: find(['ssh_public_key'], 'public'),
    passphrase: t.fields.find((f) => f.field.slug.includes('passphrase') && f.field.sensitive && !f.isFile),
  };
}

/** An SSH `string`: a 4-byte length, then the bytes. */
function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An SSH `mpint` from a base64url big-endian unsigned integer (a 0 byte first when the top bit is set). */
function mpint(b64url: string): Buffer {
  let b = Buffer.from(b64url, 'base64url');
  while (b.length > 1 && b[0] === 0 && ((b[1] as number) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] as number) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

/** `ssh-rsa AAAA… comment` of an RSA public key. */
export function openSshPublicKey(key: KeyObject, comment: string): string {
  const jwk = key.export({ format: 'jwk' }) as { e: string; n: string };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

/**
 * The generated values by field slug. A passphrase given in the items (and none generated)
 * encrypts the private key too.
 */
export async function generateKeys(
  kit: Kit,
  ctx: RequestContext,
  t: SsTemplate,
  given: Record<string, string>,
  want: { keys: boolean; passphrase: boolean },
): Promise<Record<string, string>> {
  const f = sshFields(t);
  const out: Record<string, string> = {};
  let passphrase: string | undefined;
  if (want.passphrase) {
    if (!f.passphrase) throw refuse('The template has no passphrase field to generate.');
    const { passwords } = await kit.deps.passwords.generate(ctx, {
      policy: { length: PASSPHRASE_LENGTH, exclude: '"\\' },
    });
    passphrase = passwords[0] as string;
    out[f.passphrase.field.slug] = passphrase;
  } else if (f.passphrase && given[f.passphrase.field.slug]) {
    passphrase = given[f.passphrase.field.slug];
  }
  if (want.keys) {
    if (!f.privateKey) throw refuse('The template has no private key field: SSH keys cannot be generated for it.');
    const { publicKey, privateKey } = await generate('rsa', { modulusLength: RSA_BITS });
    out[f.privateKey.field.slug] = privateKey.export(
      passphrase ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' },
    ) as string;
    if (f.publicKey) out[f.publicKey.field.slug] = `${openSshPublicKey(publicKey, 'coffer')}\n`;
  }
  return out;
}
