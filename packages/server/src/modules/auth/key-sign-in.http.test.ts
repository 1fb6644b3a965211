// The auth service's key sign-in use cases on a real store, both dialects: a JWT only wraps a
// session and is accepted exactly as that session is (audience, revocation), a refresh token
// presented for another user is refused unspent, and the server's key decrypts nothing but a
// GPGAuth nonce for a caller.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { encryptFor, pbKey } from '../../../test/passbolt.ts';
import { anonymousActor } from './actor.ts';

for (const dialect of dialects) {
  describe(`key sign-in service [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
    });
    after(async () => h?.close());

    const ctx = () => ({ actor: anonymousActor, requestId: randomUUID(), sourceIp: '127.0.0.1', audited: false, via: 'native' as const });
    const sessionOf = async (userId: string) =>
      (
        await h.database.db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).id;

    it('accepts a JWT only as its session: on that session audience, until it is revoked', async () => {
      const auth = h.coffer.services.auth;
      const u = await createUser(h, admin, 'password_user');
      const sid = await sessionOf(u.id);
      const { token } = await auth.sessionJwt(sid, { sub: 'x', iss: 'y' }, 600);
      // a native session wrapped in a JWT is still a native session: refused on the Passbolt API
      await assert.rejects(auth.authenticateJwt(token, '127.0.0.1', 'passbolt'), (e: { code?: string }) => e.code === 'auth.invalid_token');
      assert.equal((await auth.authenticateJwt(token, '127.0.0.1', 'native')).userId, u.id);
      assert.equal((await call(h, 'POST', '/api/v1/auth/logout', { token: u.token })).status < 300, true);
      await assert.rejects(auth.authenticateJwt(token, '127.0.0.1', 'native'), (e: { code?: string }) => e.code === 'auth.invalid_token');
    });

    it('refuses, unspent, a refresh token presented for another user', async () => {
      const auth = h.coffer.services.auth;
      const u = await createUser(h, admin, 'password_user');
      const other = await createUser(h, admin, 'password_user');
      await assert.rejects(
        auth.refresh(ctx(), u.refreshToken, { userId: other.id }),
        (e: { code?: string }) => e.code === 'auth.invalid_token',
      );
      const pair = await auth.refresh(ctx(), u.refreshToken, { userId: u.id });
      assert.match(pair.accessToken, /^cfs_/);
    });

    it('decrypts for a caller only a GPGAuth nonce', async () => {
      const auth = h.coffer.services.auth;
      const server = await auth.serverPublicKey();
      const k = await pbKey('someone@example.com');
      const nonce = `gpgauthv1.3.0|36|${randomUUID()}|gpgauthv1.3.0`;
      assert.equal(await auth.verifyServer(await encryptFor(nonce, [server.armoredKey], k.priv)), nonce);
      for (const text of ['hello', `${nonce}\n`, `x${nonce}`]) {
        await assert.rejects(
          auth.verifyServer(await encryptFor(text, [server.armoredKey], k.priv)),
          (e: { code?: string }) => e.code === 'validation.failed',
        );
      }
    });
  });
}
