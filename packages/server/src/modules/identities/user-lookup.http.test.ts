// GET /api/v1/users/lookup: any signed-in user finds one active user by exact (canonical)
// username, to share with, without being able to list or search the directory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, type Res, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { USER_LOOKUPS_PER_MINUTE } from './user-lookup.service.ts';
import { canonicalUsername } from './username.ts';

const lookupUrl = (username: string) => `/api/v1/users/lookup?username=${encodeURIComponent(username)}`;
/** An error answer without its request id, to compare two answers. */
const same = (r: Res) => ({ status: r.status, body: { ...r.body, error: { ...r.body?.error, requestId: '' } } });

for (const dialect of dialects) {
  describe(`user lookup by exact username [${dialect}]`, () => {
    const clock = manualClock();
    let h: Harness;
    let admin: string;
    let seeker: Awaited<ReturnType<typeof createUser>>;
    let target: Awaited<ReturnType<typeof createUser>>;
    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
      seeker = await createUser(h, admin, 'password_user');
      target = await createUser(h, admin, 'password_user', { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' });
    });
    after(async () => h.close());

    const lookup = (token: string | undefined, username: string) => call(h, 'GET', lookupUrl(username), token ? { token } : {});

    it('lets a user without users.read find another by exact username: id, username and display name only', async () => {
      assert.equal((await call(h, 'GET', '/api/v1/users', { token: seeker.token })).status, 403, 'the directory stays closed');
      const r = await lookup(seeker.token, target.username);
      assert.equal(r.status, 200, r.raw);
      assert.deepEqual(r.body, { id: target.id, username: target.username, displayName: 'Grace Hopper' });
      // the canonical form: case, width and surrounding space do not make another name
      const fullWidth = target.username.toUpperCase().replace(/[A-Z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
      for (const variant of [` ${target.username.toUpperCase()} `, fullWidth]) {
        const v = await lookup(seeker.token, variant);
        assert.equal(v.status, 200, `${variant}: ${v.raw}`);
        assert.equal(v.body.id, target.id);
      }
      const self = await lookup(seeker.token, seeker.username);
      assert.deepEqual(self.body, { id: seeker.id, username: seeker.username, displayName: '' });
    });

    it('refuses anonymous callers and bad queries', async () => {
      const anon = await lookup(undefined, target.username);
      assert.equal(anon.status, 401);
      assert.equal(anon.body.error.code, 'auth.required');
      for (const url of [
        '/api/v1/users/lookup',
        '/api/v1/users/lookup?username=',
        `/api/v1/users/lookup?username=${'a'.repeat(101)}`,
        `${lookupUrl(target.username)}&limit=500`,
      ]) {
        const r = await call(h, 'GET', url, { token: seeker.token });
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
        assert.equal(r.body.error.code, 'validation.failed');
      }
    });

    it('finds no partial match: prefixes, substrings and patterns answer like a name that does not exist', async () => {
      const missing = same(await lookup(seeker.token, 'nobody-by-this-name'));
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
      const name = target.username;
      for (const probe of [
        name.slice(0, -1),
        name.slice(1),
        `${name}x`,
        `${name.slice(0, 4)}%`,
        `${name.slice(0, -1)}_`,
        '%',
        '*',
        `${name}*`,
      ]) {
        assert.deepEqual(same(await lookup(seeker.token, probe)), missing, probe);
      }
    });

    it('does not find disabled or deleted users, exactly like missing ones', async () => {
      const missing = same(await lookup(seeker.token, 'nobody-by-this-name'));
      const gone = await createUser(h, admin, 'password_user');
      assert.equal((await lookup(seeker.token, gone.username)).status, 200);
      assert.equal((await call(h, 'POST', `/api/v1/users/${gone.id}/disable`, { token: admin })).status, 200);
      assert.deepEqual(same(await lookup(seeker.token, gone.username)), missing, 'disabled');
      assert.equal((await call(h, 'POST', `/api/v1/users/${gone.id}/enable`, { token: admin })).status, 200);
      assert.equal((await lookup(seeker.token, gone.username)).body.id, gone.id, 'enabled again');
      assert.equal((await call(h, 'DELETE', `/api/v1/users/${gone.id}`, { token: admin })).status, 204);
      assert.deepEqual(same(await lookup(seeker.token, gone.username)), missing, 'deleted');
    });

    it('audits every lookup with the name only as a keyed hash', async () => {
      const prober = await createUser(h, admin, 'password_user');
      await lookup(prober.token, target.username);
      await lookup(prober.token, 'not-a-user-here');
      const rows = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.lookup')
        .where('actor_id', '=', prober.id)
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.outcome, r.object_id, r.reason]),
        [
          ['success', target.id, null],
          ['denied', null, 'not_found'],
        ],
      );
      for (const r of rows) {
        const details = JSON.parse(String(r.details));
        assert.deepEqual(Object.keys(details), ['usernameHmac']);
        assert.ok(!String(r.details).includes(target.username) && !String(r.details).includes('not-a-user-here'));
      }
      assert.notEqual(JSON.parse(String(rows[0]?.details)).usernameHmac, JSON.parse(String(rows[1]?.details)).usernameHmac);
    });

    it('finds exactly the active user whose canonical name equals the query (property, against a model)', async () => {
      const people = [
        { username: 'Ada', active: true },
        { username: 'ada.lovelace', active: true },
        { username: 'Zoë_Ortiz', active: true },
        { username: 'mallory', active: false },
      ];
      const ids = new Map<string, string>();
      for (const p of people) {
        const r = await call(h, 'POST', '/api/v1/users', {
          token: admin,
          body: { username: p.username, password: 'a-long-enough-password', role: 'password_user' },
        });
        assert.equal(r.status, 201, r.raw);
        ids.set(p.username, r.body.id);
        if (!p.active) assert.equal((await call(h, 'POST', `/api/v1/users/${r.body.id}/disable`, { token: admin })).status, 200);
      }
      const finder = await createUser(h, admin, 'password_user');
      clock.advance(61_000);
      const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
      const variant = fc
        .tuple(
          fc.constantFrom(...people.map((p) => p.username)),
          fc.constantFrom<(s: string, n: number) => string>(
            (s) => s,
            (s) => s.toUpperCase(),
            (s) => ` ${s}\t`,
            fullWidth,
            (s, n) => s.slice(0, 1 + (n % (s.length - 1))),
            (s, n) => s.slice(1 + (n % (s.length - 1))),
            (s) => `${s}%`,
            (s) => `${s.slice(0, -1)}_`,
            (s) => `%${s.slice(1)}`,
            (s) => `${s}*`,
          ),
          fc.nat(),
        )
        .map(([name, f, n]) => f(name, n));
      const query = fc.oneof(variant, fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('%', '_', '*', '.*', ' '));
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          clock.advance(3_000); // below the rate limit: this property is about matching
          const r = await lookup(finder.token, q);
          const want =
            canonicalUsername(q) === ''
              ? undefined
              : people.find((p) => p.active && canonicalUsername(p.username) === canonicalUsername(q));
          if (want) {
            assert.equal(r.status, 200, `${JSON.stringify(q)}: ${r.raw}`);
            assert.deepEqual(r.body, { id: ids.get(want.username), username: want.username, displayName: '' });
          } else if (r.status !== 200 || !/^user\d+_/.test(r.body.username)) {
            // only another test's user may match a random string; otherwise it is not found
            assert.equal(r.status, 404, `${JSON.stringify(q)}: ${r.raw}`);
            assert.equal(r.body.error.code, 'not_found');
          }
        }),
        { numRuns: 150 },
      );
    });

    it(`answers 429 after ${USER_LOOKUPS_PER_MINUTE} lookups in a minute, per user, until the minute has passed`, async () => {
      const prober = await createUser(h, admin, 'password_user');
      for (let i = 0; i < USER_LOOKUPS_PER_MINUTE; i++) {
        const r = await lookup(prober.token, i % 2 ? target.username : `guess-${i}`);
        assert.equal(r.status, i % 2 ? 200 : 404, `lookup ${i}`);
      }
      const limited = await lookup(prober.token, target.username);
      assert.equal(limited.status, 429, limited.raw);
      assert.equal(limited.body.error.code, 'auth.rate_limited');
      const retry = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${String(limited.headers['retry-after'])}`);
      assert.equal((await lookup(seeker.token, target.username)).status, 200, 'another user is not held up');
      clock.advance(61_000);
      assert.equal((await lookup(prober.token, target.username)).status, 200, 'a minute later');
    });
  });
}
