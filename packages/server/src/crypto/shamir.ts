import { randomBytes } from 'node:crypto';

/**
 * Shamir's secret sharing over GF(2^8) (polynomial x^8+x^4+x^3+x+1, as AES). Each byte of the
 * secret is the constant term of a random polynomial of degree k-1; share i holds its values at
 * x = i (1..n). Any k shares give the secret by Lagrange interpolation at 0; k-1 shares are
 * consistent with every secret.
 *
 * A share is encoded as `<x>-<hex of y bytes>` with x in 1..255.
 */
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // multiply by the generator 3
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255] as number;
}

function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[(LOG[a] as number) + (LOG[b] as number)] as number;
}

function div(a: number, b: number): number {
  if (b === 0) throw new Error('division by zero in GF(256)');
  if (a === 0) return 0;
  return EXP[(LOG[a] as number) + 255 - (LOG[b] as number)] as number;
}

export interface Share {
  x: number;
  y: Buffer;
}

export function splitSecret(secret: Buffer, n: number, k: number): Share[] {
  if (secret.length === 0) throw new Error('cannot split an empty secret');
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 1 || n < k || n > 255) {
    throw new Error('Shamir needs 1 <= k <= n <= 255');
  }
  const shares: Share[] = Array.from({ length: n }, (_, i) => ({ x: i + 1, y: Buffer.alloc(secret.length) }));
  for (let b = 0; b < secret.length; b++) {
    const coeffs = randomBytes(k);
    coeffs[0] = secret[b] as number;
    for (const share of shares) {
      // Horner evaluation at share.x
      let acc = 0;
      for (let c = k - 1; c >= 0; c--) acc = mul(acc, share.x) ^ (coeffs[c] as number);
      share.y[b] = acc;
    }
    coeffs.fill(0);
  }
  return shares;
}

/** Interpolates at 0. With fewer than k shares the result is some unrelated value. */
export function combineShares(shares: Share[]): Buffer {
  if (shares.length === 0) throw new Error('no shares');
  const len = (shares[0] as Share).y.length;
  const xs = new Set<number>();
  for (const s of shares) {
    if (s.y.length !== len) throw new Error('shares differ in length');
    if (s.x < 1 || s.x > 255 || xs.has(s.x)) throw new Error('duplicate or invalid share index');
    xs.add(s.x);
  }
  const out = Buffer.alloc(len);
  for (let i = 0; i < shares.length; i++) {
    const si = shares[i] as Share;
    // Lagrange basis polynomial l_i(0) = prod_{j != i} x_j / (x_j - x_i); subtraction is xor.
    let basis = 1;
    for (let j = 0; j < shares.length; j++) {
      if (j === i) continue;
      const xj = (shares[j] as Share).x;
      basis = mul(basis, div(xj, xj ^ si.x));
    }
    for (let b = 0; b < len; b++) out[b] = (out[b] as number) ^ mul(si.y[b] as number, basis);
  }
  return out;
}

export function encodeShare(s: Share): string {
  return `${s.x}-${s.y.toString('hex')}`;
}

export function decodeShare(text: string): Share | undefined {
  const m = /^(\d{1,3})-([0-9a-f]{2,})$/i.exec(text.trim());
  if (!m) return undefined;
  const x = Number(m[1]);
  const hex = m[2] as string;
  if (x < 1 || x > 255 || hex.length % 2 !== 0) return undefined;
  return { x, y: Buffer.from(hex, 'hex') };
}
