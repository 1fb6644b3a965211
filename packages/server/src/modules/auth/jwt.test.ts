// The JWT codec of sessions (jwt.ts): what it signs verifies until `exp` and not after; a changed
// payload, header or signature, another key, or a token of another form does not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { looksLikeJwt, signJwt, verifyJwt } from './jwt.ts';

describe('session JWT codec', () => {
  const key = randomBytes(32);
  const now = Date.now();
  const claims = {
    sid: 'ses_abc',
    sub: '00000000-0000-4000-8000-000000000001',
    iss: 'https://h/passbolt/',
    iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000) + 60,
  };

  it('verifies its own token until exp, then no more', () => {
    const t = signJwt(key, claims);
    assert.ok(looksLikeJwt(t));
    assert.deepEqual(verifyJwt(key, t, now), claims);
    assert.equal(verifyJwt(key, t, now + 60_000), undefined);
  });

  it('refuses a changed payload, header or signature, another key, and other forms', () => {
    const t = signJwt(key, claims);
    const [h, p, s] = t.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...claims, sid: 'ses_other' })).toString('base64url');
    assert.equal(verifyJwt(key, `${h}.${forged}.${s}`, now), undefined);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    assert.equal(verifyJwt(key, `${none}.${p}.${s}`, now), undefined);
    assert.equal(verifyJwt(key, `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`, now), undefined);
    assert.equal(verifyJwt(randomBytes(32), t, now), undefined);
    for (const bad of ['', 'a.b.c', `${h}.${p}`, `${t}.x`, 'cfs_abcdefghijklmnopqrstuvwxyz'])
      assert.equal(verifyJwt(key, bad, now), undefined);
    // a payload that is no claims object
    const junk = Buffer.from('[1,2]').toString('base64url').padEnd(12, 'A');
    assert.equal(verifyJwt(key, signJwt(key, claims).replace(p, junk), now), undefined);
  });
});
