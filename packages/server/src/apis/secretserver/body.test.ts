// Unit tests of the body readers: keys in any case, prototype keys refused however they are
// written, JSON labelled as a form, multipart parts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyObject, intAt, lowerKeys, multipartFile, parseText, textAt } from './body.ts';

describe('Secret Server bodies', () => {
  it('reads keys without regard to case, deeply', () => {
    const b = bodyObject({ FolderID: 7, Items: [{ ItemValue: 'x', Slug: 'host' }], SshKeyArgs: { GenerateSshKeys: true } });
    assert.deepEqual(b, { folderid: 7, items: [{ itemvalue: 'x', slug: 'host' }], sshkeyargs: { generatesshkeys: true } });
    assert.equal(intAt(b, 'folderid'), 7);
    assert.equal(intAt({ x: '12' }, 'x'), 12);
    assert.equal(intAt({ x: '-1' }, 'x'), -1);
    assert.throws(() => intAt({ x: '1e3' }, 'x'), { code: 'validation.failed' });
    assert.throws(() => intAt({ x: 2 ** 60 }, 'x'), { code: 'validation.failed' });
    assert.equal(textAt({ n: 22 }, 'n', 10), '22');
    assert.throws(() => textAt({ n: { a: 1 } }, 'n', 10), { code: 'validation.failed' });
    assert.throws(() => textAt({ n: 'x'.repeat(11) }, 'n', 10), { code: 'validation.failed' });
  });

  it('refuses prototype keys in any case, in JSON and in forms', () => {
    for (const k of ['__Proto__', 'CONSTRUCTOR', 'Prototype']) {
      assert.throws(() => lowerKeys({ a: { [k]: { polluted: true } } }), { code: 'request.invalid_json' });
      assert.throws(() => parseText(`${k}=1&a=2`), { code: 'request.invalid_json' });
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.throws(() => parseText('{"__proto__": {"x": 1}}'), { code: 'request.invalid_json' });
  });

  it('reads JSON whatever the label, a form otherwise, nothing from an empty body', () => {
    assert.deepEqual(parseText(' {"a":1} '), { a: 1 });
    assert.deepEqual(parseText('grant_type=password&username=a%20b&username=second'), { grant_type: 'password', username: 'a b' });
    assert.equal(parseText('   '), undefined);
    assert.throws(() => parseText('{"a":'), { code: 'request.invalid_json' });
    assert.throws(() => parseText('a=x%00y'), { code: 'validation.failed' });
  });

  it('finds the file part of a multipart body, its name and its exact bytes', () => {
    const raw = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="comment"\r\n\r\nhello\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="id_rsa.txt"\r\nContent-Type: text/plain\r\n\r\n'),
      Buffer.from('line1\r\nline2 --XyZ inside\r\n'),
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const f = multipartFile({ multipart: true, boundary: 'XyZ', raw });
    assert.equal(f.filename, 'id_rsa.txt');
    assert.equal(f.content.toString(), 'line1\r\nline2 --XyZ inside\r\n');
    assert.throws(() => multipartFile({ multipart: true, boundary: 'XyZ', raw: Buffer.from('--XyZ--\r\n') }), {
      code: 'validation.failed',
    });
    assert.throws(() => multipartFile({ multipart: true, boundary: 'XyZ', raw: Buffer.from('garbage') }), { code: 'validation.failed' });
  });
});
