// Remote rotation over SSH through the API and the journal, against a real sshd started by the
// test (test/sshd.ts) with throwaway Unix users: a Linux password changed by root (its key is
// another secret), and an SSH key rotated by the account itself (new key pair added, verified,
// promoted, then the old key removed). The host key is pinned on first use.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { type Sshd, startSshd } from '../../../test/sshd.ts';
import { sshConnector } from './connectors/ssh.ts';
import { publicKeyOf, sshKeyConnector } from './connectors/ssh-key.ts';

const { utils } = ssh2;
const fresh = () => `Pw-${randomBytes(12).toString('base64url')}`;

let sshd: Sshd;
before(async () => {
  sshd = await startSshd();
});
after(() => sshd?.close());

for (const dialect of dialects) {
  describe(`remote rotation over SSH [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let vaultId: string;
    let rootId: string;
    const ep = () => ({ host: '127.0.0.1', address: '127.0.0.1', port: sshd.port, options: {}, hostKey: sshd.hostKey, timeoutMs: 15_000 });
    const secret = async (template: string, name: string, fields: Record<string, string>) => {
      const r = await call(h, 'POST', '/api/v1/secrets', { token: admin, body: { vaultId, template, name, fields } });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };
    const reveal = async (id: string, field: string) =>
      (await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: admin, body: {} })).body.values[field] as string;

    before(async () => {
      h = await startHarness(dialect, { config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 5000, maxAttempts: 3 } } });
      admin = await adminToken(h);
      vaultId = (await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'hosts' } })).body.id;
      rootId = await secret('ssh-key', 'root@test-sshd', { host: '127.0.0.1', username: 'root', 'private-key': sshd.rootKey });
    });
    after(async () => h.close());

    it('a Linux password changed by root (chpasswd through stdin); the host key is pinned on first use', async () => {
      const pw = fresh();
      const user = sshd.user(pw);
      const id = await secret('unix-account', user, { host: '127.0.0.1', username: user, password: pw });
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'ssh', host: '127.0.0.1', port: sshd.port, privilegedSecretId: rootId },
      });
      assert.equal(set.status, 200, set.raw);
      assert.equal(set.body.hostKey, null);
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: admin, body: {} });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.connector, 'ssh');
      const now = await reveal(id, 'password');
      assert.notEqual(now, pw);
      assert.equal((await sshConnector().verify(ep(), { username: user, secret: now, type: 'password' }, null)).ok, true);
      assert.equal((await sshConnector().verify(ep(), { username: user, secret: pw, type: 'password' }, null)).ok, false);
      const st = await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin });
      assert.equal(st.body.target.hostKey, sshd.hostKey, 'pinned on first use');
      assert.ok(!h.logs().includes(now));
    });

    it('an SSH key rotated by the account itself: the new key logs in, only it is left in authorized_keys', async () => {
      const user = sshd.user(fresh());
      const k0 = utils.generateKeyPairSync('ed25519').private;
      await sshKeyConnector().change(ep(), {
        account: { username: user, secret: k0, type: 'key' },
        next: k0,
        privileged: { username: 'root', secret: sshd.rootKey, type: 'key' },
      });
      const id = await secret('ssh-key', `${user}-key`, { host: '127.0.0.1', username: user, 'private-key': k0 });
      const set = await call(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: admin,
        body: { kind: 'ssh-key', host: '127.0.0.1', port: sshd.port },
      });
      assert.equal(set.status, 200, set.raw);
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: admin, body: {} });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.field, 'private-key');
      const k1 = await reveal(id, 'private-key');
      assert.notEqual(k1, k0);
      const keys = readFileSync(`/home/${user}/.ssh/authorized_keys`, 'utf8').trim().split('\n');
      assert.deepEqual(keys, [`ssh-ed25519 ${publicKeyOf(k1)?.blob} coffer`], 'the old key was removed after promotion');
      const st = await call(h, 'GET', `/api/v1/secrets/${id}/rotation`, { token: admin });
      assert.equal(st.body.entries[0].state, 'done');
      // a key target generates its own key pair: a given value is refused
      const given = await call(h, 'POST', `/api/v1/secrets/${id}/password`, { token: admin, body: { password: 'x' } });
      assert.equal(given.status, 400, given.raw);
    });
  });
}
