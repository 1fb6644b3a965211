// The client side of dual control and temporary passwords, through the real CLI against a real
// server: coffer login changes a password an administrator set; admin requests show in coffer
// requests, are approved or rejected by id prefix (adm_…), and executed by their requester.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';

const { cli, stderrs } = cliRunner();

for (const dialect of dialects) {
  describe(`coffer: temporary passwords and admin requests [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let url: string;
    let dir: string;
    let admin: string;
    let second: Awaited<ReturnType<typeof createUser>>;
    const cfg = (name: string) => path.join(dir, `${name}.json`);
    const loginAs = (name: string, username: string, input: string, extra: string[] = []) =>
      cli(cfg(name), ['login', '--url', url, '--username', username, '--password-stdin', ...extra], { input });

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-dual-'));
      admin = await adminToken(h);
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('login changes a password an administrator set (second line of stdin), then signs in with it', async () => {
      const temp = 'Tmp-cli-1-Wz8q-Hn3v-Lc6m';
      const made = await call(h, 'POST', '/api/v1/users', {
        token: admin,
        body: { username: `carla-${dialect}`, password: temp, role: 'password_user' },
      });
      assert.equal(made.status, 201);
      const refused = await loginAs('carla', `carla-${dialect}`, `${temp}\n`);
      expectCode(refused, 5);
      assert.match(refused.stderr, /must be changed first: .*--new-password-stdin/);
      const same = await loginAs('carla', `carla-${dialect}`, `${temp}\n${temp}\n`, ['--new-password-stdin']);
      expectCode(same, 1);
      assert.match(same.stderr, /validation\.failed/);
      const ok = await loginAs('carla', `carla-${dialect}`, `${temp}\nOwn-cli-2-Rb5x-Kt9p-Fd4j\n`, ['--new-password-stdin', '--json']);
      expectCode(ok, 0);
      assert.equal(json(ok).username, `carla-${dialect}`);
      expectCode(await cli(cfg('carla'), ['ls']), 0);
      // the new password is the one now
      expectCode(await loginAs('carla2', `carla-${dialect}`, 'Own-cli-2-Rb5x-Kt9p-Fd4j\n'), 0);
      expectCode(await loginAs('carla3', `carla-${dialect}`, `${temp}\n`), 5);
      const bad = await cli(cfg('x'), ['login', '--url', url, '--username', 'u', '--new-password-stdin'], { input: 'a\nb\n' });
      expectCode(bad, 2);
    });

    it('lists, approves, rejects and executes admin requests by their adm_ id', async () => {
      second = await createUser(h, admin, 'administrator');
      expectCode(await loginAs('a', ADMIN.username, `${ADMIN.password}\n`), 0);
      expectCode(await loginAs('b', second.username, `${second.password}\n`), 0);
      const u = await createUser(h, admin, 'password_user');
      const reset = await call(h, 'POST', `/api/v1/users/${u.id}/password`, {
        token: admin,
        body: { password: 'reset-cli-1-Pq7w-Jm2z-Xv5s' },
      });
      assert.equal(reset.status, 202, reset.raw);
      const id = reset.body.request.id as string;
      const keyReq = await call(h, 'POST', `/api/v1/users/${u.id}/api-keys`, {
        token: admin,
        body: {
          name: 'ci',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: ADMIN.password,
        },
      });
      const keyId = keyReq.body.request.id as string;

      const pending = await cli(cfg('b'), ['requests', '--pending']);
      expectCode(pending, 0);
      assert.match(pending.stdout, /^ID +STATE +OPERATION +REQUESTER +EXPIRES +REASON\n/);
      assert.match(pending.stdout, new RegExp(`${id} +waiting for approval +set the password of "${u.username}"`));
      const pendingJson = await cli(cfg('b'), ['requests', '--pending', '--json']);
      assert.deepEqual(
        json(pendingJson)
          .map((r: { id: string }) => r.id)
          .sort(),
        [id, keyId].sort(),
      );
      // the requester sees theirs, not as pending
      assert.equal((await cli(cfg('a'), ['requests', '--pending'])).stdout, '');
      assert.match((await cli(cfg('a'), ['requests'])).stdout, new RegExp(id));

      const own = await cli(cfg('a'), ['approve', id]);
      expectCode(own, 4);
      assert.match(own.stderr, /your own request/);
      const early = await cli(cfg('a'), ['requests', 'execute', id]);
      expectCode(early, 6);
      assert.match(early.stderr, /waiting for approval/);
      const approved = await cli(cfg('b'), ['approve', id, '--comment', 'checked with them']);
      expectCode(approved, 0);
      assert.equal(
        approved.stdout,
        `Approved ${id} (set the password of "${u.username}" (temporary: to be changed at the next login), asked by ${ADMIN.username}): approved. ${ADMIN.username} can now run: coffer requests execute ${id}\n`,
      );
      const done = await cli(cfg('a'), ['requests', 'execute', id]);
      expectCode(done, 0);
      assert.match(done.stdout, new RegExp(`^Executed ${id}: set the password of`));
      expectCode(await cli(cfg('a'), ['requests', 'execute', id]), 6);

      const rejected = await cli(cfg('b'), ['reject', keyId, '--comment', 'not needed']);
      expectCode(rejected, 0);
      assert.match(rejected.stdout, new RegExp(`^Rejected ${keyId} \\(create the API key "ci"`));
      // an approved key request: the key is printed once, at execute
      const again = await call(h, 'POST', `/api/v1/users/${u.id}/api-keys`, {
        token: admin,
        body: {
          name: 'ci2',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: ADMIN.password,
        },
      });
      expectCode(await cli(cfg('b'), ['approve', again.body.request.id]), 0);
      // the key is minted now: the requester confirms with their password (read from stdin)
      const unconfirmed = await cli(cfg('a'), ['requests', 'execute', again.body.request.id]);
      expectCode(unconfirmed, 2);
      const minted = await cli(cfg('a'), ['requests', 'execute', again.body.request.id], { input: `${ADMIN.password}\n` });
      expectCode(minted, 0);
      const key = /\(shown once, store it now\): (cfk_\S+)\n/.exec(minted.stdout)?.[1];
      assert.ok(key, minted.stdout);
      // it is the user's key; they must first replace the password the reset gave them
      const who = await call(h, 'GET', '/api/v1/auth/whoami', { token: key });
      assert.equal(who.body.error.code, 'auth.password_change_required');

      const [badId, badShape] = await Promise.all([cli(cfg('a'), ['approve', 'xyz_123']), cli(cfg('a'), ['requests', 'run', id])]);
      expectCode(badId, 2);
      assert.match(badId.stderr, /arq_… or adm_…/);
      expectCode(badShape, 2);
      for (const s of stderrs) assert.ok(!s.includes(key) && !s.includes('reset-cli-1-Pq7w-Jm2z-Xv5s'));
    });
  });
}
