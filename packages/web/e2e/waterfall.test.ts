import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waterfall } from './waterfall.ts';

describe('waterfall depth', () => {
  it('counts parallel requests as one level', () => {
    assert.equal(waterfall([]).depth, 0);
    assert.equal(
      waterfall([
        { url: 'a', start: 0, end: 10 },
        { url: 'b', start: 1, end: 12 },
        { url: 'c', start: 9, end: 20 },
      ]).depth,
      1,
    );
  });
  it('a request started after another finished is one level deeper', () => {
    const r = waterfall([
      { url: 'session', start: 0, end: 10 },
      { url: 'secret', start: 11, end: 20 },
      { url: 'policy', start: 11, end: 25 },
      { url: 'checkouts', start: 21, end: 30 },
    ]);
    assert.equal(r.depth, 3);
    assert.deepEqual(r.chain, ['session', 'secret', 'checkouts']);
  });
  it('order of the input does not matter', () => {
    const r = waterfall([
      { url: 'c', start: 21, end: 30 },
      { url: 'a', start: 0, end: 10 },
      { url: 'b', start: 12, end: 20 },
    ]);
    assert.equal(r.depth, 3);
  });
});
