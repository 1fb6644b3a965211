import { poolBytes } from './random-pool.ts';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** Time-ordered random id: prefix, 10 chars of milliseconds, 16 random chars (80 bits). */
export function newId(prefix: string, now: number = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = poolBytes(16);
  let rand = '';
  for (const b of bytes) rand += alphabet[b & 31];
  return `${prefix}_${time}${rand}`;
}
