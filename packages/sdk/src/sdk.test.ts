// The SDK against a real Coffer server listening on an ephemeral port, on both dialects.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { base32Decode, hotp, totpStep } from '../../server/src/crypto/totp.ts';
import { manualClock } from '../../server/src/lib/clock.ts';
import { ADMIN, adminToken, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import {
  CofferError,
  CofferTransportError,
  createClient,
  type FetchLike,
  isCofferError,
  isPendingApproval,
  type PendingApproval,
  type TokenPair,
} from './client.ts';

const SECRET_VALUE = 'sdk-canary-Vb8#pass';
const IDLE_SECONDS = 60;

/** A fetch that records every request as `METHOD /path` (no query), for counting round trips. */
function recordingFetch(): { fetch: FetchLike; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    fetch: (url, init) => {
      seen.push(`${init.method} ${new URL(url).pathname}`);
      return globalThis.fetch(url, init);
    },
  };
}

/** The answer of a gated call that was not gated (one administrator: dual control does not apply). */
async function done<T>(p: Promise<T | PendingApproval>): Promise<T> {
  const r = await p;
  assert.ok(!isPendingApproval(r), 'not gated with one administrator');
  return r as T;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

const SEC = 'sec_00000000000000000000000001';
const ID = 'usr_00000000000000000000000002';

/** Calls every method of the client once with placeholder arguments (against a fake fetch). */
async function callEverything(c: ReturnType<typeof createClient>): Promise<void> {
  const drain = async (it: AsyncIterable<unknown>) => {
    for await (const _ of it);
  };
  const key = { name: 'k', allowedCidrs: ['127.0.0.1'], expiresAt: '2030-01-01T00:00:00Z', currentPassword: 'p' };
  const calls: Array<() => Promise<unknown>> = [
    () => c.auth.login('u', 'p'),
    () => c.auth.refresh(),
    () => c.auth.whoami(),
    () => c.auth.logout(),
    () => createClient({ baseUrl: c.baseUrl, apiKey: 'cfk_placeholder', fetch: fakeFetch }).auth.exchangeApiKey(),
    () => c.users.create({ username: 'u', role: 'password_user' }),
    () => c.users.list(),
    () => c.users.get(ID),
    () => c.users.update(ID, { firstName: 'x' }),
    () => c.users.disable(ID),
    () => c.users.enable(ID),
    () => c.users.delete(ID),
    () => c.users.resetPassword(ID, 'a-long-passphrase'),
    () => c.users.unlock(ID),
    () => c.users.changeOwnPassword('a', 'a-long-passphrase', { totpCode: '123456' }),
    () => c.users.changeOwnEmail('a@example.com', { currentPassword: 'p' }),
    () => c.users.lookup('someone'),
    () => c.groups.create({ name: 'g' }),
    () => c.groups.list(),
    () => c.groups.get(ID),
    () => c.groups.update(ID, { name: 'g' }),
    () => c.groups.delete(ID),
    () => c.groups.addMember(ID, ID),
    () => c.groups.removeMember(ID, ID),
    () => c.apiKeys.createForMe(key),
    () => c.apiKeys.listMine(),
    () => c.apiKeys.createForUser(ID, key),
    () => c.apiKeys.listForUser(ID),
    () => c.apiKeys.revoke(ID),
    () => c.totp.begin({ currentPassword: 'p' }),
    () => c.totp.confirm('123456'),
    () => c.totp.disable({ currentPassword: 'p', totpCode: '123456' }),
    () => c.totp.regenerateRecoveryCodes({ currentPassword: 'p', recoveryCode: 'aaaaa-bbbbb' }),
    () => c.sys.health(),
    () => c.sys.sealStatus(),
    () => c.sys.unseal({ reset: true, nonce: 'n' }),
    () => c.sys.seal(),
    () => c.sys.rotateKey(),
    () => c.sys.keyring(),
    () => c.audit.list(),
    () => drain(c.audit.export()),
    () => c.audit.verify(),
    () => c.audit.checkpoints(),
    () => c.audit.createCheckpoint(),
    () => c.vaults.create({ name: 'v' }),
    () => c.vaults.list(),
    () => c.vaults.get(ID),
    () => c.vaults.update(ID, { name: 'v' }),
    () => c.vaults.delete(ID, { recursive: true }),
    () => c.folders.create({ vaultId: ID, name: 'f' }),
    () => c.folders.list({ vaultId: ID }),
    () => c.folders.get(ID),
    () => c.folders.ancestors(ID),
    () => c.folders.update(ID, { name: 'f' }),
    () => c.folders.delete(ID),
    () => c.grants.create({ nodeId: ID, principalType: 'user', principalId: ID, level: 'view' }),
    () => c.grants.list(ID),
    () => c.grants.delete(ID),
    () => c.access.explain({ nodeId: ID }),
    () => c.templates.list(),
    () => c.templates.create({ name: 't', slug: 't', fields: [{ name: 'a', slug: 'a', type: 'text' }] }),
    () => c.templates.update(ID, { name: 't' }),
    () => c.secrets.create({ vaultId: ID, template: 't', name: 's' }, { idempotencyKey: 'idem-key-1' }),
    () => c.secrets.get(SEC),
    () => c.secrets.update(SEC, { name: 's' }, { ifMatch: 1 }),
    () => c.secrets.trash(SEC),
    () => c.secrets.restore(SEC),
    () => c.secrets.purge(SEC),
    () => c.secrets.reveal(SEC),
    () => c.secrets.history(SEC),
    () => c.secrets.revealVersion(SEC, 1),
    () => c.secrets.restoreVersion(SEC, 1),
    () => c.secrets.share(SEC, { userId: ID }),
    () => c.secrets.search({ tag: ['a', 'b'] }),
    () => drain(c.secrets.searchAll()),
    () => c.secrets.sharedWithMe(),
    () => c.secrets.listTrash(),
    () => c.secrets.policy(SEC),
    () => c.attachments.list(SEC),
    () => c.attachments.upload(SEC, new Uint8Array([1]), { name: 'a' }),
    () => c.attachments.download(SEC, ID),
    () => c.attachments.downloadStream(SEC, ID),
    () => c.attachments.delete(SEC, ID),
    () => c.metadata.list(ID),
    () => c.metadata.set({ nodeId: ID, section: 's', name: 'n', type: 'string', value: 'v' }),
    () => c.metadata.delete({ nodeId: ID, section: 's', name: 'n' }),
    () => c.comments.list(ID),
    () => c.comments.create(ID, { content: 'c' }),
    () => c.comments.update(ID, { content: 'c' }),
    () => c.comments.delete(ID),
    () => c.passwords.generate(),
    () => c.passwords.strength('p'),
    () => c.bulk.create([]),
    () => c.bulk.move({ ids: [SEC], vaultId: ID }),
    () => c.bulk.trash([SEC]),
    () => c.bulk.share({ ids: [SEC], userId: ID, level: 'view' }),
    () => c.lookup.folder({ vault: 'v', path: '/' }),
    () => c.lookup.secret({ vault: 'v', path: '/', name: 'n' }),
    () => c.lookup.pmp({ resourceName: 'r', accountName: 'a' }),
    () => c.lookup.credential('a@b'),
    () => c.transfer.import({ format: 'csv', content: 'x', vaultId: ID }),
    () => c.transfer.export({ vaultId: ID, passphrase: 'a-long-passphrase' }),
    () => c.accessRequests.create({ secretId: SEC, reason: 'r', durationMinutes: 5 }),
    () => c.accessRequests.list({ scope: 'pending' }),
    () => drain(c.accessRequests.listAll()),
    () => c.accessRequests.get(ID),
    () => c.accessRequests.approve(ID, { comment: 'ok' }),
    () => c.accessRequests.reject(ID, { comment: 'no' }),
    () => c.accessRequests.cancel(ID),
    () => c.accessRequests.revoke(ID),
    () => c.accessRequests.policy(SEC),
    () => c.checkouts.start(SEC, { reason: 'r' }),
    () => c.checkouts.checkin(SEC),
    () => c.checkouts.list(),
    () => c.rotation.rotate(SEC),
    () => c.rotation.setPassword(SEC, 'p'),
    () => c.rotation.setTarget(SEC, { kind: 'ssh', host: 'db.example.com' }),
    () => c.rotation.removeTarget(SEC),
    () => c.rotation.status(SEC),
    () => c.rotation.verify(SEC),
    () => c.rotation.abandon(SEC, { keep: 'current', reason: 'stuck', currentPassword: 'p' }),
    () => c.rotation.listTargets({ outOfSync: true }),
    () => c.webhooks.create({ url: 'https://example.com/hook', events: ['secret.rotated'] }),
    () => c.webhooks.list(),
    () => c.webhooks.get(ID),
    () => c.webhooks.update(ID, { enabled: false }),
    () => c.webhooks.delete(ID),
    () => c.webhooks.rotateSecret(ID),
    () => c.webhooks.deliveries(ID),
    () => drain(c.webhooks.allDeliveries(ID)),
    () => c.webhooks.test(ID),
    () => c.adminRequests.create({ operation: { type: 'user.disable', userId: ID } }),
    () => c.adminRequests.list(),
    () => drain(c.adminRequests.listAll()),
    () => c.adminRequests.get(ID),
    () => c.adminRequests.approve(ID),
    () => c.adminRequests.reject(ID, { comment: 'no' }),
    () => c.adminRequests.cancel(ID),
    () => c.adminRequests.execute(ID),
    () => c.openpgp.serverKey(),
    () => c.openpgp.register('k'),
    () => c.openpgp.mine(),
    () => c.openpgp.keyOf('u'),
    () => c.openpgp.readers(SEC),
    () => c.openpgp.nodeReaders('vlt_00000000000000000000000003', 'fld_00000000000000000000000004'),
    () => c.openpgp.putMessages(SEC, []),
  ];
  for (const call of calls) await call();
}

/** Answers every request with an empty success, recording `METHOD /path`. */
const fakeSeen: string[] = [];
const fakeFetch: FetchLike = async (url, init) => {
  fakeSeen.push(`${init.method} ${new URL(url).pathname}`);
  const body = JSON.stringify({ accessToken: 'cfs_placeholder', refreshToken: 'cfr_placeholder', items: [], nextCursor: null, version: 1 });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
};

for (const dialect of dialects) {
  describe(`SDK over HTTP [${dialect}]`, () => {
    const clock = manualClock();
    let h: Harness;
    let baseUrl: string;
    let coffer: ReturnType<typeof createClient>;
    const rec = recordingFetch();
    const tokens: TokenPair[] = [];
    const ids: Record<string, string> = {};

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: { session: { idleSeconds: IDLE_SECONDS, absoluteSeconds: 3600, refreshSeconds: 7200 } },
      });
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/`;
      coffer = createClient({ baseUrl, fetch: rec.fetch, onTokens: (t) => void tokens.push(t) });
    });
    after(async () => h.close());

    it('signs in, adopts the session and reports the tokens', async () => {
      assert.equal(coffer.baseUrl, baseUrl.replace(/\/$/, ''));
      assert.deepEqual(await coffer.sys.health(), { status: 'ok', sealed: false, initialized: true });
      assert.equal((await coffer.sys.sealStatus()).mode, 'keyfile');
      const pair = await coffer.auth.login(ADMIN.username, ADMIN.password);
      assert.equal(pair.tokenType, 'Bearer');
      assert.deepEqual(tokens, [pair]);
      const me = await coffer.auth.whoami();
      assert.equal(me.username, ADMIN.username);
      assert.equal(me.authMethod, 'session');
      assert.equal(me.role, 'administrator');
    });

    it('errors: typed code, status and request id; never the password', async () => {
      const anon = createClient({ baseUrl });
      const bad = await rejection(anon.auth.login(ADMIN.username, `${ADMIN.password}-wrong`));
      assert.ok(isCofferError(bad, 'auth.invalid_credentials'));
      assert.equal(bad.status, 401);
      assert.match(bad.requestId, /\S/);
      assert.ok(!bad.message.includes(ADMIN.password));
      assert.ok(!isCofferError(bad, 'not_found'));

      const noAuth = await rejection(anon.auth.whoami());
      assert.ok(isCofferError(noAuth, 'auth.required'));

      const missing = await rejection(coffer.users.get('usr_00000000000000000000000000'));
      assert.ok(isCofferError(missing, 'not_found'));
      assert.equal(missing.status, 404);

      const invalid = await rejection(coffer.vaults.create({ name: '' }));
      assert.ok(isCofferError(invalid, 'validation.failed'));
      assert.equal(invalid.status, 400);
      assert.ok(invalid.details && invalid.details.length > 0, 'validation details are passed on');
    });

    it('network failures and bad base URLs are reported clearly', async () => {
      const closed = await new Promise<number>((resolve) => {
        const s = createServer();
        s.listen(0, '127.0.0.1', () => {
          const port = (s.address() as AddressInfo).port;
          s.close(() => resolve(port));
        });
      });
      const gone = createClient({ baseUrl: `http://127.0.0.1:${closed}`, token: 'cfs_should-not-appear-anywhere' });
      const e = await rejection(gone.auth.whoami());
      assert.ok(e instanceof CofferTransportError);
      assert.equal(e.kind, 'network');
      assert.match(e.message, /Cannot reach Coffer at http:\/\/127\.0\.0\.1:\d+ \(GET \/api\/v1\/auth\/whoami\)/);
      assert.ok(!e.message.includes('cfs_should'));
      assert.ok(!isCofferError(e));

      assert.throws(() => createClient({ baseUrl: 'ftp://example.com' }), TypeError);
      assert.throws(() => createClient({ baseUrl: 'http://u:p@example.com' }), TypeError);
      assert.throws(() => createClient({ baseUrl: 'not a url' }), TypeError);
    });

    it('users, groups and API keys; an API key client and its exchange for a session', async () => {
      const u = await done(
        coffer.users.create({
          username: `sdk-user-${dialect}`,
          password: 'a-long-passphrase-1',
          role: 'password_user',
          firstName: 'Sdk',
        }),
      );
      ids.user = u.id;
      assert.equal((await coffer.users.get(u.id)).firstName, 'Sdk');
      assert.equal((await done(coffer.users.update(u.id, { department: 'Ops' }))).department, 'Ops');
      const humans = await coffer.users.list({ kind: 'human', limit: 500 });
      assert.ok(humans.items.some((x) => x.id === u.id));
      assert.deepEqual(await coffer.users.lookup(` SDK-USER-${dialect.toUpperCase()} `), {
        id: u.id,
        username: u.username,
        displayName: 'Sdk',
      });
      assert.ok(isCofferError(await rejection(coffer.users.lookup(`sdk-user-${dialect.slice(0, 2)}`)), 'not_found'));
      assert.equal((await done(coffer.users.disable(u.id))).status, 'disabled');
      assert.equal((await done(coffer.users.enable(u.id))).status, 'active');
      await coffer.users.unlock(u.id);
      assert.equal(await coffer.users.resetPassword(u.id, 'a-long-passphrase-2'), undefined);

      const g = await coffer.groups.create({ name: `sdk-group-${dialect}` });
      assert.deepEqual((await done(coffer.groups.addMember(g.id, u.id))).members, [u.id]);
      assert.equal((await coffer.groups.update(g.id, { description: 'd' })).description, 'd');
      assert.ok((await coffer.groups.list()).items.some((x) => x.id === g.id));
      assert.deepEqual((await coffer.groups.removeMember(g.id, u.id)).members, []);
      assert.equal((await coffer.groups.get(g.id)).name, `sdk-group-${dialect}`);
      await coffer.groups.delete(g.id);

      const bot = await done(coffer.users.create({ username: `sdk-bot-${dialect}`, kind: 'api', role: 'password_user' }));
      const expiresAt = new Date(clock.now() + 365 * 86_400_000).toISOString();
      const created = await done(
        coffer.apiKeys.createForUser(bot.id, {
          name: 'sdk test',
          allowedCidrs: ['127.0.0.1'],
          expiresAt,
          currentPassword: ADMIN.password,
        }),
      );
      assert.match(created.key, /^cfk_/);
      assert.deepEqual(
        (await coffer.apiKeys.listForUser(bot.id)).items.map((k) => k.id),
        [created.apiKey.id],
      );

      const seen: TokenPair[] = [];
      const botClient = createClient({ baseUrl, apiKey: created.key, onTokens: (t) => void seen.push(t) });
      const viaKey = await botClient.auth.whoami();
      assert.equal(viaKey.authMethod, 'apikey');
      assert.equal(viaKey.userId, bot.id);
      // an API user has no password to re-authenticate with: its keys come from an administrator
      const own = await rejection(
        botClient.apiKeys.createForMe({ name: 'second', allowedCidrs: ['127.0.0.1'], expiresAt, currentPassword: 'x' }),
      );
      assert.ok(isCofferError(own, 'auth.reauth_failed'));
      const second = await done(
        coffer.apiKeys.createForUser(bot.id, {
          name: 'second',
          allowedCidrs: ['127.0.0.1'],
          expiresAt,
          currentPassword: ADMIN.password,
        }),
      );
      assert.equal((await botClient.apiKeys.listMine()).items.length, 2);
      await botClient.apiKeys.revoke(second.apiKey.id);
      const pair = await botClient.auth.exchangeApiKey();
      assert.deepEqual(seen, [pair]);
      const viaSession = await botClient.auth.whoami();
      assert.equal(viaSession.authMethod, 'session');
      assert.equal(viaSession.apiKeyId, created.apiKey.id);
      await botClient.auth.logout();

      assert.equal(await coffer.users.delete(bot.id), undefined);
      assert.ok(isCofferError(await rejection(coffer.users.get(bot.id)), 'not_found'));
    });

    it('a user changes their password and enrols TOTP through the SDK', async () => {
      const me = createClient({ baseUrl });
      // the administrator set this password: the session can only change it
      assert.equal((await me.auth.login(`sdk-user-${dialect}`, 'a-long-passphrase-2')).mustChangePassword, true);
      assert.ok(isCofferError(await rejection(me.auth.whoami()), 'auth.password_change_required'));
      const weak = await rejection(me.users.changeOwnPassword('a-long-passphrase-2', 'password1234567'));
      assert.ok(isCofferError(weak, 'validation.failed'));
      await me.users.changeOwnPassword('a-long-passphrase-2', 'a-long-passphrase-3');
      // the change ended every session, this one included
      assert.ok(isCofferError(await rejection(me.auth.whoami()), 'auth.invalid_token'));
      await me.auth.login(`sdk-user-${dialect}`, 'a-long-passphrase-3');
      assert.ok(
        isCofferError(await rejection(me.totp.begin({ currentPassword: 'not-my-password-at-all' })), 'auth.reauth_failed'),
        'enrolling needs the password',
      );
      const enrol = await me.totp.begin({ currentPassword: 'a-long-passphrase-3' });
      const code = hotp(base32Decode(enrol.secret), totpStep(clock.now()));
      const { recoveryCodes } = await me.totp.confirm(code);
      assert.ok(recoveryCodes.length > 0);
      const mfa = await rejection(createClient({ baseUrl }).auth.login(`sdk-user-${dialect}`, 'a-long-passphrase-3'));
      assert.ok(isCofferError(mfa, 'auth.mfa_required'));
      const again = createClient({ baseUrl });
      await again.auth.login(`sdk-user-${dialect}`, 'a-long-passphrase-3', { recoveryCode: recoveryCodes[0] as string });
      const proof = { currentPassword: 'a-long-passphrase-3' };
      assert.ok(isCofferError(await rejection(again.totp.regenerateRecoveryCodes(proof)), 'auth.reauth_failed'), 'TOTP needs a code too');
      const fresh = await again.totp.regenerateRecoveryCodes({ ...proof, recoveryCode: recoveryCodes[1] as string });
      assert.equal(fresh.recoveryCodes.length, recoveryCodes.length);
      assert.equal(
        (await again.users.changeOwnEmail('sdk@example.com', { ...proof, recoveryCode: fresh.recoveryCodes[0] as string })).email,
        'sdk@example.com',
      );
      await again.totp.disable({ ...proof, recoveryCode: fresh.recoveryCodes[1] as string });
    });

    it('vault, folder, secret: reveal, ETag, stale update is 412, history, versions, trash, share', async () => {
      const v = await coffer.vaults.create({ name: `SDK ${dialect}` });
      ids.vault = v.id;
      assert.equal(v.myLevel, 'manage');
      assert.ok((await coffer.vaults.list()).items.some((x) => x.id === v.id));
      assert.equal((await coffer.vaults.update(v.id, { description: 'sdk' })).description, 'sdk');
      assert.equal((await coffer.vaults.get(v.id)).description, 'sdk');
      const f = await coffer.folders.create({ vaultId: v.id, name: 'Servers' });
      const sub = await coffer.folders.create({ vaultId: v.id, parentId: f.id, name: 'Linux' });
      assert.equal(sub.path, '/Servers/Linux');
      assert.deepEqual(
        (await coffer.folders.list({ vaultId: v.id, parentId: f.id })).items.map((x) => x.id),
        [sub.id],
      );
      assert.equal((await coffer.folders.update(sub.id, { name: 'Unix' })).path, '/Servers/Unix');
      assert.equal((await coffer.folders.get(sub.id)).name, 'Unix');
      const path = await coffer.folders.ancestors(sub.id);
      assert.deepEqual(
        path.items.map((a) => [a.id, a.name, a.children.map((c) => c.name)]),
        [[f.id, 'Servers', ['Unix']]],
      );

      const input = {
        vaultId: v.id,
        folderId: sub.id,
        template: 'database-account',
        name: 'orders db',
        tags: ['prod'],
        fields: { host: 'db01.example.com', port: '5432', database: 'orders', username: 'app', password: SECRET_VALUE },
      };
      const s = await coffer.secrets.create(input, { idempotencyKey: `sdk-create-${dialect}` });
      const retried = await coffer.secrets.create(input, { idempotencyKey: `sdk-create-${dialect}` });
      assert.equal(retried.id, s.id, 'the idempotency key makes the retry answer the first secret');
      ids.secret = s.id;
      assert.deepEqual(s.sensitiveFields, ['password']);
      assert.ok(!JSON.stringify(s).includes(SECRET_VALUE));

      const { secret, etag } = await coffer.secrets.get(s.id);
      assert.equal(etag, '"v1"');
      assert.equal(secret.path, '/Servers/Unix');
      const revealed = await coffer.secrets.reveal(s.id, { fields: ['password'] });
      assert.equal(revealed.values.password, SECRET_VALUE);
      assert.deepEqual(await coffer.secrets.policy(s.id), { requireReason: false, source: null });

      const v2 = await coffer.secrets.update(s.id, { description: 'first change' }, { ifMatch: etag });
      assert.equal(v2.version, 2);
      const stale = await rejection(coffer.secrets.update(s.id, { fields: { password: `${SECRET_VALUE}-new` } }, { ifMatch: etag }));
      assert.ok(stale instanceof CofferError);
      assert.equal(stale.code, 'precondition_failed');
      assert.equal(stale.status, 412);
      assert.ok(isCofferError(stale, 'precondition_failed'));
      assert.ok(!stale.message.includes(SECRET_VALUE));
      const v3 = await coffer.secrets.update(s.id, { fields: { password: `${SECRET_VALUE}-new` } }, { ifMatch: v2.version });
      assert.equal(v3.version, 3);

      const history = await coffer.secrets.history(s.id);
      assert.ok(history.items.length >= 3);
      assert.equal((await coffer.secrets.revealVersion(s.id, 1, {})).values.password, SECRET_VALUE);
      const restored = await coffer.secrets.restoreVersion(s.id, 1, { ifMatch: v3.version });
      assert.equal(restored.version, 4);
      assert.equal((await coffer.secrets.reveal(s.id)).values.password, SECRET_VALUE);

      const grant = await coffer.grants.create({ nodeId: f.id, principalType: 'user', principalId: ids.user as string, level: 'view' });
      assert.deepEqual(
        (await coffer.grants.list(f.id)).items.map((g) => g.id),
        [grant.id],
      );
      const why = await coffer.access.explain({ nodeId: s.id, userId: ids.user as string, action: 'view' });
      assert.equal(why.allowed, true);
      await coffer.grants.delete(grant.id);
      const share = await coffer.secrets.share(s.id, { userId: ids.user as string, level: 'view' });
      assert.equal(share.nodeId, s.id);
      const userClient = createClient({ baseUrl });
      await userClient.auth.login(`sdk-user-${dialect}`, 'a-long-passphrase-3');
      assert.deepEqual(
        (await userClient.secrets.sharedWithMe()).items.map((x) => x.id),
        [s.id],
      );

      await coffer.secrets.trash(s.id);
      assert.ok(isCofferError(await rejection(coffer.secrets.get(s.id)), 'not_found'));
      assert.ok((await coffer.secrets.listTrash({ vaultId: v.id })).items.some((x) => x.id === s.id));
      assert.equal((await coffer.secrets.restore(s.id)).id, s.id);
      const gone = await coffer.secrets.create({ vaultId: v.id, template: 'secure-note', name: 'to purge', fields: { notes: 'n' } });
      await coffer.secrets.trash(gone.id);
      await coffer.secrets.purge(gone.id);
      assert.ok(!(await coffer.secrets.listTrash({ vaultId: v.id })).items.some((x) => x.id === gone.id));

      const tpl = await coffer.templates.create({
        name: 'SDK thing',
        slug: `sdk-thing-${dialect}`,
        fields: [{ name: 'Token', slug: 'token', type: 'password' }],
      });
      assert.equal((await coffer.templates.update(tpl.id, { name: 'SDK thing 2' })).name, 'SDK thing 2');
      assert.ok((await coffer.templates.list()).items.some((x) => x.slug === `sdk-thing-${dialect}`));

      const empty = await coffer.folders.create({ vaultId: v.id, name: 'Empty' });
      await coffer.folders.delete(empty.id);
    });

    it('searchAll follows nextCursor across pages', async () => {
      const tag = `page-${dialect}`;
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        const s = await coffer.secrets.create({
          vaultId: ids.vault as string,
          template: 'secure-note',
          name: `paged ${i}`,
          fields: { notes: 'n' },
          tags: [tag],
        });
        made.push(s.id);
      }
      const first = await coffer.secrets.search({ tag, limit: 3 });
      assert.equal(first.items.length, 3);
      assert.notEqual(first.nextCursor, null);
      const before = rec.seen.length;
      const all: string[] = [];
      for await (const s of coffer.secrets.searchAll({ tag, limit: 3, sort: 'name' })) all.push(s.name);
      assert.deepEqual(
        all,
        made.map((_, i) => `paged ${i}`),
      );
      assert.equal(rec.seen.slice(before).filter((r) => r === 'GET /api/v1/secrets').length, 3, '3 pages of at most 3');
      // leaving the loop early fetches no further page
      const early = rec.seen.length;
      for await (const _ of coffer.secrets.searchAll({ tag, limit: 3 })) break;
      assert.equal(rec.seen.length - early, 1);
    });

    it('audit: list, export iterator, verify, checkpoints', async () => {
      const page = await coffer.audit.list({ action: 'secret.*', limit: 5 });
      assert.equal(page.items.length, 5);
      const exported = [];
      for await (const r of coffer.audit.export({ action: 'secret.*' })) exported.push(r);
      assert.ok(exported.length > 5);
      assert.deepEqual(
        exported.slice(0, 5).map((r) => r.seq),
        page.items.map((r) => r.seq),
      );
      assert.ok(exported.every((r) => r.action.startsWith('secret.') && typeof r.hash === 'string'));
      assert.ok(exported.some((r) => r.action === 'secret.reveal'));
      assert.ok(!JSON.stringify(exported).includes(SECRET_VALUE));
      // an early exit closes the stream without error
      for await (const _ of coffer.audit.export({})) break;
      const denied = await rejection(
        createClient({ baseUrl, token: tokens.at(-1)?.accessToken.replace(/.$/, 'x') })
          .audit.export()
          .next(),
      );
      assert.ok(isCofferError(denied, 'auth.invalid_token'));

      const verify = await coffer.audit.verify();
      assert.equal(verify.ok, true);
      assert.equal(verify.firstBad, null);
      const cps = await coffer.audit.createCheckpoint();
      assert.ok(cps.checkpoints.length >= 1);
      assert.match((await coffer.audit.checkpoints()).publicKey, /BEGIN PUBLIC KEY/);
    });

    it('an idle-expired session is not revived by its refresh token: one shared attempt, then auth.invalid_token', async () => {
      const startTokens = tokens.length;
      clock.advance((IDLE_SECONDS + 5) * 1000);
      const before = rec.seen.length;
      const answers = await Promise.allSettled([
        coffer.auth.whoami(),
        coffer.vaults.get(ids.vault as string),
        coffer.users.get(ids.user as string),
        coffer.secrets.policy(ids.secret as string),
        coffer.auth.whoami(),
      ]);
      for (const a of answers) assert.ok(a.status === 'rejected' && isCofferError(a.reason, 'auth.invalid_token'));
      assert.equal(tokens.length, startTokens, 'onTokens did not fire');
      const calls = rec.seen.slice(before);
      assert.equal(calls.filter((c) => c === 'POST /api/v1/auth/refresh').length, 1, 'one shared refresh attempt');
      assert.ok(calls.length <= 5 + 1, `no loops: ${calls.length} requests`);
      await coffer.auth.login(ADMIN.username, ADMIN.password);
    });

    it('a refused access token of a live session is refreshed once for 5 concurrent calls, and onTokens fires once', async () => {
      const live = await createClient({ baseUrl }).auth.login(ADMIN.username, ADMIN.password);
      const r = recordingFetch();
      const seen: TokenPair[] = [];
      const c = createClient({
        baseUrl,
        fetch: r.fetch,
        token: `cfs_${'A'.repeat(43)}`,
        refreshToken: live.refreshToken,
        onTokens: (t) => void seen.push(t),
      });
      const answers = await Promise.all([
        c.auth.whoami(),
        c.vaults.get(ids.vault as string),
        c.users.get(ids.user as string),
        c.secrets.policy(ids.secret as string),
        c.auth.whoami(),
      ]);
      assert.equal(answers.length, 5);
      assert.equal(seen.length, 1, 'onTokens fired exactly once');
      assert.equal(r.seen.filter((x) => x === 'POST /api/v1/auth/refresh').length, 1, 'one shared refresh');
      assert.ok(r.seen.length <= 5 * 2 + 1, `no loops: ${r.seen.length} requests`);
      assert.notEqual(seen[0]?.refreshToken, live.refreshToken);
      // an explicit refresh rotates again
      const pair = await c.auth.refresh();
      assert.equal(seen.at(-1), pair);
      assert.equal((await c.auth.whoami()).username, ADMIN.username);
    });

    it('a dead refresh token fails the call once, without looping', async () => {
      const r = recordingFetch();
      const login = await createClient({ baseUrl }).auth.login(ADMIN.username, ADMIN.password);
      const seen: TokenPair[] = [];
      const c = createClient({
        baseUrl,
        fetch: r.fetch,
        token: login.accessToken,
        refreshToken: login.refreshToken,
        onTokens: (t) => void seen.push(t),
      });
      await c.auth.logout(); // ends the session and its refresh tokens, and forgets them
      const e1 = await rejection(c.auth.whoami());
      assert.ok(isCofferError(e1, 'auth.required'), 'a logged-out client sends no credential');

      const d = createClient({
        baseUrl,
        fetch: r.fetch,
        token: login.accessToken,
        refreshToken: login.refreshToken,
        onTokens: (t) => void seen.push(t),
      });
      const start = r.seen.length;
      const e2 = await rejection(d.auth.whoami());
      assert.ok(isCofferError(e2, 'auth.invalid_token'));
      assert.deepEqual(r.seen.slice(start), ['GET /api/v1/auth/whoami', 'POST /api/v1/auth/refresh']);
      // the refused refresh token is forgotten: the next call does not try it again
      const e3 = await rejection(d.auth.whoami());
      assert.ok(isCofferError(e3, 'auth.invalid_token'));
      assert.deepEqual(r.seen.slice(start + 2), ['GET /api/v1/auth/whoami']);
      assert.deepEqual(seen, []);
    });

    it('covers every operation of the served OpenAPI document', async () => {
      const doc = (await (await fetch(`${baseUrl}api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const ops = Object.entries(doc.paths).flatMap(([p, methods]) =>
        Object.keys(methods)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => ({
            op: `${m.toUpperCase()} ${p}`,
            params: (p.match(/\{/g) ?? []).length,
            re: new RegExp(`^${m.toUpperCase()} ${p.replace(/\{[^}]+\}/g, '[^/]+')}$`),
          })),
      );
      assert.ok(ops.length >= 60, `found ${ops.length} operations`);
      fakeSeen.length = 0;
      await callEverything(
        createClient({ baseUrl: 'http://coffer.invalid', fetch: fakeFetch, token: 'cfs_placeholder', refreshToken: 'cfr_placeholder' }),
      );
      const covered = new Set<string>();
      const unknown: string[] = [];
      for (const sent of fakeSeen) {
        const best = ops.filter((o) => o.re.test(sent)).sort((a, b) => a.params - b.params)[0];
        if (best) covered.add(best.op);
        else unknown.push(sent);
      }
      assert.deepEqual(unknown, [], 'the SDK calls only routes the server has');
      assert.deepEqual(
        ops.map((o) => o.op).filter((o) => !covered.has(o)),
        [],
        'every route has an SDK method',
      );
    });

    it('sys: keyring, rotation, and sealing (last)', async () => {
      const k = await coffer.sys.keyring();
      const rotated = await coffer.sys.rotateKey();
      assert.equal(rotated.activeTerm, k.activeTerm + 1);
      const sealed = await coffer.sys.seal();
      assert.equal(sealed.sealed, true);
      const e = await rejection(coffer.vaults.list());
      assert.ok(isCofferError(e, 'sys.sealed'));
      assert.equal(e.status, 503);
      assert.equal((await coffer.sys.health()).sealed, true);
      const wrong = await rejection(coffer.sys.unseal({ share: 'not-a-share' }));
      assert.ok(isCofferError(wrong));
    });
  });
}

for (const dialect of dialects) {
  describe(`SDK: attachments, metadata, passwords, bulk, lookups, transfer [${dialect}]`, () => {
    const clock = manualClock();
    let h: Harness;
    let coffer: ReturnType<typeof createClient>;
    let baseUrl: string;
    const rec = recordingFetch();
    const tokens: TokenPair[] = [];
    const ids: Record<string, string> = {};

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: { session: { idleSeconds: IDLE_SECONDS, absoluteSeconds: 3600, refreshSeconds: 7200 } },
      });
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      coffer = createClient({ baseUrl, fetch: rec.fetch, onTokens: (t) => void tokens.push(t) });
      await coffer.auth.login(ADMIN.username, ADMIN.password);
      const v = await coffer.vaults.create({ name: `Extras ${dialect}` });
      ids.vault = v.id;
      ids.folder = (await coffer.folders.create({ vaultId: v.id, name: 'Servers' })).id;
      ids.secret = (
        await coffer.secrets.create({
          vaultId: v.id,
          folderId: ids.folder,
          template: 'unix-account',
          name: 'bastion root',
          fields: { host: 'bastion01', username: 'root', password: SECRET_VALUE },
        })
      ).id;
    });
    after(async () => h.close());

    it('attachments: upload bytes and a Blob, list, download whole and streamed, delete', async () => {
      const bytes = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
      const a = await coffer.attachments.upload(ids.secret as string, bytes, { name: 'dump.bin', contentType: 'application/x-test' });
      assert.equal(a.size, bytes.byteLength);
      assert.equal(a.contentType, 'application/x-test');
      const note = await coffer.attachments.upload(ids.secret as string, new Blob(['héllo wörld']), { name: 'résumé notes.txt' });
      assert.deepEqual((await coffer.attachments.list(ids.secret as string)).items.map((x) => x.name).sort(), [
        'dump.bin',
        'résumé notes.txt',
      ]);
      const whole = await coffer.attachments.download(ids.secret as string, a.id, { reason: 'checking the dump' });
      assert.equal(whole.name, 'dump.bin');
      assert.deepEqual(whole.content, bytes);
      const streamed = await coffer.attachments.downloadStream(ids.secret as string, note.id, { reason: 'lecture du résumé' });
      assert.equal(streamed.name, 'résumé notes.txt');
      assert.equal(await new Response(streamed.stream).text(), 'héllo wörld');
      await coffer.attachments.delete(ids.secret as string, note.id);
      const gone = await rejection(coffer.attachments.download(ids.secret as string, note.id));
      assert.ok(isCofferError(gone, 'not_found'));
    });

    it('metadata: set, list, delete', async () => {
      const f = await coffer.metadata.set({ nodeId: ids.secret as string, section: 'Ops', name: 'Port', type: 'number', value: 22 });
      assert.equal(f.value, 22);
      await coffer.metadata.set({ nodeId: ids.secret as string, section: 'Ops', name: 'Reviewed', type: 'date', value: '2025-01-31' });
      assert.equal((await coffer.metadata.list(ids.secret as string)).items.length, 2);
      await coffer.metadata.delete({ nodeId: ids.secret as string, section: 'Ops', name: 'Port' });
      assert.deepEqual(
        (await coffer.metadata.list(ids.secret as string)).items.map((x) => x.name),
        ['Reviewed'],
      );
    });

    it('comments: add, reply, list, edit, delete', async () => {
      const c = await coffer.comments.create(ids.secret as string, { content: 'Rotated after the audit.' });
      const r = await coffer.comments.create(ids.secret as string, { content: 'Noted.', parentId: c.id });
      assert.equal(r.parentId, c.id);
      assert.equal(
        (await coffer.comments.update(c.id, { content: 'Rotated after the 2025 audit.' })).content,
        'Rotated after the 2025 audit.',
      );
      assert.deepEqual(
        (await coffer.comments.list(ids.secret as string)).items.map((x) => x.content),
        ['Rotated after the 2025 audit.', 'Noted.'],
      );
      await coffer.comments.delete(c.id);
      assert.deepEqual((await coffer.comments.list(ids.secret as string)).items, []);
      assert.ok(
        isCofferError(await rejection(coffer.comments.create(ids.secret as string, { content: 'esc \u001b[2J' })), 'validation.failed'),
      );
    });

    it('passwords: generate under a policy, estimate strength', async () => {
      const g = await coffer.passwords.generate({ policy: { length: 20, symbols: false }, count: 3 });
      assert.equal(g.passwords.length, 3);
      assert.ok(g.passwords.every((p) => /^[A-Za-z0-9]{20}$/.test(p)));
      assert.equal(g.policy.length, 20);
      const weak = await coffer.passwords.strength('password');
      const strong = await coffer.passwords.strength(g.passwords[0] as string);
      assert.ok(weak.score < strong.score);
    });

    it('bulk: create, move, share, trash with per-item results', async () => {
      const made = await coffer.bulk.create([
        { vaultId: ids.vault as string, template: 'secure-note', name: 'bulk 1', fields: { notes: 'a' } },
        { vaultId: ids.vault as string, template: 'secure-note', name: 'bulk 2', fields: { notes: 'b' } },
        { vaultId: ids.vault as string, template: 'secure-note', name: 'bulk bad' },
      ]);
      assert.equal(made.succeeded, 2);
      assert.equal(made.failed, 1);
      assert.equal(made.results[2]?.error?.code, 'validation.failed');
      const newIds = made.results.filter((r) => r.ok).map((r) => r.id as string);
      const moved = await coffer.bulk.move({ ids: newIds, vaultId: ids.vault as string, folderId: ids.folder as string });
      assert.equal(moved.succeeded, 2);
      assert.equal((await coffer.secrets.get(newIds[0] as string)).secret.path, '/Servers');
      const user = await done(coffer.users.create({ username: `bulk-${dialect}`, password: 'a-long-passphrase-1', role: 'password_user' }));
      const shared = await coffer.bulk.share({ ids: newIds, userId: user.id, level: 'view' });
      assert.ok(shared.results.every((r) => r.ok && r.grantId));
      const trashed = await coffer.bulk.trash(newIds);
      assert.equal(trashed.succeeded, 2);
    });

    it('lookups by name: folder, secret with ETag, PMP ids, credential', async () => {
      const ref = await coffer.lookup.folder({ vault: `extras ${dialect}`, path: '\\Servers' });
      assert.deepEqual(ref, { vaultId: ids.vault, folderId: ids.folder, path: '/Servers' });
      const bySecret = await coffer.lookup.secret({ vault: `Extras ${dialect}`, path: '/Servers', name: 'bastion root' });
      assert.equal(bySecret.secret.id, ids.secret);
      assert.match(bySecret.etag, /^"v\d+"$/);
      assert.deepEqual(await coffer.lookup.pmp({ resourceName: 'Servers', accountName: 'root' }), {
        resourceId: ids.folder,
        accountId: ids.secret,
      });
      assert.equal((await coffer.lookup.credential('root@bastion01')).secret.id, ids.secret);
      assert.ok(isCofferError(await rejection(coffer.lookup.credential('nobody@nowhere')), 'not_found'));
    });

    it('transfer: export a vault encrypted, import it into another (dry run, then for real)', async () => {
      const passphrase = 'export-passphrase-sdk-1';
      const file = await coffer.transfer.export({ vaultId: ids.vault as string, passphrase, reason: 'sdk test' });
      assert.equal(file.format, 'coffer-export');
      assert.ok(file.count >= 1);
      assert.ok(!file.content.includes(SECRET_VALUE));
      const target = await coffer.vaults.create({ name: `Imported ${dialect}` });
      const input = { format: 'coffer-export' as const, content: file.content, vaultId: target.id, passphrase };
      const dry = await coffer.transfer.import({ ...input, dryRun: true });
      assert.equal(dry.dryRun, true);
      assert.equal((await coffer.secrets.search({ vaultId: target.id })).items.length, 0);
      const real = await coffer.transfer.import(input);
      assert.equal(real.created, dry.created);
      const copy = await coffer.lookup.secret({ vault: `Imported ${dialect}`, path: '/Servers', name: 'bastion root' });
      assert.equal((await coffer.secrets.reveal(copy.secret.id, { fields: ['password'] })).values.password, SECRET_VALUE);
    });

    it('an upload whose access token is refused is refreshed and sent again', async () => {
      const live = await createClient({ baseUrl }).auth.login(ADMIN.username, ADMIN.password);
      const r = recordingFetch();
      const seen: TokenPair[] = [];
      const c = createClient({
        baseUrl,
        fetch: r.fetch,
        token: `cfs_${'A'.repeat(43)}`,
        refreshToken: live.refreshToken,
        onTokens: (t) => void seen.push(t),
      });
      const a = await c.attachments.upload(ids.secret as string, new Blob(['again']), { name: 'after-refresh.txt' });
      assert.equal(a.size, 5);
      assert.equal(seen.length, 1);
      assert.deepEqual(r.seen, [
        `POST /api/v1/secrets/${ids.secret}/attachments`,
        'POST /api/v1/auth/refresh',
        `POST /api/v1/secrets/${ids.secret}/attachments`,
      ]);
      assert.equal(new TextDecoder().decode((await coffer.attachments.download(ids.secret as string, a.id)).content), 'again');
    });
  });
}

/** A local webhook receiver that records every POST and answers 200. */
async function receiver(): Promise<{ url: string; got: Array<{ headers: IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const WF_PASSWORD = 'sdk-wf-canary-Hq3!pw';
const WF_GIVEN = 'sdk-wf-given-canary-Ty8!';

for (const dialect of dialects) {
  describe(`SDK: access requests, checkouts, rotation, webhooks [${dialect}]`, { concurrency: false }, () => {
    const clock = manualClock(Date.now());
    let h: Harness;
    let baseUrl: string;
    let hook: Awaited<ReturnType<typeof receiver>>;
    let admin: ReturnType<typeof createClient>;
    const as: Record<'owner' | 'alice' | 'bob' | 'dave', ReturnType<typeof createClient>> = {} as never;
    const users: Record<string, { id: string; username: string }> = {};
    const ids: Record<string, string> = {};
    let signingSecret = '';

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 2000, maxAttempts: 2 } },
      });
      // the test runs the job queue itself, so deliveries happen exactly when it says
      await h.coffer.services.jobs.stop();
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      hook = await receiver();
      admin = createClient({ baseUrl });
      await admin.auth.login(ADMIN.username, ADMIN.password);
      const token = await adminToken(h);
      for (const [name, role] of [
        ['owner', 'password_administrator'],
        ['alice', 'password_user'],
        ['bob', 'password_user'],
        ['dave', 'password_user'],
      ] as const) {
        const u = await createUser(h, token, role);
        users[name] = u;
        as[name] = createClient({ baseUrl, token: u.token });
      }
      const vault = await as.owner.vaults.create({ name: `Workflow ${dialect}`, policy: { requireReason: true } });
      ids.vault = vault.id;
      // Prod: approval by bob, exclusive checkout of at most 60 minutes
      ids.prod = (
        await as.owner.folders.create({
          vaultId: vault.id,
          name: 'Prod',
          policy: {
            approval: { required: true, approvers: [{ type: 'user', id: users.bob?.id as string }] },
            checkout: { exclusive: true, maxMinutes: 60 },
          },
        })
      ).id;
      for (const who of ['alice', 'dave'] as const) {
        await as.owner.grants.create({ nodeId: vault.id, principalType: 'user', principalId: users[who]?.id as string, level: 'reveal' });
      }
      ids.secret = (
        await as.owner.secrets.create({
          vaultId: vault.id,
          folderId: ids.prod,
          template: 'database-account',
          name: 'orders db',
          fields: { host: 'db01', username: 'app', password: WF_PASSWORD },
        })
      ).id;
    });
    after(async () => {
      await h.close();
      await hook.close();
    });

    it('webhooks: create (secret once), list and get without it, update, test ping delivered and signed', async () => {
      const created = await admin.webhooks.create({
        url: hook.url,
        events: ['access_request.created', 'access_request.approved', 'checkout.started', 'checkout.ended'],
        description: 'siem',
      });
      signingSecret = created.secret;
      ids.hook = created.webhook.id;
      assert.match(created.secret, /^whsec_/);
      assert.equal(created.webhook.enabled, true);
      const listed = await admin.webhooks.list();
      assert.deepEqual(
        listed.items.map((w) => w.id),
        [ids.hook],
      );
      assert.ok(!JSON.stringify(listed).includes(created.secret), 'the list never holds the secret');
      assert.equal((await admin.webhooks.get(ids.hook)).description, 'siem');
      assert.equal((await admin.webhooks.update(ids.hook, { description: 'siem prod' })).description, 'siem prod');
      // not an administrator: refused
      assert.ok(isCofferError(await rejection(as.alice.webhooks.list()), 'forbidden'));

      const ping = await admin.webhooks.test(ids.hook);
      await h.coffer.services.jobs.runDue();
      const log = await admin.webhooks.deliveries(ids.hook);
      const d = log.items.find((x) => x.id === ping.deliveryId);
      assert.equal(d?.state, 'delivered');
      assert.equal(d?.eventType, 'ping');
      const sent = hook.got.at(-1);
      assert.ok(sent);
      const ts = sent.headers['coffer-timestamp'] as string;
      const expected = `v1=${createHmac('sha256', signingSecret).update(`${ts}.${sent.body}`).digest('hex')}`;
      assert.equal(sent.headers['coffer-signature'], expected);
      assert.equal(JSON.parse(sent.body).type, 'ping');
    });

    it('request -> approve -> checkout -> 409 for another user -> checkin, with the events delivered', async () => {
      const sid = ids.secret as string;
      const policy = await as.alice.accessRequests.policy(sid);
      assert.deepEqual(policy.you, { owner: false, needsApproval: true, inWindow: true });
      assert.deepEqual(policy.approval.required, { value: true, source: ids.prod });
      assert.deepEqual(policy.requireReason, { value: true, source: ids.vault });

      // without an approved request neither a reveal nor a checkout
      assert.ok(isCofferError(await rejection(as.alice.secrets.reveal(sid, { reason: 'look' })), 'secret.approval_required'));
      assert.ok(isCofferError(await rejection(as.alice.checkouts.start(sid, { reason: 'deploy' })), 'secret.approval_required'));

      const req = await as.alice.accessRequests.create({ secretId: sid, action: 'checkout', reason: 'deploy 42', durationMinutes: 30 });
      assert.equal(req.state, 'waiting_for_approval');
      assert.equal(req.stateLabel, 'waiting for approval');
      assert.equal(req.requesterId, users.alice?.id);
      const pending = await as.bob.accessRequests.list({ scope: 'pending' });
      assert.deepEqual(
        pending.items.map((r) => r.id),
        [req.id],
      );
      // the requester cannot approve; to another reveal user, who is no approver, the request does not exist
      assert.ok(isCofferError(await rejection(as.alice.accessRequests.approve(req.id)), 'forbidden'));
      assert.ok(isCofferError(await rejection(as.dave.accessRequests.approve(req.id)), 'not_found'));
      const approved = await as.bob.accessRequests.approve(req.id, { comment: 'go ahead' });
      assert.equal(approved.state, 'approved');
      assert.equal(approved.approvals[0]?.approverId, users.bob?.id);
      assert.equal(approved.approvals[0]?.comment, 'go ahead');
      const mine: string[] = [];
      for await (const r of as.alice.accessRequests.listAll({ limit: 1 })) mine.push(`${r.id}:${r.state}`);
      assert.deepEqual(mine, [`${req.id}:approved`]);

      const co = await as.alice.checkouts.start(sid, { requestId: req.id, reason: 'deploy 42' });
      assert.equal(co.holderId, users.alice?.id);
      assert.equal(co.holderName, users.alice?.username);
      assert.equal(co.active, true);
      assert.equal(Date.parse(co.endsAt) - Date.parse(co.startedAt), 30 * 60_000);
      assert.equal((await as.alice.accessRequests.get(req.id)).state, 'checked_out');
      assert.equal((await as.alice.secrets.reveal(sid, { reason: 'deploy 42' })).values.password, WF_PASSWORD);

      // dave gets his own approval, but alice holds the checkout: 409 naming her and the end time
      const daveReq = await as.dave.accessRequests.create({ secretId: sid, action: 'checkout', reason: 'backup', durationMinutes: 10 });
      await as.bob.accessRequests.approve(daveReq.id);
      const busy = await rejection(as.dave.checkouts.start(sid, { requestId: daveReq.id, reason: 'backup' }));
      assert.ok(isCofferError(busy, 'secret.checked_out'));
      assert.equal(busy.status, 409);
      assert.deepEqual(busy.details, [
        { path: '/holder', message: users.alice?.username },
        { path: '/holderId', message: users.alice?.id },
        { path: '/endsAt', message: co.endsAt },
      ]);
      const live = await as.owner.checkouts.list();
      assert.deepEqual(
        live.items.map((c) => [c.secretId, c.holderId, c.active]),
        [[sid, users.alice?.id, true]],
      );

      const done = await as.alice.checkouts.checkin(sid, { reason: 'deployed' });
      assert.equal(done.active, false);
      assert.equal(done.endReason, 'checkin');
      assert.equal((await as.alice.accessRequests.get(req.id)).state, 'checked_in');
      assert.equal((await as.alice.checkouts.list({ scope: 'mine' })).items.filter((c) => c.active).length, 0);
      // now dave's approval is usable
      const daves = await as.dave.checkouts.start(sid, { requestId: daveReq.id, reason: 'backup' });
      assert.equal(daves.holderId, users.dave?.id);
      // bob revokes it: the checkout ends at once
      assert.equal((await as.bob.accessRequests.revoke(daveReq.id, { comment: 'enough' })).state, 'revoked');
      assert.equal((await as.owner.checkouts.list()).items.filter((c) => c.active).length, 0);

      await h.coffer.services.jobs.runDue();
      const types = (await admin.webhooks.deliveries(ids.hook as string, { limit: 500 })).items.map((d) => d.eventType).sort();
      assert.deepEqual(
        types.filter((t) => t !== 'ping'),
        [
          'access_request.approved',
          'access_request.approved',
          'access_request.created',
          'access_request.created',
          'checkout.ended',
          'checkout.ended',
          'checkout.started',
          'checkout.started',
        ],
      );
      for (const sent of hook.got) {
        assert.ok(!sent.body.includes(WF_PASSWORD), 'no secret value in a webhook body');
      }
    });

    it('reject with a comment, cancel your own request', async () => {
      const sid = ids.secret as string;
      const r = await as.alice.accessRequests.create({ secretId: sid, reason: 'curious', durationMinutes: 5 });
      assert.equal(r.action, 'checkout', 'under an exclusive checkout policy a request is for a checkout by default');
      const rejected = await as.bob.accessRequests.reject(r.id, { comment: 'no ticket' });
      assert.equal(rejected.state, 'rejected');
      assert.equal(rejected.stateLabel, 'rejected');
      assert.equal(rejected.comment, 'no ticket');
      assert.ok(isCofferError(await rejection(as.alice.secrets.reveal(sid, { reason: 'curious' })), 'secret.approval_required'));
      const again = await as.alice.accessRequests.create({ secretId: sid, reason: 'second try', durationMinutes: 5 });
      assert.equal((await as.alice.accessRequests.cancel(again.id)).state, 'cancelled');
      const states = (await as.alice.accessRequests.list({ state: 'rejected' })).items.map((x) => x.id);
      assert.deepEqual(states, [r.id]);
    });

    it('rotation: a new password as a new version, never returned; set a given password', async () => {
      const sid = ids.secret as string;
      const before = (await as.owner.secrets.get(sid)).secret.version;
      const rot = await as.owner.rotation.rotate(sid, { reason: 'quarterly' });
      assert.equal(rot.secretId, sid);
      assert.equal(rot.version, before + 1);
      assert.equal(rot.field, 'password');
      assert.equal(rot.connector, 'local');
      assert.deepEqual(Object.keys(rot).sort(), ['connector', 'field', 'rotatedAt', 'secretId', 'version']);
      const fresh = (await as.owner.secrets.reveal(sid, { reason: 'check' })).values.password;
      assert.ok(fresh && fresh !== WF_PASSWORD);
      assert.ok(!JSON.stringify(rot).includes(fresh), 'the new password is not in the answer');
      const set = await as.owner.rotation.setPassword(sid, WF_GIVEN, { reason: 'vendor reset' });
      assert.equal(set.version, before + 2);
      assert.equal((await as.owner.secrets.reveal(sid, { reason: 'check' })).values.password, WF_GIVEN);
      // edit access is needed
      assert.ok(isCofferError(await rejection(as.alice.rotation.rotate(sid, { reason: 'x' })), 'forbidden'));
    });

    it('webhooks: rotate the secret, delete', async () => {
      const id = ids.hook as string;
      const rotated = await admin.webhooks.rotateSecret(id);
      assert.notEqual(rotated.secret, signingSecret);
      assert.match(rotated.secret, /^whsec_/);
      const all: string[] = [];
      for await (const d of admin.webhooks.allDeliveries(id, { limit: 2 })) all.push(d.id);
      assert.equal(new Set(all).size, all.length);
      assert.ok(all.length >= 9);
      await admin.webhooks.delete(id);
      assert.ok(isCofferError(await rejection(admin.webhooks.get(id)), 'not_found'));
    });
  });

  describe(`SDK: dual control [${dialect}]`, () => {
    let h: Harness;
    let baseUrl: string;
    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    });
    after(async () => h.close());

    it('gated calls answer a PendingApproval; another administrator approves; the requester executes', async () => {
      const a = createClient({ baseUrl });
      await a.auth.login(ADMIN.username, ADMIN.password);
      const second = await createUser(h, await adminToken(h), 'administrator');
      const b = createClient({ baseUrl, token: second.token });
      const u = await done(a.users.create({ username: `sdk-dc-${dialect}`, password: 'a-long-passphrase-1', role: 'password_user' }));
      const pending = await a.users.resetPassword(u.id, 'a-long-passphrase-9');
      assert.ok(isPendingApproval(pending));
      assert.equal(pending.request.operation.type, 'user.password_reset');
      assert.equal(pending.request.state, 'waiting_for_approval');
      const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const key = await a.apiKeys.createForUser(u.id, {
        name: 'k',
        allowedCidrs: ['127.0.0.1'],
        expiresAt,
        currentPassword: ADMIN.password,
      });
      assert.ok(isPendingApproval(key));
      assert.ok(isCofferError(await rejection(a.adminRequests.approve(pending.request.id)), 'forbidden'));
      const waiting: string[] = [];
      for await (const r of b.adminRequests.listAll({ scope: 'pending' })) waiting.push(r.id);
      assert.deepEqual(waiting.sort(), [pending.request.id, key.request.id].sort());
      assert.equal((await b.adminRequests.approve(key.request.id, { comment: 'ok' })).state, 'approved');
      // the key is minted at execute: the requester re-authenticates then too
      assert.ok(isCofferError(await rejection(a.adminRequests.execute(key.request.id)), 'auth.reauth_failed'));
      const run = await a.adminRequests.execute(key.request.id, { currentPassword: ADMIN.password });
      assert.equal(run.request.state, 'executed');
      assert.match(run.apiKey?.key ?? '', /^cfk_/);
      assert.equal((await b.adminRequests.reject(pending.request.id, { comment: 'no' })).state, 'rejected');
      const filed = await a.adminRequests.create({ operation: { type: 'user.disable', userId: u.id }, reason: 'left' });
      assert.equal((await a.adminRequests.cancel(filed.id)).state, 'cancelled');
      assert.equal((await a.adminRequests.get(filed.id)).reason, 'left');
    });
  });
}
