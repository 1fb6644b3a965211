// Canary secrets: a realistic session over HTTP with known secrets (passwords, tokens, an API key,
// a TOTP seed, recovery codes, unseal shares, the key file), including the usual mistakes (a
// password typed into the username field, a key in the query string). None of them, in plain,
// base64, base64url or hex form, may show up in the logs (debug level), in an error body, in an
// audit record or anywhere in the database.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { ADMIN, dialects, type Harness, type Res, call as rawCall, startHarness } from '../test/harness.ts';
import { base32Decode, hotp, TOTP_PERIOD_SECONDS, totpStep } from './crypto/totp.ts';
import { manualClock } from './lib/clock.ts';

interface Canary {
  name: string;
  texts: string[];
  bytes: Buffer[];
}

const stripPad = (s: string) => s.replace(/=+$/, '');

/** The canary and its encodings; `raw` are the underlying random bytes when the text encodes them. */
function canary(name: string, value: string, raw?: Buffer): Canary {
  const b = Buffer.from(value, 'utf8');
  // the value as typed and case-folded (usernames are canonicalised; base32 and hex ignore case)
  const texts = [...new Set([value, value.toLowerCase(), value.toUpperCase()])];
  texts.push(stripPad(b.toString('base64')), b.toString('base64url'), b.toString('hex'), b.toString('hex').toUpperCase());
  if (raw) {
    assert.ok(raw.length >= 16, `${name}: raw form long enough to search`);
    texts.push(stripPad(raw.toString('base64')), raw.toString('base64url'), raw.toString('hex'), raw.toString('hex').toUpperCase());
  }
  for (const t of texts) assert.ok(t.length >= 16, `${name}: form ${t} long enough to search without false hits`);
  return { name, texts, bytes: [...texts.map((t) => Buffer.from(t, 'utf8')), ...(raw ? [raw] : [])] };
}

/** A bearer token `cf?_<base64url of 32 random bytes>`. */
const tokenCanary = (name: string, token: string) => canary(name, token, Buffer.from(token.slice(4), 'base64url'));

interface Scan {
  where: string;
  text?: string;
  bytes?: Buffer;
}

function assertNoCanary(canaries: Canary[], scans: Scan[]): void {
  const hits: string[] = [];
  for (const c of canaries) {
    for (const s of scans) {
      if (s.text !== undefined) {
        for (const t of c.texts) if (s.text.includes(t)) hits.push(`${c.name} (${t.slice(0, 12)}…) in ${s.where}`);
      }
      if (s.bytes !== undefined) {
        for (const b of c.bytes) if (s.bytes.includes(b)) hits.push(`${c.name} (bytes ${b.toString('hex').slice(0, 12)}…) in ${s.where}`);
      }
    }
  }
  assert.deepEqual(hits, [], 'no canary anywhere');
}

/** Everything the store holds: the SQLite file and its WAL as bytes, or every row of every PostgreSQL table as text. */
async function storeScans(h: Harness): Promise<Scan[]> {
  const db = h.database.db;
  if (h.database.dialect === 'sqlite') {
    const file = h.database.file as string;
    const out: Scan[] = [];
    for (const f of [file, `${file}-wal`, `${file}-shm`])
      if (existsSync(f)) out.push({ where: f.slice(file.length - 9), bytes: readFileSync(f) });
    assert.ok(out.length >= 1);
    return out;
  }
  const tables = await sql<{
    table_name: string;
  }>`select table_name from information_schema.tables where table_schema = ${h.schema}`.execute(db);
  assert.ok(tables.rows.length >= 10, 'all tables of the schema');
  const out: Scan[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql.raw<{ j: string }>(`select row_to_json(t)::text as j from "${h.schema}"."${table_name}" t`).execute(db);
    out.push({ where: `table ${table_name}`, text: rows.rows.map((r) => r.j).join('\n') });
  }
  return out;
}

async function auditScan(h: Harness): Promise<Scan> {
  const rows = await h.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  assert.ok(rows.length > 10);
  return { where: 'audit_log', text: rows.map((r) => JSON.stringify(r)).join('\n') };
}

/** Records every error body the session receives. */
function recorder(h: Harness) {
  const errors: string[] = [];
  const call = async (...args: Parameters<typeof rawCall>): Promise<Res> => {
    const r = await rawCall(...args);
    if (r.status >= 400) errors.push(r.raw);
    return r;
  };
  const inject = async (opts: InjectOptions) => {
    const r = await h.app.inject(opts);
    if (r.statusCode >= 400) errors.push(r.body);
    return r;
  };
  return { errors, call, inject };
}

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;

for (const dialect of dialects) {
  describe(`canary secrets never leak [${dialect}]`, () => {
    it('through a key-file session: passwords, tokens, API key, TOTP seed, recovery codes, key file', async () => {
      const clock = manualClock(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS + PERIOD_MS / 2);
      const h = await startHarness(dialect, { clock, config: { logLevel: 'debug' } });
      try {
        const { errors, call, inject } = recorder(h);
        const canaries: Canary[] = [canary('admin password', ADMIN.password)];
        const keyFile = readFileSync(h.config.keyFile, 'utf8').trim();
        canaries.push(canary('key file', keyFile, Buffer.from(keyFile, 'base64')));

        // the administrator signs in; failing attempts with the secret in the wrong field
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.password, password: ADMIN.password } })).status,
          401,
        );
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: ` ${ADMIN.password.toUpperCase()} `, password: 'x' } })).status,
          401,
        );
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: `${ADMIN.password}-typo` } })).status,
          401,
        );
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, pasword: ADMIN.password } })).status,
          400,
        );
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password.repeat(12) } })).status,
          400,
        );
        const malformed = await inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: `{"username":"admin","password":"${ADMIN.password}"`,
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(malformed.statusCode, 400);
        const asText = await inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: `username=admin&password=${ADMIN.password}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assert.equal(asText.statusCode, 415);
        const a = await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } });
        assert.equal(a.status, 200);
        const admin = a.body.accessToken as string;
        canaries.push(tokenCanary('admin access token', admin), tokenCanary('admin refresh token', a.body.refreshToken));

        // a user with a known password
        const userPassword = 'user-password-canary-5c1e9b';
        const temporaryPassword = 'user-temporary-password-canary-0d4a';
        canaries.push(canary('user password', userPassword), canary('user temporary password', temporaryPassword));
        const created = await call(h, 'POST', '/api/v1/users', {
          token: admin,
          body: { username: 'canary-user', password: temporaryPassword, role: 'password_user', firstName: 'Cana' },
        });
        assert.equal(created.status, 201);
        const userId = created.body.id as string;
        // the administrator's password is temporary: the first session replaces it
        const u0 = await call(h, 'POST', '/api/v1/auth/login', { body: { username: 'canary-user', password: temporaryPassword } });
        assert.equal(u0.body.mustChangePassword, true);
        canaries.push(
          tokenCanary('user first access token', u0.body.accessToken),
          tokenCanary('user first refresh token', u0.body.refreshToken),
        );
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: u0.body.accessToken })).status, 403);
        const own = await call(h, 'POST', '/api/v1/me/password', {
          token: u0.body.accessToken,
          body: { currentPassword: temporaryPassword, newPassword: userPassword },
        });
        assert.equal(own.status, 200, own.raw);
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: userPassword, password: userPassword } })).status,
          401,
        );
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: 'canary-user', password: `${userPassword}!` } })).status,
          401,
        );
        const u1 = await call(h, 'POST', '/api/v1/auth/login', { body: { username: 'canary-user', password: userPassword } });
        assert.equal(u1.status, 200);
        let user = u1.body.accessToken as string;
        canaries.push(tokenCanary('user access token', user), tokenCanary('user refresh token', u1.body.refreshToken));

        // TOTP enrolment: the seed and the recovery codes
        const begin = await call(h, 'POST', '/api/v1/me/totp', { token: user, body: { currentPassword: userPassword } });
        assert.equal(begin.status, 200);
        const seedText = begin.body.secret as string;
        const seed = base32Decode(seedText);
        canaries.push(canary('TOTP seed', seedText, seed));
        assert.equal((await call(h, 'POST', '/api/v1/me/totp/confirm', { token: user, body: { code: 'abcdef' } })).status, 400);
        const confirm = await call(h, 'POST', '/api/v1/me/totp/confirm', {
          token: user,
          body: { code: hotp(seed, totpStep(clock.now())) },
        });
        assert.equal(confirm.status, 200, confirm.raw);
        const recovery = confirm.body.recoveryCodes as string[];
        assert.ok(recovery.length >= 8);
        recovery.forEach((c, i) => {
          canaries.push(canary(`recovery code ${i}`, c));
        });
        const mfa = await call(h, 'POST', '/api/v1/auth/login', { body: { username: 'canary-user', password: userPassword } });
        assert.equal(mfa.body.error.code, 'auth.mfa_required');
        clock.advance(PERIOD_MS);
        const u2 = await call(h, 'POST', '/api/v1/auth/login', {
          body: { username: 'canary-user', password: userPassword, totpCode: hotp(seed, totpStep(clock.now())) },
        });
        assert.equal(u2.status, 200, u2.raw);
        user = u2.body.accessToken;
        canaries.push(tokenCanary('user TOTP access token', user), tokenCanary('user TOTP refresh token', u2.body.refreshToken));
        const u3 = await call(h, 'POST', '/api/v1/auth/login', {
          body: { username: 'canary-user', password: userPassword, recoveryCode: recovery[0] },
        });
        assert.equal(u3.status, 200, u3.raw);
        canaries.push(
          tokenCanary('recovery access token', u3.body.accessToken),
          tokenCanary('recovery refresh token', u3.body.refreshToken),
        );
        assert.equal(
          (
            await call(h, 'POST', '/api/v1/auth/login', {
              body: { username: 'canary-user', password: userPassword, recoveryCode: recovery[0] },
            })
          ).status,
          401,
          'a used recovery code',
        );
        assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { username: recovery[1], password: recovery[2] } })).status, 401);
        assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { username: seedText, password: userPassword } })).status, 401);

        // an API key (made with the password and a TOTP code): used, misused from elsewhere, put in
        // the query string (which revokes it) and the username field
        clock.advance(PERIOD_MS);
        const k = await call(h, 'POST', '/api/v1/me/api-keys', {
          token: user,
          body: {
            name: 'ci',
            allowedCidrs: ['127.0.0.1'],
            expiresAt: new Date(clock.now() + 30 * 86_400_000).toISOString(),
            currentPassword: userPassword,
            totpCode: hotp(seed, totpStep(clock.now())),
          },
        });
        assert.equal(k.status, 201, k.raw);
        const apiKey = k.body.key as string;
        canaries.push(tokenCanary('API key', apiKey));
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: apiKey })).status, 200);
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: apiKey, ip: '10.9.9.9' })).status, 401);
        const ex = await call(h, 'POST', '/api/v1/auth/token', { token: apiKey });
        assert.equal(ex.status, 200);
        canaries.push(
          tokenCanary('exchanged access token', ex.body.accessToken),
          tokenCanary('exchanged refresh token', ex.body.refreshToken),
        );
        assert.equal((await call(h, 'GET', `/api/v1/auth/whoami?api_key=${apiKey}`)).status, 400);
        assert.equal((await call(h, 'GET', '/api/v1/auth/whoami', { token: apiKey })).status, 401, 'a key seen in a URL is revoked');
        assert.equal((await call(h, 'GET', `/api/v1/no-such-route?token=${a.body.refreshToken}`)).status, 404);
        assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { username: apiKey, password: apiKey } })).status, 401);
        assert.equal(
          (await call(h, 'GET', '/api/v1/users', { headers: { authorization: apiKey } })).status,
          401,
          'without the Bearer scheme',
        );
        assert.equal(
          (
            await call(h, 'GET', '/api/v1/users', {
              headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN.password}`).toString('base64')}` },
            })
          ).status,
          401,
        );

        // refresh: rotation, reuse, a refresh token as a bearer token
        const r1 = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: a.body.refreshToken } });
        assert.equal(r1.status, 200);
        canaries.push(tokenCanary('rotated access token', r1.body.accessToken), tokenCanary('rotated refresh token', r1.body.refreshToken));
        assert.equal((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: a.body.refreshToken } })).status, 401);
        assert.equal((await call(h, 'GET', '/api/v1/users', { token: r1.body.refreshToken })).status, 401);
        // the reuse ended that family; a session token in the query is refused (and revoked)
        assert.equal((await call(h, 'GET', `/api/v1/users?token=${r1.body.accessToken}`)).status, 400);
        const admin2 = (await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } })).body;
        canaries.push(tokenCanary('admin access token 2', admin2.accessToken), tokenCanary('admin refresh token 2', admin2.refreshToken));

        // password changes, wrong and right; an administrator's reset
        const newPassword = 'user-new-password-canary-77ad';
        const resetPassword = 'user-reset-password-canary-03f2';
        canaries.push(canary('user new password', newPassword), canary('user reset password', resetPassword));
        clock.advance(PERIOD_MS);
        const wrongChange = await call(h, 'POST', '/api/v1/me/password', {
          token: user,
          body: { currentPassword: ADMIN.password, totpCode: hotp(seed, totpStep(clock.now())), newPassword },
        });
        assert.equal(wrongChange.status, 403);
        assert.equal(wrongChange.body.error.code, 'auth.reauth_failed');
        const change = await call(h, 'POST', '/api/v1/me/password', {
          token: user,
          body: { currentPassword: userPassword, totpCode: hotp(seed, totpStep(clock.now())), newPassword },
        });
        assert.equal(change.status, 200, change.raw);
        assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { username: newPassword, password: newPassword } })).status, 401);
        const reset = await call(h, 'POST', `/api/v1/users/${userId}/password`, {
          token: admin2.accessToken,
          body: { password: resetPassword },
        });
        assert.equal(reset.status, 200);
        assert.equal(
          (await call(h, 'POST', `/api/v1/users/${userId}/password`, { token: admin2.accessToken, body: { password: 'short' } })).status,
          400,
        );
        const u4 = await call(h, 'POST', '/api/v1/auth/login', {
          body: { username: 'canary-user', password: resetPassword, recoveryCode: recovery[3] },
        });
        assert.equal(u4.status, 200, u4.raw);
        canaries.push(tokenCanary('user access token 4', u4.body.accessToken), tokenCanary('user refresh token 4', u4.body.refreshToken));
        // the reset password is temporary too: replaced first (the old one no longer works)
        assert.equal(u4.body.mustChangePassword, true);
        const finalPassword = 'user-final-password-canary-6b2f';
        canaries.push(canary('user final password', finalPassword));
        const stale = await call(h, 'POST', '/api/v1/me/password', {
          token: u4.body.accessToken,
          body: { currentPassword: userPassword, recoveryCode: recovery[4], newPassword: finalPassword },
        });
        assert.equal(stale.status, 403, 'the old password no longer works');
        const replaced = await call(h, 'POST', '/api/v1/me/password', {
          token: u4.body.accessToken,
          body: { currentPassword: resetPassword, recoveryCode: recovery[4], newPassword: finalPassword },
        });
        assert.equal(replaced.status, 200, replaced.raw);
        const u5 = await call(h, 'POST', '/api/v1/auth/login', {
          body: { username: 'canary-user', password: finalPassword, recoveryCode: recovery[5] },
        });
        assert.equal(u5.status, 200, u5.raw);
        canaries.push(tokenCanary('user access token 5', u5.body.accessToken), tokenCanary('user refresh token 5', u5.body.refreshToken));
        const dis = await call(h, 'POST', '/api/v1/me/totp/disable', {
          token: u5.body.accessToken,
          body: { currentPassword: resetPassword, recoveryCode: recovery[6] },
        });
        assert.equal(dis.status, 403, 'the reset password no longer works');
        assert.equal(
          (
            await call(h, 'POST', '/api/v1/me/totp/disable', {
              token: u5.body.accessToken,
              body: { currentPassword: finalPassword, recoveryCode: recovery[6] },
            })
          ).status,
          200,
        );
        assert.equal((await call(h, 'POST', '/api/v1/auth/logout', { token: admin2.accessToken })).status, 200);

        // the scans: positive controls first, so an empty scan cannot pass
        const logs = h.logs();
        assert.ok(logs.includes('"level":20') || logs.includes('"level":30'), 'the logs were captured');
        assert.ok(logs.length > 1000);
        const store = await storeScans(h);
        const audit = await auditScan(h);
        assert.ok(audit.text?.includes('canary-user'), 'the audit scan sees the audit records');
        assert.ok(
          store.some((s) => (s.text ?? '').includes('canary-user') || (s.bytes?.includes(Buffer.from('canary-user')) ?? false)),
          'the store scan sees the data',
        );
        assert.ok(errors.length >= 20, `error bodies collected: ${errors.length}`);
        assertNoCanary(canaries, [
          { where: 'logs', text: logs },
          ...errors.map((e, i) => ({ where: `error body ${i}: ${e.slice(0, 120)}`, text: e })),
          audit,
          ...store,
        ]);
      } finally {
        await h.close();
      }
    });

    it('through a Shamir unseal over HTTP: the shares', async () => {
      const h = await startHarness(dialect, { mode: 'shamir', shares: 3, threshold: 2, config: { logLevel: 'debug' } });
      try {
        const { errors, call } = recorder(h);
        const shares = h.shares as string[];
        assert.equal(shares.length, 3);
        const canaries = shares.map((s, i) => canary(`share ${i + 1}`, s, Buffer.from(s.split('-')[1] as string, 'hex')));
        canaries.push(canary('admin password', ADMIN.password));

        assert.equal((await call(h, 'GET', '/api/v1/users', { token: `cfs_${'A'.repeat(43)}` })).status, 503, 'sealed');
        assert.equal((await call(h, 'POST', '/api/v1/auth/login', { body: { username: shares[0], password: shares[1] } })).status, 503);
        const first = await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: shares[0] } });
        assert.equal(first.status, 200);
        assert.equal(first.body.progress, 1);
        // a corrupted share: the combination fails and the progress resets
        const s1 = shares[1] as string;
        const corrupted = s1.slice(0, -1) + (s1.endsWith('0') ? '1' : '0');
        const bad = await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: corrupted } });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.error.code, 'sys.unseal_failed');
        assert.equal((await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: `${shares[2]}zz` } })).status, 400);
        assert.equal((await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: shares[2], extra: shares[0] } })).status, 400);
        assert.equal((await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: shares[2] } })).body.progress, 1);
        const done = await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: shares[0] } });
        assert.equal(done.status, 200, done.raw);
        assert.equal(done.body.sealed, false);
        assert.equal((await call(h, 'POST', '/api/v1/sys/unseal', { body: { share: shares[1] } })).status, 200, 'a share after unsealing');
        assert.equal(
          (await call(h, 'POST', '/api/v1/auth/login', { body: { username: shares[1], password: ADMIN.password } })).status,
          401,
        );
        const a = await call(h, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } });
        assert.equal(a.status, 200);
        assert.equal((await call(h, 'GET', `/api/v1/sys/seal-status?key=${shares[1]}`)).status, 400);

        const logs = h.logs();
        assert.ok(logs.length > 500);
        assert.ok(errors.length >= 5);
        assertNoCanary(canaries, [
          { where: 'logs', text: logs },
          ...errors.map((e, i) => ({ where: `error body ${i}: ${e.slice(0, 120)}`, text: e })),
          await auditScan(h),
          ...(await storeScans(h)),
        ]);
      } finally {
        await h.close();
      }
    });
  });
}
