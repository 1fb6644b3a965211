import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { isAppError } from '../../lib/app-error.ts';
import { blockedReason, checkTarget, ipv6Bytes, postToTarget, type Resolver } from './target.ts';

const refusedCode = (e: unknown) => isAppError(e) && e.code === 'webhook.target_refused';

describe('webhook target checks', () => {
  it('classifies internal addresses, including IPv6 forms that embed an IPv4 address', () => {
    for (const ip of [
      '127.0.0.1',
      '127.255.255.254',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'febf::1',
      'fc00::1',
      'fdff::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::ffff:10.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '2002:7f00:1::',
      '::127.0.0.1',
    ]) {
      assert.ok(blockedReason(ip), `${ip} is refused`);
    }
    for (const ip of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '172.15.255.255', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(blockedReason(ip), undefined, `${ip} is public`);
    }
    assert.equal(blockedReason('169.254.169.254'), 'link-local (cloud metadata)');
  });

  it('parses IPv6 text forms', () => {
    assert.deepEqual(ipv6Bytes('::1'), [...Array(15).fill(0), 1]);
    assert.deepEqual(ipv6Bytes('::ffff:1.2.3.4')?.slice(10), [255, 255, 1, 2, 3, 4]);
    assert.deepEqual(ipv6Bytes('::ffff:0102:0304'), ipv6Bytes('::ffff:1.2.3.4'));
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', ':::', 'g::1'])
      assert.equal(ipv6Bytes(bad), undefined, bad);
  });

  it('checks every resolved address: one internal address among public ones refuses the name', async () => {
    const resolve: Resolver = async (host) =>
      host === 'mixed.test'
        ? [
            { address: '93.184.215.14', family: 4 },
            { address: '10.0.0.7', family: 4 },
          ]
        : [{ address: '93.184.215.14', family: 4 }];
    await assert.rejects(checkTarget('https://mixed.test/x', { allowedTargets: [] }, resolve), refusedCode);
    const ok = await checkTarget('https://public.test/x', { allowedTargets: [] }, resolve);
    assert.equal(ok.address, '93.184.215.14');
    // the allowlist admits a network or a host name
    assert.equal((await checkTarget('https://mixed.test/x', { allowedTargets: ['10.0.0.0/8'] }, resolve)).address, '93.184.215.14');
    await checkTarget('https://mixed.test/x', { allowedTargets: ['mixed.test'] }, resolve);
    await assert.rejects(checkTarget('https://mixed.test/x', { allowedTargets: ['other.test', '10.0.0.8/32'] }, resolve), refusedCode);
    // a name that does not resolve
    await assert.rejects(
      checkTarget('https://nx.test/', { allowedTargets: [] }, async () => {
        throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      }),
      refusedCode,
    );
  });

  it('a name that rebinds to loopback is refused at delivery time', async () => {
    let answer = '93.184.215.14';
    const resolve: Resolver = async () => [{ address: answer, family: 4 }];
    await checkTarget('http://rebind.test/', { allowedTargets: [] }, resolve);
    answer = '127.0.0.1';
    await assert.rejects(checkTarget('http://rebind.test/', { allowedTargets: [] }, resolve), refusedCode);
  });

  it('connects to the checked address, never resolving the name again; sends the Host of the URL', async () => {
    let host: string | undefined;
    const server = http.createServer((req, res) => {
      host = req.headers.host;
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // `.invalid` never resolves (RFC 6761): reaching the server proves the pinned address was used
      const url = new URL(`http://hooks.example.invalid:${port}/x`);
      const r = await postToTarget({ url, address: '127.0.0.1', family: 4 }, { 'content-type': 'application/json' }, '{}', 2000);
      assert.equal(r.status, 204);
      assert.equal(host, `hooks.example.invalid:${port}`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('gives up after the timeout', async () => {
    const server = http.createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const url = new URL(`http://127.0.0.1:${port}/`);
      const started = Date.now();
      await assert.rejects(postToTarget({ url, address: '127.0.0.1', family: 4 }, {}, '{}', 300), (e: Error) =>
        /Timeout|Abort/.test(e.name),
      );
      assert.ok(Date.now() - started < 2000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
