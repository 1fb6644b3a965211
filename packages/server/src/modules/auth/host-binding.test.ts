// The host binding of API users (host-binding.ts): which texts are hosts, addresses bind to
// themselves, names resolve forward and are cached a minute, and every failure fails closed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../../lib/clock.ts';
import { createHostBinding, isHostName } from './host-binding.ts';

describe('host binding', () => {
  it('knows a host name or address from anything else', () => {
    for (const ok of [
      'localhost',
      'ci-01.example.com',
      'ci-01.example.com.',
      '10.0.0.1',
      '::1',
      '2001:db8::7',
      'a_b.internal',
      'X'.repeat(63),
    ]) {
      assert.ok(isHostName(ok), ok);
    }
    for (const bad of [
      '',
      'bad host',
      'a..b',
      '-x.example.com',
      'x-.example.com',
      'X'.repeat(64),
      `${'a.'.repeat(127)}ab`,
      '10.0.0.1/8',
      'h%1',
      '.',
    ]) {
      assert.ok(!isHostName(bad), bad);
    }
  });

  it('an address binds to itself (also as an IPv4-mapped IPv6 address), without any lookup', async () => {
    let lookups = 0;
    const b = createHostBinding({ clock: manualClock(), lookup: async () => (lookups++, ['10.9.9.9']) });
    assert.equal(await b.allows('10.0.0.1', '10.0.0.1'), true);
    assert.equal(await b.allows('10.0.0.1', '::ffff:10.0.0.1'), true);
    assert.equal(await b.allows('10.0.0.1', '10.0.0.2'), false);
    assert.equal(await b.allows('2001:db8::7', '2001:0db8:0:0::7'), true);
    assert.equal(await b.allows('2001:db8::7', '2001:db8::8'), false);
    assert.equal(lookups, 0);
  });

  it('a name: the addresses it resolves to, looked up once a minute, one lookup for concurrent requests', async () => {
    const clock = manualClock();
    let answer = ['192.0.2.10', '2001:db8::10'];
    let lookups = 0;
    const b = createHostBinding({
      clock,
      lookup: async (name) => {
        assert.equal(name, 'ci.example.com', 'names are looked up in lower case, without the trailing dot');
        lookups++;
        return answer;
      },
    });
    const first = await Promise.all([
      b.allows('CI.example.com.', '192.0.2.10'),
      b.allows('ci.example.com', '2001:db8::10'),
      b.allows('ci.example.com', '192.0.2.11'),
    ]);
    assert.deepEqual(first, [true, true, false]);
    assert.equal(lookups, 1);
    answer = ['192.0.2.11'];
    clock.advance(59_000);
    assert.equal(await b.allows('ci.example.com', '192.0.2.10'), true, 'cached for a minute');
    clock.advance(2_000);
    assert.equal(await b.allows('ci.example.com', '192.0.2.10'), false, 'the host moved: its old address is refused');
    assert.equal(await b.allows('ci.example.com', '192.0.2.11'), true);
    assert.equal(lookups, 2);
  });

  it('fails closed: a failed, empty, garbage or slow lookup allows nothing', async () => {
    const cases: Array<(name: string) => Promise<string[]>> = [
      async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
      async () => [],
      async () => ['not-an-address', ''],
      () => new Promise<string[]>(() => {}),
    ];
    for (const [i, lookup] of cases.entries()) {
      const b = createHostBinding({ clock: manualClock(), lookup, timeoutMs: 20 });
      assert.equal(await b.allows('ci.example.com', '127.0.0.1'), false, `case ${i}`);
      assert.equal(await b.allows('ci.example.com', 'not-an-ip'), false, `case ${i}`);
    }
    const b = createHostBinding({ clock: manualClock(), lookup: async () => ['127.0.0.1'] });
    assert.equal(await b.allows('bad host', '127.0.0.1'), false, 'a stored text that is no host name matches nothing');
  });
});
