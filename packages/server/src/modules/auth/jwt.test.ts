// The JWT codec of sessions (jwt.ts, RS256): what it signs verifies until `exp` and not after, and
// with the public key alone (as a client holding the JWKS would); a changed payload, header or
// signature, another key, `alg: none`, an HS256 token keyed with the public key, or a token of
// another form does not.
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { looksLikeJwt, signJwt, verifyJwt } from './jwt.ts';

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, kid: 'kid-1' };
};

describe('session JWT codec', () => {
  const key = pair();
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
    // a client verifies it with the public key of the JWKS (RS256)
    const [h, p, s] = t.split('.') as [string, string, string];
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    const jwk = key.publicKey.export({ format: 'jwk' });
    const fromJwks = createPublicKey({ key: jwk, format: 'jwk' });
    assert.ok(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(fromJwks, s, 'base64url'));
  });

  it('refuses a changed payload, header or signature, another key, and other forms', () => {
    const t = signJwt(key, claims);
    const [h, p, s] = t.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...claims, sid: 'ses_other' })).toString('base64url');
    assert.equal(verifyJwt(key, `${h}.${forged}.${s}`, now), undefined);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    assert.equal(verifyJwt(key, `${none}.${p}.${s}`, now), undefined);
    assert.equal(verifyJwt(key, `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`, now), undefined);
    assert.equal(verifyJwt({ ...pair(), kid: 'kid-1' }, t, now), undefined);
    // the classic confusion: HS256 keyed with the public key's PEM
    const hs = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'kid-1' })).toString('base64url');
    const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const hsSig = createHmac('sha256', pem).update(`${hs}.${p}`).digest('base64url').padEnd(342, 'A');
    assert.equal(verifyJwt(key, `${hs}.${p}.${hsSig}`, now), undefined);
    for (const bad of ['', 'a.b.c', `${h}.${p}`, `${t}.x`, 'cfs_abcdefghijklmnopqrstuvwxyz'])
      assert.equal(verifyJwt(key, bad, now), undefined);
    // a payload that is no claims object
    const junk = Buffer.from('[1,2]').toString('base64url').padEnd(12, 'A');
    assert.equal(verifyJwt(key, signJwt(key, claims).replace(p, junk), now), undefined);
  });

  it('refuses a signature that differs only in the unused bits of its last character', () => {
    // 256 signature bytes take 342 base64url characters: the last one carries 4 unused bits, so
    // flipping its lowest bit decodes to the same bytes; only the canonical encoding verifies
    const t = signJwt(key, claims);
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variant = t.slice(0, -1) + A[A.indexOf(t.at(-1) as string) ^ 1];
    assert.notEqual(variant, t);
    assert.equal(verifyJwt(key, variant, now), undefined);
    assert.deepEqual(verifyJwt(key, t, now), claims);
  });
});
