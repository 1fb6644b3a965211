import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../lib/app-error.ts';
import { createPasswordHasher } from './password-hash.ts';

const BASE = { memoryKiB: 19456, passes: 2 };
const PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';
const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

function isBusy(e: unknown): boolean {
  return e instanceof AppError && e.code === 'auth.busy';
}

describe('password hashing (argon2id)', () => {
  const hasher = createPasswordHasher({
    ...BASE,
    maxConcurrent: 2,
    maxQueue: 2,
  });

  test('hash then verify; wrong password fails; format', async () => {
    const h = await hasher.hash('correct horse battery staple');
    assert.ok(h.startsWith(PREFIX), h);
    assert.match(h, PHC);
    assert.deepEqual(await hasher.verify(h, 'correct horse battery staple'), {
      ok: true,
      needsRehash: false,
    });
    assert.deepEqual(await hasher.verify(h, 'correct horse battery stapl'), {
      ok: false,
      needsRehash: false,
    });
    assert.deepEqual(await hasher.verify(h, ''), {
      ok: false,
      needsRehash: false,
    });
  });

  test('two hashes of one password differ (salt)', async () => {
    const [a, b] = await Promise.all([hasher.hash('pw'), hasher.hash('pw')]);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4], 'salts differ');
    assert.equal((await hasher.verify(a, 'pw')).ok, true);
    assert.equal((await hasher.verify(b, 'pw')).ok, true);
  });

  test('passwords are NFKC-normalised before hashing', async () => {
    const h = await hasher.hash('\uff50\uff41\uff53\uff53'); // fullwidth "pass"
    assert.equal((await hasher.verify(h, 'pass')).ok, true);
    const h2 = await hasher.hash('caf\u00e9');
    assert.equal((await hasher.verify(h2, 'cafe\u0301')).ok, true);
  });

  test('hash with passes 2 verified by a passes-3 hasher needs rehash', async () => {
    const h = await hasher.hash('pw');
    const stronger = createPasswordHasher({
      memoryKiB: 19456,
      passes: 3,
      maxConcurrent: 2,
      maxQueue: 2,
    });
    assert.deepEqual(await stronger.verify(h, 'pw'), {
      ok: true,
      needsRehash: true,
    });
    // A wrong password never reports needsRehash.
    assert.deepEqual(await stronger.verify(h, 'nope'), {
      ok: false,
      needsRehash: false,
    });
    // Its own hashes record t=3 and do not need a rehash.
    const h3 = await stronger.hash('pw');
    assert.ok(h3.startsWith('$argon2id$v=19$m=19456,t=3,p=1$'));
    assert.deepEqual(await stronger.verify(h3, 'pw'), {
      ok: true,
      needsRehash: false,
    });
    // The weaker hasher still verifies the stronger hash, with no rehash.
    assert.deepEqual(await hasher.verify(h3, 'pw'), {
      ok: true,
      needsRehash: false,
    });
  });

  test('malformed stored hashes fail without throwing', async () => {
    const h = await hasher.hash('pw');
    for (const bad of [
      '',
      'plaintext',
      h.replace('argon2id', 'argon2i'),
      h.replace('v=19', 'v=16'),
      `${h}$`,
      h.slice(0, h.lastIndexOf('$')),
      h.replace(/\$[^$]+$/, '$!!!!'),
    ]) {
      assert.deepEqual(await hasher.verify(bad, 'pw'), {
        ok: false,
        needsRehash: false,
      });
    }
    // A tampered tag fails.
    const parts = h.split('$');
    const tag = Buffer.from(parts[5] as string, 'base64');
    tag[0] = (tag[0] as number) ^ 1;
    parts[5] = tag.toString('base64').replace(/=+$/, '');
    assert.equal((await hasher.verify(parts.join('$'), 'pw')).ok, false);
  });

  test('maxConcurrent 1, maxQueue 0: a burst of 3 gets auth.busy', async () => {
    const tight = createPasswordHasher({
      ...BASE,
      maxConcurrent: 1,
      maxQueue: 0,
    });
    const results = await Promise.allSettled([tight.hash('a'), tight.hash('b'), tight.hash('c')]);
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.ok(rejected.length >= 1);
    for (const r of rejected) {
      assert.ok(isBusy(r.reason), String(r.reason));
      assert.equal((r.reason as AppError).retryAfter, 1);
    }
    assert.equal(results[0]?.status, 'fulfilled');
    assert.equal(tight.gate.active, 0);
    // Once idle, hashing works again.
    assert.match(await tight.hash('d'), PHC);
  });

  test('the queue holds up to maxQueue waiters', async () => {
    const q = createPasswordHasher({ ...BASE, maxConcurrent: 1, maxQueue: 1 });
    const results = await Promise.allSettled([q.hash('a'), q.hash('b'), q.hash('c')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    );
    assert.ok(isBusy((results[2] as PromiseRejectedResult).reason));
    assert.equal(q.gate.active, 0);
  });

  test('dummyVerify resolves', async () => {
    await hasher.dummyVerify('whatever');
    await hasher.dummyVerify('again');
  });

  test('dummyVerify recovers after being refused while busy', {}, async () => {
    const tight = createPasswordHasher({
      ...BASE,
      maxConcurrent: 1,
      maxQueue: 0,
    });
    const busy = tight.hash('occupies the only slot');
    await assert.rejects(tight.dummyVerify('x'), isBusy);
    await busy;
    // The server is idle now: this must resolve, but it rejects with auth.busy forever.
    await tight.dummyVerify('y');
  });
});
