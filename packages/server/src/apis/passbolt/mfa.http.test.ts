// The second factor of a Passbolt sign-in by key, over real HTTP on both dialects: a user with TOTP
// (enrolled natively) who signs in by JWT or GPGAuth gets a session that answers 403 "MFA
// authentication is required." with the providers until a TOTP code is given at
// /mfa/verify/totp.json (wrong and replayed codes refused, the cookie flow needing its CSRF token);
// audited; the code never in the logs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { assertEnvelope, PB_BASE, passboltUser, pb, pbGpgLogin, pbJwtLogin, setCookies } from '../../../test/passbolt.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from '../../crypto/totp.ts';

/** A six-digit code that matches none of the steps the server accepts now. */
function wrongCode(secret: Buffer, nowMs: number): string {
  const step = totpStep(nowMs);
  const valid = new Set([step - 1, step, step + 1].map((s) => hotp(secret, s)));
  for (let n = 0; ; n++) {
    const c = String((123456 + n * 7919) % 1_000_000).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

for (const dialect of dialects) {
  describe(`Passbolt MFA (TOTP) [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    // the wall clock plus what the test adds: OpenPGP keys made now are valid at the server's time
    let offset = 0;
    const clock = {
      now: () => Date.now() + offset,
      advance: (ms: number) => {
        offset += ms;
      },
    };
    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
    });
    after(async () => h?.close());

    /** The code of the current step (+ `ahead`: the server accepts the next step too). */
    const code = (secret: Buffer, ahead = 0) => hotp(secret, totpStep(clock.now()) + ahead);

    /** A Passbolt user with TOTP on (enrolled through the native API); its seed. */
    /** Its enrolment spent the current step: the next code is `code(secret, 1)`. */
    async function totpUser() {
      const u = await passboltUser(h, admin);
      const begin = await call(h, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
      assert.equal(begin.status, 200, begin.raw);
      const secret = base32Decode(begin.body.secret);
      const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: code(secret) } });
      assert.equal(confirm.status, 200, confirm.raw);
      return { ...u, secret };
    }

    const gated = (r: Awaited<ReturnType<typeof pb>>) => {
      assertEnvelope(r, 403);
      assert.equal(r.body.header.message, 'MFA authentication is required.');
      assert.match(r.body.header.url, /\/mfa\/verify\/error\.json$/);
      assert.deepEqual(r.body.body, { mfa_providers: ['totp'], providers: { totp: `${PB_BASE}/mfa/verify/totp.json` } });
    };

    it('holds a JWT session at the second factor until a valid code, then lifts it for that session', async () => {
      const u = await totpUser();
      const s = await pbJwtLogin(h, u);
      gated(await pb(h, 'GET', '/mfa/verify/error.json', { token: s.accessToken }));
      // is-authenticated and logout stay reachable; settings answer the public view
      assertEnvelope(await pb(h, 'GET', '/auth/is-authenticated.json', { token: s.accessToken }), 200);
      const pre = await pb(h, 'GET', '/settings.json', { token: s.accessToken });
      assert.equal(pre.body.body.passbolt.plugins.mfa, undefined);
      // a wrong code: refused, still held, audited
      const wrong = await pb(h, 'POST', '/mfa/verify/totp.json', {
        token: s.accessToken,
        body: { totp: wrongCode(u.secret, clock.now()) },
      });
      assertEnvelope(wrong, 400);
      gated(await pb(h, 'GET', '/mfa/verify/error.json', { token: s.accessToken }));
      const good = code(u.secret, 1);
      const ok = await pb(h, 'POST', '/mfa/verify/totp.json', { token: s.accessToken, body: { totp: good } });
      assertEnvelope(ok, 200);
      assert.ok(setCookies(ok).get('passbolt_mfa')?.value, 'the passbolt_mfa cookie go-passbolt waits for');
      assertEnvelope(await pb(h, 'GET', '/mfa/verify/error.json', { token: s.accessToken }), 200);
      assert.ok((await pb(h, 'GET', '/settings.json', { token: s.accessToken })).body.body.passbolt.plugins.mfa);
      const records = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'via'])
        .where('action', '=', 'auth.mfa_verify')
        .where('actor_id', '=', u.id)
        .orderBy('seq')
        .execute();
      assert.equal(records.length, 2);
      assert.notEqual(records[0]?.outcome, 'success');
      assert.equal(records[1]?.outcome, 'success');
      assert.ok(records.every((r) => r.via === 'passbolt'));
      // a refresh keeps the family: no second code needed
      const r = await pb(h, 'POST', '/auth/jwt/refresh.json', { body: { user_id: s.uuid, refresh_token: s.refreshToken } });
      assertEnvelope(await pb(h, 'GET', '/mfa/verify/error.json', { token: r.body.body.access_token }), 200);
      // a new sign-in is held again, and the code already used is refused there (replay)
      const s2 = await pbJwtLogin(h, u);
      gated(await pb(h, 'GET', '/mfa/verify/error.json', { token: s2.accessToken }));
      assertEnvelope(await pb(h, 'POST', '/mfa/verify/totp.json', { token: s2.accessToken, body: { totp: good } }), 400);
      gated(await pb(h, 'GET', '/mfa/verify/error.json', { token: s2.accessToken }));
      clock.advance(TOTP_PERIOD_SECONDS * 1000);
      assertEnvelope(await pb(h, 'POST', '/mfa/verify/totp.json', { token: s2.accessToken, body: { totp: code(u.secret, 1) } }), 200);
      assertEnvelope(await pb(h, 'GET', '/mfa/verify/error.json', { token: s2.accessToken }), 200);
    });

    it('holds a GPGAuth cookie session too; its code needs the CSRF token', async () => {
      const u = await totpUser();
      const s = await pbGpgLogin(h, u.key);
      const cookie = { cookie: `passbolt_session=${s.session}` };
      gated(await pb(h, 'GET', '/mfa/verify/error.json', { headers: cookie }));
      assertEnvelope(await pb(h, 'POST', '/mfa/verify/totp.json', { headers: cookie, body: { totp: code(u.secret, 1) } }), 403);
      const ok = await pb(h, 'POST', '/mfa/verify/totp.json', {
        headers: { ...cookie, 'x-csrf-token': s.csrf },
        body: { totp: code(u.secret, 1) },
      });
      assertEnvelope(ok, 200);
      assertEnvelope(await pb(h, 'GET', '/mfa/verify/error.json', { headers: cookie }), 200);
    });

    it('leaves a user without TOTP ungated, and refuses bad input with a 4xx', async () => {
      const u = await passboltUser(h, admin);
      assertEnvelope(await pb(h, 'GET', '/mfa/verify/error.json', { token: u.pbToken }), 200);
      const t = await totpUser();
      const s = await pbJwtLogin(h, t);
      for (const body of [{}, { totp: '' }, { totp: { a: 1 } }, { totp: 'abcdef' }, { totp: '1'.repeat(40) }, [1]]) {
        const r = await pb(h, 'POST', '/mfa/verify/totp.json', { token: s.accessToken, body });
        assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(body)} -> ${r.status} ${r.raw}`);
      }
      gated(await pb(h, 'GET', '/mfa/verify/error.json', { token: s.accessToken }));
      assertEnvelope(await pb(h, 'POST', '/mfa/verify/totp.json', { body: { totp: '123456' } }), 403);
    });

    it('keeps the TOTP code out of the logs', async () => {
      const u = await totpUser();
      const s = await pbJwtLogin(h, u);
      const c = code(u.secret, 1);
      assertEnvelope(await pb(h, 'POST', '/mfa/verify/totp.json', { token: s.accessToken, body: { totp: c } }), 200);
      assert.ok(!h.logs().includes(`"${c}"`));
    });
  });
}
