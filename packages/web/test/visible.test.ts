import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEXT_PATTERN } from '../../contracts/src/text.ts';
import { visibleAnswer, visibleDeep, visibleText } from '../src/lib/visible.ts';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

describe('text the UI shows', () => {
  it('escapes exactly the characters the server refuses in new text (contracts/text.ts), newline and tab kept', () => {
    const refused = new RegExp(TEXT_PATTERN, 'u');
    for (let cp = 0; cp <= 0x3000; cp++) {
      const c = String.fromCodePoint(cp);
      const escaped = visibleText(c) !== c;
      assert.equal(escaped, !refused.test(c), `U+${cp.toString(16).padStart(4, '0')}`);
      if (escaped) assert.equal(visibleText(c), `\\u${cp.toString(16).padStart(4, '0')}`);
    }
    assert.equal(visibleText('a\u202egnp.exe\nb\tc\u001b[2J'), 'a\\u202egnp.exe\nb\tc\\u001b[2J');
  });

  it('makes every string of an answer visible, keys too, other values untouched', () => {
    assert.deepEqual(visibleDeep({ items: [{ name: 'x\u202ey', n: 1, ok: true, none: null }], ['k\u0007']: 'v' }), {
      items: [{ name: 'x\\u202ey', n: 1, ok: true, none: null }],
      'k\\u0007': 'v',
    });
  });

  it('rewrites JSON answers and error envelopes of ordinary routes, leaves value routes and other types exact', async () => {
    const hostile = { name: 'invoice\u202etxt.exe', reason: 'ok\rforged line' };
    const list = await (await visibleAnswer('/ui/api/v1/secrets?folderId=f', json({ items: [hostile] }))).json();
    assert.deepEqual(list, { items: [{ name: 'invoice\\u202etxt.exe', reason: 'ok\\u000dforged line' }] });
    const err = await visibleAnswer('/ui/api/v1/vaults/x', json({ error: { code: 'not_found', message: 'no \u2066x' } }, 404));
    assert.equal(err.status, 404);
    assert.deepEqual(await err.json(), { error: { code: 'not_found', message: 'no \\u2066x' } });
    for (const url of ['/ui/api/v1/secrets/s1/reveal', '/ui/api/v1/secrets/s1/history/3/reveal', '/ui/api/v1/export']) {
      const value = { values: { password: 'p\u0007\u202e' } };
      assert.deepEqual(await (await visibleAnswer(url, json(value))).json(), value, url);
    }
    const file = new Response('a\u0007b', { headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(await (await visibleAnswer('/ui/api/v1/secrets/s1/attachments/a1', file)).text(), 'a\u0007b');
    // clean answers keep their exact text (no parse), with their status and headers
    const clean = await visibleAnswer('/ui/api/v1/me', json({ username: 'alice\\u0001' }, 201));
    assert.equal(clean.status, 201);
    assert.match(clean.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await clean.json(), { username: 'alice\\u0001' });
    assert.equal((await visibleAnswer('/ui/api/v1/x', new Response(null, { status: 204 }))).status, 204);
  });
});
