import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSemaphore } from '../lib/semaphore.ts';

/** Argon2id parameters. Floors (enforced by config): memory >= 19456 KiB, passes >= 2, p = 1. */
export interface Argon2Params {
  memoryKiB: number;
  passes: number;
}

const PARALLELISM = 1;
const TAG_LENGTH = 32;

function derive(password: string, salt: Buffer, p: Argon2Params): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: Buffer.from(password.normalize('NFKC'), 'utf8'),
        nonce: salt,
        parallelism: PARALLELISM,
        tagLength: TAG_LENGTH,
        memory: p.memoryKiB,
        passes: p.passes,
      },
      (err, key) => (err ? reject(err) : resolve(Buffer.from(key))),
    );
  });
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/**
 * Password hashing with a bound on concurrent hashes: at most `maxConcurrent` run, at most
 * `maxQueue` wait, the rest get `auth.busy` at once (memory stays bounded under a login flood).
 */
export function createPasswordHasher(params: Argon2Params & { maxConcurrent: number; maxQueue: number }) {
  const gate = createSemaphore(params.maxConcurrent, params.maxQueue);
  const current: Argon2Params = { memoryKiB: params.memoryKiB, passes: params.passes };

  async function hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const tag = await gate.run(() => derive(password, salt, current));
    return `$argon2id$v=19$m=${current.memoryKiB},t=${current.passes},p=${PARALLELISM}$${b64(salt)}$${b64(tag)}`;
  }

  /** Constant-time comparison of the derived tag. `needsRehash` when the stored parameters are
   * weaker than the configured ones. */
  async function verify(stored: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    const m = PHC.exec(stored);
    if (!m) return { ok: false, needsRehash: false };
    if (Number(m[3]) !== PARALLELISM) return { ok: false, needsRehash: false };
    const p = { memoryKiB: Number(m[1]), passes: Number(m[2]) };
    const salt = Buffer.from(m[4] as string, 'base64');
    const expected = Buffer.from(m[5] as string, 'base64');
    const tag = await gate.run(() => derive(password, salt, p));
    const ok = tag.length === expected.length && timingSafeEqual(tag, expected);
    return { ok, needsRehash: ok && (p.memoryKiB < current.memoryKiB || p.passes < current.passes) };
  }

  // A hash of a random password with the current parameters: verifying against it costs the same
  // as a real verification, so unknown users take as long as known ones.
  let dummy: Promise<string> | undefined;
  async function dummyVerify(password: string): Promise<void> {
    dummy ??= hash(randomBytes(16).toString('hex')).catch((e) => {
      dummy = undefined; // a refusal under load must not stick
      throw e;
    });
    await verify(await dummy, password);
  }

  return { hash, verify, dummyVerify, params: current, gate };
}
export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
