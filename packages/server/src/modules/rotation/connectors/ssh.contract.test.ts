// The SSH connectors against a real sshd (test/sshd.ts: Debian's OpenSSH on a loopback port with a
// temporary configuration) and throwaway Unix users: passwords changed by the account itself
// (passwd on a pty) and by root (chpasswd through stdin), SSH keys added, verified and the old one
// removed; the host key pinned on first use and a different one refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';

const { utils } = ssh2;

import { connectorContract } from '../../../../test/connector-contract.ts';
import { type Sshd, startSshd } from '../../../../test/sshd.ts';
import { ConnectorError, type Endpoint } from '../connector.ts';
import { sshConnector } from './ssh.ts';
import { publicKeyOf, sshKeyConnector } from './ssh-key.ts';

let sshd: Sshd;
before(async () => {
  sshd = await startSshd();
});
after(() => sshd?.close());

const endpoint = (): Endpoint => ({
  host: '127.0.0.1',
  address: '127.0.0.1',
  port: sshd.port,
  options: {},
  hostKey: sshd.hostKey,
  timeoutMs: 15_000,
});
const fresh = () => `Pw-${randomBytes(12).toString('base64url')}`;
const root = () => ({ username: 'root', secret: sshd.rootKey, type: 'key' as const });

connectorContract('ssh password (real sshd)', {
  connector: sshConnector(),
  endpoint,
  account: async () => {
    const secret = fresh();
    return { username: sshd.user(secret), secret, type: 'password' as const };
  },
  fresh,
  privileged: root,
});

const newKey = () => utils.generateKeyPairSync('ed25519').private;
connectorContract('ssh key (real sshd)', {
  connector: sshKeyConnector(),
  endpoint,
  account: async () => {
    const username = sshd.user(fresh());
    const secret = newKey();
    const pub = publicKeyOf(secret);
    assert.ok(pub);
    // installed by root through the connector's own path
    await sshKeyConnector().change(endpoint(), { account: { username, secret: newKey(), type: 'key' }, next: secret, privileged: root() });
    return { username, secret, type: 'key' as const };
  },
  fresh: newKey,
  privileged: root,
});

describe('ssh connector specifics', () => {
  it('pins nothing it has not seen: a host key other than the pinned one is refused before any login', async () => {
    const pw = fresh();
    const u = sshd.user(pw);
    const other = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    await assert.rejects(
      sshConnector().verify({ ...endpoint(), hostKey: other }, { username: u, secret: pw, type: 'password' }, null),
      (e) => e instanceof ConnectorError && e.code === 'host_key_mismatch',
    );
    const first = await sshConnector().verify({ ...endpoint(), hostKey: null }, { username: u, secret: pw, type: 'password' }, null);
    assert.deepEqual(first, { ok: true, hostKey: sshd.hostKey }, 'first use reports the key to pin');
  });

  it('the SSH key rotation leaves exactly the new key in authorized_keys', async () => {
    const u = sshd.user(fresh());
    const k1 = newKey();
    const k2 = newKey();
    const c = sshKeyConnector();
    await c.change(endpoint(), { account: { username: u, secret: newKey(), type: 'key' }, next: k1, privileged: root() });
    const r = await c.change(endpoint(), { account: { username: u, secret: k1, type: 'key' }, next: k2, privileged: null });
    assert.ok(r.cleanup);
    assert.equal((await c.verify(endpoint(), { username: u, secret: k1, type: 'key' }, null)).ok, true, 'both keys work until promotion');
    await c.finish?.(endpoint(), { account: { username: u, secret: k2, type: 'key' }, privileged: null, cleanup: r.cleanup });
    const file = readFileSync(`/home/${u}/.ssh/authorized_keys`, 'utf8').trim().split('\n');
    assert.deepEqual(file, [`ssh-ed25519 ${publicKeyOf(k2)?.blob} coffer`]);
  });

  it('a password with a line break is refused before anything is sent (chpasswd reads lines)', async () => {
    const pw = fresh();
    const u = sshd.user(pw);
    await assert.rejects(
      sshConnector().change(endpoint(), { account: { username: u, secret: pw, type: 'password' }, next: `a\nroot:x`, privileged: root() }),
      (e) => e instanceof ConnectorError && e.code === 'failed',
    );
    assert.equal((await sshConnector().verify(endpoint(), { username: u, secret: pw, type: 'password' }, null)).ok, true);
  });
});
