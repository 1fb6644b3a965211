import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { AMBIGUOUS, DEFAULT_PASSWORD_POLICY, DIGITS } from '../../crypto/password-generator.ts';

const CHECKED_PASSWORD = 'strength-canary-Zq81!';

for (const dialect of dialects) {
  describe(`password generator and strength over HTTP [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let lister: Awaited<ReturnType<typeof createUser>>;
    let outsider: Awaited<ReturnType<typeof createUser>>;
    const ids: Record<string, string> = {};
    /** Every password the server handed out or was asked about, to scan logs and audit for. */
    const seen: string[] = [CHECKED_PASSWORD];

    const generate = async (token: string, body: Record<string, unknown>) => {
      const r = await call(h, 'POST', '/api/v1/passwords/generate', { token, body });
      if (r.status === 200) seen.push(...(r.body.passwords as string[]));
      return r;
    };
    const folder = async (body: Record<string, unknown>) => {
      const r = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: ids.vault, ...body } });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      lister = await createUser(h, admin, 'password_user');
      outsider = await createUser(h, admin, 'password_user');
      // vault (length 40, no symbols) / Servers / Linux ; vault / Own (no policy inheritance, length 16)
      const v = await call(h, 'POST', '/api/v1/vaults', {
        token: owner.token,
        body: { name: `Pw ${dialect}`, policy: { passwordPolicy: { length: 40, symbols: false } } },
      });
      assert.equal(v.status, 201, v.raw);
      assert.deepEqual(v.body.policy, { passwordPolicy: { length: 40, symbols: false } });
      ids.vault = v.body.id;
      ids.servers = await folder({ name: 'Servers', policy: { passwordPolicy: { digits: false } } });
      ids.linux = await folder({ parentId: ids.servers, name: 'Linux' });
      ids.own = await folder({
        name: 'Own',
        inheritPolicy: false,
        policy: { requireReason: true, passwordPolicy: { length: 16, noAmbiguous: true } },
      });
      ids.ownChild = await folder({ parentId: ids.own, name: 'Child' });
      ids.plain = await folder({ name: 'Plain', inheritPolicy: false });
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: ids.linux, principalType: 'user', principalId: lister.id, level: 'list' },
      });
      assert.equal(g.status, 201, g.raw);
    });
    after(async () => h.close());

    it('generates with the defaults when no node and no policy are given', async () => {
      const r = await generate(owner.token, { count: 5 });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.passwords.length, 5);
      assert.equal(new Set(r.body.passwords).size, 5);
      for (const pw of r.body.passwords) assert.equal(pw.length, 24);
      assert.deepEqual(r.body.policy, DEFAULT_PASSWORD_POLICY);
      const one = await generate(owner.token, {});
      assert.equal(one.body.passwords.length, 1);
    });

    it("applies the caller's policy fields", async () => {
      const r = await generate(owner.token, { count: 20, policy: { length: 12, symbols: false, upper: false, exclude: 'abc' } });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.policy.length, 12);
      for (const pw of r.body.passwords) assert.match(pw, /^[d-z0-9]{12}$/);
    });

    it('carries the vault policy down to a subfolder, field by field', async () => {
      const r = await generate(owner.token, { folderId: ids.linux, count: 10 });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.policy.length, 40);
      assert.equal(r.body.policy.symbols, false);
      assert.equal(r.body.policy.digits, false, 'Servers adds digits: false, Linux inherits it');
      for (const pw of r.body.passwords) assert.match(pw, /^[A-Za-z]{40}$/);
      const atVault = await generate(owner.token, { vaultId: ids.vault });
      assert.equal(atVault.body.passwords[0].length, 40);
      assert.equal(atVault.body.policy.digits, true);
      // both given and consistent
      const both = await generate(owner.token, { vaultId: ids.vault, folderId: ids.linux });
      assert.equal(both.status, 200);
      assert.equal(both.body.passwords[0].length, 40);
    });

    it('lets the request override the node policy', async () => {
      const r = await generate(owner.token, { folderId: ids.linux, policy: { length: 12, digits: true } });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.passwords[0].length, 12);
      assert.equal(r.body.policy.digits, true);
      assert.equal(r.body.policy.symbols, false, 'what the request leaves out still comes from the vault');
    });

    it('a folder that does not inherit the policy uses its own, and passes it on', async () => {
      for (const nodeId of [ids.own, ids.ownChild]) {
        const r = await generate(owner.token, { folderId: nodeId, count: 20 });
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.policy.length, 16);
        assert.equal(r.body.policy.noAmbiguous, true);
        assert.equal(r.body.policy.symbols, true, "the vault's symbols: false does not reach here");
        for (const pw of r.body.passwords) {
          assert.equal(pw.length, 16);
          for (const c of AMBIGUOUS) assert.ok(!pw.includes(c));
        }
      }
      const plain = await generate(owner.token, { folderId: ids.plain });
      assert.deepEqual(plain.body.policy, DEFAULT_PASSWORD_POLICY, 'no inheritance and no own policy: the defaults');
    });

    it('follows policy changes: a folder policy set to null inherits again', async () => {
      const p = await call(h, 'PATCH', `/api/v1/folders/${ids.own}`, {
        token: owner.token,
        body: { policy: { requireReason: true, passwordPolicy: null } },
      });
      assert.equal(p.status, 200, p.raw);
      const r = await generate(owner.token, { folderId: ids.ownChild });
      assert.deepEqual(r.body.policy, DEFAULT_PASSWORD_POLICY);
      const back = await call(h, 'PATCH', `/api/v1/folders/${ids.own}`, {
        token: owner.token,
        body: { policy: { passwordPolicy: { length: 16, noAmbiguous: true } } },
      });
      assert.equal(back.status, 200, back.raw);
      assert.deepEqual(back.body.policy, { passwordPolicy: { length: 16, noAmbiguous: true } });
    });

    it('needs list access on the node: an outsider gets the same 404 as for a missing node', async () => {
      const missingFolder = await generate(outsider.token, { folderId: 'fld_00000000000000000000000000' });
      assert.equal(missingFolder.status, 404);
      for (const folderId of [ids.linux, ids.own, ids.servers]) {
        const r = await generate(outsider.token, { folderId });
        assert.equal(r.status, 404, r.raw);
        assert.equal(r.body.error.code, 'not_found');
        assert.equal(r.body.error.message, missingFolder.body.error.message);
        // the request id is random and may hold the digits 40: leave it out of the scan
        const { requestId: _random, ...rest } = r.body.error;
        assert.ok(!JSON.stringify(rest).includes('40'), 'nothing about the policy leaks');
        assert.deepEqual(Object.keys(r.body), ['error']);
      }
      const missingVault = await generate(outsider.token, { vaultId: 'vlt_00000000000000000000000000' });
      const vault = await generate(outsider.token, { vaultId: ids.vault });
      assert.equal(vault.status, 404);
      assert.equal(vault.body.error.message, missingVault.body.error.message);
      // a grant of `list` on Linux is enough there, and only there
      const ok = await generate(lister.token, { folderId: ids.linux });
      assert.equal(ok.status, 200, ok.raw);
      assert.equal(ok.body.passwords[0].length, 40);
      assert.equal((await generate(lister.token, { folderId: ids.own })).status, 404);
      assert.equal((await generate(lister.token, { vaultId: ids.vault })).status, 404);
      // a folder named with another vault's id is not found either
      const other = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Other ${dialect}` } });
      const mismatch = await generate(owner.token, { vaultId: other.body.id, folderId: ids.linux });
      assert.equal(mismatch.status, 404);
      assert.equal(mismatch.body.error.message, missingFolder.body.error.message);
    });

    it('refuses impossible policies and out-of-range input with 400', async () => {
      const none = await generate(owner.token, { policy: { lower: false, upper: false, digits: false, symbols: false } });
      assert.equal(none.status, 400);
      assert.equal(none.body.error.code, 'validation.failed');
      assert.deepEqual(
        none.body.error.details.map((d: { path: string }) => d.path),
        ['/policy'],
      );
      const short = await generate(owner.token, { policy: { length: 8, minPerClass: 3 } });
      assert.equal(short.status, 400);
      assert.equal(short.body.error.details[0].path, '/policy/length');
      // impossible only together with the folder's policy: Servers has no digits, the request excludes every letter
      const merged = await generate(owner.token, {
        folderId: ids.linux,
        policy: { exclude: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ' },
      });
      assert.equal(merged.status, 400);
      assert.deepEqual(merged.body.error.details.map((d: { path: string }) => d.path).sort(), ['/policy/lower', '/policy/upper']);
      for (const body of [
        { count: 0 },
        { count: 101 },
        { policy: { length: 7 } },
        { policy: { length: 257 } },
        { policy: { symbolSet: 'ab' } },
        { policy: { minPerClass: -1 } },
        { policy: { bogus: true } },
        { folderId: 'not-an-id' },
        { role: 'administrator' },
      ]) {
        const r = await generate(owner.token, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.raw}`);
      }
      const badVault = await call(h, 'POST', '/api/v1/vaults', {
        token: owner.token,
        body: { name: `Bad ${dialect}`, policy: { passwordPolicy: { length: 4 } } },
      });
      assert.equal(badVault.status, 400);
    });

    it('generates up to 100 at once, all distinct', async () => {
      const r = await generate(owner.token, { count: 100, policy: { length: 8, digits: true } });
      assert.equal(r.status, 200);
      assert.equal(new Set(r.body.passwords).size, 100);
      for (const pw of r.body.passwords) assert.ok([...pw].some((c) => DIGITS.includes(c)));
    });

    it('checks strength', async () => {
      for (const password of ['password', '123456', 'aaaaaaaa']) {
        const r = await call(h, 'POST', '/api/v1/passwords/strength', { token: lister.token, body: { password } });
        assert.equal(r.status, 200, r.raw);
        assert.ok(r.body.score <= 1, `${password}: ${r.body.score}`);
        assert.ok(r.body.feedback.length > 0);
        // ('password' itself is a word of the advice: "one of the most common passwords")
        if (password !== 'password') assert.ok(!r.raw.includes(password), 'the answer does not echo the password');
      }
      const strong = (await generate(owner.token, {})).body.passwords[0];
      const s = await call(h, 'POST', '/api/v1/passwords/strength', { token: outsider.token, body: { password: strong } });
      assert.equal(s.status, 200);
      assert.equal(s.body.score, 4);
      assert.ok(s.body.entropyBits > 70, String(s.body.entropyBits)); // zxcvbn: ~10^24 guesses for 24 random characters
      const canary = await call(h, 'POST', '/api/v1/passwords/strength', { token: owner.token, body: { password: CHECKED_PASSWORD } });
      assert.equal(canary.status, 200);
      assert.ok(!canary.raw.includes(CHECKED_PASSWORD));
      for (const body of [{}, { password: '' }, { password: 'x'.repeat(1025) }, { password: 'ok-password', extra: 1 }]) {
        const r = await call(h, 'POST', '/api/v1/passwords/strength', { token: owner.token, body });
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 40));
      }
    });

    it('audits both operations without any password, and logs none', async () => {
      const rows = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', 'in', ['password.generate', 'password.strength'])
        .execute();
      const gen = rows.filter((r) => r.action === 'password.generate');
      const str = rows.filter((r) => r.action === 'password.strength');
      assert.ok(gen.length >= 15, `generate records: ${gen.length}`);
      assert.ok(str.length >= 5, `strength records: ${str.length}`);
      assert.ok(gen.some((r) => r.outcome === 'success' && r.object_id === ids.linux && r.object_type === 'folder'));
      assert.ok(
        gen.some((r) => r.outcome !== 'success' && r.actor_id === outsider.id),
        'denials are recorded',
      );
      const dump = JSON.stringify(rows);
      const logs = h.logs();
      assert.ok(seen.length > 150, `scanned ${seen.length}`);
      for (const pw of seen) {
        assert.ok(!dump.includes(pw), 'no password in an audit record');
        assert.ok(!logs.includes(pw), 'no password in the logs');
      }
      const viaApi = await call(h, 'GET', '/api/v1/audit?action=password.*&limit=1000', { token: admin });
      assert.equal(viaApi.status, 200, viaApi.raw);
      for (const pw of seen) assert.ok(!viaApi.raw.includes(pw));
    });
  });
}
