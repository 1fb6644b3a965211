// The master-password scheme's shape check (ADR 0026): what Passwork's clients make is accepted,
// in both encodings; a value in clear — any text that is not such a ciphertext — is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { aesEncode } from '../../../test/passwork.ts';
import { checkClientFile, checkClientValues, isClientCiphertext } from './master-password.ts';

const payload = (p: Record<string, unknown>) => ({ payload: JSON.stringify(p) });

describe('the master-password scheme: client ciphertexts only', () => {
  it("accepts what the connectors' encrypt_aes makes, for any plaintext and key", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 64 }), (plain, key) => {
        const c = aesEncode(plain, key);
        assert.ok(isClientCiphertext(c));
        assert.ok(isClientCiphertext(c.toUpperCase()), 'the base32 alphabet is read in either case');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses text that is not one: passwords, words, base64 of other bytes, truncated ciphertexts', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        assert.equal(isClientCiphertext(text), false);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 200 }), (bytes) => {
        // any bytes not starting "Salted__": refused in base64 and in the connectors' base32 form
        fc.pre(Buffer.from(bytes).subarray(0, 8).toString('latin1') !== 'Salted__');
        assert.equal(isClientCiphertext(Buffer.from(bytes).toString('base64')), false);
      }),
      { numRuns: 300 },
    );
    const c = aesEncode('hunter2', 'k');
    assert.equal(isClientCiphertext(c.slice(0, -8)), false);
    assert.equal(isClientCiphertext('correct horse battery staple correct horse battery'), false);
  });

  it('checks the payload: its parts, its custom fields, and no other sensitive field', () => {
    const ok = aesEncode('v', 'k');
    checkClientValues(payload({ cryptedPassword: ok, cryptedKey: ok, custom: [{ name: ok, value: ok, type: ok }] }));
    checkClientValues(payload({ cryptedPassword: ok, cryptedKey: '', custom: null }));
    const refused = (values: Record<string, string>, path: string) =>
      assert.throws(
        () => checkClientValues(values),
        (e: { code?: string; details?: Array<{ path: string }> }) => e.code === 'secret.e2e_unsupported' && e.details?.[0]?.path === path,
      );
    refused(payload({ cryptedPassword: 'hunter2', cryptedKey: '' }), '/fields/payload/cryptedPassword');
    refused(payload({ cryptedPassword: ok, cryptedKey: 'clear-key' }), '/fields/payload/cryptedKey');
    refused(payload({ cryptedPassword: ok, custom: [{ name: 'PIN', value: ok, type: ok }] }), '/fields/payload/custom/0/name');
    refused(payload({ cryptedPassword: ok, custom: 'x' }), '/fields/payload/custom');
    refused({ payload: 'not json' }, '/fields/payload');
    refused({ payload: JSON.stringify({ cryptedPassword: ok }), password: 'clear' }, '/fields/password');
  });

  it('checks a file: the client JSON with ciphertext key and data, nothing in clear', () => {
    const file = (f: unknown) => Buffer.from(JSON.stringify(f));
    const big = aesEncode(Buffer.alloc(300_000, 7).toString('base64'), 'fk');
    checkClientFile(file({ encryptedKey: aesEncode('fk', 'ik'), encryptedData: big, hash: 'abc' }));
    for (const [f, path] of [
      [Buffer.from('plain bytes'), '/file'],
      [file({ encryptedKey: 'fk', encryptedData: big }), '/file/encryptedKey'],
      [file({ encryptedKey: aesEncode('fk', 'ik'), encryptedData: 'the file in clear' }), '/file/encryptedData'],
      [file({ encryptedKey: aesEncode('fk', 'ik'), encryptedData: big, hash: 7 }), '/file/hash'],
      [file([1]), '/file'],
    ] as const) {
      assert.throws(
        () => checkClientFile(f),
        (e: { details?: Array<{ path: string }> }) => e.details?.[0]?.path === path,
      );
    }
  });
});
