// The encodings of Passwork's clear mode: base64 of UTF-8, files base64 twice, and the attachment
// hash as the connectors compute it (bytes read as Latin-1, encoded in UTF-8, SHA-256).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { b64, decodeFile, encodeFile, hashMatches, passworkFileHash, unb64 } from './codec.ts';
import { colorName, colorNumber, customsOf, type SecretWire } from './mapper.ts';

describe('Passwork codec', () => {
  it('round-trips text as base64 of UTF-8, and refuses what is not base64 or not UTF-8', () => {
    for (const s of ['', 'p@ss', 'ü€𝄞', 'a\nb']) assert.equal(unb64(b64(s), '/x'), s);
    assert.equal(unb64('cGFzcw', '/x'), 'pass', 'padding is optional');
    assert.throws(() => unb64('not base64!', '/x'), /invalid/);
    assert.throws(() => unb64(Buffer.from([0xff, 0xfe]).toString('base64'), '/x'), /invalid/);
  });

  it('encodes files base64 twice and hashes them as the connectors do', () => {
    const ascii = Buffer.from('hello');
    assert.equal(encodeFile(ascii), Buffer.from(ascii.toString('base64')).toString('base64'));
    assert.deepEqual(decodeFile(encodeFile(ascii), '/d'), ascii);
    // ASCII: the same as a plain SHA-256 (the value Python's hashlib gives for b"hello")
    assert.equal(passworkFileHash(ascii), '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    // a byte >= 0x80 counts as two (U+00E9 -> C3 A9): not a plain SHA-256
    const bin = Buffer.from([0xe9]);
    assert.equal(
      passworkFileHash(bin),
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
    assert.notEqual(passworkFileHash(bin), createHash('sha256').update(bin).digest('hex'));
    assert.ok(hashMatches(bin, passworkFileHash(bin)));
    assert.ok(hashMatches(bin, createHash('sha256').update(bin).digest('hex')), 'a plain SHA-256 is accepted too');
    assert.ok(!hashMatches(bin, 'f'.repeat(64)));
  });

  it('maps colours both ways; unknown ones are refused', () => {
    assert.equal(colorName(3), 'yellow');
    assert.equal(colorName('3'), 'yellow');
    assert.equal(colorName(0), '');
    assert.equal(colorName('green'), 'green');
    assert.equal(colorName('mauve'), undefined);
    assert.equal(colorNumber('green'), 4);
    assert.equal(colorNumber(''), 0);
    assert.equal(colorNumber('#abcdef'), 0);
  });

  it("shows a secret's other fields as custom fields: clear ones, sensitive ones, then its own", () => {
    const s = {
      fields: { username: 'u', url: 'https://x', host: 'db01', port: '5432' },
      customFields: [
        { name: 'Env', type: 'text', value: 'prod' },
        { name: 'PIN', type: 'password', value: null },
      ],
    } as unknown as SecretWire;
    assert.deepEqual(customsOf(s, { password: 'p', notes: 'n', otp: 'JBSW', 'custom:PIN': '1234' }), [
      { name: 'host', type: 'text', value: 'db01' },
      { name: 'port', type: 'text', value: '5432' },
      { name: 'notes', type: 'password', value: 'n' },
      { name: 'otp', type: 'totp', value: 'JBSW' },
      { name: 'Env', type: 'text', value: 'prod' },
      { name: 'PIN', type: 'password', value: '1234' },
    ]);
  });
});
