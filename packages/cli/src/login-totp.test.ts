// coffer login for an account with TOTP whose password an administrator reset: the forced change
// re-authenticates like every password change (a later TOTP code than the one just used, or a
// recovery code), then signs in with the new password (another code). Through the real CLI against
// a real server whose clock the test holds, so the time steps are exact.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../../server/src/crypto/totp.ts';
import { manualClock } from '../../server/src/lib/clock.ts';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';

const { cli, stderrs } = cliRunner();
const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;

for (const dialect of dialects) {
  describe(`coffer login: a temporary password on a TOTP account [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let url: string;
    let dir: string;
    // the middle of a time step: the server accepts the codes of the steps before and after it too
    const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);
    const secrets: string[] = [];

    before(async () => {
      h = await startHarness(dialect, { clock });
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-totp-'));
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('sends the second factor the change needs (a later code, or a recovery code), then signs in with the new password', async () => {
      const admin = await adminToken(h);
      const u = await createUser(h, admin, 'password_user');
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(begin.status, 200, begin.raw);
      const seed = base32Decode(begin.body.secret);
      const step = () => totpStep(clock.now());
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: hotp(seed, step() - 1) } });
      assert.equal(confirm.status, 200, confirm.raw);
      const recovery = confirm.body.recoveryCodes as string[];
      const temp = 'Tmp-totp-7Qe4-Vn2w-Hs8k';
      const next = 'Own-totp-3Jd9-Lx5r-Pm6c';
      secrets.push(temp, next, u.password, ...recovery);
      const reset = await call(h, 'POST', `/api/v1/users/${u.id}/password`, { token: admin, body: { password: temp } });
      assert.equal(reset.status, 200, reset.raw);
      const cfg = path.join(dir, `${dialect}.json`);
      const login = (code: string, input: string) =>
        cli(cfg, ['login', '--url', url, '--username', u.username, '--password-stdin', '--new-password-stdin', '--totp', code, '--json'], {
          input,
        });
      const stillTemporary = async () => {
        clock.advance(PERIOD_MS);
        const r = await call(h, 'POST', '/api/v1/auth/login', {
          body: { username: u.username, password: temp, totpCode: hotp(seed, step()) },
        });
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.mustChangePassword, true, 'the password was not changed');
        clock.advance(PERIOD_MS);
      };

      // no code for the change: refused before anything is sent
      const noCode = await login(hotp(seed, step()), `${temp}\n${next}\n`);
      expectCode(noCode, 2);
      assert.match(noCode.stderr, /TOTP/);
      await stillTemporary();
      // the code just used to sign in is spent: the change is refused (and nothing changes); the
      // restricted session the CLI signed in with is ended, not left behind
      const live = async () =>
        (await h.database.db.selectFrom('sessions').select('id').where('user_id', '=', u.id).where('revoked_at', 'is', null).execute())
          .length;
      const liveBefore = await live();
      const replay = await login(hotp(seed, step()), `${temp}\n${next}\n${hotp(seed, step())}\n`);
      expectCode(replay, 4);
      assert.match(replay.stderr, /auth\.reauth_failed/);
      assert.equal(await live(), liveBefore, 'no session left behind');
      await stillTemporary();

      // the next step's code for the change, a recovery code for the sign-in with the new password
      const ok = await login(hotp(seed, step()), `${temp}\n${next}\n${hotp(seed, step() + 1)}\n${recovery[0]}\n`);
      expectCode(ok, 0);
      assert.equal(json(ok).username, u.username);
      expectCode(await cli(cfg, ['whoami']), 0, 'the stored session works');
      const old = await call(h, 'POST', '/api/v1/auth/login', {
        body: { username: u.username, password: temp, recoveryCode: recovery[1] },
      });
      assert.equal(old.status, 401, 'the temporary password is gone');
      const fresh = await call(h, 'POST', '/api/v1/auth/login', {
        body: { username: u.username, password: next, recoveryCode: recovery[2] },
      });
      assert.equal(fresh.status, 200, fresh.raw);
      assert.equal(fresh.body.mustChangePassword, undefined);

      // a recovery code pays for the change too; without the code for the new sign-in the change is
      // done and the command says how to sign in
      const again = 'Tmp-totp-2Wc8-Rk4n-Zf7b';
      const last = 'Own-totp-9Tb3-Gq6m-Yh2d';
      secrets.push(again, last);
      assert.equal((await call(h, 'POST', `/api/v1/users/${u.id}/password`, { token: admin, body: { password: again } })).status, 200);
      clock.advance(2 * PERIOD_MS); // past the step of the code the change used
      const noSignIn = await cli(
        cfg,
        ['login', '--url', url, '--username', u.username, '--password-stdin', '--new-password-stdin', '--totp', hotp(seed, step())],
        { input: `${again}\n${last}\n${recovery[3]}\n` },
      );
      expectCode(noSignIn, 5);
      assert.match(noSignIn.stderr, /password was changed; sign in again/);
      const signIn = await call(h, 'POST', '/api/v1/auth/login', {
        body: { username: u.username, password: last, recoveryCode: recovery[4] },
      });
      assert.equal(signIn.status, 200, signIn.raw);
      assert.equal(signIn.body.mustChangePassword, undefined);
    });

    it('never printed a password or code to stderr', () => {
      const all = stderrs.join('\n');
      assert.ok(all.length > 0);
      for (const s of secrets) assert.ok(!all.includes(s), 'no secret on stderr');
    });
  });
}
